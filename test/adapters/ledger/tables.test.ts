import { randomUUID } from 'node:crypto';
import { TableLedger, tableKey } from '../../../shared/adapters/ledger/tables';
import { startAzuriteTables, type AzuriteTables } from './azurite';
import { ledgerContract } from './contract';

let azurite: AzuriteTables | undefined;

beforeAll(async () => {
  azurite = await startAzuriteTables();
});
afterAll(async () => {
  await azurite?.stop();
});

// Each test gets its own table in the one Azurite, so tests stay independent without restarts.
ledgerContract('Azure Tables (Azurite)', async () => {
  if (!azurite) throw new Error('Azurite did not start');
  const cs = azurite.connectionString;
  const table = `ledger${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  return {
    open: (now) => TableLedger.fromConnectionString(cs, table, { now }),
    dispose: async () => undefined,
  };
});

describe('tableKey', () => {
  it('writes only characters a table key may hold, one to one', () => {
    expect(tableKey('processed/features/2025/06/01/part-0.csv')).toBe('processed~2Ffeatures~2F2025~2F06~2F01~2Fpart-0.csv');
    expect(tableKey('a#b?c\\d')).toBe('a~23b~3Fc~5Cd');
    expect(tableKey('~')).toBe('~7E');
    expect(tableKey('%7E')).toBe('~257E');
  });
});

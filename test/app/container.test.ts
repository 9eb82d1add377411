import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLedger, createTelemetry } from '../../shared/app/container';
import { loadConfig } from '../../shared/app/config';
import { SqliteLedger } from '../../shared/adapters/ledger/sqlite';
import { TableLedger } from '../../shared/adapters/ledger/tables';
import { JsonlTelemetry } from '../../shared/adapters/telemetry/jsonl';

describe('createLedger / createTelemetry', () => {
  it('chooses the SQLite ledger and JSON-lines telemetry under $LEADSCORE_HOME by default', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'home-'));
    try {
      const config = loadConfig({ LEADSCORE_HOME: home });
      const ledger = createLedger(config);
      expect(ledger).toBeInstanceOf(SqliteLedger);
      await ledger.close?.();
      expect(fs.existsSync(path.join(home, 'ledger.db'))).toBe(true);
      expect(createTelemetry(config)).toBeInstanceOf(JsonlTelemetry);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('chooses Azure Tables, and says what is missing', () => {
    expect(createLedger(loadConfig({ LEDGER_KIND: 'tables', LEDGER_TABLES_URL: 'https://acct.table.core.windows.net' }))).toBeInstanceOf(TableLedger);
    expect(() => createLedger(loadConfig({ LEDGER_KIND: 'tables' }))).toThrow(/LEDGER_TABLES_URL/);
    expect(() => createTelemetry(loadConfig({ TELEMETRY_KIND: 'appinsights' }))).toThrow(/APPLICATIONINSIGHTS_CONNECTION_STRING/);
    expect(() =>
      createTelemetry(
        loadConfig({
          TELEMETRY_KIND: 'appinsights',
          APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
          APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=Key',
        }),
      ),
    ).toThrow(/expected Authorization=AAD/);
  });
});

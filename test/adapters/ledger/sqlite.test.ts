import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteLedger } from '../../../shared/adapters/ledger/sqlite';
import { ledgerContract } from './contract';

ledgerContract('SQLite file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
  const file = path.join(dir, 'ledger.db');
  return {
    open: (now) => new SqliteLedger(file, { now }),
    dispose: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

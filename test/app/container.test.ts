import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openContainer } from '../../shared/app/container';
import { SqliteLedger } from '../../shared/adapters/ledger/sqlite';
import { TableLedger } from '../../shared/adapters/ledger/tables';
import { JsonlTelemetry } from '../../shared/adapters/telemetry/jsonl';
import { silentLog } from '../../shared/ports/log';

describe('the container chooses the adapters the settings name', () => {
  let home: string;
  beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), 'home-'))));
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('chooses the SQLite ledger and JSON-lines telemetry under $LEADSCORE_HOME by default', async () => {
    const c = await openContainer({ env: { LEADSCORE_HOME: home }, log: silentLog });
    try {
      expect(c.ledger).toBeInstanceOf(SqliteLedger);
      expect(fs.existsSync(path.join(home, 'ledger.db'))).toBe(true);
      expect(c.telemetry).toBeInstanceOf(JsonlTelemetry);
    } finally {
      await c.close();
    }
  });

  it('chooses Azure Tables, and says what is missing', async () => {
    const c = await openContainer({
      env: { LEADSCORE_HOME: home, LEDGER_KIND: 'tables', LEDGER_TABLES_URL: 'https://acct.table.core.windows.net' },
      log: silentLog,
    });
    expect(c.ledger).toBeInstanceOf(TableLedger);
    await c.close();
    await expect(openContainer({ env: { LEADSCORE_HOME: home, LEDGER_KIND: 'tables' }, log: silentLog })).rejects.toThrow(/LEDGER_TABLES_URL/);
    await expect(openContainer({ env: { LEADSCORE_HOME: home, TELEMETRY_KIND: 'appinsights' }, log: silentLog })).rejects.toThrow(
      /APPLICATIONINSIGHTS_CONNECTION_STRING/,
    );
    await expect(
      openContainer({
        env: {
          LEADSCORE_HOME: home,
          TELEMETRY_KIND: 'appinsights',
          APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
          APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=Key',
        },
        log: silentLog,
      }),
    ).rejects.toThrow(/expected Authorization=AAD/);
  });
});

import * as path from 'node:path';
import { SqliteWarehouse } from '../../shared/adapters/warehouse/sqlite';
import { SqliteLedger } from '../../shared/adapters/ledger/sqlite';
import { ingestDate } from '../../shared/app/ingest';
import { partitionFolder } from '../../shared/domain/lakeLayout';
import { scorePartition } from '../../shared/app/scoring';
import { deployVersion } from '../../shared/app/versions';
import { ev, rawDay, tempLake } from '../app/ingest/helpers';
import { register, W1 } from '../support/fixtures';
import { silentLog } from '../../shared/ports/log';

/**
 * From raw events to what campaign targeting reads: a contact who opts out is gone from lead_scores
 * once the next day's features partition lands, and so is one whose last send left the 90-day window.
 */
test('an opt-out on day D removes the contact from lead_scores when the partition of D+1 is served', async () => {
  const t = tempLake();
  const warehouse = new SqliteWarehouse(path.join(t.lake.root, '..', `${path.basename(t.lake.root)}-warehouse.db`));
  const ledger = new SqliteLedger(path.join(t.lake.root, '..', `${path.basename(t.lake.root)}-ledger.db`));
  try {
    await warehouse.migrate();
    await register({ lake: t.lake, warehouse }, W1, -0.3);
    await deployVersion({ lake: t.lake, warehouse, log: silentLog }, 1, { by: 't' });
    await rawDay(t.lake, '2026-03-01', {
      events: [ev({ id: 's1', c: 'stays', type: 'send', ts: '2026-03-01T10:00:00Z' }), ev({ id: 's2', c: 'leaves', type: 'send', ts: '2026-03-01T11:00:00Z' })],
      sentiment: [],
      crm: [],
    });
    const serve = async (date: string): Promise<string[]> => {
      expect((await ingestDate(t.lake, date)).status).toBe('written');
      // The blob trigger's event for the marker the ingest wrote last.
      expect(await scorePartition({ lake: t.lake, warehouse, ledger, log: silentLog }, `${partitionFolder('features', date)}/_SUCCESS`)).toMatchObject({
        status: 'scored',
      });
      return (await warehouse.topLeadScores(100)).map((r) => r.contactId).sort();
    };
    expect(await serve('2026-03-02')).toEqual(['leaves', 'stays']);
    // Day 2: "leaves" answers its send with an opt-out.
    await rawDay(t.lake, '2026-03-02', {
      events: [ev({ id: 'o1', c: 'leaves', type: 'opt_out', ts: '2026-03-02T09:00:00Z', send: 's2' })],
      sentiment: [],
      crm: [],
    });
    expect(await serve('2026-03-03')).toEqual(['stays']);
    expect(await warehouse.getLeadScore('leaves')).toBeUndefined();
    expect(await warehouse.countLeadScores()).toBe(1);
  } finally {
    await warehouse.close();
    await ledger.close?.();
    t.cleanup();
  }
});

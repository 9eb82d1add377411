import { ingestDate, ingestRange } from '../../../shared/app/ingest';
import { collectLabelsForDate, collectLabelsRange } from '../../../shared/app/labels';
import { addDays } from '../../../shared/domain/calendar';
import { simulate } from '../../../shared/simulate/simulate';
import { tempLake } from './helpers';
import { silentLog } from '../../../shared/ports/log';

type TempLake = ReturnType<typeof tempLake>;

async function files(t: TempLake, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await t.lake.list(prefix)) out.set(e.path, (await t.lake.read(e.path)).toString());
  return out;
}

/** A simulated history with bad records in an old day (outside the window of later dates) and a recent one. */
async function history(t: TempLake): Promise<void> {
  await simulate(t.lake, { contacts: 250, days: 110, start: '2026-01-01', seed: 11, drift: { feature: 'sentiment_score', shift: -1, from: '2026-04-01' } });
  for (const day of ['2026/01/03', '2026/04/10']) {
    for (const kind of ['events', 'sentiment', 'crm']) {
      const path = `raw/${day}/${kind}-0000.jsonl`;
      await t.lake.write(path, Buffer.concat([await t.lake.read(path), Buffer.from('{not json\n{"contact_id":""}\n')]));
    }
  }
}

describe('ingest over a range', () => {
  test('one pass over raw/ writes the same bytes (features, labels, reports, quarantine) as doing each date alone', async () => {
    const [a, b] = [tempLake(), tempLake()];
    try {
      await history(a);
      await history(b);
      const from = '2026-03-25';
      const to = '2026-04-19';
      const range = await ingestRange(a.lake, from, to);
      const single = [];
      for (let d = from; d <= to; d = addDays(d, 1)) single.push(await ingestDate(b.lake, d));
      expect(range.map((r) => [r.date, r.status, r.rows, r.eventsRead, r.rawRejected])).toEqual(
        single.map((r) => [r.date, r.status, r.rows, r.eventsRead, r.rawRejected]),
      );
      expect(range.some((r) => r.rawRejected > 0)).toBe(true);
      // Labels too: one range (each raw day parsed once) against one date at a time.
      const labelsRange = await collectLabelsRange(a.lake, '2026-03-30', '2026-04-12', { windowDays: 7, log: silentLog });
      const labelsSingle = [];
      for (let d = '2026-03-30'; d <= '2026-04-12'; d = addDays(d, 1))
        labelsSingle.push(await collectLabelsForDate(b.lake, d, { windowDays: 7, log: silentLog }));
      expect(labelsRange.map((r) => [r.date, r.status, r.rows, r.positives, r.rawRejected])).toEqual(
        labelsSingle.map((r) => [r.date, r.status, r.rows, r.positives, r.rawRejected]),
      );
      expect(labelsRange.some((r) => r.rawRejected > 0)).toBe(true);
      for (const prefix of ['processed', 'labels', 'quarantine']) {
        const [fa, fb] = [await files(a, prefix), await files(b, prefix)];
        expect([...fa.keys()].sort()).toEqual([...fb.keys()].sort());
        for (const [path, text] of fa) expect({ path, text }).toEqual({ path, text: fb.get(path) });
      }
    } finally {
      [a, b].forEach((t) => t.cleanup());
    }
  }, 120_000);
});

describe('byte-level readers', () => {
  test('canonical lines (fast path) and the same records spelled otherwise (general path) give the same partition', async () => {
    const [a, b] = [tempLake(), tempLake()];
    try {
      await simulate(a.lake, { contacts: 120, days: 20, start: '2026-01-01', seed: 4 });
      await simulate(b.lake, { contacts: 120, days: 20, start: '2026-01-01', seed: 4 });
      // Lake b: every events, CRM and sentiment line re-serialized with its keys reversed and spaces (no longer canonical).
      for (const e of await b.lake.list('raw')) {
        if (!/\/(events|crm|sentiment)-/.test(e.path)) continue;
        const lines = (await b.lake.read(e.path)).toString().split('\n').filter(Boolean);
        const odd = lines.map((l) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l) as object).reverse()), null, 1).replaceAll('\n', ''));
        await b.lake.write(e.path, odd.map((l) => l + '\r\n').join(''));
      }
      const ra = await ingestDate(a.lake, '2026-01-21');
      const rb = await ingestDate(b.lake, '2026-01-21');
      expect(ra.rows).toBeGreaterThan(100);
      expect([rb.rows, rb.eventsRead, rb.rawRejected]).toEqual([ra.rows, ra.eventsRead, 0]);
      expect((await b.lake.read(ra.path!)).toString()).toBe((await a.lake.read(ra.path!)).toString());
    } finally {
      [a, b].forEach((t) => t.cleanup());
    }
  });
});

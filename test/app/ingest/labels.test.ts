import { collectLabelsForDate, collectLabelsRange, collectPendingLabels } from '../../../shared/app/labels';
import { ingestRange } from '../../../shared/app/ingest';
import { partitionPath } from '../../../shared/domain/lakeLayout';
import { buildTrainingSet } from '../../../shared/app/trainingSet';
import { ev, rawDay, tempLake } from './helpers';
import { logTo, silentLog } from '../../../shared/ports/log';

const W = { windowDays: 7, log: silentLog };

describe('label collection', () => {
  let t: ReturnType<typeof tempLake>;
  beforeEach(() => (t = tempLake()));
  afterEach(() => t.cleanup());

  async function scenario(): Promise<void> {
    await rawDay(t.lake, '2026-03-01', {
      events: [
        ev({ id: 'r0', c: 'c3', type: 'reply', ts: '2026-03-01T10:00:02Z', send: 's3' }), // before its send in the file
        ev({ id: 's1', c: 'c1', type: 'send', ts: '2026-03-01T09:00:00Z' }),
        ev({ id: 's2', c: 'c2', type: 'send', ts: '2026-03-01T09:30:00Z', ch: 'mms' }),
        ev({ id: 's3', c: 'c3', type: 'send', ts: '2026-03-01T10:00:00Z' }),
        ev({ id: 's4', c: 'c4', type: 'send', ts: '2026-03-01T10:30:00Z' }),
        ev({ id: 's5', c: 'c5', type: 'send', ts: '2026-03-01T11:00:00Z' }),
        ev({ id: 's6', c: 'c6', type: 'send', ts: '2026-03-01T12:00:00Z' }),
      ],
      sentiment: [JSON.stringify({ reply_event_id: 'r0', contact_id: 'c3', ts: '2026-03-01T11:00:00Z', sentiment: -0.5 })],
    });
    for (let d = 2; d <= 9; d++) {
      const day = `2026-03-0${d}`;
      const events: string[] = [];
      if (d === 8) {
        events.push(ev({ id: 'k1', c: 'c1', type: 'click', ts: '2026-03-08T09:00:00Z', send: 's1' })); // exactly t + 7d: inside
        events.push(ev({ id: 'k2', c: 'c2', type: 'click', ts: '2026-03-08T09:30:01Z', send: 's2' })); // 1 s late: outside
      }
      if (d === 3) {
        events.push(ev({ id: 'k4', c: 'c4', type: 'click', ts: '2026-03-03T08:00:00Z', send: 's4' }));
        events.push(ev({ id: 'o4', c: 'c4', type: 'opt_out', ts: '2026-03-04T08:00:00Z'.replace('04T', '03T'), send: 's4' })); // opt-out in window
        events.push(ev({ id: 'r5', c: 'c5', type: 'reply', ts: '2026-03-03T09:00:00Z', send: 's5' })); // reply never scored
        events.push(ev({ id: 'r6', c: 'c6', type: 'reply', ts: '2026-03-03T09:00:00Z', send: 's6' }));
      }
      const sentiment = d === 9 ? [JSON.stringify({ reply_event_id: 'r6', contact_id: 'c6', ts: '2026-03-09T01:00:00Z', sentiment: -1 })] : [];
      await rawDay(t.lake, day, { events, sentiment }, d < 9);
    }
  }

  test('labels a matured day by the label rules, sorted by send time', async () => {
    await scenario();
    const r = await collectLabelsForDate(t.lake, '2026-03-01', W);
    expect(r.status).toBe('written');
    const csv = (await t.lake.read(partitionPath('labels', '2026-03-01'))).toString();
    expect(csv).toBe(
      'send_id,contact_id,campaign_id,channel,sent_at,label,labeled_at\n' +
        's1,c1,cmp-1,sms,2026-03-01T09:00:00Z,1,2026-03-08T09:00:00Z\n' + // click exactly at t + 7d
        's2,c2,cmp-1,mms,2026-03-01T09:30:00Z,0,2026-03-08T09:30:00Z\n' + // click after the window
        's3,c3,cmp-1,sms,2026-03-01T10:00:00Z,0,2026-03-08T10:00:00Z\n' + // negative reply
        's4,c4,cmp-1,sms,2026-03-01T10:30:00Z,0,2026-03-08T10:30:00Z\n' + // clicked, then opted out
        's5,c5,cmp-1,sms,2026-03-01T11:00:00Z,1,2026-03-08T11:00:00Z\n' + // reply without sentiment
        's6,c6,cmp-1,sms,2026-03-01T12:00:00Z,1,2026-03-08T12:00:00Z\n', // its score lands after the window: not known when labelled
    );
    expect(r.positives).toBe(3);
  });

  test('an immature day is skipped with a message and nothing is written', async () => {
    await scenario();
    const messages: string[] = [];
    const rs = await collectLabelsRange(t.lake, '2026-03-01', '2026-03-02', { ...W, log: logTo((m) => void messages.push(m)) });
    expect(rs.map((r) => r.status)).toEqual(['written', 'skipped']);
    expect(messages[1]).toMatch(/labels 2026-03-02: skipped, not mature: .* through 2026-03-09, complete only up to 2026-03-08/);
    expect(await t.lake.exists(partitionPath('labels', '2026-03-02'))).toBe(false);
  });

  test('re-running a day writes identical bytes, whatever landed since', async () => {
    await scenario();
    await collectLabelsForDate(t.lake, '2026-03-01', W);
    const a = await t.lake.read(partitionPath('labels', '2026-03-01'));
    await rawDay(t.lake, '2026-03-10', { events: [ev({ id: 'k9', c: 'c2', type: 'click', ts: '2026-03-10T01:00:00Z', send: 's2' })] });
    await collectLabelsForDate(t.lake, '2026-03-01', W);
    expect((await t.lake.read(partitionPath('labels', '2026-03-01'))).equals(a)).toBe(true);
  });

  test('training set: point-in-time join with the features of the send date, one example per contact per day, split by time', async () => {
    // Two days of history so that the contacts are eligible on 2026-03-03 and 2026-03-04.
    for (const day of ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04']) {
      const n = Number(day.slice(-1));
      await rawDay(t.lake, day, {
        events: [
          ev({ id: `a${n}`, c: 'c1', type: 'send', ts: `${day}T09:00:00Z` }),
          ev({ id: `b${n}`, c: 'c1', type: 'send', ts: `${day}T08:00:00Z` }), // the day's first send of c1
          ev({ id: `c${n}`, c: 'c2', type: 'send', ts: `${day}T09:00:00Z` }),
          ev({ id: `k${n}`, c: 'c1', type: 'click', ts: `${day}T08:30:00Z`, send: `b${n}` }),
        ],
      });
    }
    for (let d = 5; d <= 9; d++) await rawDay(t.lake, `2026-03-0${d}`, { events: [] });
    await rawDay(t.lake, '2026-03-10', { events: [] });
    await rawDay(t.lake, '2026-03-11', { events: [] });
    await ingestRange(t.lake, '2026-03-01', '2026-03-04');
    await collectLabelsRange(t.lake, '2026-03-01', '2026-03-04', W);
    const set = await buildTrainingSet(t.lake, { asOf: '2026-03-31', trainDays: 2, validDays: 1 });
    expect(set.window).toEqual({ asOf: '2026-03-31', trainFrom: '2026-03-02', trainTo: '2026-03-03', validFrom: '2026-03-04', validTo: '2026-03-04' });
    expect([set.train.n, set.valid.n]).toEqual([4, 2]);
    expect([...set.train.y]).toEqual([1, 0, 1, 0]); // c1 (first send clicked), c2, per day
    // c1 as of 2026-03-02: clicked 15.5 h before T, 2 sends in 7 days, 1 of 2 answered, no CRM anywhere → median 0.
    expect([...set.train.x.slice(0, 7)]).toEqual([0, Number((1 - Math.exp(-2 / 7)).toFixed(12)), 0, 0.5, 0, 0, 0.5]);
    expect(set.partitions.map((p) => p.path)).toEqual([
      'labels/2026/03/02/part-0.csv',
      'processed/features/2026/03/02',
      'labels/2026/03/03/part-0.csv',
      'processed/features/2026/03/03',
      'labels/2026/03/04/part-0.csv',
      'processed/features/2026/03/04',
    ]);
    expect(set.partitions.every((p) => /^[0-9a-f]{64}$/.test(p.contentHash) && p.ok)).toBe(true);
    expect(set.missingFeatures).toEqual([]);
  });

  test('catch-up labels every mature send date not labelled yet, oldest first, and nothing twice', async () => {
    for (let d = 1; d <= 12; d++) {
      const day = `2026-03-${String(d).padStart(2, '0')}`;
      await rawDay(t.lake, day, { events: [ev({ id: `s${d}`, c: 'c1', type: 'send', ts: `${day}T09:00:00Z` })] });
    }
    // Newest complete day 03-12 → send dates up to 03-05 are mature; 03-02 was labelled before.
    await collectLabelsForDate(t.lake, '2026-03-02', W);
    const before = (await t.lake.read(partitionPath('labels', '2026-03-02'))).toString();
    const first = await collectPendingLabels(t.lake, W);
    expect(first.map((r) => [r.date, r.status])).toEqual([
      ['2026-03-01', 'written'],
      ['2026-03-03', 'written'],
      ['2026-03-04', 'written'],
      ['2026-03-05', 'written'],
    ]);
    expect((await t.lake.read(partitionPath('labels', '2026-03-02'))).toString()).toBe(before);
    expect(await collectPendingLabels(t.lake, W)).toEqual([]);
    // A new day lands: only the date it makes mature is labelled.
    await rawDay(t.lake, '2026-03-13', { events: [] });
    expect((await collectPendingLabels(t.lake, W)).map((r) => r.date)).toEqual(['2026-03-06']);
  });
});

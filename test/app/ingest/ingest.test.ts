import { ingestDate, ingestRange } from '../../../shared/app/ingest';
import { partitionPath, reportPath } from '../../../shared/domain/lakeLayout';
import type { ValidationReport } from '../../../shared/domain/quality';
import { ev, rawDay, tempLake } from './helpers';

const crm = (c: string, risk: number, at: string) =>
  JSON.stringify({ contact_id: c, opt_out_risk: risk, updated_at: at, phone: '+15550001111', name: 'Ana Silva' });

async function history(lake: ReturnType<typeof tempLake>['lake']): Promise<void> {
  await rawDay(lake, '2026-02-27', {
    events: [
      ev({ id: 's1', c: 'c2', type: 'send', ts: '2026-02-27T10:00:00Z' }),
      ev({ id: 's2', c: 'c1', type: 'send', ts: '2026-02-27T11:00:00Z', ch: 'mms' }),
      ev({ id: 'r1', c: 'c2', type: 'reply', ts: '2026-02-27T12:00:00Z', send: 's1' }),
    ],
    sentiment: [JSON.stringify({ reply_event_id: 'r1', contact_id: 'c2', ts: '2026-02-27T12:30:00Z', sentiment: 1.5 })],
    crm: [crm('c1', 0.25, '2026-02-27T01:00:00Z'), crm('c2', 0.75, '2026-02-27T01:00:00Z')],
  });
  await rawDay(lake, '2026-02-28', {
    events: [
      ev({ id: 'k1', c: 'c1', type: 'click', ts: '2026-02-28T00:00:00Z', send: 's2', ch: 'mms' }),
      ev({ id: 's3', c: 'c3', type: 'send', ts: '2026-02-28T23:59:59Z' }),
    ],
    sentiment: [],
    crm: [],
  });
}

describe('ingest', () => {
  let t: ReturnType<typeof tempLake>;
  beforeEach(() => (t = tempLake()));
  afterEach(() => t.cleanup());

  test('writes the features partition byte for byte: header, canonical order, sorted contacts, no PII', async () => {
    await history(t.lake);
    const r = await ingestDate(t.lake, '2026-03-01');
    expect(r.status).toBe('written');
    const csv = (await t.lake.read(partitionPath('features', '2026-03-01'))).toString();
    const f7 = 1 - Math.exp(-1 / 7);
    expect(csv).toBe(
      'contact_id,as_of,recency_days,fatigue_score,sentiment_score,engagement_rate_30d,reply_rate_90d,opt_out_risk,mms_affinity\n' +
        `c1,2026-03-01,1,${Number(f7.toFixed(12))},0,1,0,0.25,0.666666666667\n` +
        `c2,2026-03-01,1,${Number(f7.toFixed(12))},1.5,1,1,0.75,0.5\n` +
        `c3,2026-03-01,60,${Number(f7.toFixed(12))},0,0,0,0.5,0.5\n`,
    );
    expect(csv).not.toMatch(/555|Ana|Silva/);
    const report = JSON.parse((await t.lake.read(reportPath('features', '2026-03-01'))).toString()) as ValidationReport;
    expect(report.ok).toBe(true);
    expect(report.rows).toBe(3);
    expect(report.stats).toMatchObject({ optOutRiskImputed: 1, optOutRiskMedian: 0.5 });
  });

  test('leakage: events, sentiment and CRM at or after T never change the T partition', async () => {
    await history(t.lake);
    await ingestDate(t.lake, '2026-03-01');
    const before = await t.lake.read(partitionPath('features', '2026-03-01'));
    await rawDay(t.lake, '2026-03-01', {
      events: [
        ev({ id: 's9', c: 'c1', type: 'send', ts: '2026-03-01T00:00:00Z' }),
        ev({ id: 'o9', c: 'c2', type: 'opt_out', ts: '2026-03-01T00:00:00Z', send: 's1' }),
        ev({ id: 'k9', c: 'c3', type: 'click', ts: '2026-03-01T08:00:00Z', send: 's3' }),
      ],
      sentiment: [JSON.stringify({ reply_event_id: 'r1', contact_id: 'c2', ts: '2026-03-01T00:00:00Z', sentiment: -2 })],
      crm: [crm('c3', 0.9, '2026-03-01T00:00:00Z')],
    });
    await ingestDate(t.lake, '2026-03-01');
    expect((await t.lake.read(partitionPath('features', '2026-03-01'))).equals(before)).toBe(true);
  });

  test('idempotent: a re-run replaces the partition with identical bytes', async () => {
    await history(t.lake);
    await ingestDate(t.lake, '2026-03-01');
    const a = await t.lake.read(partitionPath('features', '2026-03-01'));
    const ra = await t.lake.read(reportPath('features', '2026-03-01'));
    await ingestDate(t.lake, '2026-03-01');
    expect((await t.lake.read(partitionPath('features', '2026-03-01'))).equals(a)).toBe(true);
    expect((await t.lake.read(reportPath('features', '2026-03-01'))).equals(ra)).toBe(true);
    expect((await t.lake.list('processed')).map((e) => e.path)).toEqual([
      'processed/features/2026/03/01/_SUCCESS',
      reportPath('features', '2026-03-01'),
      partitionPath('features', '2026-03-01'),
    ]);
  });

  test('skips (writes nothing) while the day before T is incomplete', async () => {
    await rawDay(t.lake, '2026-02-28', { events: [ev({ id: 's1', c: 'c1', type: 'send', ts: '2026-02-28T10:00:00Z' })] }, false);
    const r = await ingestDate(t.lake, '2026-03-01');
    expect(r.status).toBe('skipped');
    expect(r.reason).toMatch(/complete only up to 2026-02-27/);
    expect(await t.lake.list('processed')).toEqual([]);
  });

  test('bad raw records are quarantined with reasons and counted; the run goes on', async () => {
    await rawDay(t.lake, '2026-02-28', {
      events: [
        ev({ id: 's1', c: 'c1', type: 'send', ts: '2026-02-28T10:00:00Z' }),
        '{"event_id":"x1",', // truncated
        ev({ id: 'x2', c: 'c1', type: 'bounce', ts: '2026-02-28T10:00:00Z' }),
        ev({ id: 'x3', c: '', type: 'send', ts: '2026-02-28T10:00:00Z' }),
        ev({ id: 'x4', c: 'c1', type: 'send', ts: '2026-02-27T23:59:59Z' }),
        ev({ id: 'x5', c: 'c1', type: 'click', ts: '2026-02-28T11:00:00Z' }), // click without send_id
        ev({ id: 'x6', c: 'c1', type: 'send', ts: 'yesterday' }),
      ],
      sentiment: [JSON.stringify({ reply_event_id: 'r', contact_id: 'c1', ts: '2026-02-28T10:00:00Z', sentiment: 7 })],
    });
    const r = await ingestDate(t.lake, '2026-03-01');
    expect(r.status).toBe('written');
    expect(r.rows).toBe(1);
    expect(r.rawRejected).toBe(7);
    const q = (await t.lake.read('quarantine/raw/2026/02/28/events-0000.rejected.jsonl'))
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(q.map((x: { line: number; reason: string }) => [x.line, x.reason])).toEqual([
      [2, 'unparseable_json'],
      [3, 'unknown_event_type'],
      [4, 'missing_id'],
      [5, 'timestamp_outside_partition_day'],
      [6, 'missing_id'],
      [7, 'bad_timestamp'],
    ]);
    expect(q[4].detail).toMatch(/send_id/);
    const s = (await t.lake.read('quarantine/raw/2026/02/28/sentiment-0000.rejected.jsonl')).toString();
    expect(s).toMatch(/bad_value/);
    expect(r.report?.stats).toMatchObject({ rawRejected: { total: 7, byReason: { unparseable_json: 1, missing_id: 2, bad_value: 1 } } });
  });

  test('quarantine keeps the reason, file, line and ids, never the personal data of a rejected CRM record', async () => {
    await rawDay(t.lake, '2026-02-28', {
      events: [ev({ id: 's1', c: 'c1', type: 'send', ts: '2026-02-28T10:00:00Z' })],
      crm: [
        JSON.stringify({
          contact_id: 'c1',
          opt_out_risk: 1.7,
          updated_at: '2026-02-28T01:00:00Z',
          phone: '+15550001111',
          name: 'Ana Silva',
          email: 'ana@example.com',
        }),
        '{"contact_id":"c2","phone":"+15550002222","name":"Bo', // truncated, so not JSON
      ],
    });
    expect((await ingestDate(t.lake, '2026-03-01')).rawRejected).toBe(2);
    const text = (await t.lake.read('quarantine/raw/2026/02/28/crm-0000.rejected.jsonl')).toString();
    expect(text).not.toMatch(/555|Ana|Silva|example\.com|Bo/);
    const [bad, unparseable] = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(bad).toMatchObject({
      source: 'raw/2026/02/28/crm-0000.jsonl',
      line: 1,
      reason: 'bad_value',
      record: { contact_id: 'c1', opt_out_risk: 1.7, phone: '[masked]', name: '[masked]', email: '[masked]' },
    });
    expect(unparseable).toMatchObject({ line: 2, reason: 'unparseable_json', record: null, record_bytes: 52 });
  });

  test('a range reads raw/ once and writes every date; the first date has no history', async () => {
    await history(t.lake);
    const rs = await ingestRange(t.lake, '2026-02-27', '2026-03-01');
    expect(rs.map((r) => [r.date, r.status, r.rows])).toEqual([
      ['2026-02-27', 'written', 0],
      ['2026-02-28', 'written', 2],
      ['2026-03-01', 'written', 3],
    ]);
  });
});

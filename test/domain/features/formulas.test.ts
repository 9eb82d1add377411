import { computeFeatures as compute, featureVector, PlainFeatureHistory, type FeatureHistory } from '../../../shared/domain/features/formulas';
import { FeatureAccumulator } from '../../../shared/fast/featureAccumulator';
import type { RawCrm, RawEvent, RawSentiment } from '../../../shared/domain/raw';

const T = '2026-03-01';
const T_MS = Date.parse('2026-03-01T00:00:00Z');
const H = 3_600_000;
const D = 24 * H;

let seq = 0;
function send(contact: string, at: number, channel: 'sms' | 'mms' = 'sms'): RawEvent {
  const id = `s${++seq}`;
  return { event_id: id, contact_id: contact, campaign_id: 'cmp', channel, type: 'send', ts: at, send_id: id };
}
function react(s: RawEvent, type: 'click' | 'reply' | 'opt_out', at: number): RawEvent {
  return { event_id: `r${++seq}`, contact_id: s.contact_id, campaign_id: s.campaign_id, channel: s.channel, type, ts: at, send_id: s.send_id };
}
const sent = (reply: RawEvent, value: number, at: number): RawSentiment => ({
  reply_event_id: reply.event_id,
  contact_id: reply.contact_id,
  ts: at,
  sentiment: value,
});
const crm = (contact: string, risk: number, at: number): RawCrm => ({ contact_id: contact, opt_out_risk: risk, updated_at: at });

function row(result: ReturnType<typeof compute>, contact: string): number[] {
  const r = result.rows.find((x) => x.contact_id === contact);
  if (!r) throw new Error(`no row for ${contact}`);
  return r.values;
}

/** Each hand-computed case holds for the reference history and for ingest's byte-level one alike. */
const HISTORIES: [string, (asOf: string) => FeatureHistory][] = [
  ['the plain reference (domain/features/formulas.ts)', (asOf) => new PlainFeatureHistory(asOf)],
  ['the accumulator of ingest (fast/featureAccumulator.ts)', (asOf) => new FeatureAccumulator(asOf)],
];

describe.each(HISTORIES)('feature formulas on hand-made histories (as of 2026-03-01T00:00Z): %s', (_name, history) => {
  const computeFeatures = (asOf: string, events: RawEvent[], sentiment: RawSentiment[], crm: RawCrm[]): ReturnType<typeof compute> =>
    compute(asOf, events, sentiment, crm, history(asOf));

  test('a contact with a mixed history: every feature computed by hand', () => {
    const s1 = send('a', T_MS - 2 * D - 5 * H); // 2d5h before T: in 7d/30d/90d
    const s2 = send('a', T_MS - 10 * D, 'mms'); // 30d and 90d
    const s3 = send('a', T_MS - 40 * D); // 90d only
    const c1 = react(s1, 'click', T_MS - 2 * D); // positive, 2 days before T → recency 2
    const r2 = react(s2, 'reply', T_MS - 9 * D);
    const r3 = react(s3, 'reply', T_MS - 39 * D);
    const res = computeFeatures(
      T,
      [s1, s2, s3, c1, r2, r3],
      [sent(r2, -1.5, T_MS - 9 * D + H), sent(r3, 0.5, T_MS - 39 * D + H)],
      [crm('a', 0.3, T_MS - 50 * D), crm('a', 0.7, T_MS - 5 * D)],
    );
    expect(res.rows).toHaveLength(1);
    const [recency, fatigue, sentiment, engagement, replyRate, risk, mms] = row(res, 'a');
    expect(recency).toBe(2);
    expect(fatigue).toBeCloseTo(1 - Math.exp(-1 / 7), 15);
    expect(sentiment).toBeCloseTo((-1.5 + 0.5) / 2, 15);
    expect(engagement).toBe(2 / 2); // s1 clicked, s2 replied
    expect(replyRate).toBeCloseTo(2 / 3, 15);
    expect(risk).toBe(0.7); // the latest CRM value before T
    expect(mms).toBe((1 + 1) / (1 + 2));
  });

  test('no sends: the contact is not eligible, even with CRM and reactions', () => {
    const old = send('b', T_MS - 91 * D);
    const res = computeFeatures(T, [old, react(old, 'click', T_MS - 89 * D)], [], [crm('b', 0.2, T_MS - D)]);
    expect(res.rows).toEqual([]);
  });

  test('MMS only: affinity counts MMS sends with a click or reply, smoothed (k+1)/(n+2)', () => {
    const m1 = send('c', T_MS - 3 * D, 'mms');
    const m2 = send('c', T_MS - 4 * D, 'mms');
    const m3 = send('c', T_MS - 5 * D, 'mms');
    const res = computeFeatures(T, [m1, m2, m3, react(m1, 'click', T_MS - 3 * D + H)], [], []);
    const v = row(res, 'c');
    expect(v[6]).toBe(2 / 5);
    expect(v[3]).toBeCloseTo(1 / 3, 15);
    expect(v[4]).toBe(0);
  });

  test('no MMS sends: affinity is the prior 1/2', () => {
    const res = computeFeatures(T, [send('d', T_MS - D)], [], [crm('d', 0.1, T_MS - 2 * D)]);
    expect(row(res, 'd')).toEqual([60, 1 - Math.exp(-1 / 7), 0, 0, 0, 0.1, 0.5]);
  });

  test('an opt-out before T removes the contact; one at T does not', () => {
    const s = send('e', T_MS - 20 * D);
    const s2 = send('f', T_MS - 20 * D);
    const res = computeFeatures(T, [s, react(s, 'opt_out', T_MS - 1), s2, react(s2, 'opt_out', T_MS)], [], []);
    expect(res.rows.map((r) => r.contact_id)).toEqual(['f']);
    expect(res.stats.excludedOptedOut).toBe(1);
  });

  test('a reply without sentiment is a positive response and leaves sentiment_score at 0', () => {
    const s = send('g', T_MS - 6 * D);
    const r = react(s, 'reply', T_MS - 5 * D - 1);
    const v = row(computeFeatures(T, [s, r], [], []), 'g');
    expect(v[0]).toBe(5);
    expect(v[2]).toBe(0);
    expect(v[4]).toBe(1);
  });

  test('a reply with negative sentiment is not positive for recency but counts as a reply', () => {
    const s = send('h', T_MS - 6 * D);
    const r = react(s, 'reply', T_MS - 5 * D);
    const v = row(computeFeatures(T, [s, r], [sent(r, -0.01, T_MS - 5 * D + H)], []), 'h');
    expect(v[0]).toBe(60);
    expect(v[2]).toBe(-0.01);
    expect(v[3]).toBe(1);
  });

  test('sentiment scored at or after T is unknown as of T', () => {
    const s = send('i', T_MS - 2 * D);
    const r = react(s, 'reply', T_MS - 1000);
    const v = row(computeFeatures(T, [s, r], [sent(r, -2, T_MS)], []), 'i');
    expect(v[0]).toBe(0); // unknown sentiment counts as positive
    expect(v[2]).toBe(0);
  });

  test('events exactly at midnight: window edges are inclusive at T - N days and exclusive at T', () => {
    const atT7 = send('j', T_MS - 7 * D); // exactly 7 days: in the 7-day window
    const atT30 = send('j', T_MS - 30 * D); // exactly 30 days: in the 30-day window
    const atT90 = send('j', T_MS - 90 * D); // exactly 90 days: in the 90-day window
    const atT = send('j', T_MS); // at T: does not count
    const click60 = react(atT90, 'click', T_MS - 60 * D); // exactly 60 days → recency 60
    const res = computeFeatures(T, [atT7, atT30, atT90, atT, click60], [], []);
    const v = row(res, 'j');
    expect(v[0]).toBe(60);
    expect(v[1]).toBeCloseTo(1 - Math.exp(-1 / 7), 15);
    expect(v[3]).toBe(0); // 2 sends in 30 days, none answered (the click answers the 90-day send)
    expect(v[4]).toBe(0);
    const clickAt59 = react(atT90, 'click', T_MS - 59 * D - 1);
    expect(row(computeFeatures(T, [atT7, atT90, clickAt59], [], []), 'j')[0]).toBe(59);
  });

  test('a send 90 days and 1 ms before T is outside the history', () => {
    const res = computeFeatures(T, [send('k', T_MS - 90 * D - 1)], [], []);
    expect(res.rows).toEqual([]);
  });

  test('unknown opt_out_risk takes the median of known values in the partition, and is counted', () => {
    const ev = ['l', 'm', 'n', 'o'].map((c) => send(c, T_MS - D));
    const res = computeFeatures(T, ev, [], [crm('l', 0.1, T_MS - D), crm('m', 0.4, T_MS - D), crm('n', 0.9, T_MS - D), crm('o', 0.5, T_MS)]);
    expect(row(res, 'o')[5]).toBe(0.4); // the CRM update at T is not yet known
    expect(res.stats.optOutRiskImputed).toBe(1);
    expect(res.stats.optOutRiskMedian).toBe(0.4);
  });

  test('rows are sorted by contact id', () => {
    const res = computeFeatures(
      T,
      ['z', 'a', 'm'].map((c) => send(c, T_MS - D)),
      [],
      [],
    );
    expect(res.rows.map((r) => r.contact_id)).toEqual(['a', 'm', 'z']);
  });

  test('recency caps at 60 without any positive response', () => {
    expect(
      featureVector(
        {
          sends7d: 0,
          sends30d: 0,
          answered30d: 0,
          sends90d: 1,
          replied90d: 0,
          mmsSends90d: 0,
          mmsAnswered90d: 0,
          sentimentSum: 0,
          sentimentCount: 0,
          lastPositive: -Infinity,
          optOutRisk: 0.2,
          riskUpdatedAt: 0,
          optedOut: false,
        },
        T_MS,
        0,
      )[0],
    ).toBe(60);
  });
});

import { EV_CLICK, EV_REPLY, FeatureAccumulator } from '../../shared/fast/featureAccumulator';
import { addDays, dayStartMs } from '../../shared/domain/calendar';
import type { RawEvent } from '../../shared/domain/raw';

/**
 * Sends on the byte path keep their id as bytes and skip the answer lookup when the accumulator's
 * filter says no answer waits for them. Same features as the record path, including answers met later
 * the same day, answers that arrive days later, enough answers to rebuild the filter, and the 90-day edge.
 */
describe('byte-path sends and the pending-answer filter', () => {
  const asOf = '2026-05-01';
  const days: string[] = [];
  for (let d = 1; d <= 100; d++) days.push(addDays(asOf, -d)); // newest first, past the 90-day window
  const byDay = new Map<string, RawEvent[]>();
  let n = 0;
  for (const day of days) byDay.set(day, []);
  for (let di = days.length - 1; di >= 0; di--) {
    const day = days[di]!;
    const t0 = dayStartMs(day);
    for (let k = 0; k < 120; k++) {
      const contact = `c${(k * 7 + di) % 53}`;
      const sendId = `s${n++}`;
      byDay.get(day)!.push({
        event_id: sendId,
        contact_id: contact,
        campaign_id: 'cmp',
        channel: k % 3 === 0 ? 'mms' : 'sms',
        type: 'send',
        ts: t0 + k * 1000,
        send_id: sendId,
      });
      if (k % 4 === 0)
        byDay
          .get(day)!
          .push({ event_id: `r${n}`, contact_id: contact, campaign_id: '', channel: 'sms', type: 'click', ts: t0 + k * 1000 + 500, send_id: sendId });
      const later = days[di - 2];
      if (k % 5 === 1 && later)
        byDay
          .get(later)!
          .push({ event_id: `q${n}`, contact_id: contact, campaign_id: '', channel: 'sms', type: 'reply', ts: dayStartMs(later) + 10, send_id: sendId });
    }
  }
  const bytes = (s: string) => Buffer.from(s, 'latin1');

  function run(byteSends: boolean) {
    const acc = new FeatureAccumulator(asOf);
    for (const day of days) {
      acc.beginDay(day);
      for (const e of byDay.get(day)!) {
        if (!byteSends) {
          acc.addEvent(e);
          continue;
        }
        const line = bytes(`${e.contact_id}|${e.send_id}`);
        const sep = e.contact_id.length;
        if (e.type === 'send') acc.addSendBytes(e.ts, line, 0, sep, e.channel === 'mms', sep + 1, line.length);
        else acc.addEventBytes(e.type === 'click' ? EV_CLICK : EV_REPLY, e.ts, line, 0, sep, e.channel === 'mms', e.send_id, e.event_id);
      }
      acc.endDay();
    }
    return acc.finish();
  }

  test('same rows and stats as the record path', () => {
    const a = run(false);
    const b = run(true);
    expect(a.rows.length).toBeGreaterThan(40);
    expect(a.rows.some((r) => r.values[3]! > 0 && r.values[4]! > 0)).toBe(true);
    expect(b).toEqual(a);
  });
});

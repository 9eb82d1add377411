import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Lake } from '../ports/lake';
import { datePath } from '../ports/lake';
import { FEATURES, isFeatureName, type FeatureName } from '../features/schema';
import { addDays, DAY_MS, dayStartMs, isoSeconds } from '../pipeline/days';
import { COMPLETE_MARKER } from '../pipeline/raw';

/**
 * A campaign simulator that writes raw/ exactly as the SMS/MMS platform, the NLP pipeline and the CRM
 * would (ARCHITECTURE.md section 3). Each contact has a hidden propensity to respond; a send's chance of
 * a click or reply falls with the contact's fatigue (sends in the previous 7 days), rises with the
 * contact's sentiment, falls with their opt-out risk and shifts with their MMS preference. The seven
 * features can only see this through the contact's history, which is what the model has to learn.
 * Deterministic for a seed: one xoroshiro128+ stream consumed in a fixed order.
 */

export interface Drift {
  feature: FeatureName;
  shift: number;
  from: string;
}

export interface SimulateOptions {
  contacts: number;
  days: number;
  start: string;
  seed: number;
  drift?: Drift;
  log?: (message: string) => void;
}

export interface SimulateSummary {
  days: number;
  contacts: number;
  events: number;
  sends: number;
  clicks: number;
  replies: number;
  optOuts: number;
  sentimentRecords: number;
  crmRecords: number;
  files: number;
}

/** What `--drift <feature>:<shift>` moves, from its date on (also the CLI's help text). */
export const DRIFT_EFFECTS: Record<FeatureName, string> = {
  recency_days: 'response propensity (logit) += shift',
  fatigue_score: 'send cadence × (1 + shift)',
  sentiment_score: 'reply sentiment += shift',
  engagement_rate_30d: 'response propensity (logit) += shift',
  reply_rate_90d: 'share of responses that are replies += shift',
  opt_out_risk: 'CRM opt_out_risk += shift (every contact re-scored on the drift date)',
  mms_affinity: 'MMS share of sends += shift',
};

/** Parses `<feature>:<shift>@<YYYY-MM-DD>`. */
export function parseDrift(spec: string): Drift {
  const m = /^([a-z_0-9]+):([-+]?\d*\.?\d+)@(\d{4}-\d{2}-\d{2})$/.exec(spec);
  if (!m) throw new Error(`--drift ${JSON.stringify(spec)}: expected <feature>:<shift>@<YYYY-MM-DD>, e.g. sentiment_score:-1@2026-03-01`);
  const feature = m[1] as string;
  if (!isFeatureName(feature)) throw new Error(`--drift: unknown feature ${JSON.stringify(feature)}; one of ${FEATURES.join(', ')}`);
  const from = m[3] as string;
  dayStartMs(from);
  return { feature, shift: Number(m[2]), from };
}

const FIRST = ['Ana', 'Ben', 'Chloe', 'Dev', 'Eva', 'Femi', 'Gus', 'Hana', 'Ivan', 'Jo', 'Kai', 'Lena', 'Mo', 'Nia', 'Omar', 'Pia'];
const LAST = ['Silva', 'Okafor', 'Novak', 'Kim', 'Garcia', 'Muller', 'Rossi', 'Tanaka', 'Dubois', 'Smith', 'Haddad', 'Berg'];

const U32 = 2.3283064365386963e-10;

function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function contactId(i: number): string {
  return `c${String(i).padStart(7, '0')}`;
}

export async function simulate(lake: Lake, opts: SimulateOptions): Promise<SimulateSummary> {
  const { contacts: n, days } = opts;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--contacts must be a positive whole number, got ${n}`);
  if (!Number.isInteger(days) || days < 1) throw new Error(`--days must be a positive whole number, got ${days}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`--seed must be a whole number, got ${opts.seed}`);
  const start = dayStartMs(opts.start);
  const drift = opts.drift;
  const driftDay = drift ? Math.round((dayStartMs(drift.from) - start) / DAY_MS) : Infinity;
  const log = opts.log ?? (() => {});

  const rng = xoroshiro128plus(opts.seed);
  const u = (): number => (rng.next() >>> 0) * U32;
  let spare = NaN;
  const normal = (): number => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    let a = 0;
    while (a === 0) a = u();
    const b = u();
    const r = Math.sqrt(-2 * Math.log(a));
    spare = r * Math.sin(2 * Math.PI * b);
    return r * Math.cos(2 * Math.PI * b);
  };

  // Hidden traits of each contact.
  const base = new Float64Array(n); // response propensity, logit
  const mood = new Float64Array(n); // mean reply sentiment
  const risk = new Float64Array(n); // true opt-out risk
  const mmsLift = new Float64Array(n);
  const mmsShare = new Float64Array(n);
  const cadence = new Float64Array(n); // sends per day
  const optedOutAt = new Float64Array(n).fill(Infinity);
  for (let c = 0; c < n; c++) {
    base[c] = -1.1 + 1.5 * normal();
    mood[c] = clip(0.3 + 0.9 * normal(), -2, 2);
    risk[c] = clip(u() * u() * 1.6, 0, 1);
    mmsLift[c] = 0.9 * normal();
    mmsShare[c] = 0.05 + 0.4 * u();
    cadence[c] = (1.5 + 4.5 * u()) / 7;
  }
  const sendsByDay = new Uint8Array(n * 7); // ring of the last 7 days' sends, for fatigue
  const sends7d = new Int32Array(n);

  // Lines for days not yet written: reactions land after their send, sometimes days later.
  const pendingEvents = new Map<number, string[]>();
  const pendingSentiment = new Map<number, string[]>();
  const bucket = (m: Map<number, string[]>, ms: number): string[] | null => {
    const d = Math.floor((ms - start) / DAY_MS);
    if (d >= days) return null; // beyond the simulated history: never lands
    let l = m.get(d);
    if (!l) m.set(d, (l = []));
    return l;
  };
  const sum: SimulateSummary = { days, contacts: n, events: 0, sends: 0, clicks: 0, replies: 0, optOuts: 0, sentimentRecords: 0, crmRecords: 0, files: 0 };
  let seq = 0;

  const crmLine = (c: number, at: number, shift: number): string => {
    const reported = clip(Math.round((risk[c]! + 0.08 * normal() + shift) * 1000) / 1000, 0, 1);
    const phone = `+1555${String(1000000 + ((c * 7919) % 9000000)).padStart(7, '0')}`;
    const name = `${FIRST[c % FIRST.length]} ${LAST[(c * 7) % LAST.length]}`;
    sum.crmRecords++;
    return `{"contact_id":"${contactId(c)}","opt_out_risk":${reported},"updated_at":"${isoSeconds(at)}","phone":"${phone}","name":"${name}"}`;
  };

  for (let d = 0; d < days; d++) {
    const dayStart = start + d * DAY_MS;
    const day = addDays(opts.start, d);
    const drifting = d >= driftDay && drift ? drift : null;
    const shiftOf = (f: FeatureName): number => (drifting && drifting.feature === f ? drifting.shift : 0);
    const logitShift = shiftOf('recency_days') + shiftOf('engagement_rate_30d');
    const cadenceFactor = 1 + shiftOf('fatigue_score');
    const moodShift = shiftOf('sentiment_score');
    const replyShift = shiftOf('reply_rate_90d');
    const mmsShift = shiftOf('mms_affinity');
    const riskShift = shiftOf('opt_out_risk');
    const slot = d % 7;
    const campaigns = 3;

    // CRM: everyone on day one, then about one contact in thirty a day (all on the drift date of opt_out_risk).
    const crm: string[] = [];
    const rescoreAll = d === 0 || (d === driftDay && drift?.feature === 'opt_out_risk');
    for (let c = 0; c < n; c++) {
      if (rescoreAll || u() < 1 / 30) crm.push(crmLine(c, dayStart + Math.floor(u() * 6 * 3600) * 1000, riskShift));
    }

    const events = pendingEvents.get(d) ?? [];
    pendingEvents.delete(d);
    for (let c = 0; c < n; c++) {
      sends7d[c]! -= sendsByDay[c * 7 + slot]!;
      sendsByDay[c * 7 + slot] = 0;
      if (u() >= cadence[c]! * cadenceFactor) continue;
      const t = dayStart + (9 * 3600 + Math.floor(u() * 11 * 3600)) * 1000;
      if (t >= optedOutAt[c]!) continue;
      const cid = contactId(c);
      const mms = u() < clip(mmsShare[c]! + mmsShift, 0, 1);
      const channel = mms ? 'mms' : 'sms';
      const campaign = `cmp-${day.replaceAll('-', '')}-${Math.floor(u() * campaigns)}`;
      const sendId = `e${(++seq).toString(36)}`;
      events.push(`{"event_id":"${sendId}","contact_id":"${cid}","campaign_id":"${campaign}","channel":"${channel}","type":"send","ts":"${isoSeconds(t)}","send_id":"${sendId}"}`);
      sum.sends++;
      const fatigue = 1 - Math.exp(-sends7d[c]! / 7);
      sends7d[c]!++;
      sendsByDay[c * 7 + slot]!++;

      const logit = base[c]! + logitShift + 0.9 * mood[c]! - 3.0 * fatigue - 1.5 * risk[c]! + (mms ? mmsLift[c]! : 0);
      if (u() < sigmoid(logit)) {
        const delay = Math.floor(-Math.log(1 - u()) * 0.8 * DAY_MS) + 1000;
        const at = t + delay;
        const isReply = u() < clip(0.35 + replyShift, 0, 1);
        const evId = `e${(++seq).toString(36)}`;
        const line = `{"event_id":"${evId}","contact_id":"${cid}","campaign_id":"${campaign}","channel":"${channel}","type":"${isReply ? 'reply' : 'click'}","ts":"${isoSeconds(at)}","send_id":"${sendId}"}`;
        const target = bucket(pendingEvents, at);
        if (target) {
          target.push(line);
          if (isReply) {
            sum.replies++;
            // The NLP pipeline scores most replies within two hours; some never get scored.
            if (u() < 0.92) {
              const sAt = at + Math.floor(60 + u() * 7200) * 1000;
              const s = clip(Math.round((mood[c]! + moodShift + 0.6 * normal()) * 100) / 100, -2, 2);
              const st = bucket(pendingSentiment, sAt);
              if (st) {
                st.push(`{"reply_event_id":"${evId}","contact_id":"${cid}","ts":"${isoSeconds(sAt)}","sentiment":${s}}`);
                sum.sentimentRecords++;
              }
            }
          } else sum.clicks++;
        }
      }
      // Opt-outs: more likely for risky, fatigued contacts.
      if (u() < sigmoid(-7.5 + 3.5 * risk[c]! + 3 * fatigue)) {
        const at = t + Math.floor(u() * 2 * DAY_MS) + 1000;
        optedOutAt[c] = at;
        const target = bucket(pendingEvents, at);
        if (target) {
          target.push(`{"event_id":"e${(++seq).toString(36)}","contact_id":"${cid}","campaign_id":"${campaign}","channel":"${channel}","type":"opt_out","ts":"${isoSeconds(at)}","send_id":"${sendId}"}`);
          sum.optOuts++;
        }
      }
    }
    const sentiment = pendingSentiment.get(d) ?? [];
    pendingSentiment.delete(d);
    sum.events += events.length;

    const folder = `raw/${datePath(day)}`;
    await lake.write(`${folder}/events-0000.jsonl`, events.length ? events.join('\n') + '\n' : '');
    await lake.write(`${folder}/sentiment-0000.jsonl`, sentiment.length ? sentiment.join('\n') + '\n' : '');
    await lake.write(`${folder}/crm-0000.jsonl`, crm.length ? crm.join('\n') + '\n' : '');
    // Written last: the day is complete (raw.ts, newest complete day).
    await lake.write(`${folder}/${COMPLETE_MARKER}`, '');
    sum.files += 4;
  }
  log(`simulate: ${n} contacts × ${days} days from ${opts.start} → raw/ (${sum.events} events, ${sum.sends} sends, ${sum.optOuts} opt-outs)`);
  return sum;
}

import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { FeatureName } from '../domain/features/schema';
import type { Drift, EffectChange } from './changes';
import { addDays, DAY_MS, dayStartMs, isoSeconds } from '../domain/calendar';
import { rawFilePath, rawFolder, successMarkerPath } from '../domain/lakeLayout';

/**
 * A campaign simulator that writes raw/ exactly as the SMS/MMS platform, the NLP pipeline and the CRM
 * would (docs/architecture.md, "Lake layout"). Each contact has hidden traits (responsiveness, mood, opt-out risk,
 * MMS preference, cadence); whether a send is answered follows the generating process documented at
 * TRUTH below. The seven features can only see it through the contact's history, which is what the
 * model has to learn. Deterministic for a seed: one xoroshiro128+ stream consumed in a fixed order that
 * does not depend on the number of days simulated, so a longer run (or `writeFrom`) repeats every
 * earlier day byte for byte.
 */

export interface SimulateOptions {
  contacts: number;
  days: number;
  start: string;
  seed: number;
  drift?: Drift;
  /** A change in the generating process itself: what a retrained model can learn and the old one cannot. */
  effect?: EffectChange;
  /**
   * Continue a history: simulate from `start` as usual (same seed, so the hidden state evolves exactly as
   * before) but write only the days from this one on. Earlier days are left as they are in the lake, and
   * are byte for byte what a full run with the same options writes.
   */
  writeFrom?: string;
  log?: (message: string) => void;
}

export interface SimulateSummary {
  /** Days written (all of them unless `writeFrom` is given). */
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

const FIRST = ['Ana', 'Ben', 'Chloe', 'Dev', 'Eva', 'Femi', 'Gus', 'Hana', 'Ivan', 'Jo', 'Kai', 'Lena', 'Mo', 'Nia', 'Omar', 'Pia'];
const LAST = ['Silva', 'Okafor', 'Novak', 'Kim', 'Garcia', 'Muller', 'Rossi', 'Tanaka', 'Dubois', 'Smith', 'Haddad', 'Berg'];

const U32 = 2.3283064365386963e-10;

/**
 * The hidden generating process. A send at time t is answered (click or reply) with probability
 * sigmoid(logit), where
 *
 *   logit = intercept + latent_c + mood·mood_c − risk·risk_c + fatigue·(1 − exp(−sends_7d/7))
 *           + hot·exp(−days since the last positive response / hotDays) + (MMS ? mmsLift_c : 0)
 *
 * The effects are deliberately unequal, as in real campaigns: fatigue, mood (what the sentiment feature
 * measures) and opt-out risk dominate, a recent positive response makes the next one likelier, a
 * contact's unobserved responsiveness (latent_c) is seen only through the engagement history, the share
 * of responses that are replies carries no extra signal, and the MMS preference matters only for MMS
 * sends. An equal-weights average of the features therefore ranks contacts clearly worse than a fitted
 * weighted sum does.
 */
export const TRUTH = {
  intercept: 1.8,
  latentSd: 0.5,
  mood: 1.1,
  moodMean: 0.2,
  moodSd: 0.8,
  fatigue: -11,
  risk: -2.5,
  hot: 1.5,
  hotDays: 3,
  mmsLiftSd: 0.4,
  /** Share of a contact's sends that are MMS, uniform between these. */
  mmsShareMin: 0.05,
  mmsShareMax: 0.45,
  /** Spread of one reply's sentiment around the contact's mood. */
  sentimentNoise: 0.5,
  /** Noise of the CRM's opt_out_risk around the true risk. */
  crmNoise: 0.06,
  /** Share of a contact's responses that are replies rather than clicks, uniform between these. */
  replyShareMin: 0.35,
  replyShareMax: 0.85,
  /** Sends a week, uniform between these per contact (before the day's campaign volume). */
  cadenceMin: 2.5,
  cadenceMax: 5.5,
  /**
   * Each contact's campaign load: uniform in [1 − volumeSpread/2, 1 + volumeSpread/2], drawn again on
   * average every `volumeDays` days (the contact joins or leaves campaigns); × 0.45 at weekends.
   */
  volumeSpread: 1.4,
  volumeDays: 14,
};

function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function contactId(i: number): string {
  return `c${String(i).padStart(7, '0')}`;
}

/** Where the simulated days go: a lake (the Lake port fits), written one whole file at a time. */
export interface RawSink {
  write(path: string, data: string): Promise<void>;
}

export async function simulate(lake: RawSink, opts: SimulateOptions): Promise<SimulateSummary> {
  const { contacts: n, days } = opts;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--contacts must be a positive whole number, got ${n}`);
  if (!Number.isInteger(days) || days < 1) throw new Error(`--days must be a positive whole number, got ${days}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`--seed must be a whole number, got ${opts.seed}`);
  const start = dayStartMs(opts.start);
  const drift = opts.drift;
  const driftDay = drift ? Math.round((dayStartMs(drift.from) - start) / DAY_MS) : Infinity;
  const log = opts.log ?? (() => {});
  const effectDay = opts.effect ? Math.round((dayStartMs(opts.effect.from) - start) / DAY_MS) : Infinity;
  const changed = opts.effect ? { ...TRUTH, [opts.effect.effect]: opts.effect.value } : TRUTH;
  let T = TRUTH;
  let writeDay = 0;
  if (opts.writeFrom !== undefined) {
    writeDay = Math.round((dayStartMs(opts.writeFrom) - start) / DAY_MS);
    if (writeDay < 0 || writeDay >= days) {
      throw new Error(`--write-from ${opts.writeFrom} must be one of the simulated days ${opts.start} .. ${addDays(opts.start, days - 1)}`);
    }
  }
  /** Counted in the summary: records that land on a written day. */
  const written = (ms: number): boolean => ms >= start + writeDay * DAY_MS;

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
  const latent = new Float64Array(n); // responsiveness no feature measures directly
  const mood = new Float64Array(n); // mean reply sentiment
  const risk = new Float64Array(n); // true opt-out risk
  const mmsLift = new Float64Array(n);
  const mmsShare = new Float64Array(n);
  const replyShare = new Float64Array(n);
  const cadence = new Float64Array(n); // sends per weekday
  const load = new Float64Array(n); // current campaign load (× cadence)
  const optedOutAt = new Float64Array(n).fill(Infinity);
  const lastPositive = new Float64Array(n).fill(-Infinity); // newest positive response at or before now
  const nextPositive = new Float64Array(n).fill(Infinity); // a positive response generated but not yet happened
  for (let c = 0; c < n; c++) {
    latent[c] = T.latentSd * normal();
    mood[c] = clip(T.moodMean + T.moodSd * normal(), -2, 2);
    risk[c] = clip(u() * u() * 1.6, 0, 1);
    mmsLift[c] = T.mmsLiftSd * normal();
    mmsShare[c] = T.mmsShareMin + (T.mmsShareMax - T.mmsShareMin) * u();
    replyShare[c] = T.replyShareMin + (T.replyShareMax - T.replyShareMin) * u();
    cadence[c] = (T.cadenceMin + (T.cadenceMax - T.cadenceMin) * u()) / 7;
    load[c] = 1 - T.volumeSpread / 2 + T.volumeSpread * u();
  }
  // A new NLP model (drift of sentiment_score) scores every reply `shift` lower or higher from its date on.
  const nlpShiftFrom = drift?.feature === 'sentiment_score' ? start + driftDay * DAY_MS : Infinity;
  const nlpShift = drift?.feature === 'sentiment_score' ? drift.shift : 0;
  const sentimentScore = (felt: number, shift: number): number => clip(Math.round((felt + shift) * 100) / 100, -2, 2);
  const sentimentLine = (replyId: string, cid: string, at: number, value: number): string =>
    `{"reply_event_id":"${replyId}","contact_id":"${cid}","ts":"${isoSeconds(at)}","sentiment":${value}}`;
  /** Replies scored by the old model, kept only when a new one will re-score them. */
  const scoredReplies: { id: string; contact: string; at: number; felt: number }[] = [];
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
  const sum: SimulateSummary = {
    days: days - writeDay,
    contacts: n,
    events: 0,
    sends: 0,
    clicks: 0,
    replies: 0,
    optOuts: 0,
    sentimentRecords: 0,
    crmRecords: 0,
    files: 0,
  };
  let seq = 0;

  const crmLine = (c: number, at: number, shift: number): string => {
    const reported = clip(Math.round((risk[c]! + T.crmNoise * normal() + shift) * 1000) / 1000, 0, 1);
    const phone = `+1555${String(1000000 + ((c * 7919) % 9000000)).padStart(7, '0')}`;
    const name = `${FIRST[c % FIRST.length]} ${LAST[(c * 7) % LAST.length]}`;
    if (written(at)) sum.crmRecords++;
    return `{"contact_id":"${contactId(c)}","opt_out_risk":${reported},"updated_at":"${isoSeconds(at)}","phone":"${phone}","name":"${name}"}`;
  };

  for (let d = 0; d < days; d++) {
    const dayStart = start + d * DAY_MS;
    const day = addDays(opts.start, d);
    const drifting = d >= driftDay && drift ? drift : null;
    T = d >= effectDay ? changed : TRUTH;
    const shiftOf = (f: FeatureName): number => (drifting && drifting.feature === f ? drifting.shift : 0);
    const logitShift = shiftOf('recency_days') + shiftOf('engagement_rate_30d');
    const cadenceFactor = 1 + shiftOf('fatigue_score');
    const replyShift = shiftOf('reply_rate_90d');
    const mmsShift = shiftOf('mms_affinity');
    const riskShift = shiftOf('opt_out_risk');
    const slot = d % 7;
    const campaigns = 3;
    // Fewer sends at weekends (every 7-day window holds two weekends, so fatigue does not swing with it).
    const weekday = new Date(dayStart).getUTCDay();
    const weekend = weekday === 0 || weekday === 6 ? 0.45 : 1;

    // CRM: everyone on day one, then about one contact in thirty a day (all on the drift date of opt_out_risk).
    const crm: string[] = [];
    const rescoreAll = d === 0 || (d === driftDay && drift?.feature === 'opt_out_risk');
    for (let c = 0; c < n; c++) {
      if (rescoreAll || u() < 1 / 30) crm.push(crmLine(c, dayStart + Math.floor(u() * 6 * 3600) * 1000, riskShift));
    }

    if (dayStart === nlpShiftFrom) {
      // The new model re-scores the replies of the last 90 days in one batch, early on its first day.
      const target = bucket(pendingSentiment, dayStart)!;
      let k = 0;
      for (const r of scoredReplies) {
        if (r.at < dayStart - 90 * DAY_MS) continue;
        const at = dayStart + (3600 + (k++ % 7200)) * 1000;
        target.push(sentimentLine(r.id, r.contact, at, sentimentScore(r.felt, nlpShift)));
        if (written(at)) sum.sentimentRecords++;
      }
      scoredReplies.length = 0;
    }

    const events = pendingEvents.get(d) ?? [];
    pendingEvents.delete(d);
    for (let c = 0; c < n; c++) {
      // Fatigue as the feature measures it at 00:00: sends in the 7 days before today.
      const fatigue = 1 - Math.exp(-sends7d[c]! / 7);
      sends7d[c]! -= sendsByDay[c * 7 + slot]!;
      sendsByDay[c * 7 + slot] = 0;
      if (u() < 1 / T.volumeDays) load[c] = 1 - T.volumeSpread / 2 + T.volumeSpread * u();
      if (u() >= cadence[c]! * load[c]! * weekend * cadenceFactor) continue;
      const t = dayStart + (9 * 3600 + Math.floor(u() * 11 * 3600)) * 1000;
      if (t >= optedOutAt[c]!) continue;
      const cid = contactId(c);
      const mms = u() < mmsShare[c]!;
      const channel = mms ? 'mms' : 'sms';
      const campaign = `cmp-${day.replaceAll('-', '')}-${Math.floor(u() * campaigns)}`;
      const sendId = `e${(++seq).toString(36)}`;
      events.push(
        `{"event_id":"${sendId}","contact_id":"${cid}","campaign_id":"${campaign}","channel":"${channel}","type":"send","ts":"${isoSeconds(t)}","send_id":"${sendId}"}`,
      );
      if (written(t)) sum.sends++;
      sends7d[c]!++;
      sendsByDay[c * 7 + slot]!++;

      if (nextPositive[c]! <= t) {
        lastPositive[c] = nextPositive[c]!;
        nextPositive[c] = Infinity;
      }
      const hot = lastPositive[c] === -Infinity ? 0 : Math.exp(-(t - lastPositive[c]!) / (T.hotDays * DAY_MS));
      const m = mood[c]!;
      const logit =
        T.intercept + logitShift + latent[c]! + T.mood * m + T.risk * risk[c]! + T.fatigue * fatigue + T.hot * hot + (mms ? mmsLift[c]! + mmsShift : 0);
      // Every draw is made whether or not its record lands inside the simulated days, so the stream,
      // and with it every earlier day, does not depend on how many days are simulated.
      const responds = u() < sigmoid(logit);
      const delay = Math.floor(-Math.log(1 - u()) * 0.8 * DAY_MS) + 1000;
      const isReply = u() < clip(replyShare[c]! + replyShift, 0, 1);
      // The NLP pipeline scores most replies within two hours; some never get scored.
      const scored = u() < 0.92;
      const sDelay = Math.floor(60 + u() * 7200) * 1000;
      const felt = m + T.sentimentNoise * normal();
      const s = sentimentScore(felt, 0);
      if (responds) {
        const at = t + delay;
        const evId = `e${(++seq).toString(36)}`;
        if (!isReply || !scored || s >= 0) nextPositive[c] = nextPositive[c] === Infinity ? at : Math.max(nextPositive[c]!, at);
        const target = bucket(pendingEvents, at);
        if (target) {
          target.push(
            `{"event_id":"${evId}","contact_id":"${cid}","campaign_id":"${campaign}","channel":"${channel}","type":"${isReply ? 'reply' : 'click'}","ts":"${isoSeconds(at)}","send_id":"${sendId}"}`,
          );
          if (isReply) {
            if (written(at)) sum.replies++;
            const sAt = at + sDelay;
            const st = scored ? bucket(pendingSentiment, sAt) : null;
            if (st) {
              const recorded = sAt >= nlpShiftFrom ? sentimentScore(felt, nlpShift) : s;
              st.push(sentimentLine(evId, cid, sAt, recorded));
              if (written(sAt)) sum.sentimentRecords++;
              if (sAt < nlpShiftFrom && nlpShiftFrom !== Infinity) scoredReplies.push({ id: evId, contact: cid, at, felt });
            }
          } else if (written(at)) sum.clicks++;
        }
      }
      // Opt-outs: more likely for risky, fatigued contacts.
      const optsOut = u() < sigmoid(-7.5 + 3.5 * risk[c]! + 3 * fatigue);
      const optOutDelay = Math.floor(u() * 2 * DAY_MS) + 1000;
      if (optsOut) {
        const at = t + optOutDelay;
        optedOutAt[c] = at;
        const evId = `e${(++seq).toString(36)}`;
        const target = bucket(pendingEvents, at);
        if (target) {
          target.push(
            `{"event_id":"${evId}","contact_id":"${cid}","campaign_id":"${campaign}","channel":"${channel}","type":"opt_out","ts":"${isoSeconds(at)}","send_id":"${sendId}"}`,
          );
          if (written(at)) sum.optOuts++;
        }
      }
    }
    const sentiment = pendingSentiment.get(d) ?? [];
    pendingSentiment.delete(d);
    if (d < writeDay) continue;
    sum.events += events.length;

    await lake.write(rawFilePath(day, 'events', '0000'), events.length ? events.join('\n') + '\n' : '');
    await lake.write(rawFilePath(day, 'sentiment', '0000'), sentiment.length ? sentiment.join('\n') + '\n' : '');
    await lake.write(rawFilePath(day, 'crm', '0000'), crm.length ? crm.join('\n') + '\n' : '');
    // Written last: the day is complete (the newest complete day, domain/raw.ts).
    await lake.write(successMarkerPath(rawFolder(day)), '');
    sum.files += 4;
  }
  const range =
    writeDay === 0
      ? `${days} days from ${opts.start}`
      : `days ${addDays(opts.start, writeDay)} .. ${addDays(opts.start, days - 1)} of ${days} from ${opts.start}`;
  log(`simulate: ${n} contacts × ${range} → raw/ (${sum.events} events, ${sum.sends} sends, ${sum.optOuts} opt-outs)`);
  return sum;
}

export { DRIFT_EFFECTS, EFFECTS, parseDrift, parseEffect, type Drift, type EffectChange, type EffectName } from './changes';

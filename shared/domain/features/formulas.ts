import { DAY_MS, dayOfMs, dayStartMs } from '../calendar';
import type { RawCrm, RawEvent, RawSentiment } from '../raw';
import { FEATURES, N_FEATURES } from './schema';

/**
 * Every feature formula, in one place (docs/architecture.md, "Features and labels"). As of T = 00:00 UTC of the
 * partition date, only records with ts < T count.
 *
 * A history is fed one raw day at a time, NEWEST DAY FIRST, and within a day sentiment before events.
 * Read backwards, a reaction is always seen before the send it answers, and a sentiment record before
 * its reply, so only the reactions still waiting for their send (a few days' worth) and one day's
 * sends are ever held: memory follows the number of contacts, not the number of events or days read.
 * The rules that follow from that order:
 *  - a send counts when it is in the 90 days before T; it is answered by a click or reply with its
 *    send_id on the same day or a later one (before T);
 *  - a reply's sentiment is the one of the latest sentiment record for it (same day or later);
 *  - a contact with an opt-out before T is excluded, however old the opt-out;
 *  - opt_out_risk is the CRM value with the latest updated_at before T, else the partition's median.
 *
 * PlainFeatureHistory below is the reference: plain maps and objects. fast/featureAccumulator.ts
 * computes the same with typed arrays and byte-keyed tables for ingest (test/fast/featureAccumulator.test.ts
 * checks the two against each other).
 */

export const HISTORY_DAYS = 90;
export const ENGAGEMENT_DAYS = 30;
export const FATIGUE_DAYS = 7;
export const RECENCY_CAP_DAYS = 60;

/** A reaction that counts as positive: a click, or a reply whose sentiment is ≥ 0 or not (yet) known. */
export function isPositiveReaction(type: 'click' | 'reply', sentiment: number | undefined): boolean {
  return type === 'click' || sentiment === undefined || sentiment >= 0;
}

/** What the formulas need of one contact, accumulated from its history. */
export interface ContactState {
  sends7d: number;
  sends30d: number;
  answered30d: number;
  sends90d: number;
  replied90d: number;
  mmsSends90d: number;
  mmsAnswered90d: number;
  sentimentSum: number;
  sentimentCount: number;
  lastPositive: number;
  optOutRisk: number;
  riskUpdatedAt: number;
  optedOut: boolean;
}

export function newState(): ContactState {
  return {
    sends7d: 0,
    sends30d: 0,
    answered30d: 0,
    sends90d: 0,
    replied90d: 0,
    mmsSends90d: 0,
    mmsAnswered90d: 0,
    sentimentSum: 0,
    sentimentCount: 0,
    lastPositive: -Infinity,
    optOutRisk: NaN,
    riskUpdatedAt: -Infinity,
    optedOut: false,
  };
}

/** The seven features of one contact, in canonical order. `medianRisk` fills an unknown opt_out_risk. */
export function featureVector(s: ContactState, asOfMs: number, medianRisk: number): number[] {
  const recency = s.lastPositive === -Infinity ? RECENCY_CAP_DAYS : Math.min(RECENCY_CAP_DAYS, Math.floor((asOfMs - s.lastPositive) / DAY_MS));
  const v = [
    recency,
    1 - Math.exp(-s.sends7d / 7),
    s.sentimentCount === 0 ? 0 : s.sentimentSum / s.sentimentCount,
    s.sends30d === 0 ? 0 : s.answered30d / s.sends30d,
    s.sends90d === 0 ? 0 : s.replied90d / s.sends90d,
    Number.isNaN(s.optOutRisk) ? medianRisk : s.optOutRisk,
    (s.mmsAnswered90d + 1) / (s.mmsSends90d + 2),
  ];
  if (v.length !== N_FEATURES) throw new Error(`feature vector has ${v.length} values, schema has ${FEATURES.length}`);
  return v;
}

/** Median of known values (mean of the middle two for an even count); 0 when there are none. */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface FeatureRow {
  contact_id: string;
  values: number[];
}

export interface FeatureResult {
  asOf: string;
  rows: FeatureRow[];
  stats: {
    contactsSeen: number;
    eligible: number;
    excludedOptedOut: number;
    /** Eligible contacts with no CRM value before T, given the partition's median. */
    optOutRiskImputed: number;
    optOutRiskMedian: number;
  };
}

/** How a history takes in records: the order of the module's comment, days newest first. */
export interface FeatureHistory {
  readonly asOf: string;
  /** The days that carry features (the 90 before T); older days only matter for opt-outs and CRM. */
  isWindowDay(day: string): boolean;
  beginDay(day: string): void;
  addSentiment(r: RawSentiment): void;
  addEvent(e: RawEvent): void;
  addCrm(r: RawCrm): void;
  endDay(): void;
  /** Eligible contacts (a send in the last 90 days, no opt-out before T), sorted by contact id. */
  finish(): FeatureResult;
}

/**
 * The days of a feature history, the same for the plain twin and the byte-level accumulator: T, the
 * 90-, 30- and 7-day windows before it, and the order raw days must come in (newest first, all before T).
 */
export class FeatureDays {
  readonly asOfMs: number;
  readonly windowStart: number;
  readonly engagementStart: number;
  readonly fatigueStart: number;
  /** Whether the current day is one of the 90 before T. */
  inWindow = true;
  private currentDay: string | null = null;
  private lastDay: string | null = null;

  constructor(readonly asOf: string) {
    this.asOfMs = dayStartMs(asOf);
    this.windowStart = this.asOfMs - HISTORY_DAYS * DAY_MS;
    this.engagementStart = this.asOfMs - ENGAGEMENT_DAYS * DAY_MS;
    this.fatigueStart = this.asOfMs - FATIGUE_DAYS * DAY_MS;
  }

  /** The days that carry features (the 90 before T); older days only matter for opt-outs and CRM. */
  isWindowDay(day: string): boolean {
    const ms = dayStartMs(day);
    return ms >= this.windowStart && ms < this.asOfMs;
  }

  /** A day is begun and not yet ended. */
  get open(): boolean {
    return this.currentDay !== null;
  }

  /**
   * Starts `day` (the caller ends the open one first). True when it is the first day before the
   * window: reactions and sentiment still waiting then answer sends outside it and no longer count.
   */
  begin(day: string): boolean {
    if (day >= this.asOf) throw new Error(`raw day ${day} is not before the partition date ${this.asOf} (leakage)`);
    if (this.lastDay !== null && day >= this.lastDay) throw new Error(`raw days must be fed newest first: ${day} after ${this.lastDay}`);
    this.currentDay = day;
    this.lastDay = day;
    const inWindow = this.isWindowDay(day);
    const leaving = !inWindow && this.inWindow;
    this.inWindow = inWindow;
    return leaving;
  }

  end(): void {
    this.currentDay = null;
  }
}

const CLICKED = 1;
const REPLIED = 2;

interface PlainContact extends ContactState {
  seen: boolean;
}

/** The reference history: the rules above with a Map of contacts and a list of the day's sends. */
export class PlainFeatureHistory implements FeatureHistory {
  private readonly contacts = new Map<string, PlainContact>();
  /** send_id → CLICKED | REPLIED, for reactions whose send is not read yet. */
  private pendingAnswers = new Map<string, number>();
  /** reply_event_id → sentiment, for sentiment records whose reply is not read yet. */
  private pendingSentiment = new Map<string, number>();
  private sends: { contact: string; ts: number; mms: boolean; id: string }[] = [];

  private readonly days: FeatureDays;

  constructor(readonly asOf: string) {
    this.days = new FeatureDays(asOf);
  }

  isWindowDay(day: string): boolean {
    return this.days.isWindowDay(day);
  }

  private contact(id: string): PlainContact {
    let c = this.contacts.get(id);
    if (!c) this.contacts.set(id, (c = { ...newState(), seen: false }));
    return c;
  }

  beginDay(day: string): void {
    if (this.days.open) this.endDay();
    if (this.days.begin(day)) {
      this.pendingAnswers = new Map();
      this.pendingSentiment = new Map();
    }
  }

  addSentiment(r: RawSentiment): void {
    if (r.ts >= this.days.asOfMs || !this.days.inWindow) return;
    // A re-scored reply keeps its latest score (the first one met, reading backwards).
    if (!this.pendingSentiment.has(r.reply_event_id)) this.pendingSentiment.set(r.reply_event_id, r.sentiment);
  }

  addCrm(r: RawCrm): void {
    if (r.updated_at >= this.days.asOfMs) return;
    const c = this.contact(r.contact_id);
    c.seen = true;
    if (r.updated_at > c.riskUpdatedAt) {
      c.optOutRisk = r.opt_out_risk;
      c.riskUpdatedAt = r.updated_at;
    }
  }

  addEvent(e: RawEvent): void {
    if (e.ts >= this.days.asOfMs) return;
    const c = this.contact(e.contact_id);
    if (e.type === 'opt_out') {
      c.seen = true;
      c.optedOut = true;
      return;
    }
    if (!this.days.inWindow || e.ts < this.days.windowStart) return;
    if (e.type === 'send') {
      this.sends.push({ contact: e.contact_id, ts: e.ts, mms: e.channel === 'mms', id: e.send_id });
      return;
    }
    this.pendingAnswers.set(e.send_id, (this.pendingAnswers.get(e.send_id) ?? 0) | (e.type === 'click' ? CLICKED : REPLIED));
    let sentiment: number | undefined;
    if (e.type === 'reply') {
      sentiment = this.pendingSentiment.get(e.event_id);
      if (sentiment !== undefined) {
        this.pendingSentiment.delete(e.event_id);
        c.seen = true;
        c.sentimentSum += sentiment;
        c.sentimentCount++;
      }
    }
    if (isPositiveReaction(e.type, sentiment)) {
      c.seen = true;
      if (e.ts > c.lastPositive) c.lastPositive = e.ts;
    }
  }

  endDay(): void {
    for (const s of this.sends) {
      const flags = this.pendingAnswers.get(s.id) ?? 0;
      if (flags !== 0) this.pendingAnswers.delete(s.id);
      const c = this.contact(s.contact);
      c.seen = true;
      const answered = flags !== 0 ? 1 : 0;
      c.sends90d++;
      if (flags & REPLIED) c.replied90d++;
      if (s.mms) {
        c.mmsSends90d++;
        c.mmsAnswered90d += answered;
      }
      if (s.ts >= this.days.engagementStart) {
        c.sends30d++;
        c.answered30d += answered;
      }
      if (s.ts >= this.days.fatigueStart) c.sends7d++;
    }
    this.sends = [];
    this.days.end();
  }

  finish(): FeatureResult {
    if (this.days.open) this.endDay();
    let contactsSeen = 0;
    let excludedOptedOut = 0;
    const eligible: [string, PlainContact][] = [];
    for (const [id, c] of this.contacts) {
      if (!c.seen) continue;
      contactsSeen++;
      if (c.sends90d === 0) continue;
      if (c.optedOut) excludedOptedOut++;
      else eligible.push([id, c]);
    }
    eligible.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const known = eligible.filter(([, c]) => !Number.isNaN(c.optOutRisk)).map(([, c]) => c.optOutRisk);
    const med = median(known);
    return {
      asOf: this.asOf,
      rows: eligible.map(([id, c]) => ({ contact_id: id, values: featureVector(c, this.days.asOfMs, med) })),
      stats: { contactsSeen, eligible: eligible.length, excludedOptedOut, optOutRiskImputed: eligible.length - known.length, optOutRiskMedian: med },
    };
  }
}

/**
 * Features from in-memory records, fed in the order ingestion uses (newest day first, sentiment,
 * then events, then CRM), into `history` (the reference by default). For tests and small replays;
 * ingestion streams files into fast/featureAccumulator.ts instead.
 */
export function computeFeatures(
  asOf: string,
  events: RawEvent[],
  sentiment: RawSentiment[],
  crm: RawCrm[],
  history: FeatureHistory = new PlainFeatureHistory(asOf),
): FeatureResult {
  const byDay = new Map<string, { e: RawEvent[]; s: RawSentiment[]; c: RawCrm[] }>();
  const bucket = (ms: number): { e: RawEvent[]; s: RawSentiment[]; c: RawCrm[] } => {
    const d = dayOfMs(ms);
    let b = byDay.get(d);
    if (!b) byDay.set(d, (b = { e: [], s: [], c: [] }));
    return b;
  };
  for (const e of events) bucket(e.ts).e.push(e);
  for (const s of sentiment) bucket(s.ts).s.push(s);
  for (const c of crm) bucket(c.updated_at).c.push(c);
  for (const day of [...byDay.keys()].sort().reverse()) {
    if (day >= asOf) continue;
    const b = byDay.get(day)!;
    history.beginDay(day);
    b.s.forEach((r) => history.addSentiment(r));
    b.e.forEach((r) => history.addEvent(r));
    b.c.forEach((r) => history.addCrm(r));
    history.endDay();
  }
  return history.finish();
}

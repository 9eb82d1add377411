import { FEATURES, N_FEATURES } from './schema';
import type { RawCrm, RawEvent, RawSentiment } from '../pipeline/raw';
import { DAY_MS, dayOfMs, dayStartMs } from '../pipeline/days';

/**
 * Every feature formula of ARCHITECTURE.md section 4, in one place. As of T = 00:00 UTC of the
 * partition date, only records with ts < T count.
 *
 * The accumulator is fed one raw day at a time, NEWEST DAY FIRST, and within a day sentiment before
 * events. Read backwards, a reaction is always seen before the send it answers, and a sentiment record
 * before its reply, so only the reactions still waiting for their send (a few days' worth) and one day's
 * sends are ever held: memory follows the number of contacts, not the number of events or days read.
 */

export const HISTORY_DAYS = 90;
export const ENGAGEMENT_DAYS = 30;
export const FATIGUE_DAYS = 7;
export const RECENCY_CAP_DAYS = 60;

const CLICKED = 1;
const REPLIED = 2;

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

function newState(): ContactState {
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

export class FeatureAccumulator {
  readonly asOfMs: number;
  private readonly windowStart: number;
  private readonly contacts = new Map<string, ContactState>();
  /** send_id → CLICKED | REPLIED, for reactions whose send is not read yet. */
  private pendingAnswers = new Map<string, number>();
  /** reply_event_id → sentiment, for sentiment records whose reply is not read yet. */
  private pendingSentiment = new Map<string, number>();
  private daySends: RawEvent[] = [];
  private currentDay: string | null = null;
  private lastDay: string | null = null;
  private inWindow = true;

  constructor(readonly asOf: string) {
    this.asOfMs = dayStartMs(asOf);
    this.windowStart = this.asOfMs - HISTORY_DAYS * DAY_MS;
  }

  /** The days that carry features (the 90 before T); older days only matter for opt-outs and CRM. */
  isWindowDay(day: string): boolean {
    const ms = dayStartMs(day);
    return ms >= this.windowStart && ms < this.asOfMs;
  }

  private state(contact: string): ContactState {
    let s = this.contacts.get(contact);
    if (!s) this.contacts.set(contact, (s = newState()));
    return s;
  }

  /** Starts a raw day; days must come newest first and before T. */
  beginDay(day: string): void {
    if (this.currentDay !== null) this.endDay();
    if (day >= this.asOf) throw new Error(`raw day ${day} is not before the partition date ${this.asOf} (leakage)`);
    if (this.lastDay !== null && day >= this.lastDay) throw new Error(`raw days must be fed newest first: ${day} after ${this.lastDay}`);
    this.currentDay = day;
    this.lastDay = day;
    const inWindow = this.isWindowDay(day);
    if (!inWindow && this.inWindow) {
      // Reactions and sentiment still waiting here answer sends outside the window: they no longer count.
      this.pendingAnswers = new Map();
      this.pendingSentiment = new Map();
    }
    this.inWindow = inWindow;
  }

  addSentiment(r: RawSentiment): void {
    if (r.ts >= this.asOfMs || !this.inWindow) return;
    const known = this.pendingSentiment.get(r.reply_event_id);
    // A re-scored reply keeps its latest score (the first one met, reading backwards).
    if (known === undefined) this.pendingSentiment.set(r.reply_event_id, r.sentiment);
  }

  addCrm(r: RawCrm): void {
    if (r.updated_at >= this.asOfMs) return;
    const s = this.state(r.contact_id);
    if (r.updated_at > s.riskUpdatedAt) {
      s.optOutRisk = r.opt_out_risk;
      s.riskUpdatedAt = r.updated_at;
    }
  }

  addEvent(e: RawEvent): void {
    if (e.ts >= this.asOfMs) return;
    if (e.type === 'opt_out') {
      this.state(e.contact_id).optedOut = true;
      return;
    }
    if (!this.inWindow || e.ts < this.windowStart) return;
    if (e.type === 'send') {
      this.daySends.push(e);
      return;
    }
    this.pendingAnswers.set(e.send_id, (this.pendingAnswers.get(e.send_id) ?? 0) | (e.type === 'click' ? CLICKED : REPLIED));
    let sentiment: number | undefined;
    if (e.type === 'reply') {
      sentiment = this.pendingSentiment.get(e.event_id);
      if (sentiment !== undefined) {
        this.pendingSentiment.delete(e.event_id);
        const s = this.state(e.contact_id);
        s.sentimentSum += sentiment;
        s.sentimentCount++;
      }
    }
    if (isPositiveReaction(e.type, sentiment)) {
      const s = this.state(e.contact_id);
      if (e.ts > s.lastPositive) s.lastPositive = e.ts;
    }
  }

  /** Settles the day's sends against the reactions met so far (all of them later than the sends). */
  endDay(): void {
    const t = this.asOfMs;
    for (const send of this.daySends) {
      const flags = this.pendingAnswers.get(send.send_id) ?? 0;
      if (flags !== 0) this.pendingAnswers.delete(send.send_id);
      const s = this.state(send.contact_id);
      const answered = flags !== 0 ? 1 : 0;
      s.sends90d++;
      if (flags & REPLIED) s.replied90d++;
      if (send.channel === 'mms') {
        s.mmsSends90d++;
        s.mmsAnswered90d += answered;
      }
      if (send.ts >= t - ENGAGEMENT_DAYS * DAY_MS) {
        s.sends30d++;
        s.answered30d += answered;
      }
      if (send.ts >= t - FATIGUE_DAYS * DAY_MS) s.sends7d++;
    }
    this.daySends = [];
    this.currentDay = null;
  }

  /** Eligible contacts (a send in the last 90 days, no opt-out before T), sorted by contact id. */
  finish(): FeatureResult {
    if (this.currentDay !== null) this.endDay();
    const eligible: [string, ContactState][] = [];
    let excludedOptedOut = 0;
    for (const entry of this.contacts) {
      const s = entry[1];
      if (s.sends90d === 0) continue;
      if (s.optedOut) {
        excludedOptedOut++;
        continue;
      }
      eligible.push(entry);
    }
    eligible.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const known = eligible.filter(([, s]) => !Number.isNaN(s.optOutRisk)).map(([, s]) => s.optOutRisk);
    const med = median(known);
    const rows = eligible.map(([contact_id, s]) => ({ contact_id, values: featureVector(s, this.asOfMs, med) }));
    return {
      asOf: this.asOf,
      rows,
      stats: {
        contactsSeen: this.contacts.size,
        eligible: rows.length,
        excludedOptedOut,
        optOutRiskImputed: eligible.length - known.length,
        optOutRiskMedian: med,
      },
    };
  }
}

/**
 * Features from in-memory records, fed in the order ingestion uses (newest day first, sentiment,
 * then events, then CRM). For tests and small replays; ingestion streams files instead.
 */
export function computeFeatures(asOf: string, events: RawEvent[], sentiment: RawSentiment[], crm: RawCrm[]): FeatureResult {
  const acc = new FeatureAccumulator(asOf);
  const byDay = new Map<string, { e: RawEvent[]; s: RawSentiment[]; c: RawCrm[] }>();
  const bucket = (ms: number) => {
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
    acc.beginDay(day);
    b.s.forEach((r) => acc.addSentiment(r));
    b.e.forEach((r) => acc.addEvent(r));
    b.c.forEach((r) => acc.addCrm(r));
    acc.endDay();
  }
  return acc.finish();
}

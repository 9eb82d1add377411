import { FEATURES, N_FEATURES } from '../domain/features/schema';
import type { RawCrm, RawEvent, RawSentiment } from '../domain/raw';
import { DAY_MS, dayOfMs, dayStartMs } from '../domain/calendar';

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

/** FNV-1a of a string's char codes: for an ASCII id, the same number as idHashBytes of its bytes. */
function idHash(id: string): number {
  let h = 2166136261;
  for (let k = 0; k < id.length; k++) h = Math.imul(h ^ id.charCodeAt(k), 16777619);
  return h | 0;
}

function idHashBytes(b: Uint8Array, s: number, e: number): number {
  let h = 2166136261;
  for (let k = s; k < e; k++) h = Math.imul(h ^ b[k]!, 16777619);
  return h | 0;
}

const FILTER_BITS = 22;

/** A contact slot's first word: the hash's high 24 bits and the key's length (255 for 255 and more). */
function slotTag(h: number, len: number): number {
  return (h & ~255) | (len < 255 ? len : 255);
}

/** Event kinds of the byte-level fast path (ingest's event reader). */
export const EV_SEND = 0;
export const EV_CLICK = 1;
export const EV_REPLY = 2;
export const EV_OPT_OUT = 3;

/**
 * Contact ids ↔ dense indexes, with each contact's state in typed arrays indexed by that number (no
 * object per contact, nothing for the garbage collector to trace). Ids met as bytes are found through
 * a byte-keyed hash table in front of the string map, so a known contact costs no string at all.
 */
class ContactTable {
  readonly ids: string[] = [];
  private readonly byId = new Map<string, number>();
  private cap = 0;
  seen: Uint8Array = new Uint8Array(0);
  sends7d: Int32Array = new Int32Array(0);
  sends30d: Int32Array = new Int32Array(0);
  answered30d: Int32Array = new Int32Array(0);
  sends90d: Int32Array = new Int32Array(0);
  replied90d: Int32Array = new Int32Array(0);
  mmsSends90d: Int32Array = new Int32Array(0);
  mmsAnswered90d: Int32Array = new Int32Array(0);
  sentimentCount: Int32Array = new Int32Array(0);
  sentimentSum: Float64Array = new Float64Array(0);
  lastPositive: Float64Array = new Float64Array(0);
  optOutRisk: Float64Array = new Float64Array(0);
  riskUpdatedAt: Float64Array = new Float64Array(0);
  optedOut: Uint8Array = new Uint8Array(0);
  // Byte-keyed open addressing (see indexBytes); key bytes in an arena.
  private slots: Int32Array = new Int32Array(1 << 15);
  private keyStart: Int32Array = new Int32Array(0);
  private keyLen: Int32Array = new Int32Array(0);
  private arena: Uint8Array = new Uint8Array(1 << 16);
  private arenaUsed = 0;
  private keys = 0;

  get size(): number {
    return this.ids.length;
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const g32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const g64 = (a: Float64Array, fill: number): Float64Array => {
      const b = new Float64Array(cap).fill(fill);
      b.set(a);
      return b;
    };
    const g8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.seen = g8(this.seen);
    this.sends7d = g32(this.sends7d);
    this.sends30d = g32(this.sends30d);
    this.answered30d = g32(this.answered30d);
    this.sends90d = g32(this.sends90d);
    this.replied90d = g32(this.replied90d);
    this.mmsSends90d = g32(this.mmsSends90d);
    this.mmsAnswered90d = g32(this.mmsAnswered90d);
    this.sentimentCount = g32(this.sentimentCount);
    this.sentimentSum = g64(this.sentimentSum, 0);
    this.lastPositive = g64(this.lastPositive, -Infinity);
    this.optOutRisk = g64(this.optOutRisk, NaN);
    this.riskUpdatedAt = g64(this.riskUpdatedAt, -Infinity);
    this.optedOut = g8(this.optedOut);
    this.keyStart = g32(this.keyStart);
    this.keyLen = g32(this.keyLen);
    this.cap = cap;
  }

  index(id: string): number {
    let i = this.byId.get(id);
    if (i === undefined) {
      i = this.ids.length;
      if (i === this.cap) this.grow();
      this.ids.push(id);
      this.byId.set(id, i);
      this.keyLen[i] = -1; // not in the byte table (yet)
    }
    return i;
  }

  /** Index of the contact whose id is the ASCII bytes b[s..e). */
  indexBytes(b: Uint8Array, s: number, e: number): number {
    const len = e - s;
    let h = 2166136261;
    let w0 = 0;
    let w1 = 0;
    for (let k = 0; k < len; k++) {
      const x = b[s + k]!;
      h = Math.imul(h ^ x, 16777619);
      if (k < 4) w0 |= x << (8 * k);
      else if (k < 8) w1 |= x << (8 * (k - 4));
    }
    h |= 0;
    const tag = slotTag(h, len);
    const slots = this.slots;
    const mask = (slots.length >> 2) - 1;
    // A slot is 4 int32 (16 bytes, so the table of 100,000 contacts stays small in cache): the hash with
    // the key's length (up to 255) in its low byte, index + 1, the first 8 key bytes. Keys of up to
    // 8 bytes (contact ids usually are) are decided inside the slot.
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const o = slot << 2;
      const v = slots[o + 1]!;
      if (v === 0) break;
      if (slots[o] !== tag || slots[o + 2] !== w0 || slots[o + 3] !== w1) continue;
      const i = v - 1;
      if (len <= 8) return i;
      if (this.keyLen[i] !== len) continue;
      const at = this.keyStart[i]!;
      const arena = this.arena;
      let k = 8;
      while (k < len && arena[at + k] === b[s + k]) k++;
      if (k === len) return i;
    }
    let id = '';
    for (let k = s; k < e; k++) id += String.fromCharCode(b[k]!);
    const i = this.index(id);
    if (this.keyLen[i] === -1) this.addKey(i, b, s, e);
    return i;
  }

  private addKey(i: number, b: Uint8Array, s: number, e: number): void {
    const len = e - s;
    if (this.arenaUsed + len > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      a.set(this.arena);
      this.arena = a;
    }
    this.arena.set(b.subarray(s, e), this.arenaUsed);
    this.keyStart[i] = this.arenaUsed;
    this.keyLen[i] = len;
    this.arenaUsed += len;
    if (++this.keys * 2 > this.slots.length >> 2) this.rehash();
    else this.insertSlot(i);
  }

  private insertSlot(i: number): void {
    const at = this.keyStart[i]!;
    const len = this.keyLen[i]!;
    let h = 2166136261;
    let w0 = 0;
    let w1 = 0;
    for (let k = 0; k < len; k++) {
      const x = this.arena[at + k]!;
      h = Math.imul(h ^ x, 16777619);
      if (k < 4) w0 |= x << (8 * k);
      else if (k < 8) w1 |= x << (8 * (k - 4));
    }
    h |= 0;
    const mask = (this.slots.length >> 2) - 1;
    let slot = h & mask;
    while (this.slots[(slot << 2) + 1] !== 0) slot = (slot + 1) & mask;
    const o = slot << 2;
    this.slots[o] = slotTag(h, len);
    this.slots[o + 1] = i + 1;
    this.slots[o + 2] = w0;
    this.slots[o + 3] = w1;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 4);
    for (let i = 0; i < this.ids.length; i++) if (this.keyLen[i]! >= 0) this.insertSlot(i);
  }
}

export class FeatureAccumulator {
  readonly asOfMs: number;
  private readonly windowStart: number;
  private readonly engagementStart: number;
  private readonly fatigueStart: number;
  private readonly c = new ContactTable();
  /** send_id → CLICKED | REPLIED, for reactions whose send is not read yet. */
  private pendingAnswers = new Map<string, number>();
  /**
   * A bit per idHash of every key put in pendingAnswers (bits are only cleared by a rebuild from the
   * keys): a send whose bit is clear has no pending answer, and needs neither its id as a string nor a
   * map lookup. Most sends are never answered.
   */
  private answerFilter = new Int32Array(1 << (FILTER_BITS - 5));
  private filterAdds = 0;
  /** reply_event_id → sentiment, for sentiment records whose reply is not read yet. */
  private pendingSentiment = new Map<string, number>();
  // The current day's sends, as parallel arrays.
  // Typed arrays reused from day to day; nSends of them in use.
  private nSends = 0;
  private sendContact: Int32Array = new Int32Array(1024);
  private sendTs: Float64Array = new Float64Array(1024);
  private sendMms: Uint8Array = new Uint8Array(1024);
  /** idHash of the send's id. */
  private sendHash: Int32Array = new Int32Array(1024);
  /** Where the send's id is: at ≥ 0, its length byte then its bytes in sendIdBytes; -1 - k (= -length after the push), sendIdStr[k]. */
  private sendIdAt: Int32Array = new Int32Array(1024);
  private sendIdStr: string[] = [];
  private sendIdBytes: Uint8Array = new Uint8Array(1 << 16);
  private sendIdUsed = 0;
  private currentDay: string | null = null;
  private lastDay: string | null = null;
  private inWindow = true;

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

  /** Marks a contact as met (counted in contactsSeen) and returns its index. */
  private touch(i: number): number {
    this.c.seen[i] = 1;
    return i;
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
      this.answerFilter.fill(0);
      this.filterAdds = 0;
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
    const i = this.touch(this.c.index(r.contact_id));
    if (r.updated_at > this.c.riskUpdatedAt[i]!) {
      this.c.optOutRisk[i] = r.opt_out_risk;
      this.c.riskUpdatedAt[i] = r.updated_at;
    }
  }

  /** addCrm for a record already validated by the caller, the contact id as ASCII bytes b[s..e). */
  addCrmBytes(b: Uint8Array, s: number, e: number, risk: number, updatedAt: number): void {
    if (updatedAt >= this.asOfMs) return;
    const i = this.touch(this.c.indexBytes(b, s, e));
    if (updatedAt > this.c.riskUpdatedAt[i]!) {
      this.c.optOutRisk[i] = risk;
      this.c.riskUpdatedAt[i] = updatedAt;
    }
  }

  addEvent(e: RawEvent): void {
    if (e.ts >= this.asOfMs) return;
    if (e.type === 'opt_out') {
      // The index first: creating a contact may replace the arrays.
      const i = this.touch(this.c.index(e.contact_id));
      this.c.optedOut[i] = 1;
      return;
    }
    if (!this.inWindow || e.ts < this.windowStart) return;
    if (e.type === 'send') {
      this.pushSend(this.c.index(e.contact_id), e.ts, e.channel === 'mms', idHash(e.send_id), -this.sendIdStr.push(e.send_id));
      return;
    }
    this.reaction(e.type === 'click' ? EV_CLICK : EV_REPLY, this.c.index(e.contact_id), e.ts, e.send_id, e.event_id);
  }

  /** Whether an event of this time can change anything (the fast path skips the rest of the line). */
  wants(kind: number, ts: number): boolean {
    if (ts >= this.asOfMs) return false;
    return kind === EV_OPT_OUT || (this.inWindow && ts >= this.windowStart);
  }

  /**
   * The byte-level fast path: the same rules as addEvent for an event already validated by the
   * caller, with the contact id given as ASCII bytes b[s..e). `sendId` and `eventId` as addEvent uses
   * them (eventId only matters for replies).
   */
  addEventBytes(kind: number, ts: number, b: Uint8Array, s: number, e: number, mms: boolean, sendId: string, eventId: string): void {
    if (!this.wants(kind, ts)) return;
    const i = this.c.indexBytes(b, s, e);
    if (kind === EV_OPT_OUT) {
      this.c.optedOut[this.touch(i)] = 1;
      return;
    }
    if (kind === EV_SEND) {
      this.pushSend(i, ts, mms, idHash(sendId), -this.sendIdStr.push(sendId));
      return;
    }
    this.reaction(kind, i, ts, sendId, eventId);
  }

  /**
   * A send on the byte-level path, already validated by the caller: the contact id is b[s..e), the
   * send's own id (send_id, or event_id when absent) b[idS..idE), both ASCII. The id's bytes are kept
   * until endDay, which makes a string of them only when the filter says an answer may be waiting.
   */
  addSendBytes(ts: number, b: Uint8Array, s: number, e: number, mms: boolean, idS: number, idE: number): void {
    if (!this.wants(EV_SEND, ts)) return;
    if (idE - idS > 255) throw new Error('internal: addSendBytes takes ids of up to 255 bytes');
    const at = this.keepBytes(b, idS, idE);
    // The contact is looked up in endDay, all of the day's sends in one tight loop, where the CPU
    // overlaps the cache misses of several lookups (here each would wait alone, between two lines).
    const contact = e - s <= 255 ? -1 - this.keepBytes(b, s, e) : this.c.indexBytes(b, s, e);
    this.pushSend(contact, ts, mms, idHashBytes(b, idS, idE), at);
  }

  /** Copies b[s..e) (at most 255 bytes) into sendIdBytes as a length byte and the bytes; returns where. */
  private keepBytes(b: Uint8Array, s: number, e: number): number {
    const len = e - s;
    if (this.sendIdUsed + len + 1 > this.sendIdBytes.length) {
      const a = new Uint8Array(Math.max(this.sendIdBytes.length * 2, this.sendIdUsed + len + 1));
      a.set(this.sendIdBytes.subarray(0, this.sendIdUsed));
      this.sendIdBytes = a;
    }
    const at = this.sendIdUsed;
    const bytes = this.sendIdBytes;
    bytes[at] = len;
    for (let k = 0; k < len; k++) bytes[at + 1 + k] = b[s + k]!;
    this.sendIdUsed = at + 1 + len;
    return at;
  }

  /** `contact`: the contact's index, or -1 - at when its id is still bytes at sendIdBytes[at] (see keepBytes). */
  private pushSend(contact: number, ts: number, mms: boolean, hash: number, idAt: number): void {
    const n = this.nSends;
    if (n === this.sendContact.length) {
      const cap = n * 2;
      const g32 = (a: Int32Array): Int32Array => {
        const x = new Int32Array(cap);
        x.set(a);
        return x;
      };
      this.sendContact = g32(this.sendContact);
      this.sendHash = g32(this.sendHash);
      this.sendIdAt = g32(this.sendIdAt);
      const ts2 = new Float64Array(cap);
      ts2.set(this.sendTs);
      this.sendTs = ts2;
      const mms2 = new Uint8Array(cap);
      mms2.set(this.sendMms);
      this.sendMms = mms2;
    }
    this.sendContact[n] = contact;
    this.sendTs[n] = ts;
    this.sendMms[n] = mms ? 1 : 0;
    this.sendHash[n] = hash;
    this.sendIdAt[n] = idAt;
    this.nSends = n + 1;
  }

  private mayBePending(h: number): boolean {
    return (this.answerFilter[(h >>> 5) & ((1 << (FILTER_BITS - 5)) - 1)]! & (1 << (h & 31))) !== 0;
  }

  private markPending(h: number): void {
    this.answerFilter[(h >>> 5) & ((1 << (FILTER_BITS - 5)) - 1)]! |= 1 << (h & 31);
    this.filterAdds++;
  }

  private reaction(kind: number, i: number, ts: number, sendId: string, eventId: string): void {
    const prev = this.pendingAnswers.get(sendId);
    this.pendingAnswers.set(sendId, (prev ?? 0) | (kind === EV_CLICK ? CLICKED : REPLIED));
    if (prev === undefined) this.markPending(idHash(sendId));
    let sentiment: number | undefined;
    if (kind === EV_REPLY) {
      sentiment = this.pendingSentiment.get(eventId);
      if (sentiment !== undefined) {
        this.pendingSentiment.delete(eventId);
        this.touch(i);
        this.c.sentimentSum[i]! += sentiment;
        this.c.sentimentCount[i]!++;
      }
    }
    if (isPositiveReaction(kind === EV_CLICK ? 'click' : 'reply', sentiment)) {
      this.touch(i);
      if (ts > this.c.lastPositive[i]!) this.c.lastPositive[i] = ts;
    }
  }

  /** Settles the day's sends against the reactions met so far (all of them later than the sends). */
  endDay(): void {
    const c = this.c;
    const n = this.nSends;
    const kept = this.sendIdBytes;
    for (let k = 0; k < n; k++) {
      const v = this.sendContact[k]!;
      if (v < 0) this.sendContact[k] = c.indexBytes(kept, -v, -v + kept[-1 - v]!);
    }
    for (let k = 0; k < n; k++) {
      let flags = 0;
      if (this.mayBePending(this.sendHash[k]!)) {
        const at = this.sendIdAt[k]!;
        let id: string;
        if (at < 0) id = this.sendIdStr[-1 - at]!;
        else {
          const bytes = this.sendIdBytes;
          id = '';
          for (let q = at + 1, end = at + 1 + bytes[at]!; q < end; q++) id += String.fromCharCode(bytes[q]!);
        }
        flags = this.pendingAnswers.get(id) ?? 0;
        if (flags !== 0) this.pendingAnswers.delete(id);
      }
      const i = this.touch(this.sendContact[k]!);
      const ts = this.sendTs[k]!;
      const answered = flags !== 0 ? 1 : 0;
      c.sends90d[i]!++;
      if (flags & REPLIED) c.replied90d[i]!++;
      if (this.sendMms[k]) {
        c.mmsSends90d[i]!++;
        c.mmsAnswered90d[i]! += answered;
      }
      if (ts >= this.engagementStart) {
        c.sends30d[i]!++;
        c.answered30d[i]! += answered;
      }
      if (ts >= this.fatigueStart) c.sends7d[i]!++;
    }
    this.nSends = 0;
    this.sendIdStr = [];
    this.sendIdUsed = 0;
    this.currentDay = null;
    // Keys settled today leave their bits behind: rebuild once stale bits outnumber live keys.
    if (this.filterAdds > 2 * this.pendingAnswers.size + 4096) {
      this.answerFilter.fill(0);
      this.filterAdds = 0;
      for (const id of this.pendingAnswers.keys()) this.markPending(idHash(id));
    }
  }

  /** Eligible contacts (a send in the last 90 days, no opt-out before T), sorted by contact id. */
  finish(): FeatureResult {
    if (this.currentDay !== null) this.endDay();
    const c = this.c;
    const eligible: number[] = [];
    let excludedOptedOut = 0;
    let contactsSeen = 0;
    for (let i = 0; i < c.size; i++) {
      if (c.seen[i] === 0) continue;
      contactsSeen++;
      if (c.sends90d[i] === 0) continue;
      if (c.optedOut[i]) {
        excludedOptedOut++;
        continue;
      }
      eligible.push(i);
    }
    const ids = c.ids;
    eligible.sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
    const known: number[] = [];
    for (const i of eligible) if (!Number.isNaN(c.optOutRisk[i]!)) known.push(c.optOutRisk[i]!);
    const med = median(known);
    const s = newState();
    const rows = eligible.map((i) => {
      s.sends7d = c.sends7d[i]!;
      s.sends30d = c.sends30d[i]!;
      s.answered30d = c.answered30d[i]!;
      s.sends90d = c.sends90d[i]!;
      s.replied90d = c.replied90d[i]!;
      s.mmsSends90d = c.mmsSends90d[i]!;
      s.mmsAnswered90d = c.mmsAnswered90d[i]!;
      s.sentimentSum = c.sentimentSum[i]!;
      s.sentimentCount = c.sentimentCount[i]!;
      s.lastPositive = c.lastPositive[i]!;
      s.optOutRisk = c.optOutRisk[i]!;
      s.riskUpdatedAt = c.riskUpdatedAt[i]!;
      s.optedOut = c.optedOut[i] === 1;
      return { contact_id: ids[i]!, values: featureVector(s, this.asOfMs, med) };
    });
    return {
      asOf: this.asOf,
      rows,
      stats: {
        contactsSeen,
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

import { featureVector, isPositiveReaction, median, newState, FeatureDays, type FeatureHistory, type FeatureResult } from '../domain/features/formulas';
import type { RawCrm, RawEvent, RawSentiment } from '../domain/raw';
import { fnv1a, fnv1aText } from '../domain/hash';
import { ContactTable } from './contactTable';

/*
 * The feature history of an ingest: the rules of domain/features/formulas.ts (its PlainFeatureHistory
 * is the reference twin) with each contact a slot of a ContactTable, the day's sends in reused typed
 * arrays, a bit filter in front of the pending answers, and a byte-level entry for each record kind
 * that the raw readers (rawRecords.ts) call without making a string. Justified by bench:ingest.
 */

const CLICKED = 1;
const REPLIED = 2;
const FILTER_BITS = 22;

/** Event kinds of the byte-level path (the raw readers and the events thread). */
export const EV_SEND = 0;
export const EV_CLICK = 1;
export const EV_REPLY = 2;
export const EV_OPT_OUT = 3;

export class FeatureAccumulator implements FeatureHistory {
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

  private readonly days: FeatureDays;

  constructor(readonly asOf: string) {
    this.days = new FeatureDays(asOf);
  }

  isWindowDay(day: string): boolean {
    return this.days.isWindowDay(day);
  }

  /** Marks a contact as met (counted in contactsSeen) and returns its index. */
  private touch(i: number): number {
    this.c.seen[i] = 1;
    return i;
  }

  /** Starts a raw day; days must come newest first and before T. */
  beginDay(day: string): void {
    if (this.days.open) this.endDay();
    if (this.days.begin(day)) {
      this.pendingAnswers = new Map();
      this.answerFilter.fill(0);
      this.filterAdds = 0;
      this.pendingSentiment = new Map();
    }
  }

  addSentiment(r: RawSentiment): void {
    if (r.ts >= this.days.asOfMs || !this.days.inWindow) return;
    const known = this.pendingSentiment.get(r.reply_event_id);
    // A re-scored reply keeps its latest score (the first one met, reading backwards).
    if (known === undefined) this.pendingSentiment.set(r.reply_event_id, r.sentiment);
  }

  addCrm(r: RawCrm): void {
    if (r.updated_at >= this.days.asOfMs) return;
    const i = this.touch(this.c.index(r.contact_id));
    if (r.updated_at > this.c.riskUpdatedAt[i]!) {
      this.c.optOutRisk[i] = r.opt_out_risk;
      this.c.riskUpdatedAt[i] = r.updated_at;
    }
  }

  /** addCrm for a record already validated by the caller, the contact id as ASCII bytes b[s..e). */
  addCrmBytes(b: Uint8Array, s: number, e: number, risk: number, updatedAt: number): void {
    if (updatedAt >= this.days.asOfMs) return;
    const i = this.touch(this.c.indexBytes(b, s, e));
    if (updatedAt > this.c.riskUpdatedAt[i]!) {
      this.c.optOutRisk[i] = risk;
      this.c.riskUpdatedAt[i] = updatedAt;
    }
  }

  addEvent(e: RawEvent): void {
    if (e.ts >= this.days.asOfMs) return;
    if (e.type === 'opt_out') {
      // The index first: creating a contact may replace the arrays.
      const i = this.touch(this.c.index(e.contact_id));
      this.c.optedOut[i] = 1;
      return;
    }
    if (!this.days.inWindow || e.ts < this.days.windowStart) return;
    if (e.type === 'send') {
      this.pushSend(this.c.index(e.contact_id), e.ts, e.channel === 'mms', fnv1aText(e.send_id), -this.sendIdStr.push(e.send_id));
      return;
    }
    this.reaction(e.type === 'click' ? EV_CLICK : EV_REPLY, this.c.index(e.contact_id), e.ts, e.send_id, e.event_id);
  }

  /** Whether an event of this time can change anything (the fast path skips the rest of the line). */
  wants(kind: number, ts: number): boolean {
    if (ts >= this.days.asOfMs) return false;
    return kind === EV_OPT_OUT || (this.days.inWindow && ts >= this.days.windowStart);
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
      this.pushSend(i, ts, mms, fnv1aText(sendId), -this.sendIdStr.push(sendId));
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
    this.pushSend(contact, ts, mms, fnv1a(b, idS, idE), at);
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
    if (prev === undefined) this.markPending(fnv1aText(sendId));
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
    const { engagementStart, fatigueStart } = this.days;
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
      if (ts >= engagementStart) {
        c.sends30d[i]!++;
        c.answered30d[i]! += answered;
      }
      if (ts >= fatigueStart) c.sends7d[i]!++;
    }
    this.nSends = 0;
    this.sendIdStr = [];
    this.sendIdUsed = 0;
    this.days.end();
    // Keys settled today leave their bits behind: rebuild once stale bits outnumber live keys.
    if (this.filterAdds > 2 * this.pendingAnswers.size + 4096) {
      this.answerFilter.fill(0);
      this.filterAdds = 0;
      for (const id of this.pendingAnswers.keys()) this.markPending(fnv1aText(id));
    }
  }

  /** Eligible contacts (a send in the last 90 days, no opt-out before T), sorted by contact id. */
  finish(): FeatureResult {
    if (this.days.open) this.endDay();
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
      return { contact_id: ids[i]!, values: featureVector(s, this.days.asOfMs, med) };
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

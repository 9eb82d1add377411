import { dayContext, parseCrm, parseEvent, parseOrReject, parseSentiment, type DayContext, type RejectLog } from '../domain/raw';
import { asciiBytes, ByteLineSplitter, bytesEqual, CHAR, latin1, startsWith, twoDigits, type ByteLineReader } from './bytes';
import { EV_CLICK, EV_OPT_OUT, EV_REPLY, EV_SEND, type FeatureAccumulator } from './featureAccumulator';

/**
 * The raw files of ingestion, read as bytes; justified by bench:ingest. Their plain twins are the
 * parsers of domain/raw.ts (parseEvent, parseSentiment, parseCrm), which every line the fast path
 * declines goes through, so the records, counts and rejects are theirs (test/fast/rawRecords.test.ts).
 *
 * The events files: A line in the canonical serialization
 * `{"event_id":"…","contact_id":"…","campaign_id":"…","channel":"…","type":"…","ts":"…","send_id":"…"}`
 * (plain ASCII values, the partition day's `YYYY-MM-DDTHH:MM:SSZ`) goes straight to the accumulator:
 * no line string, no object, the contact found by its bytes, strings only for the ids that are kept.
 * Every other line — escapes, another key order, non-ASCII, anything invalid — takes the general path
 * (parseEvent, which validates and quarantines), so the result is the same as reading with parseEvent.
 */

const SEPS = ['{"event_id":"', '","contact_id":"', '","campaign_id":"', '","channel":"', '","type":"', '","ts":"', '","send_id":"'].map(asciiBytes);
// Module constants, not CHAR.X loads in the hot loops.
const { BACKSLASH, CLOSE_BRACE, COLON, COMMA, DOT, QUOTE, UPPER_Z, ZERO } = CHAR;

/**
 * The byte-level reader of an events file. `scan` checks a line's form and finds its values; `emit`
 * hands a scanned event to the accumulator. Both run here for a file read on one thread; with a
 * parsing thread (eventsParallel.ts) that thread scans and this one emits, from the scanned ranges.
 */
export class EventLineReader implements ByteLineReader {
  /** Set by scan: where each of the 7 values starts and ends, the event's time and channel (see ranges). */
  readonly vs = new Int32Array(7);
  readonly ve = new Int32Array(7);
  ts = 0;
  mms = false;
  readonly prefix: Uint8Array;
  count = 0;
  plain = false;

  constructor(
    private readonly acc: FeatureAccumulator | null,
    private readonly path: string,
    private readonly ctx: DayContext,
    private readonly rejects: RejectLog,
  ) {
    this.prefix = asciiBytes(ctx.prefix);
  }

  /** The fast path's checks: the event's kind (EV_*), or -1 when the line needs the general path. */
  scan(b: Uint8Array, s: number, e: number): number {
    const { vs, ve } = this;
    const plain = this.plain;
    let p = s;
    for (let f = 0; f < 7; f++) {
      const sep = SEPS[f]!;
      if (p + sep.length > e) return -1;
      for (let k = 0; k < sep.length; k++) if (b[p + k] !== sep[k]) return -1;
      p += sep.length;
      vs[f] = p;
      if (plain) {
        // The buffer was checked as a whole (one native pass): only the closing quote is left to find.
        while (p < e && b[p] !== QUOTE) p++;
      } else {
        let c: number;
        while (p < e && (c = b[p]!) !== QUOTE) {
          if (c === BACKSLASH || c >= 0x80) return -1;
          p++;
        }
      }
      if (p >= e) return -1;
      ve[f] = p;
    }
    if (p + 2 !== e || b[p + 1] !== CLOSE_BRACE) return -1;
    // event_id, contact_id non-empty.
    if (ve[0] === vs[0] || ve[1] === vs[1]) return -1;
    const ts = canonicalTime(b, vs[5]!, ve[5]!, this.prefix, this.ctx.dayStart);
    if (ts < 0) return -1;
    const ch = vs[3]!;
    if (bytesEqual(b, ch, ve[3]!, 'mms')) this.mms = true;
    else if (bytesEqual(b, ch, ve[3]!, 'sms')) this.mms = false;
    else return -1;
    const t0 = vs[4]!;
    const t1 = ve[4]!;
    let kind: number;
    if (bytesEqual(b, t0, t1, 'send')) {
      kind = EV_SEND;
      if (ve[2] === vs[2]) return -1; // a send needs its campaign
    } else if (bytesEqual(b, t0, t1, 'click')) kind = EV_CLICK;
    else if (bytesEqual(b, t0, t1, 'reply')) kind = EV_REPLY;
    else if (bytesEqual(b, t0, t1, 'opt_out')) kind = EV_OPT_OUT;
    else return -1;
    if (ve[6] === vs[6] && (kind === EV_CLICK || kind === EV_REPLY)) return -1;
    this.ts = ts;
    return kind;
  }

  /**
   * Where scan found what emit needs: [contact start, end, the send's own id (send_id, or event_id
   * when absent) for a send and the answered send_id for a click or reply start, end, the reply's
   * event_id start, end] (an unused range is empty).
   */
  ranges(out: Int32Array, at: number, kind: number): void {
    const { vs, ve } = this;
    const sendEmpty = ve[6] === vs[6];
    out[at] = vs[1]!;
    out[at + 1] = ve[1]!;
    const idField = kind === EV_SEND && sendEmpty ? 0 : 6;
    out[at + 2] = kind === EV_OPT_OUT ? 0 : vs[idField]!;
    out[at + 3] = kind === EV_OPT_OUT ? 0 : ve[idField]!;
    out[at + 4] = kind === EV_REPLY ? vs[0]! : 0;
    out[at + 5] = kind === EV_REPLY ? ve[0]! : 0;
  }

  /** Counts and accumulates a scanned event of b: r holds its ranges (see ranges) from r[at]. */
  emit(b: Uint8Array, kind: number, ts: number, mms: boolean, r: Int32Array, at: number): void {
    const acc = this.acc!;
    this.count++;
    if (!acc.wants(kind, ts)) return;
    const idS = r[at + 2]!;
    const idE = r[at + 3]!;
    // The send's id as bytes (a string only if an answer may be waiting); very long ids as a string.
    if (kind === EV_SEND && idE - idS <= 255) acc.addSendBytes(ts, b, r[at]!, r[at + 1]!, mms, idS, idE);
    else acc.addEventBytes(kind, ts, b, r[at]!, r[at + 1]!, mms, latin1(b, idS, idE), latin1(b, r[at + 4]!, r[at + 5]!));
  }

  private readonly own = new Int32Array(6);

  line(b: Uint8Array, s: number, e: number, lineNo: number): void {
    const kind = this.scan(b, s, e);
    if (kind >= 0) {
      this.ranges(this.own, 0, kind);
      this.emit(b, kind, this.ts, this.mms, this.own, 0);
    } else this.textLine(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('utf8'), lineNo);
  }

  /** The general path (the plain twin): validate, quarantine or add. Only ever runs where the accumulator is. */
  textLine(line: string, lineNo: number): void {
    const rec = parseOrReject(line, lineNo, this.path, this.ctx, parseEvent, this.rejects);
    if (rec === undefined) return;
    this.count++;
    this.acc!.addEvent(rec);
  }
}

/**
 * `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.fffZ` (1 to 3 fraction digits) of the context's day
 * in b[p..e): its time in ms, as Date.parse gives it; -1 for any other form (the general path decides).
 */
function canonicalTime(b: Uint8Array, p: number, e: number, pre: Uint8Array, dayStart: number): number {
  const len = e - p;
  if (len < 20 || len > 24 || len === 21 || b[e - 1] !== UPPER_Z || b[p + 13] !== COLON || b[p + 16] !== COLON) return -1;
  for (let k = 0; k < 11; k++) if (b[p + k] !== pre[k]) return -1;
  const h = twoDigits(b, p + 11);
  const m = twoDigits(b, p + 14);
  const sec = twoDigits(b, p + 17);
  if (!(h >= 0 && h < 24 && m >= 0 && m < 60 && sec >= 0 && sec < 60)) return -1;
  let ms = 0;
  if (len > 20) {
    if (b[p + 19] !== DOT) return -1;
    let scale = 100;
    for (let k = p + 20; k < e - 1; k++, scale /= 10) {
      const dgt = b[k]! - ZERO;
      if (dgt < 0 || dgt > 9) return -1;
      ms += dgt * scale;
    }
  }
  return dayStart + ((h * 60 + m) * 60 + sec) * 1000 + ms;
}

/** End of a JSON string body starting at p (the closing quote), or -1 for anything but plain printable ASCII. */
function plainString(b: Uint8Array, p: number, e: number): number {
  let c: number;
  while (p < e && (c = b[p]!) !== QUOTE) {
    if (c === BACKSLASH || c >= 0x80 || c < 0x20) return -1;
    p++;
  }
  return p < e ? p : -1;
}

const CRM_HEAD = asciiBytes('{"contact_id":"');
const CRM_RISK = asciiBytes('","opt_out_risk":');
const CRM_AT = asciiBytes(',"updated_at":"');
const CRM_PHONE = asciiBytes('","phone":"');
const CRM_NAME = asciiBytes('","name":"');
const NUMBER_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A raw file of one record kind: plain lines are read from the bytes by the subclass's `fast`, any
 * other goes through the general parser, which validates and logs the reject exactly as readRawFile.
 */
abstract class RecordLineReader<R> implements ByteLineReader {
  readonly prefix: Uint8Array;
  count = 0;

  constructor(
    protected readonly acc: FeatureAccumulator,
    private readonly path: string,
    protected readonly ctx: DayContext,
    private readonly rejects: RejectLog,
    private readonly parse: (line: string, ctx: DayContext) => R,
  ) {
    this.prefix = asciiBytes(ctx.prefix);
  }

  /** Reads and adds a plain line; false leaves the line to the general parser. */
  protected abstract fast(b: Uint8Array, s: number, e: number): boolean;
  protected abstract add(rec: R): void;

  line(b: Uint8Array, s: number, e: number, lineNo: number): void {
    if (this.fast(b, s, e)) return;
    this.textLine(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('utf8'), lineNo);
  }

  textLine(line: string, lineNo: number): void {
    const rec = parseOrReject(line, lineNo, this.path, this.ctx, this.parse, this.rejects);
    if (rec === undefined) return;
    this.count++;
    this.add(rec);
  }
}

/**
 * CRM lines `{"contact_id":"…","opt_out_risk":<number>,"updated_at":"…"[,"phone":"…","name":"…"]}` with
 * plain printable ASCII strings: exactly what JSON.parse and parseCrm would make of them. Anything else
 * takes the general path.
 */
class CrmReader extends RecordLineReader<ReturnType<typeof parseCrm>> {
  protected add(rec: ReturnType<typeof parseCrm>): void {
    this.acc.addCrm(rec);
  }

  protected fast(b: Uint8Array, s: number, e: number): boolean {
    if (!startsWith(b, s, e, CRM_HEAD)) return false;
    const c0 = s + CRM_HEAD.length;
    const c1 = plainString(b, c0, e);
    if (c1 <= c0) return false;
    if (!startsWith(b, c1, e, CRM_RISK)) return false;
    const n0 = c1 + CRM_RISK.length;
    let n1 = n0;
    while (n1 < e && b[n1] !== COMMA) n1++;
    if (n1 === n0 || n1 - n0 > 32 || !startsWith(b, n1, e, CRM_AT)) return false;
    const token = latin1(b, n0, n1);
    if (!NUMBER_RE.test(token)) return false;
    const risk = Number(token);
    if (!Number.isFinite(risk) || risk < 0 || risk > 1) return false;
    const t0 = n1 + CRM_AT.length;
    let p = plainString(b, t0, e);
    if (p < 0) return false;
    const at = canonicalTime(b, t0, p, this.prefix, this.ctx.dayStart);
    if (at < 0) return false;
    if (!(p + 2 === e && b[p + 1] === CLOSE_BRACE)) {
      if (!startsWith(b, p, e, CRM_PHONE)) return false;
      p = plainString(b, p + CRM_PHONE.length, e);
      if (p < 0 || !startsWith(b, p, e, CRM_NAME)) return false;
      p = plainString(b, p + CRM_NAME.length, e);
      if (p < 0 || p + 2 !== e || b[p + 1] !== CLOSE_BRACE) return false;
    }
    this.count++;
    this.acc.addCrmBytes(b, c0, c1, risk, at);
    return true;
  }
}

const S_HEAD = asciiBytes('{"reply_event_id":"');
const S_CONTACT = asciiBytes('","contact_id":"');
const S_TS = asciiBytes('","ts":"');
const S_VALUE = asciiBytes('","sentiment":');

/**
 * Sentiment lines `{"reply_event_id":"…","contact_id":"…","ts":"…","sentiment":<number>}` with plain
 * printable ASCII strings: what JSON.parse and parseSentiment would make of them. Anything else takes
 * the general path.
 */
class SentimentReader extends RecordLineReader<ReturnType<typeof parseSentiment>> {
  protected add(rec: ReturnType<typeof parseSentiment>): void {
    this.acc.addSentiment(rec);
  }

  protected fast(b: Uint8Array, s: number, e: number): boolean {
    if (!startsWith(b, s, e, S_HEAD)) return false;
    const r0 = s + S_HEAD.length;
    const r1 = plainString(b, r0, e);
    if (r1 <= r0 || !startsWith(b, r1, e, S_CONTACT)) return false;
    const c0 = r1 + S_CONTACT.length;
    const c1 = plainString(b, c0, e);
    if (c1 <= c0 || !startsWith(b, c1, e, S_TS)) return false;
    const t0 = c1 + S_TS.length;
    const t1 = plainString(b, t0, e);
    if (t1 < 0 || !startsWith(b, t1, e, S_VALUE)) return false;
    const ts = canonicalTime(b, t0, t1, this.prefix, this.ctx.dayStart);
    if (ts < 0) return false;
    const n0 = t1 + S_VALUE.length;
    if (e - 1 - n0 < 1 || e - 1 - n0 > 32 || b[e - 1] !== CLOSE_BRACE) return false;
    const token = latin1(b, n0, e - 1);
    if (!NUMBER_RE.test(token)) return false;
    const sentiment = Number(token);
    if (!Number.isFinite(sentiment) || sentiment < -2 || sentiment > 2) return false;
    this.count++;
    this.acc.addSentiment({ reply_event_id: latin1(b, r0, r1), contact_id: latin1(b, c0, c1), ts, sentiment });
    return true;
  }
}

/**
 * Streams one sentiment file of `day` (its chunks, e.g. lake.readStream(path)) into the accumulator,
 * as reading it with parseSentiment would. Returns the valid records.
 */
export async function readSentimentInto(
  chunks: AsyncIterable<Buffer>,
  path: string,
  day: string,
  acc: FeatureAccumulator,
  rejects: RejectLog,
): Promise<number> {
  const reader = new SentimentReader(acc, path, dayContext(day), rejects, parseSentiment);
  await splitLines(chunks, reader);
  return reader.count;
}

/** Streams one CRM file of `day` into the accumulator, as reading it with parseCrm would. Returns the valid records. */
export async function readCrmInto(chunks: AsyncIterable<Buffer>, path: string, day: string, acc: FeatureAccumulator, rejects: RejectLog): Promise<number> {
  const reader = new CrmReader(acc, path, dayContext(day), rejects, parseCrm);
  await splitLines(chunks, reader);
  return reader.count;
}

async function splitLines(chunks: AsyncIterable<Buffer>, reader: ByteLineReader): Promise<void> {
  const lines = new ByteLineSplitter(reader);
  for await (const chunk of chunks) lines.push(chunk);
  lines.end();
}

import { FEATURES, FEATURE_RANGES, N_FEATURES } from '../domain/features/schema';
import { FEATURE_FILE_COLUMNS, featureColumns, featureValueProblem, parseFeatureValue } from '../domain/features/values';
import type { FeatureRows } from '../ports/warehouse';

/**
 * Row validation for a features partition (ARCHITECTURE.md section 3: `contact_id, as_of, <7 features>`),
 * written for a million rows: no per-row objects for good rows, values parsed straight into a typed array.
 */

export const MAX_CONTACT_ID = 64;
const REQUIRED = FEATURE_FILE_COLUMNS;

/** Column positions by name (header order is free, each column once); throws naming what is wrong. */
export function headerIndex(header: string[], where: string): number[] {
  return featureColumns(header, where);
}

/** Splits one CSV line; quoted fields (RFC 4180) take the slow path. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

let lastValidDate = '';

/** A real calendar date YYYY-MM-DD. A partition repeats one date a million times: remember the last. */
function validDate(s: string): boolean {
  if (s === lastValidDate) return true;
  if (!DATE_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s) return false;
  lastValidDate = s;
  return true;
}

/**
 * Validates one row's fields into x[at..at+7); returns undefined when valid, else the reason
 * (naming the column and the value).
 */
export function validateRow(fields: string[], index: number[], expectedAsOf: string | null, x: Float64Array, at: number): string | undefined {
  if (fields.length < REQUIRED.length) return `expected at least ${REQUIRED.length} fields, got ${fields.length}`;
  const contactId = fields[index[0]!]!;
  if (contactId.length === 0) return 'contact_id: empty';
  if (contactId.length > MAX_CONTACT_ID) return `contact_id: longer than ${MAX_CONTACT_ID} characters`;
  const asOf = fields[index[1]!]!;
  if (!validDate(asOf)) return `as_of: '${asOf}' is not a date YYYY-MM-DD`;
  if (expectedAsOf !== null && asOf !== expectedAsOf) return `as_of: ${asOf} differs from the partition date ${expectedAsOf}`;
  for (let j = 0; j < N_FEATURES; j++) {
    const raw = fields[index[j + 2]!]!;
    const v = parseFeatureValue(raw);
    const problem = featureValueProblem(FEATURES[j]!, raw, v);
    if (problem !== undefined) return problem;
    x[at + j] = v;
  }
  return undefined;
}

/**
 * Contact ids seen so far, as two independent 32-bit hashes in one open-addressing table of 8-byte
 * slots (a zero first hash marks a free slot; a real zero is stored as 1): no retained string. A false
 * "duplicate" needs both hashes to collide (about n²/2⁶⁵, 3·10⁻⁸ for a million contacts). Sized once
 * from the expected number of contacts (`expected`, about 11 bytes each), it grows only when more
 * arrive, at most 7/10 full.
 */
export class ContactIdSet {
  private slots: Uint32Array;
  /** Number of slots; a slot index is (hash × cap) >>> 32, so cap need not be a power of two. */
  private cap: number;
  private count = 0;

  constructor(expected = 1 << 15) {
    this.cap = Math.max(16, Math.ceil(expected / 0.7));
    this.slots = new Uint32Array(this.cap * 2);
  }

  get size(): number {
    return this.count;
  }

  /** Adds the id; false when it was already there. */
  add(id: string): boolean {
    const bytes = Buffer.from(id, 'utf8');
    return this.addBytes(bytes, 0, bytes.length);
  }

  /** Adds the id whose UTF-8 bytes are buf[from, to) (the same id as add(its text)). */
  addBytes(buf: Uint8Array, from: number, to: number): boolean {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = from; i < to; i++) {
      const c = buf[i]!;
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    a = a >>> 0 || 1;
    b = (b ^ (b >>> 13)) >>> 0;
    return this.insert(a, b);
  }

  private insert(a: number, b: number): boolean {
    if ((this.count + 1) * 10 > this.cap * 7) this.grow();
    const slots = this.slots;
    const cap = this.cap;
    // The slot from the high bits of a mix of both hashes (multiply-shift, in two 16-bit halves so the
    // product stays exact in a double).
    const h = (a ^ Math.imul(b, 0x27d4eb2d)) >>> 0;
    let s = Math.floor(((h >>> 16) * cap + (((h & 0xffff) * cap) >>> 16)) / 65536);
    for (; ; s = s + 1 === cap ? 0 : s + 1) {
      const at = s * 2;
      const x = slots[at]!;
      if (x === 0) {
        slots[at] = a;
        slots[at + 1] = b;
        this.count++;
        return true;
      }
      if (x === a && slots[at + 1] === b) return false;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.cap *= 2;
    this.slots = new Uint32Array(this.cap * 2);
    this.count = 0;
    for (let at = 0; at < old.length; at += 2) if (old[at] !== 0) this.insert(old[at]!, old[at + 1]!);
  }
}

const LO = new Float64Array(FEATURES.map((f) => FEATURE_RANGES[f][0]));
const HI = new Float64Array(FEATURES.map((f) => FEATURE_RANGES[f][1]));
const MAX_FIELDS = 256;

const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** Dekker's splitter 2^27 + 1: splits a double into two 26-bit halves whose products are exact. */
const SPLITTER = 134217729;
/** How far the double-double quotient may be from a rounding boundary, relative to it: 2^-90. */
const MARGIN = 2 ** -90;
let productLow = 0;

/** a·b = result + productLow exactly (Dekker's TwoProduct; JavaScript has no fused multiply-add). */
function twoProduct(a: number, b: number): number {
  const p = a * b;
  const ca = SPLITTER * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLITTER * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  productLow = ah * bh - p + ah * bl + al * bh + al * bl;
  return p;
}

/**
 * buf[a, b) as `[-+]digits[.digits]` with at most 22 significant digits and at most 22 after the
 * point, read to exactly the double Number(text) gives — without a string. NaN for anything else, and
 * for the rare value too close to a rounding boundary to decide here.
 *
 * The digits, as one integer M, split into H (the first 15 significant digits) and L (up to 7 more).
 * - At most 15 digits: M and 10^e are exact doubles, so M / 10^e is correctly rounded (Clinger's
 *   fast path).
 * - More (a double printed in full has 16-17): M = H·10^k + L is formed exactly as a double-double,
 *   divided by 10^e with an exact remainder, giving q1 + q2 within about 2^-100·q1 of the true quotient.
 *   The true quotient rounds to fl(q1 + q2) when q1 + q2 ± 2^-90·q1 round to the same double (rounding
 *   is monotonic); otherwise it is near a halfway point (about 2^-37 of values) and the caller asks
 *   V8's parser.
 */
export function plainDecimal(buf: Uint8Array, a: number, b: number): number {
  let i = a;
  let negative = false;
  if (i < b && (buf[i] === 45 || buf[i] === 43)) negative = buf[i++] === 45;
  let high = 0;
  let low = 0;
  let lowDigits = 0;
  let significant = 0;
  let digits = 0;
  let frac = -1;
  for (; i < b; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) {
      digits++;
      if (significant === 0 && c === 48) continue; // leading zeros add nothing to M
      if (significant < 15) high = high * 10 + (c - 48);
      else if (significant < 22) {
        low = low * 10 + (c - 48);
        lowDigits++;
      } else return NaN;
      significant++;
    } else if (c === 46 && frac < 0) frac = digits;
    else return NaN;
  }
  if (digits === 0) return NaN;
  const e = frac < 0 ? 0 : digits - frac;
  if (e > 22) return NaN;
  let v: number;
  if (lowDigits === 0) v = e === 0 ? high : high / POW10[e]!;
  else {
    const mh = twoProduct(high, POW10[lowDigits]!);
    const ml = productLow;
    const sum = mh + low; // TwoSum(mh, low): sum + err = mh + low exactly
    const bv = sum - mh;
    const err = mh - (sum - bv) + (low - bv);
    const lo = err + ml;
    const d = POW10[e]!;
    const q1 = sum / d;
    const t = twoProduct(q1, d);
    const q2 = (sum - t - productLow + lo) / d; // sum - t is exact (Sterbenz): the remainder
    v = q1 + q2;
    const margin = q1 * MARGIN;
    if (q1 + (q2 - margin) !== v || q1 + (q2 + margin) !== v) return NaN;
  }
  return negative ? -v : v;
}

/**
 * The byte-level fast path of validateRow for a plain line (no quotes, ASCII contact id, every value a
 * plain decimal inside its range, as_of equal to the partition date): values go straight from the
 * bytes into x, with no string per field. Returns true for a valid plain row, false for anything
 * else — the caller then runs the line through splitCsvLine + validateRow, which decide (and name
 * the reason) exactly as before. parseDecimal gives the value Number(text) gives, so a row is
 * scored the same whichever path read it.
 */
export class FastRowReader {
  private readonly commas = new Int32Array(MAX_FIELDS);
  private readonly date: Uint8Array | null;
  private readonly need: number;

  constructor(
    private readonly index: number[],
    expectedAsOf: string | null,
  ) {
    // Only a real calendar date can match on the fast path (validateRow rejects e.g. 2026-02-30).
    this.date = expectedAsOf === null || !validDate(expectedAsOf) ? null : Buffer.from(expectedAsOf, 'latin1');
    this.need = Math.max(...index) + 1;
  }

  /** Where the last row read's contact id is: buf[idStart, idEnd). */
  idStart = 0;
  idEnd = 0;

  /** Reads one plain row into x[at..]; true when it is one (its id is then buf[idStart, idEnd)). */
  read(buf: Buffer, start: number, end: number, x: Float64Array, at: number): boolean {
    const commas = this.commas;
    let n = 0;
    commas[n++] = start - 1;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c === 44) {
        if (n === MAX_FIELDS) return false;
        commas[n++] = i;
      } else if (c === 34) return false;
    }
    if (n < this.need || n < REQUIRED.length) return false;
    commas[n] = end;
    const index = this.index;
    const idField = index[0]!;
    const idStart = commas[idField]! + 1;
    const idEnd = commas[idField + 1]!;
    if (idEnd <= idStart || idEnd - idStart > MAX_CONTACT_ID) return false;
    for (let i = idStart; i < idEnd; i++) if (buf[i]! >= 0x80) return false;
    const date = this.date;
    if (date === null) return false;
    const dField = index[1]!;
    const dStart = commas[dField]! + 1;
    if (commas[dField + 1]! - dStart !== date.length) return false;
    for (let k = 0; k < date.length; k++) if (buf[dStart + k] !== date[k]) return false;
    for (let j = 0; j < N_FEATURES; j++) {
      const f = index[j + 2]!;
      const a = commas[f]! + 1;
      const b = commas[f + 1]!;
      // A plain decimal is read exactly without allocating; anything else (an exponent, a value near a
      // rounding boundary) is read by parseFeatureValue, as validateRow reads it.
      let v = plainDecimal(buf, a, b);
      if (v !== v) v = parseFeatureValue(buf.toString('latin1', a, b));
      // NaN fails both comparisons' negation: any non-plain or out-of-range value takes the slow path.
      if (!(v >= LO[j]! && v <= HI[j]!)) return false;
      x[at + j] = v;
    }
    this.idStart = idStart;
    this.idEnd = idEnd;
    return true;
  }
}

/** The most UTF-8 bytes a valid contact id takes (MAX_CONTACT_ID UTF-16 units, at most 3 bytes each). */
const MAX_ID_BYTES = MAX_CONTACT_ID * 3;

/**
 * FeatureRows being filled, reused chunk after chunk: contact ids as bytes in one buffer, features in
 * a typed array. A million rows cost no per-row string or object. A shared one (on SharedArrayBuffers)
 * is read by other threads in place, with no copy; its id bytes do not grow, so it is full a row early
 * when one more id of the longest kind might not fit.
 */
export class RowBuffer {
  n = 0;
  ids: Buffer;
  private used = 0;
  readonly idEnds: Uint32Array;
  readonly x: Float64Array;

  constructor(
    readonly capacity: number,
    readonly shared = false,
  ) {
    const idBytes = Math.max(MAX_ID_BYTES, capacity * 12);
    this.ids = shared ? Buffer.from(new SharedArrayBuffer(idBytes)) : Buffer.allocUnsafe(idBytes);
    this.idEnds = shared ? new Uint32Array(new SharedArrayBuffer(capacity * 4)) : new Uint32Array(capacity);
    this.x = shared ? new Float64Array(new SharedArrayBuffer(capacity * N_FEATURES * 8)) : new Float64Array(capacity * N_FEATURES);
  }

  /** No room for another row. */
  get full(): boolean {
    return this.n === this.capacity || (this.shared && this.used + MAX_ID_BYTES > this.ids.length);
  }

  private room(bytes: number): void {
    if (this.used + bytes <= this.ids.length) return;
    if (this.shared) throw new Error('RowBuffer: a shared buffer is full (check full before adding)');
    const bigger = Buffer.allocUnsafe(Math.max(this.ids.length * 2, this.used + bytes));
    this.ids.copy(bigger, 0, 0, this.used);
    this.ids = bigger;
  }

  /** Ends row n with the id bytes buf[a, b) (its features already in x). */
  pushBytes(buf: Uint8Array, a: number, b: number): void {
    this.room(b - a);
    // A byte loop: ids are short, and a subarray view per row costs more than the copy.
    const ids = this.ids;
    let o = this.used;
    for (let i = a; i < b; i++) ids[o++] = buf[i]!;
    this.used = o;
    this.idEnds[this.n++] = o;
  }

  pushString(id: string): void {
    this.room(Buffer.byteLength(id, 'utf8'));
    this.used += this.ids.write(id, this.used, 'utf8');
    this.idEnds[this.n++] = this.used;
  }

  reset(): void {
    this.n = 0;
    this.used = 0;
  }

  /** The rows as a FeatureRows view (valid until the next reset). */
  rows(): FeatureRows {
    return { n: this.n, ids: this.ids.subarray(0, this.used), idEnds: this.idEnds.subarray(0, this.n), x: this.x.subarray(0, this.n * N_FEATURES) };
  }
}

/** Whether `rows` lives on shared memory (other threads may read it in place). */
export function isShared(rows: FeatureRows): boolean {
  return rows.x.buffer instanceof SharedArrayBuffer && rows.ids.buffer instanceof SharedArrayBuffer && rows.idEnds.buffer instanceof SharedArrayBuffer;
}

/**
 * A ring of shared RowBuffers: the reader fills one while the consumers (the warehouse's loader, the
 * export) read the ones handed over. A buffer is reused once every consumer of it is done, so memory
 * is these buffers whatever the partition's size, with no copy and no garbage per chunk.
 */
export class RowRing {
  private readonly slots: { rows: RowBuffer; done: Promise<void> | null }[];
  private k = 0;

  constructor(size: number, capacity: number) {
    this.slots = Array.from({ length: size }, () => ({ rows: new RowBuffer(capacity, true), done: null }));
  }

  get current(): RowBuffer {
    return this.slots[this.k]!.rows;
  }

  /** Hands the current buffer to `consumed` (settled when its consumers are done) and returns the next free one. */
  async next(consumed: Promise<unknown>): Promise<RowBuffer> {
    const slot = this.slots[this.k]!;
    slot.done = consumed.then(() => undefined);
    slot.done.catch(() => undefined); // observed when the slot comes round again, or by drain
    this.k = (this.k + 1) % this.slots.length;
    const free = this.slots[this.k]!;
    if (free.done) await free.done;
    free.done = null;
    free.rows.reset();
    return free.rows;
  }

  /** Waits for every consumer; throws the first failure. */
  async drain(): Promise<void> {
    for (const s of this.slots) if (s.done) await s.done;
  }
}

/** Contact id i of `rows` as a string. */
export function contactIdOf(rows: FeatureRows, i: number): string {
  return Buffer.from(rows.ids.buffer, rows.ids.byteOffset, rows.ids.byteLength).toString('utf8', i === 0 ? 0 : rows.idEnds[i - 1], rows.idEnds[i]);
}

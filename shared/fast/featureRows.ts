import { FEATURES, FEATURE_RANGES, N_FEATURES } from '../domain/features/schema';
import { FEATURE_FILE_COLUMNS } from '../domain/features/values';
import { isValidAsOf, MAX_CONTACT_ID, type FeatureRows } from '../domain/features/rows';
import { CHAR } from './bytes';
import { scanDecimal, scanned } from './decimal';

// Module constants, not CHAR.X loads in the hot loops.
const { COMMA, QUOTE } = CHAR;

/*
 * Feature rows as bytes: a plain line read straight into a typed array, and the row blocks the
 * reading thread hands to the warehouse's loader and the export's thread in shared memory.
 * Justified by bench:score (a million rows: no string or object per row).
 */

const LO = new Float64Array(FEATURES.map((f) => FEATURE_RANGES[f][0]));
const HI = new Float64Array(FEATURES.map((f) => FEATURE_RANGES[f][1]));
const MAX_FIELDS = 256;

/**
 * The byte-level fast path of validateRow for a plain line (no quotes, ASCII contact id, every value a
 * plain decimal inside its range, as_of equal to the partition date): values go straight from the
 * bytes into x, with no string per field. Returns true for a valid plain row, false for anything
 * else — the caller then runs the line through splitCsvLine + validateRow (its plain twin, in
 * domain/features/rows.ts), which decide and name the reason. scanDecimal gives the value
 * parseFeatureValue gives, so a row is scored the same whichever path read it.
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
    this.date = expectedAsOf === null || !isValidAsOf(expectedAsOf) ? null : Buffer.from(expectedAsOf, 'latin1');
    this.need = Math.max(...index) + 1;
  }

  /** Where the last row read's contact id is: buf[idStart, idEnd). */
  idStart = 0;
  idEnd = 0;

  /** Reads one plain row into x[at..]; true when it is one (its id is then buf[idStart, idEnd)). */
  read(buf: Uint8Array, start: number, end: number, x: Float64Array, at: number): boolean {
    const commas = this.commas;
    let n = 0;
    commas[n++] = start - 1;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c === COMMA) {
        if (n === MAX_FIELDS) return false;
        commas[n++] = i;
      } else if (c === QUOTE) return false;
    }
    if (n < this.need || n < FEATURE_FILE_COLUMNS.length) return false;
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
      // Read exactly without allocating, by the one exact reader's single pass; a value it does not
      // decide (NaN), or anything after the number, sends the row to validateRow and the plain twin.
      const v = scanDecimal(buf, a, b);
      if (scanned.end !== b) return false;
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

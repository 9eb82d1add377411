import { isAscii } from 'node:buffer';

/**
 * The byte toolkit every reader and writer in fast/ is built from: named character codes, the one
 * line splitter, a growable byte buffer and the one hash (FNV-1a, defined in domain/hash.ts).
 * Justified by every benchmark that reads a file: bench:ingest, bench:score and bench:train read
 * lines as byte ranges, never as strings.
 */

export const CHAR = {
  LF: 10,
  CR: 13,
  QUOTE: 34,
  PLUS: 43,
  COMMA: 44,
  MINUS: 45,
  DOT: 46,
  ZERO: 48,
  NINE: 57,
  COLON: 58,
  UPPER_E: 69,
  UPPER_Z: 90,
  BACKSLASH: 92,
  LOWER_E: 101,
  CLOSE_BRACE: 125,
} as const;

// The hash is imported from domain/hash.ts itself, never re-exported here: a re-export is an accessor
// on this module's exports object, which slowed every CHAR load of the hot loops (bench:train).

/** b[s..e) as a string of its bytes, one character each (for ASCII: the text itself). */
export function latin1(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let k = s; k < e; k++) out += String.fromCharCode(b[k]!);
  return out;
}

/** Whether b[s..e) is exactly the ASCII `word`. */
export function bytesEqual(b: Uint8Array, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[s + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** The ASCII text as bytes. */
export function asciiBytes(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

/** Whether b[p..] starts with `word`. */
export function startsWith(b: Uint8Array, p: number, e: number, word: Uint8Array): boolean {
  if (p + word.length > e) return false;
  for (let k = 0; k < word.length; k++) if (b[p + k] !== word[k]) return false;
  return true;
}

/** Two decimal digits at b[i], or -1. */
export function twoDigits(b: Uint8Array, i: number): number {
  const x = b[i]! - CHAR.ZERO;
  const y = b[i + 1]! - CHAR.ZERO;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

/**
 * Bytes appended at the end, growing by doubling: the one growable buffer (contact id bytes, kept
 * send ids, a thread's tail of cut lines, an export part being formatted).
 */
export class GrowableBytes {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Room for `more` bytes after `length` (the buffer may be replaced: read `bytes` again after). */
  reserve(more: number): Uint8Array {
    if (this.length + more > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.length + more));
      bigger.set(this.bytes.subarray(0, this.length));
      this.bytes = bigger;
    }
    return this.bytes;
  }

  /** Appends b[s..e); returns where it starts. */
  append(b: Uint8Array, s: number, e: number): number {
    const at = this.length;
    const out = this.reserve(e - s);
    // A byte loop: the ranges are short, and a subarray view per call costs more than the copy.
    for (let k = s, o = at; k < e; k++, o++) out[o] = b[k]!;
    this.length = at + (e - s);
    return at;
  }

  /** A copy of what was appended. */
  copy(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}

/** Line ends (LF) in b[from..]. */
export function countLines(b: Buffer, from = 0): number {
  let n = 0;
  for (let i = b.indexOf(CHAR.LF, from); i !== -1; i = b.indexOf(CHAR.LF, i + 1)) n++;
  return n;
}

/** Where the lines of a file go: complete lines as byte ranges, the last unterminated one as text. */
export interface ByteLineReader {
  /** When defined, set per buffer before its lines: no byte of it is a backslash or above 0x7f. */
  plain?: boolean;
  /**
   * A line without its LF (and CR): b[s..e), numbered from 1; blank lines are skipped. Returning
   * true pauses the splitter after this line (the reader must wait, e.g. for room); resume() goes on.
   */
  line(b: Uint8Array, s: number, e: number, lineNo: number): boolean | void;
  /** A line as text: the file's last line when it has no LF, decoded as UTF-8. */
  textLine(line: string, lineNo: number): void;
}

/**
 * The one line splitter: a file's chunks in, its lines out to the reader, in order; push each chunk,
 * then end. Lines are read where they lie in the chunk; only a line cut by a chunk boundary is
 * copied. The lines are those of a text split at LF, a CR before the LF dropped, blank lines skipped.
 * A reader may pause it (see ByteLineReader.line): push and resume then answer false until every
 * line of the chunk has been handed over, and the chunk must stay intact until then.
 */
export class ByteLineSplitter {
  private carry: Buffer | null = null;
  private lineNo = 0;
  private paused: { b: Buffer; start: number; next: Buffer | null; nextStart: number } | null = null;

  constructor(private readonly reader: ByteLineReader) {}

  /** Lines seen so far (blank ones included). */
  get lines(): number {
    return this.lineNo;
  }

  /** Hands over the lines of b from `start`, then those of `next` from `nextStart`; false when paused. */
  private run(b: Buffer, start: number, next: Buffer | null, nextStart: number): boolean {
    const reader = this.reader;
    if (reader.plain !== undefined) reader.plain = isAscii(b) && b.indexOf(CHAR.BACKSLASH) === -1;
    let nl: number;
    while ((nl = b.indexOf(CHAR.LF, start)) !== -1) {
      const end = nl > start && b[nl - 1] === CHAR.CR ? nl - 1 : nl;
      this.lineNo++;
      const s = start;
      start = nl + 1;
      if (end > s && reader.line(b, s, end, this.lineNo) === true) {
        this.paused = { b, start, next, nextStart };
        return false;
      }
    }
    if (next) return this.run(next, nextStart, null, 0);
    // A copy: the chunk may be reused (Lake.scan) or handed to another thread once pushed.
    this.carry = start < b.length ? Buffer.from(b.subarray(start)) : null;
    return true;
  }

  /** A chunk of the file (a Buffer: its indexOf is the native byte search). False: paused, resume() later. */
  push(chunk: Buffer): boolean {
    if (this.paused) throw new Error('internal: ByteLineSplitter.push while paused (resume first)');
    if (!this.carry) return this.run(chunk, 0, null, 0);
    const nl = chunk.indexOf(CHAR.LF);
    if (nl === -1) {
      this.carry = Buffer.concat([this.carry, chunk]);
      return true;
    }
    const joined = Buffer.concat([this.carry, chunk.subarray(0, nl + 1)]);
    this.carry = null;
    return this.run(joined, 0, chunk, nl + 1);
  }

  /** Goes on after a pause; false when paused again. */
  resume(): boolean {
    const p = this.paused;
    if (!p) return true;
    this.paused = null;
    return this.run(p.b, p.start, p.next, p.nextStart);
  }

  /** The last line, when it has no LF. */
  end(): void {
    if (this.paused) throw new Error('internal: ByteLineSplitter.end while paused (resume first)');
    const rest = this.carry ? this.carry.toString('utf8') : '';
    this.carry = null;
    if (rest.trim().length > 0) this.reader.textLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest, this.lineNo + 1);
  }
}

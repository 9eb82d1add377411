import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseRows, readLayout, type CsvLayout, type ParsedRows, type ReadOptions } from './numericCsv';

/**
 * The numeric CSV reader over a file read in blocks: the file itself is never held in memory (a
 * million-row training file is ~60 MB), and two threads can each read and parse their own byte
 * range of the same file. Justified by bench:train.
 */

const LF = 10;
/** Bytes read at a time; a line longer than this makes the block grow. */
const BLOCK = 1 << 22;

/** Opens `file`; the error names the file and the reason, as every read error here does. */
export function openCsv(file: string): { fd: number; size: number } {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    return { fd, size: fstatSync(fd).size };
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    throw readError(file, err);
  }
}

function readError(file: string, err: unknown): Error {
  return new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
}

function readAt(fd: number, file: string, buf: Uint8Array, offset: number, length: number, position: number): number {
  try {
    return readSync(fd, buf, offset, length, position);
  } catch (err) {
    throw readError(file, err);
  }
}

/** Reads bytes [position, …) until `stop` says it has seen enough or the file ends; returns them. */
function readUntil(fd: number, file: string, position: number, size: number, stop: (bytes: Uint8Array) => boolean): Uint8Array {
  let buf = Buffer.allocUnsafe(Math.min(1 << 16, Math.max(1, size - position)));
  let len = 0;
  while (position + len < size) {
    if (len === buf.length) {
      const grown = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(grown, 0, 0, len);
      buf = grown;
    }
    const r = readAt(fd, file, buf, len, Math.min(buf.length - len, size - position - len), position + len);
    if (r === 0) break;
    len += r;
    if (stop(buf.subarray(0, len))) break;
  }
  return buf.subarray(0, len);
}

/** The header's layout (reading only as far as the first line break). */
export function readCsvLayout(fd: number, size: number, options: ReadOptions): CsvLayout {
  return readLayout(
    readUntil(fd, options.file, 0, size, (b) => b.includes(LF)),
    options,
  );
}

/** Where the first line starting at or after byte `at` begins, or null when no line does. */
export function lineStartAtOrAfter(fd: number, file: string, size: number, at: number): number | null {
  if (at <= 0) return 0;
  // A line starts at `at` exactly when the byte before it is a line break.
  const bytes = readUntil(fd, file, at - 1, size, (b) => b.includes(LF));
  const lf = bytes.indexOf(LF);
  return lf < 0 || at + lf >= size ? null : at + lf;
}

/**
 * parseRows over the file's bytes [from, to) (`from` at a line start, `to` at a line start or the
 * end), block by block: each block is parsed up to its last line break and the partial line is
 * carried into the next, so rows, line numbers and errors are those of one pass over the range.
 */
export function parseFileRows(
  fd: number,
  from: number,
  to: number,
  layout: CsvLayout,
  file: string,
  firstLine: number,
  x: Float64Array,
  y: Uint8Array,
  rowOffset: number,
): ParsedRows {
  let block = Buffer.allocUnsafe(Math.min(BLOCK, Math.max(1, to - from)));
  let carry = 0;
  let position = from;
  let n = 0;
  let lines = 0;
  while (position < to) {
    if (carry === block.length) {
      const grown = Buffer.allocUnsafe(block.length * 2);
      block.copy(grown, 0, 0, carry);
      block = grown;
    }
    const r = readAt(fd, file, block, carry, Math.min(block.length - carry, to - position), position);
    if (r === 0) break; // the file shrank: parse what we have
    position += r;
    const len = carry + r;
    const end = position >= to ? len : block.lastIndexOf(LF, len - 1) + 1;
    if (end > 0) {
      const part = parseRows(block, 0, end, layout, file, firstLine + lines, x, y, rowOffset + n);
      n += part.n;
      lines += part.lines;
    }
    carry = len - end;
    block.copy(block, 0, end, len);
  }
  if (carry > 0) {
    const part = parseRows(block, 0, carry, layout, file, firstLine + lines, x, y, rowOffset + n);
    n += part.n;
    lines += part.lines;
  }
  return { n, lines };
}

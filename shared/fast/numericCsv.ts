import { FEATURES, FEATURE_RANGES, LABEL_COLUMN, N_FEATURES } from '../domain/features/schema';
import { clip, featureValueProblem } from '../domain/features/values';
import type { Dataset } from '../domain/model/dataset';
import { CHAR } from './bytes';
import { readDecimal, scanDecimal, scanned } from './decimal';

/**
 * A reader for the numeric CSVs the trainer consumes (the 7 features and `label`, any column order,
 * extra columns ignored). It parses bytes straight into typed arrays instead of building a string
 * per field: a general CSV library spends most of a million-row file allocating strings, and
 * bench:train has to beat pandas' C parser. Its plain twin is csv-parse with parseFeatureValue. Anything unusual (quotes in an ignored column,
 * CRLF, a BOM, blank lines) is still handled; any bad value is an error naming file, line and column.
 * A feature value must also lie in its documented range (FEATURE_RANGES) and recency_days must be a
 * whole number of days: the rules of the lake's quality gate, so a file the gate would refuse cannot
 * train a model either.
 */
export class CsvInputError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: string | null,
    readonly detail: string,
  ) {
    super(`${file}:${line}${column ? ` column '${column}'` : ''}: ${detail}`);
    this.name = 'CsvInputError';
  }
}

const { COMMA, LF, CR, QUOTE } = CHAR;

/** FEATURE_RANGES by canonical index, for the byte loop. */
const LO = Float64Array.from(FEATURES, (f) => FEATURE_RANGES[f][0]);
const HI = Float64Array.from(FEATURES, (f) => FEATURE_RANGES[f][1]);
/** The one feature that counts whole days (the quality gate's `types` rule). */
const RECENCY = FEATURES.indexOf('recency_days');

const [LO0, LO1, LO2, LO3, LO4, LO5, LO6] = LO as unknown as number[] as [number, number, number, number, number, number, number];
const [HI0, HI1, HI2, HI3, HI4, HI5, HI6] = HI as unknown as number[] as [number, number, number, number, number, number, number];

if (N_FEATURES !== 7 || RECENCY !== 0) throw new Error('numericCsv: inRange is written for 7 features with recency_days first');

/**
 * Row `base` of x lies in every range and counts whole days: the byte loop's check, on a row it has
 * finished (cheaper there than per field, and it leaves the loop itself as it was).
 */
function inRange(x: Float64Array, base: number): boolean {
  const r = x[base]!;
  return (
    r >= LO0 &&
    r <= HI0 &&
    r === Math.floor(r) &&
    x[base + 1]! >= LO1 &&
    x[base + 1]! <= HI1 &&
    x[base + 2]! >= LO2 &&
    x[base + 2]! <= HI2 &&
    x[base + 3]! >= LO3 &&
    x[base + 3]! <= HI3 &&
    x[base + 4]! >= LO4 &&
    x[base + 4]! <= HI4 &&
    x[base + 5]! >= LO5 &&
    x[base + 5]! <= HI5 &&
    x[base + 6]! >= LO6 &&
    x[base + 6]! <= HI6
  );
}

/**
 * Why value `v` (read from `text`) is not a valid value of feature k, or undefined: the range in
 * featureValueProblem's words (the column is already in the CsvInputError), then the whole-days rule
 * in the quality gate's.
 */
export function featureProblem(k: number, text: string, v: number): string | undefined {
  const name = FEATURES[k]!;
  const problem = featureValueProblem(name, text, v);
  if (problem !== undefined) return problem.startsWith(`${name}: `) ? problem.slice(name.length + 2) : problem;
  if (k === RECENCY && !Number.isInteger(v)) return `${clip(text)} is not a whole number of days`;
  return undefined;
}

function fieldText(buf: Uint8Array, start: number, end: number): string {
  const text = Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8');
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function describeBad(text: string): string {
  const t = text.trim().toLowerCase();
  if (t === '') return 'empty value';
  if (t === 'nan' || t === '-nan' || t === 'na' || t === 'null') return `value '${text}' is NaN or missing`;
  if (/^[-+]?(inf|infinity)$/.test(t) || /^[-+]?\d+(\.\d*)?e\d{3,}$/.test(t)) return `value '${text}' is infinite`;
  return `value '${text}' is not a number`;
}

export interface ReadOptions {
  /** Name used in messages (the path the user gave). */
  file: string;
  /** Require and read the `label` column (0 or 1). */
  labelled: boolean;
  /** A header without rows is an empty dataset rather than an error (a day with no eligible contact). */
  allowEmpty?: boolean;
}

/** Where the wanted columns sit in a file, from its header line. */
export interface CsvLayout {
  header: string[];
  /** slot[c] = where column c goes: 0..6 a feature, 7 the label, -1 ignored. */
  slot: Int8Array;
  /** Byte offset of the first data line. */
  dataStart: number;
}

/** Reads the header (after an optional BOM); errors when the file is empty or a wanted column is missing. */
export function readLayout(buf: Uint8Array, options: ReadOptions): CsvLayout {
  const { file, labelled } = options;
  let pos = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
  if (buf.length - pos === 0) throw new CsvInputError(file, 1, null, 'the file is empty');
  let headerEnd = buf.indexOf(LF, pos);
  if (headerEnd < 0) headerEnd = buf.length;
  const headerText = Buffer.from(buf.buffer, buf.byteOffset + pos, headerEnd - pos)
    .toString('utf8')
    .replace(/\r$/, '');
  const header = headerText.split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
  const wanted: string[] = [...FEATURES, ...(labelled ? [LABEL_COLUMN] : [])];
  const slot = new Int8Array(header.length).fill(-1);
  wanted.forEach((name, k) => {
    const c = header.indexOf(name);
    if (c < 0) throw new CsvInputError(file, 1, name, `missing column (header has: ${clip(header.join(', '), 200)})`);
    if (header.indexOf(name, c + 1) >= 0) throw new CsvInputError(file, 1, name, 'column appears twice');
    slot[c] = k;
  });
  return { header, slot, dataStart: headerEnd + 1 };
}

/**
 * An upper bound on the data rows in `bytes` bytes: a row holds at least one character per wanted
 * field and a separator per column. Sizing arrays by it avoids a counting pass; pages never written
 * are never touched, so the slack costs address space, not memory.
 */
export function rowCapacity(bytes: number, layout: CsvLayout): number {
  let wanted = 0;
  for (let c = 0; c < layout.slot.length; c++) if (layout.slot[c]! >= 0) wanted++;
  return Math.floor(bytes / Math.max(1, wanted + layout.header.length - 1)) + 1;
}

export interface ParsedRows {
  /** Data rows written. */
  n: number;
  /** Lines consumed, blank ones included (for numbering the lines of a following chunk). */
  lines: number;
}

/**
 * Parses the lines in buf[from, to) (`from` at a line start, `to` after a line break or at the end)
 * into rows rowOffset, rowOffset+1, … of x (row-major, canonical feature order) and y. `firstLine`
 * is the line number errors give the first line.
 *
 * The common line — decimals, no quotes, the header's field count — is parsed in one byte loop; any
 * other line is re-read by the general code, which handles quotes, CRLF, blank lines and names the
 * line and column of a bad value. Both read numbers with the one exact reader (scanDecimal is
 * exactDecimal's single pass; readDecimal adds the twin), so they read the same value.
 */
export function parseRows(
  buf: Uint8Array,
  from: number,
  to: number,
  layout: CsvLayout,
  file: string,
  firstLine: number,
  x: Float64Array,
  y: Uint8Array,
  rowOffset: number,
): ParsedRows {
  const { header, slot } = layout;
  const nCols = header.length;
  const last = nCols - 1;
  let n = rowOffset;
  let line = firstLine - 1;
  let pos = from;
  while (pos < to) {
    line++;
    const rowBase = n * N_FEATURES;
    let i = pos;
    let simple = true;
    for (let c = 0; c < nCols && simple; c++) {
      const k = slot[c]!;
      let b: number;
      if (k < 0) {
        if (buf[i] === QUOTE) {
          simple = false;
          break;
        }
        b = i < to ? buf[i]! : LF;
        while (b !== COMMA && b !== LF) b = ++i < to ? buf[i]! : LF;
      } else {
        // The value and the field's end in one pass of the exact decimal reader; a value it does not
        // decide (NaN) sends the line to the general code, which asks readDecimal.
        const v = scanDecimal(buf, i, to);
        i = scanned.end;
        b = i < to ? buf[i]! : LF;
        if (v !== v) {
          simple = false;
          break;
        }
        if (k < N_FEATURES) x[rowBase + k] = v;
        else if (v === 0 || v === 1) y[n] = v;
        else simple = false;
      }
      // After a field: a comma unless it is the last one, which ends the line (LF, CRLF or the end).
      if (c < last) {
        if (b !== COMMA) simple = false;
        else i++;
      } else if (b === CR && buf[i + 1] === LF && i + 1 < to) i++;
      else if (b !== LF) simple = false;
    }
    // Out of range, or fractional days: the general code re-reads the line and names the problem.
    if (simple && inRange(x, rowBase)) {
      n++;
      pos = i + 1;
    } else {
      const next = generalLine(buf, pos, to, layout, file, line, x, y, n);
      if (next.row) n++;
      pos = next.pos;
    }
  }
  return { n: n - rowOffset, lines: line - firstLine + 1 };
}

/** One line by the general rules; returns where the next line starts and whether a row was written. */
function generalLine(
  buf: Uint8Array,
  pos: number,
  end: number,
  layout: CsvLayout,
  file: string,
  line: number,
  x: Float64Array,
  y: Uint8Array,
  n: number,
): { pos: number; row: boolean } {
  const { header, slot } = layout;
  const nCols = header.length;
  let lineEnd = buf.indexOf(LF, pos);
  if (lineEnd < 0 || lineEnd > end) lineEnd = end;
  let contentEnd = lineEnd;
  if (contentEnd > pos && buf[contentEnd - 1] === CR) contentEnd--;
  if (contentEnd === pos) return { pos: lineEnd + 1, row: false }; // blank line: skipped, as pandas does
  let c = 0;
  let fieldStart = pos;
  const rowBase = n * N_FEATURES;
  while (true) {
    let fieldEnd: number;
    let next: number;
    if (buf[fieldStart] === QUOTE) {
      // A quoted field (only expected in ignored text columns): find the closing quote.
      let q = fieldStart + 1;
      while (true) {
        q = buf.indexOf(QUOTE, q);
        if (q < 0 || q >= contentEnd) throw new CsvInputError(file, line, header[c] ?? null, 'unterminated quoted field');
        if (buf[q + 1] === QUOTE) q += 2;
        else break;
      }
      fieldEnd = q + 1;
      next = fieldEnd;
      if (next < contentEnd && buf[next] !== COMMA) throw new CsvInputError(file, line, header[c] ?? null, 'text after a closing quote');
    } else {
      next = buf.indexOf(COMMA, fieldStart);
      if (next < 0 || next > contentEnd) next = contentEnd;
      fieldEnd = next;
    }
    if (c >= nCols) throw new CsvInputError(file, line, null, `more fields than the header's ${nCols}`);
    const k = slot[c]!;
    if (k >= 0) {
      let s = fieldStart;
      let e = fieldEnd;
      if (buf[s] === QUOTE && e - s >= 2) {
        s++;
        e--;
      }
      const v = readDecimal(buf, s, e);
      if (Number.isNaN(v)) throw new CsvInputError(file, line, header[c]!, describeBad(fieldText(buf, s, e)));
      if (k < N_FEATURES) {
        // The same test as the byte loop's; only a value that fails it is turned into text.
        if (v < LO[k]! || v > HI[k]! || (k === RECENCY && !Number.isInteger(v))) {
          const text = Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('utf8');
          throw new CsvInputError(file, line, header[c]!, featureProblem(k, text, v) ?? `value '${clip(text)}' is not valid`);
        }
        x[rowBase + k] = v;
      } else if (v === 0 || v === 1) y[n] = v;
      else throw new CsvInputError(file, line, LABEL_COLUMN, `label must be 0 or 1, got '${fieldText(buf, s, e)}'`);
    }
    c++;
    if (next >= contentEnd) break;
    fieldStart = next + 1;
    if (fieldStart === contentEnd) {
      // A trailing comma: one more, empty, field.
      if (c < nCols && slot[c]! >= 0) throw new CsvInputError(file, line, header[c]!, 'empty value');
      c++;
      break;
    }
  }
  if (c < nCols) throw new CsvInputError(file, line, header[c] ?? null, `only ${c} of the header's ${nCols} fields`);
  return { pos: lineEnd + 1, row: true };
}

/** Parses a whole CSV buffer into a Dataset (features in canonical order). */
export function parseNumericCsv(buf: Uint8Array, options: ReadOptions): Dataset {
  const layout = readLayout(buf, options);
  const capacity = rowCapacity(buf.length - layout.dataStart, layout);
  const x = new Float64Array(capacity * N_FEATURES);
  const y = new Uint8Array(capacity);
  const { n } = parseRows(buf, layout.dataStart, buf.length, layout, options.file, 2, x, y, 0);
  if (n === 0 && !options.allowEmpty) throw new CsvInputError(options.file, 2, null, 'no data rows after the header');
  return { n, x: x.subarray(0, n * N_FEATURES), y: y.subarray(0, n) };
}

import { FEATURES, LABEL_COLUMN, N_FEATURES } from '../features/schema';
import type { Dataset } from '../model/dataset';

/**
 * A reader for the numeric CSVs the trainer consumes (the 7 features and `label`, any column order,
 * extra columns ignored). It parses bytes straight into typed arrays instead of building a string
 * per field: a general CSV library spends most of a million-row file allocating strings, and the
 * training benchmark has to beat pandas' C parser. Anything unusual (quotes in an ignored column,
 * CRLF, a BOM, blank lines) is still handled; any bad value is an error naming file, line and column.
 */
export class CsvInputError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: string | null,
    detail: string,
  ) {
    super(`${file}:${line}${column ? ` column '${column}'` : ''}: ${detail}`);
    this.name = 'CsvInputError';
  }
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

// Exact powers of ten: 10^k for k ≤ 22 is representable, which the fast path below relies on.
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * Parses buf[start, end) as a decimal number. Returns NaN when the text is not a plain finite
 * decimal. Up to 15 significant digits and |exponent| ≤ 22 the result is m·10^e or m/10^-e with both
 * operands exact, hence correctly rounded (Clinger's fast path); longer numbers go to V8's parser,
 * which is also correctly rounded, so every value equals what Number(text) gives.
 */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (i < end && (buf[i] === 45 || buf[i] === 43)) {
    negative = buf[i] === 45;
    i++;
  }
  let mantissa = 0;
  let significant = 0;
  let exp10 = 0;
  let digits = 0;
  while (i < end && buf[i]! >= 48 && buf[i]! <= 57) {
    const v = buf[i]! - 48;
    if (significant > 0 || v !== 0) {
      if (significant < 19) mantissa = mantissa * 10 + v;
      else exp10++;
      significant++;
    }
    digits++;
    i++;
  }
  if (i < end && buf[i] === 46) {
    i++;
    while (i < end && buf[i]! >= 48 && buf[i]! <= 57) {
      const v = buf[i]! - 48;
      if (significant > 0 || v !== 0) {
        if (significant < 19) {
          mantissa = mantissa * 10 + v;
          exp10--;
        }
        significant++;
      } else {
        exp10--;
      }
      digits++;
      i++;
    }
  }
  if (digits === 0) return NaN;
  if (i < end && (buf[i] === 101 || buf[i] === 69)) {
    i++;
    let expNegative = false;
    if (i < end && (buf[i] === 45 || buf[i] === 43)) {
      expNegative = buf[i] === 45;
      i++;
    }
    let e = 0;
    let expDigits = 0;
    while (i < end && buf[i]! >= 48 && buf[i]! <= 57) {
      if (e < 100000) e = e * 10 + (buf[i]! - 48);
      expDigits++;
      i++;
    }
    if (expDigits === 0) return NaN;
    exp10 += expNegative ? -e : e;
  }
  if (i !== end) return NaN;
  let value: number;
  if (significant <= 15 && exp10 >= -22 && exp10 <= 22) {
    value = exp10 < 0 ? mantissa / POW10[-exp10]! : mantissa * POW10[exp10]!;
  } else {
    value = Number(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1'));
    if (!Number.isFinite(value)) return NaN;
    return value;
  }
  return negative ? -value : value;
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
}

/** Parses a whole CSV buffer into a Dataset (features in canonical order). */
export function parseNumericCsv(buf: Uint8Array, options: ReadOptions): Dataset {
  const { file, labelled } = options;
  let pos = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
  if (buf.length - pos === 0) throw new CsvInputError(file, 1, null, 'the file is empty');

  // Header.
  let headerEnd = buf.indexOf(LF, pos);
  if (headerEnd < 0) headerEnd = buf.length;
  const headerText = Buffer.from(buf.buffer, buf.byteOffset + pos, headerEnd - pos).toString('utf8').replace(/\r$/, '');
  const header = headerText.split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
  const wanted: string[] = [...FEATURES, ...(labelled ? [LABEL_COLUMN] : [])];
  // slot[c] = where column c goes: 0..6 a feature, 7 the label, -1 ignored.
  const slot = new Int8Array(header.length).fill(-1);
  wanted.forEach((name, k) => {
    const c = header.indexOf(name);
    if (c < 0) throw new CsvInputError(file, 1, name, `missing column (header has: ${header.join(', ')})`);
    if (header.indexOf(name, c + 1) >= 0) throw new CsvInputError(file, 1, name, 'column appears twice');
    slot[c] = k;
  });
  const nCols = header.length;

  // Upper bound on rows: the number of line breaks after the header.
  let lines = 0;
  for (let i = buf.indexOf(LF, headerEnd + 1); i >= 0; i = buf.indexOf(LF, i + 1)) lines++;
  const capacity = lines + 1;
  const x = new Float64Array(capacity * N_FEATURES);
  const y = new Uint8Array(capacity);

  let n = 0;
  let line = 1;
  pos = headerEnd + 1;
  const end = buf.length;
  while (pos < end) {
    line++;
    let lineEnd = buf.indexOf(LF, pos);
    if (lineEnd < 0) lineEnd = end;
    let contentEnd = lineEnd;
    if (contentEnd > pos && buf[contentEnd - 1] === CR) contentEnd--;
    if (contentEnd === pos) {
      pos = lineEnd + 1; // blank line: skipped, as pandas does
      continue;
    }
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
        const v = parseDecimal(buf, s, e);
        if (Number.isNaN(v)) throw new CsvInputError(file, line, header[c]!, describeBad(fieldText(buf, s, e)));
        if (k < N_FEATURES) x[rowBase + k] = v;
        else if (v === 0 || v === 1) y[n] = v;
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
    n++;
    pos = lineEnd + 1;
  }
  if (n === 0) throw new CsvInputError(file, 2, null, 'no data rows after the header');
  return { n, x: x.subarray(0, n * N_FEATURES), y: y.subarray(0, n) };
}

import { isDay } from '../calendar';
import { FEATURES, N_FEATURES } from './schema';
import { FEATURE_FILE_COLUMNS, featureValueProblem, parseFeatureValue } from './values';

/**
 * A features file's rows (docs/architecture.md, "Lake layout": `contact_id, as_of, <7 features>`) as
 * the plain code reads them: one line split into fields, each field checked and parsed. The
 * byte-level reader of fast/featureRows.ts reads a plain line to the same values and sends every
 * other line here, which decides and names the reason.
 */

/** The longest contact id served (the warehouse's NVARCHAR(64)). */
export const MAX_CONTACT_ID = 64;

/**
 * A block of feature rows, column-wise, with no per-row object or string: contact id i is the UTF-8
 * text ids[idEnds[i-1] .. idEnds[i]) (from 0 for the first), and x holds N_FEATURES values per row.
 */
export interface FeatureRows {
  n: number;
  ids: Uint8Array;
  idEnds: Uint32Array;
  x: Float64Array;
}

/** Splits one CSV line (RFC 4180: quoted fields, doubled quotes inside them). */
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

let lastValidDate = '';

/** A real calendar date YYYY-MM-DD. A partition repeats one date a million times: the last is remembered. */
export function isValidAsOf(s: string): boolean {
  if (s === lastValidDate) return true;
  if (!isDay(s)) return false;
  lastValidDate = s;
  return true;
}

/**
 * Validates one row's fields (`index`: where featureColumns found each column) into x[at..at+7);
 * returns undefined when valid, else the reason, naming the column and the value.
 */
export function validateRow(fields: string[], index: number[], expectedAsOf: string | null, x: Float64Array, at: number): string | undefined {
  if (fields.length < FEATURE_FILE_COLUMNS.length) return `expected at least ${FEATURE_FILE_COLUMNS.length} fields, got ${fields.length}`;
  const contactId = fields[index[0]!]!;
  if (contactId.length === 0) return 'contact_id: empty';
  if (contactId.length > MAX_CONTACT_ID) return `contact_id: longer than ${MAX_CONTACT_ID} characters`;
  const asOf = fields[index[1]!]!;
  if (!isValidAsOf(asOf)) return `as_of: '${asOf}' is not a date YYYY-MM-DD`;
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

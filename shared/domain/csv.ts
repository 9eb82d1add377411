import { parse } from 'csv-parse/sync';

/**
 * CSV as the product writes it: deterministic number formatting (so a re-run yields identical bytes),
 * RFC 4180 quoting only where a field needs it, `\n` line ends.
 */

/** At most 12 decimals, shortest form, never `-0`; integers print without a point. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`cannot write a non-finite number: ${x}`);
  const r = Number(x.toFixed(12));
  return Object.is(r, -0) || r === 0 ? '0' : String(r);
}

export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

export function csvLine(fields: string[]): string {
  return fields.map(csvField).join(',') + '\n';
}

/** Rows as arrays of strings, header included; ragged rows are kept so the gate can name them. */
export function parseCsv(text: string): string[][] {
  const rows: unknown = parse(text, { relax_column_count: true, skip_empty_lines: true });
  return rows as string[][]; // without `columns`, csv-parse gives each record as an array of strings
}

import { FEATURES, FEATURE_RANGES } from './features/schema';
import { dayStartMs, DAY_MS } from './calendar';
import { parseCsv } from './csv';
import { clip, featureColumns, parseFeatureValue } from './features/values';
import type { PartitionKind } from './lakeLayout';

/**
 * The data-quality gate (docs/architecture.md, "Gates"): every feature or label partition is
 * checked when written and when read. Errors fail the partition; warnings are reported only.
 */

export const LABEL_COLUMNS = ['send_id', 'contact_id', 'campaign_id', 'channel', 'sent_at', 'label', 'labeled_at'] as const;

export type { PartitionKind };

export interface Check {
  name: 'schema' | 'types' | 'ranges' | 'nulls' | 'duplicates' | 'row_count';
  ok: boolean;
  severity: 'error' | 'warning';
  /** How many cells or rows failed. */
  failures: number;
  /** The first failures, each naming row and column (row 1 is the first data row). */
  examples: string[];
}

export interface ValidationReport {
  kind: PartitionKind;
  date: string;
  partition: string;
  ok: boolean;
  rows: number;
  previousRows: number | null;
  contentHash: string;
  checks: Check[];
  /** What the step that wrote the partition wants recorded beside it (imputations, raw rejects...). */
  stats?: Record<string, unknown>;
}

export interface GateOptions {
  /** Row count of the previous partition, when there is one. */
  previousRows?: number | null;
  /** Relative change in row count against the previous partition that is reported as a warning. */
  maxRowCountChange?: number;
  /** The sha256 of the partition's bytes (the caller hashes them), recorded in the report. */
  contentHash?: string;
}

const MAX_EXAMPLES = 20;

class CheckBuilder {
  readonly checks = new Map<Check['name'], Check>();
  constructor() {
    for (const name of ['schema', 'types', 'ranges', 'nulls', 'duplicates'] as const) {
      this.checks.set(name, { name, ok: true, severity: 'error', failures: 0, examples: [] });
    }
  }
  fail(name: Check['name'], what: string): void {
    const c = this.checks.get(name)!;
    c.ok = false;
    c.failures++;
    if (c.examples.length < MAX_EXAMPLES) c.examples.push(what);
  }
}

function finish(kind: PartitionKind, date: string, partition: string, rows: number, b: CheckBuilder, opts: GateOptions): ValidationReport {
  const checks = [...b.checks.values()];
  const previousRows = opts.previousRows ?? null;
  const maxChange = opts.maxRowCountChange ?? 0.5;
  const rowCheck: Check = { name: 'row_count', ok: true, severity: 'warning', failures: 0, examples: [] };
  if (previousRows !== null) {
    const change = previousRows === 0 ? (rows === 0 ? 0 : Infinity) : Math.abs(rows - previousRows) / previousRows;
    if (change > maxChange) {
      rowCheck.ok = false;
      rowCheck.failures = 1;
      rowCheck.examples.push(`${rows} rows against ${previousRows} in the previous partition (change above ${maxChange * 100}%)`);
    }
  }
  checks.push(rowCheck);
  return {
    kind,
    date,
    partition,
    ok: checks.every((c) => c.ok || c.severity === 'warning'),
    rows,
    previousRows,
    contentHash: opts.contentHash ?? '',
    checks,
  };
}

function header(table: string[][], expected: readonly string[], b: CheckBuilder): string[][] {
  const head = table[0] ?? [];
  if (head.length !== expected.length || head.some((h, i) => h !== expected[i])) {
    b.fail('schema', `header is ${JSON.stringify(clip(head.join(','), 200))}, expected ${JSON.stringify(expected.join(','))}`);
  }
  const rows = table.slice(1);
  rows.forEach((r, i) => {
    if (r.length !== expected.length) b.fail('schema', `row ${i + 1}: ${r.length} columns, expected ${expected.length}`);
  });
  return rows;
}

function parseTable(text: string, b: CheckBuilder): string[][] {
  try {
    return parseCsv(text);
  } catch (err) {
    b.fail('schema', `not readable as CSV: ${(err as Error).message}`);
    return [];
  }
}

/** One data file of a partition, as read from the lake. */
export interface PartitionText {
  path: string;
  text: string;
}

/**
 * The checks of one features file, into `b`: the header (each required column once, any order,
 * others ignored — the rule every reader of a features file applies), as_of, the ranges of docs/architecture.md, "Features and labels",
 * nulls, and contacts already `seen` in this file or an earlier file of the same partition.
 */
function checkFeaturesFile(file: PartitionText, table: string[][], date: string, b: CheckBuilder, seen: Set<string>, rowBase: number): number {
  let index: number[];
  try {
    index = featureColumns(table[0] ?? [], file.path);
  } catch (err) {
    b.fail('schema', (err as Error).message);
    return Math.max(0, table.length - 1);
  }
  const width = (table[0] ?? []).length;
  const rows = table.slice(1);
  rows.forEach((r, i) => {
    const at = `row ${rowBase + i + 1}`;
    if (r.length !== width) return b.fail('schema', `${at}: ${r.length} columns, expected ${width}`);
    const contact = r[index[0]!] ?? '';
    if (contact === '') b.fail('nulls', `${at}, column contact_id: empty`);
    else if (seen.has(contact)) b.fail('duplicates', `${at}: contact ${clip(contact)} appears more than once`);
    else seen.add(contact);
    // as_of is the partition's date: the features hold as of 00:00 UTC that day (docs/architecture.md, "Features and labels").
    const asOfCell = r[index[1]!] ?? '';
    if (asOfCell === '') b.fail('nulls', `${at}, column as_of: empty`);
    else if (asOfCell !== date) b.fail('types', `${at}, column as_of: ${clip(asOfCell)}, expected ${date}`);
    FEATURES.forEach((f, j) => {
      const cell = r[index[j + 2]!]!;
      if (cell === '') return b.fail('nulls', `${at}, column ${f}: empty`);
      const v = parseFeatureValue(cell);
      if (Number.isNaN(v)) return b.fail('types', `${at}, column ${f}: ${JSON.stringify(clip(cell))} is not a number`);
      const [lo, hi] = FEATURE_RANGES[f];
      if (v < lo || v > hi) b.fail('ranges', `${at}, column ${f}: ${v} outside [${lo}, ${hi}]`);
      if (f === 'recency_days' && !Number.isInteger(v)) b.fail('types', `${at}, column ${f}: ${v} is not a whole number of days`);
    });
  });
  return rows.length;
}

/** The gate for one features file (the product's own ingest writes one per partition). */
export function validateFeatures(text: string, date: string, partition: string, opts: GateOptions = {}, parsed?: string[][]): ValidationReport {
  const b = new CheckBuilder();
  // `parsed`, when given, is what parseCsv(text) returns (the writer's own cells, see featuresTable):
  // the same checks on the same cells, without reading back the text just formatted.
  const table = parsed ?? parseTable(text, b);
  const rows = checkFeaturesFile({ path: partition, text }, table, date, b, new Set(), 0);
  return finish('features', date, partition, rows, b, opts);
}

/**
 * The gate for a whole features partition (every data file of the folder, as one population):
 * the checks of each file, duplicates across files, one report. Its contentHash is the partition's
 * (partitionHash), the key the partition ledger and the run records use.
 */
export function validateFeaturesPartition(files: PartitionText[], date: string, folder: string, contentHash: string, opts: GateOptions = {}): ValidationReport {
  const b = new CheckBuilder();
  const seen = new Set<string>();
  let rows = 0;
  for (const f of files) rows += checkFeaturesFile(f, parseTable(f.text, b), date, b, seen, rows);
  if (files.length === 0) b.fail('schema', `${folder}: no data files (*.csv)`);
  return finish('features', date, folder, rows, b, { ...opts, contentHash });
}

/** The gate for labels/yyyy/mm/dd: header, label 0/1, channel, sent_at inside the day, nulls, duplicate sends. */
export function validateLabels(text: string, date: string, partition: string, opts: GateOptions = {}): ValidationReport {
  const b = new CheckBuilder();
  const table = parseTable(text, b);
  const rows = header(table, LABEL_COLUMNS, b);
  const dayStart = dayStartMs(date);
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const at = `row ${i + 1}`;
    LABEL_COLUMNS.forEach((c, j) => {
      if ((r[j] ?? 'x') === '') b.fail('nulls', `${at}, column ${c}: empty`);
    });
    const send = r[0] ?? '';
    if (send !== '') {
      if (seen.has(send)) b.fail('duplicates', `${at}: send ${send} appears more than once`);
      seen.add(send);
    }
    const channel = r[3];
    if (channel && channel !== 'sms' && channel !== 'mms') b.fail('types', `${at}, column channel: ${JSON.stringify(channel)} is not sms/mms`);
    const sentAt = r[4] ? Date.parse(r[4]) : NaN;
    if (r[4] && Number.isNaN(sentAt)) b.fail('types', `${at}, column sent_at: ${JSON.stringify(r[4])} is not a time`);
    else if (r[4] && (sentAt < dayStart || sentAt >= dayStart + DAY_MS)) b.fail('ranges', `${at}, column sent_at: ${r[4]} is not on ${date}`);
    const label = r[5];
    if (label && label !== '0' && label !== '1') b.fail('types', `${at}, column label: ${JSON.stringify(label)} is not 0 or 1`);
    if (r[6] && Number.isNaN(Date.parse(r[6]))) b.fail('types', `${at}, column labeled_at: ${JSON.stringify(r[6])} is not a time`);
  });
  return finish('labels', date, partition, rows.length, b, opts);
}

/** One line per failed check, for error messages. */
export function describeFailures(report: ValidationReport, severity: Check['severity'] = 'error'): string[] {
  return report.checks
    .filter((c) => !c.ok && c.severity === severity)
    .map((c) => `${report.partition}: ${c.name} failed ${c.failures}×, e.g. ${c.examples.slice(0, 3).join('; ')}`);
}

export class DataQualityError extends Error {
  constructor(readonly reports: ValidationReport[]) {
    super(`data-quality gate failed:\n  ${reports.flatMap((r) => describeFailures(r)).join('\n  ')}`);
    this.name = 'DataQualityError';
  }
}

import type { Lake } from '../ports/lake';
import { datePath } from '../ports/lake';
import { addDays } from './days';
import { DataQualityError, type PartitionKind, type ValidationReport, validateFeatures, validateLabels } from './quality';

/**
 * Where feature and label partitions live, and the only way they are written and read: through the
 * data-quality gate, with the validation report beside the partition.
 */

export const PARTITION_FILE = 'part-0.csv';
export const REPORT_FILE = '_validation.json';

const ROOT: Record<PartitionKind, string> = { features: 'processed/features', labels: 'labels' };

export function partitionFolder(kind: PartitionKind, date: string): string {
  return `${ROOT[kind]}/${datePath(date)}`;
}

export function partitionPath(kind: PartitionKind, date: string): string {
  return `${partitionFolder(kind, date)}/${PARTITION_FILE}`;
}

export function reportPath(kind: PartitionKind, date: string): string {
  return `${partitionFolder(kind, date)}/${REPORT_FILE}`;
}

/** A rejected partition's report goes here, so the failure is on record while the lake keeps the old partition. */
export function rejectedReportPath(kind: PartitionKind, date: string): string {
  return `quarantine/${partitionFolder(kind, date)}/${REPORT_FILE}`;
}

function validate(kind: PartitionKind, text: string, date: string, previousRows: number | null, maxRowCountChange?: number, parsed?: string[][]): ValidationReport {
  const path = partitionPath(kind, date);
  const opts = { previousRows, maxRowCountChange };
  return kind === 'features' ? validateFeatures(text, date, path, opts, parsed) : validateLabels(text, date, path, opts);
}

/** Data rows of a partition CSV (lines after the header), without parsing it. */
function countRows(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < text.length - 1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

async function previousRowCount(lake: Lake, kind: PartitionKind, date: string): Promise<number | null> {
  const prev = partitionPath(kind, addDays(date, -1));
  if (!(await lake.exists(prev))) return null;
  return countRows((await lake.read(prev)).toString('utf8'));
}

/**
 * Gates and writes one partition. The report is written first and the CSV last, so whoever reacts to the
 * CSV (the blob trigger) finds its report in place. A rejected partition leaves the lake's partition as
 * it was, records its report under quarantine/, and throws DataQualityError.
 */
export async function writePartition(
  lake: Lake,
  kind: PartitionKind,
  date: string,
  csv: string,
  stats: Record<string, unknown>,
  maxRowCountChange?: number,
  /**
   * The cells of `csv` exactly as parseCsv(csv) returns them, when the writer has them in memory (a
   * features partition just formatted): the gate checks them instead of parsing the text again. The
   * checks and the report are the same; a partition read from the lake is always parsed (readPartition).
   */
  parsed?: string[][],
): Promise<ValidationReport> {
  const report: ValidationReport = { ...validate(kind, csv, date, await previousRowCount(lake, kind, date), maxRowCountChange, parsed), stats };
  const body = JSON.stringify(report, null, 2) + '\n';
  if (!report.ok) {
    await lake.write(rejectedReportPath(kind, date), body);
    throw new DataQualityError([report]);
  }
  await lake.write(reportPath(kind, date), body);
  await lake.write(partitionPath(kind, date), csv);
  return report;
}

export interface ReadPartition {
  path: string;
  text: string;
  report: ValidationReport;
}

/** Reads a partition and gates it again (the file may have changed since it was written); null when absent. */
export async function readPartition(lake: Lake, kind: PartitionKind, date: string): Promise<ReadPartition | null> {
  const path = partitionPath(kind, date);
  if (!(await lake.exists(path))) return null;
  const text = (await lake.read(path)).toString('utf8');
  return { path, text, report: validate(kind, text, date, null) };
}

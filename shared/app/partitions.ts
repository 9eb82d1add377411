import { createHash } from 'node:crypto';
import { addDays } from '../domain/calendar';
import { parseCsv } from '../domain/csv';
import { N_FEATURES } from '../domain/features/schema';
import { featureColumns } from '../domain/features/values';
import {
  baseName,
  featuresPartitionDate,
  folderOf,
  isDataFile,
  partitionFolder,
  partitionPath,
  partitionRoot,
  rejectedReportPath,
  reportPath,
  SUCCESS_MARKER,
  successMarkerPath,
  type PartitionKind,
} from '../domain/lakeLayout';
import { DataQualityError, type ValidationReport, validateFeatures, validateFeaturesPartition, validateLabels } from '../domain/quality';
import type { Lake } from '../ports/lake';

/**
 * The only way feature and label partitions are written and read: through the data-quality gate,
 * with the validation report beside the partition (where they live: domain/lakeLayout.ts).
 *
 * A features partition is the folder processed/features/yyyy/mm/dd/: every `*.csv` in it, together
 * the complete eligible population of that date, complete once its `_SUCCESS` marker is there (the
 * convention Spark uses; the product's own ingest writes the marker after the data file). The scorer,
 * the drift check, the training-set builder and the timers all read partitions through this module.
 */

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function validate(
  kind: PartitionKind,
  text: string,
  date: string,
  previousRows: number | null,
  maxRowCountChange?: number,
  parsed?: string[][],
): ValidationReport {
  const path = partitionPath(kind, date);
  const opts = { previousRows, maxRowCountChange, contentHash: sha256(text) };
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
  // A features partition is complete once its marker is there; the marker goes last (and again on a
  // rewrite, so the blob trigger sees the new content complete).
  if (kind === 'features') await lake.write(successMarkerPath(partitionFolder(kind, date)), '');
  return report;
}

export interface ReadPartition {
  path: string;
  text: string;
  report: ValidationReport;
}

/** Reads a labels partition and gates it again (the file may have changed since it was written); null when absent. */
export async function readPartition(lake: Lake, kind: 'labels', date: string): Promise<ReadPartition | null> {
  const path = partitionPath(kind, date);
  if (!(await lake.exists(path))) return null;
  const text = (await lake.read(path)).toString('utf8');
  return { path, text, report: validate(kind, text, date, null) };
}

export interface FeaturesPartition {
  date: string;
  /** processed/features/yyyy/mm/dd */
  folder: string;
  /** Its data files, sorted by name (paths in the lake). */
  files: string[];
  /** Their sizes in bytes, in the same order. */
  sizes: number[];
  /** True once the _SUCCESS marker is there. */
  complete: boolean;
}

/** What a features partition holds now (no file is read). */
export async function listFeaturesPartition(lake: Lake, date: string): Promise<FeaturesPartition> {
  const folder = partitionFolder('features', date);
  // Files directly in the folder only: a sub-folder is some other writer's business.
  const entries = (await lake.list(folder)).filter((e) => folderOf(e.path) === folder);
  const data = entries.filter((e) => isDataFile(baseName(e.path))).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    date,
    folder,
    files: data.map((e) => e.path),
    sizes: data.map((e) => e.size),
    complete: entries.some((e) => baseName(e.path) === SUCCESS_MARKER),
  };
}

/** Dates of the complete features partitions on or before `onOrBefore` (all when omitted), newest first. */
export async function completeFeaturesDates(lake: Lake, onOrBefore?: string): Promise<string[]> {
  const dates = new Set<string>();
  for (const e of await lake.list(partitionRoot('features'))) {
    if (baseName(e.path) !== SUCCESS_MARKER) continue;
    const d = featuresPartitionDate(folderOf(e.path));
    if (d !== undefined && (onOrBefore === undefined || d <= onOrBefore)) dates.add(d);
  }
  return [...dates].sort().reverse();
}

/**
 * The content of a partition, as one hash: sha256 over each data file's name and sha256. The
 * partition ledger, the served population and the run records all key on it.
 */
export async function partitionHash(lake: Lake, files: string[]): Promise<string> {
  const all = createHash('sha256');
  for (const f of files) {
    const h = createHash('sha256');
    for await (const chunk of lake.scan(f)) h.update(chunk);
    all.update(`${baseName(f)}\t${h.digest('hex')}\n`);
  }
  return all.digest('hex');
}

export interface ReadFeatures {
  partition: FeaturesPartition;
  contentHash: string;
  report: ValidationReport;
  /** The rows when the report is ok (empty otherwise): contact ids and features in canonical order. */
  contactIds: string[];
  x: Float64Array;
}

/**
 * Reads a complete features partition and gates it (every file, duplicates across files); null when
 * the date has no complete partition. For the training-set builder, the PSI population and the drift
 * check; the scorer streams the same files through the same rules (scorePartition).
 */
export async function readFeaturesPartition(lake: Lake, date: string): Promise<ReadFeatures | null> {
  const partition = await listFeaturesPartition(lake, date);
  if (!partition.complete) return null;
  const texts = await Promise.all(partition.files.map(async (path) => ({ path, text: (await lake.read(path)).toString('utf8') })));
  const contentHash = hashTexts(
    partition.files,
    texts.map((t) => t.text),
  );
  const report = validateFeaturesPartition(texts, date, partition.folder, contentHash);
  const contactIds: string[] = [];
  const values: number[] = [];
  if (report.ok) {
    for (const t of texts) {
      const table = parseCsv(t.text);
      const index = featureColumns(table[0] ?? [], t.path);
      for (let i = 1; i < table.length; i++) {
        const r = table[i]!;
        contactIds.push(r[index[0]!]!);
        for (let j = 0; j < N_FEATURES; j++) values.push(Number(r[index[j + 2]!]));
      }
    }
  }
  return { partition, contentHash, report, contactIds, x: Float64Array.from(values) };
}

/** partitionHash of texts already read (the same bytes, the same hash). */
function hashTexts(files: string[], texts: string[]): string {
  const all = createHash('sha256');
  files.forEach((f, i) => all.update(`${baseName(f)}\t${sha256(texts[i]!)}\n`));
  return all.digest('hex');
}

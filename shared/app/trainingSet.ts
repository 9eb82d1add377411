import type { Lake } from '../ports/lake';
import { N_FEATURES } from '../domain/features/schema';
import type { Dataset } from '../domain/model/dataset';
import { addDays, dayStartMs } from '../domain/calendar';
import { parseCsv } from '../domain/csv';
import { completeFeaturesDates, readFeaturesPartition, readPartition } from './partitions';
import type { ValidationReport } from '../domain/quality';

/**
 * The training set from the lake (docs/architecture.md, "Features and labels" / "Training recipe"): each labelled send joined to the
 * features row of the same contact from the partition of the send's UTC date — features strictly before
 * the send, label strictly after — one example per contact per day (the day's first send), split by time.
 */

export interface TrainingSetOptions {
  /** Only labelled send dates up to this day are used (YYYY-MM-DD). */
  asOf: string;
  trainDays: number;
  validDays: number;
}

export interface TrainingWindow {
  asOf: string;
  trainFrom: string;
  trainTo: string;
  validFrom: string;
  validTo: string;
}

export interface PartitionUsed {
  path: string;
  /** sha256 of the bytes read, hex. */
  contentHash: string;
  rows: number;
  ok: boolean;
}

export interface TrainingSet {
  train: Dataset;
  valid: Dataset;
  window: TrainingWindow;
  /** Every partition read (labels and features), in date order, for the run record. */
  partitions: PartitionUsed[];
  /** The gate's report for each partition read; a training run must refuse when any is not ok. */
  reports: ValidationReport[];
  /** Labelled dates in the window whose features partition is absent (their sends are left out). */
  missingFeatures: string[];
  /** Labelled sends left out because the contact had no features row that day (not eligible). */
  unmatched: number;
}

const LABEL_PATH_RE = /^labels\/(\d{4})\/(\d{2})\/(\d{2})\/part-0\.csv$/;

/** Labelled send dates present in the lake, sorted. */
export async function labelledDates(lake: Lake): Promise<string[]> {
  const out: string[] = [];
  for (const e of await lake.list('labels')) {
    const m = LABEL_PATH_RE.exec(e.path);
    if (m) out.push(`${m[1]}-${m[2]}-${m[3]}`);
  }
  return out.sort();
}

/** The newest labelled send day and the newest complete features partition on or before `asOf`: what the freshness gate judges. */
export async function newestData(lake: Lake, asOf: string): Promise<{ labels: string | null; features: string | null }> {
  const labels = (await labelledDates(lake)).filter((d) => d <= asOf);
  return { labels: labels[labels.length - 1] ?? null, features: (await completeFeaturesDates(lake, asOf))[0] ?? null };
}

export class NoLabelsError extends Error {
  constructor(asOf: string) {
    super(`no labelled send dates on or before ${asOf} in the lake: run \`leadscore labels\` first`);
    this.name = 'NoLabelsError';
  }
}

class Rows {
  x: number[] = [];
  y: number[] = [];
  toDataset(): Dataset {
    return { n: this.y.length, x: Float64Array.from(this.x), y: Uint8Array.from(this.y) };
  }
}

export async function buildTrainingSet(lake: Lake, opts: TrainingSetOptions): Promise<TrainingSet> {
  dayStartMs(opts.asOf);
  const dates = (await labelledDates(lake)).filter((d) => d <= opts.asOf);
  const validTo = dates[dates.length - 1];
  if (validTo === undefined) throw new NoLabelsError(opts.asOf);
  const validFrom = addDays(validTo, -(opts.validDays - 1));
  const trainTo = addDays(validFrom, -1);
  const trainFrom = addDays(trainTo, -(opts.trainDays - 1));
  const window: TrainingWindow = { asOf: opts.asOf, trainFrom, trainTo, validFrom, validTo };

  const train = new Rows();
  const valid = new Rows();
  const partitions: PartitionUsed[] = [];
  const reports: ValidationReport[] = [];
  const missingFeatures: string[] = [];
  let unmatched = 0;

  for (const date of dates.filter((d) => d >= trainFrom)) {
    const labels = await readPartition(lake, 'labels', date);
    if (!labels) continue;
    const features = await readFeaturesPartition(lake, date);
    reports.push(labels.report);
    partitions.push({ path: labels.path, contentHash: labels.report.contentHash, rows: labels.report.rows, ok: labels.report.ok });
    if (features) {
      reports.push(features.report);
      partitions.push({ path: features.partition.folder, contentHash: features.contentHash, rows: features.report.rows, ok: features.report.ok });
    }
    if (!features) {
      missingFeatures.push(date);
      continue;
    }
    const byContact = new Map<string, number>();
    features.contactIds.forEach((id, i) => byContact.set(id, i));
    const target = date >= validFrom ? valid : train;
    // The day's first send of each contact (earliest sent_at, then smallest send_id).
    const first = new Map<string, string[]>();
    for (const r of parseCsv(labels.text).slice(1)) {
      const contact = r[1] ?? '';
      const known = first.get(contact);
      if (!known || (r[4] ?? '') < (known[4] ?? '') || (r[4] === known[4] && (r[0] ?? '') < (known[0] ?? ''))) first.set(contact, r);
    }
    for (const contact of [...first.keys()].sort()) {
      const f = byContact.get(contact);
      if (f === undefined) {
        unmatched++;
        continue;
      }
      for (let j = 0; j < N_FEATURES; j++) target.x.push(features.x[f * N_FEATURES + j]!);
      target.y.push(first.get(contact)![5] === '1' ? 1 : 0);
    }
  }
  return { train: train.toDataset(), valid: valid.toDataset(), window, partitions, reports, missingFeatures, unmatched };
}

import { isDay } from './calendar';

/**
 * Every path rule of the lake, in one place (docs/architecture.md, "Lake layout"). Paths are POSIX-style
 * and relative to the lake's root; a day is `YYYY-MM-DD` and its folder `yyyy/mm/dd`.
 *
 *   raw/yyyy/mm/dd/{events,sentiment,crm}-*.jsonl   what lands; _SUCCESS once the day is complete
 *   processed/features/yyyy/mm/dd/*.csv              a features partition; _SUCCESS once complete
 *   labels/yyyy/mm/dd/part-0.csv                     a labels partition (sends of that day)
 *   <partition>/_validation.json                     the data-quality gate's report
 *   models/v{N}/                                     a version's artifacts (model.json, weights.csv, …)
 *   scores/yyyy/mm/dd/                               the export of what is served; _SUCCESS = its manifest
 *   quarantine/…                                     what a step set aside, with the reason
 *   monitoring/drift/yyyy/mm/dd/drift.json           the daily drift check's report
 */

/** `yyyy/mm/dd` for a day `YYYY-MM-DD`. */
export function datePath(day: string): string {
  return day.replaceAll('-', '/');
}

/** The last segment of a path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Everything before the last segment ('' for a bare name). */
export function folderOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/**
 * The completion marker: a raw day, a features partition and a scores export are complete once it is
 * in their folder (the convention Spark uses); whatever writes the folder writes it last.
 */
export const SUCCESS_MARKER = '_SUCCESS';

// ----------------------------------------------------------------------------------------- raw --

export type RawKind = 'events' | 'sentiment' | 'crm';
export const RAW_KINDS: readonly RawKind[] = ['events', 'sentiment', 'crm'];

export const RAW_ROOT = 'raw';

export function rawFolder(day: string): string {
  return `${RAW_ROOT}/${datePath(day)}`;
}

/** A raw file of a day: `<kind>-<name>.jsonl`. */
export function rawFilePath(day: string, kind: RawKind, name: string): string {
  return `${rawFolder(day)}/${kind}-${name}.jsonl`;
}

const RAW_PATH = /^raw\/(\d{4})\/(\d{2})\/(\d{2})\/([^/]+)$/;

/** What a path under raw/ is: its day and file name, or undefined for anything else. */
export function rawPathParts(path: string): { day: string; name: string } | undefined {
  const m = RAW_PATH.exec(path);
  if (!m) return undefined;
  const day = `${m[1]}-${m[2]}-${m[3]}`;
  return isDay(day) ? { day, name: m[4]! } : undefined;
}

/** The kind of a raw file's name (`events-….jsonl` …), or undefined for any other file. */
export function rawKindOf(name: string): RawKind | undefined {
  return name.endsWith('.jsonl') ? RAW_KINDS.find((k) => name.startsWith(`${k}-`)) : undefined;
}

/** quarantine/raw/yyyy/mm/dd/<file>.rejected.jsonl: the rejected records of a raw file. */
export function rawQuarantinePath(rawPath: string): string {
  return `quarantine/${rawPath.replace(/\.jsonl$/, '')}.rejected.jsonl`;
}

// ---------------------------------------------------------------------------------- partitions --

export type PartitionKind = 'features' | 'labels';

const PARTITION_ROOT: Record<PartitionKind, string> = { features: 'processed/features', labels: 'labels' };

/** The file the product's own ingest and label collection write into a partition. */
export const PARTITION_FILE = 'part-0.csv';
export const REPORT_FILE = '_validation.json';

export function partitionRoot(kind: PartitionKind): string {
  return PARTITION_ROOT[kind];
}

export function partitionFolder(kind: PartitionKind, day: string): string {
  return `${PARTITION_ROOT[kind]}/${datePath(day)}`;
}

export function partitionPath(kind: PartitionKind, day: string): string {
  return `${partitionFolder(kind, day)}/${PARTITION_FILE}`;
}

export function reportPath(kind: PartitionKind, day: string): string {
  return `${partitionFolder(kind, day)}/${REPORT_FILE}`;
}

/** A rejected partition's report goes here, so the failure is on record while the lake keeps the old partition. */
export function rejectedReportPath(kind: PartitionKind, day: string): string {
  return `quarantine/${partitionFolder(kind, day)}/${REPORT_FILE}`;
}

export function successMarkerPath(folder: string): string {
  return `${folder}/${SUCCESS_MARKER}`;
}

const FEATURES_DATE = /^processed\/features\/(\d{4})\/(\d{2})\/(\d{2})(?:\/([^/]*))?$/;

/** The date of a features partition from its folder or any path in it; undefined for anything else. */
export function featuresPartitionDate(path: string): string | undefined {
  const m = FEATURES_DATE.exec(path.replace(/^\/+/, '').replace(/\/+$/, ''));
  if (!m) return undefined;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  return isDay(date) ? date : undefined;
}

/** A data file of a partition: `*.csv`, not hidden (`_…` or `.…`, e.g. a writer's temporary file). */
export function isDataFile(name: string): boolean {
  return name.endsWith('.csv') && !name.startsWith('_') && !name.startsWith('.');
}

/** Rows a served partition set aside, with their reasons. */
export function scoringQuarantinePath(asOf: string): string {
  return `quarantine/scoring/${datePath(asOf)}/rejected-rows.csv`;
}

// ------------------------------------------------------------------------------------- models --

export const MODELS_ROOT = 'models';

/** models/v{N}/: a version's artifacts. */
export function modelFolder(version: number): string {
  return `${MODELS_ROOT}/v${version}/`;
}

const MODEL_PATH = /^models\/v(\d+)\//;

/** The version whose folder holds `path`, or undefined. */
export function versionOfModelPath(path: string): number | undefined {
  const m = MODEL_PATH.exec(path);
  return m ? Number(m[1]) : undefined;
}

// ------------------------------------------------------------------------------------- scores --

/** scores/yyyy/mm/dd: the lake export of the population served as of that day. */
export function scoresFolder(asOf: string): string {
  return `scores/${datePath(asOf)}`;
}

// --------------------------------------------------------------------------------- monitoring --

/** The daily drift check's report. */
export function driftReportPath(date: string): string {
  return `monitoring/drift/${datePath(date)}/drift.json`;
}

/** Where a drift check writes its champion/challenger evaluation. */
export function challengerReportPath(date: string): string {
  return `monitoring/challenger/${datePath(date)}/challenger.json`;
}

/** The same evaluation as a page to read (shared/report/challengerPage.ts). */
export function challengerPagePath(date: string): string {
  return `monitoring/challenger/${datePath(date)}/challenger.html`;
}

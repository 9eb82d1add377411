import type { Log } from '../ports/log';
import { createHash, randomUUID } from 'node:crypto';
import { clip } from '../domain/features/values';
import { baseName, featuresPartitionDate, scoringQuarantinePath, SUCCESS_MARKER } from '../domain/lakeLayout';
import { ByteLineSplitter, countLines } from '../fast/bytes';
import { ContactIdSet } from '../fast/contactIdSet';
import { FeatureFileReader } from '../fast/featureFile';
import { RowRing } from '../fast/featureRows';
import type { Lake } from '../ports/lake';
import type { Telemetry } from '../ports/telemetry';
import type { Ledger } from '../ports/ledger';
import type { PopulationLoad, ServedPopulation, Warehouse } from '../ports/warehouse';
import { csvField } from '../domain/csv';
import { listFeaturesPartition, partitionHash } from './partitions';
import { exportIsCurrent, exportServedScores, type ExportResult, type ScoresExport, startExport } from './scoresExport';

/**
 * Serves one landed features partition (the blob trigger's step): the partition — every data file
 * of its folder, complete once its _SUCCESS marker is there — becomes the served population in one
 * warehouse transaction, and lead_scores (a view) scores it with the active version from then on.
 *
 * - Exactly once, by content: the partition's hash is compared with the served population's inside
 *   that transaction; the same content again changes nothing, new content for the same date replaces
 *   it, and an older partition never replaces a newer one.
 * - All or nothing: the files are read, validated and loaded chunk by chunk (memory is bounded by a
 *   chunk); a failure at any point commits nothing.
 * - The lake export under scores/ is written beside the load and published after the commit.
 */

export interface ScoringDeps {
  lake: Lake;
  warehouse: Warehouse;
  ledger: Pick<Ledger, 'getPartition' | 'putPartition'>;
  log: Log;
  /** PartitionScored / ScoringFailed events and the rows_scored / rows_rejected metrics. */
  telemetry?: Telemetry;
  /** Largest share of invalid rows that still gets served (default 0.01). */
  maxBadFraction?: number;
  /** Rows per chunk: bounds memory, one export part per chunk (default 100,000). */
  chunkRows?: number;
  now?: () => Date;
}

interface Base {
  /** The partition's folder, processed/features/yyyy/mm/dd. */
  path: string;
  asOf: string;
}

export type ScorePartitionResult =
  | (Base & {
      status: 'scored';
      contentHash: string;
      files: string[];
      contacts: number;
      rowsRejected: number;
      /** The version that scores the population now (null: none active yet; the first deploy exports). */
      modelVersion: number | null;
      quarantineFile: string | null;
      export: ExportResult;
      exportError: string | null;
    })
  | (Base & { status: 'unchanged'; contentHash: string; reason: string })
  | (Base & { status: 'waiting'; reason: string })
  | (Base & { status: 'superseded'; contentHash: string; servedAsOf: string })
  | (Base & { status: 'rejected'; contentHash: string; rowsRejected: number; rowsTotal: number; quarantineFile: string });

export class PartitionPathError extends Error {
  constructor(path: string) {
    super(`not a features partition: ${clip(path, 200)} (expected processed/features/yyyy/mm/dd, or a file in it)`);
    this.name = 'PartitionPathError';
  }
}

/** Bad rows kept with their text for quarantine/; beyond this only the count is kept. */
const MAX_QUARANTINE_ROWS = 100_000;

interface BadRow {
  file: string;
  line: number;
  contactId: string;
  reason: string;
  raw: string;
}

function quarantineCsv(bad: BadRow[], omitted: number): string {
  const rows = bad.map((b) => `${csvField(b.file)},${b.line},${csvField(b.contactId)},${csvField(b.reason)},${csvField(b.raw)}\n`);
  const tail = omitted > 0 ? [`,,,${csvField(`${omitted} more invalid rows not listed`)},\n`] : [];
  return ['file,line,contact_id,reason,row\n', ...rows, ...tail].join('');
}

export interface ScoreOptions {
  /** Serve a partition without its _SUCCESS marker, as it stands. */
  force?: boolean;
}

/**
 * Serves the partition `path` names (its folder, a data file or its marker). Throws
 * PartitionPathError for anything else.
 */
export async function scorePartition(deps: ScoringDeps, path: string, options: ScoreOptions = {}): Promise<ScorePartitionResult> {
  const asOf = featuresPartitionDate(path);
  if (asOf === undefined) throw new PartitionPathError(path);
  const log = (m: string): void => deps.log.info(m);
  const partition = await listFeaturesPartition(deps.lake, asOf);
  const folder = partition.folder;
  if (!partition.complete && !options.force) {
    const reason = `waiting for ${folder}/${SUCCESS_MARKER} (${partition.files.length} data file(s) so far); nothing changed`;
    log(`score ${folder}: ${reason}`);
    return { status: 'waiting', path: folder, asOf, reason };
  }
  if (partition.files.length === 0) throw new Error(`${folder}: the partition has no data files (*.csv)`);
  const at = (): string => (deps.now?.() ?? new Date()).toISOString();
  const files = partition.files.map((f, i) => ({ name: baseName(f), size: partition.sizes[i]! }));

  // The same files (names and sizes) as the served population's are most likely a redelivery: hash
  // them first, so that one costs a read and not a load. Any other content is hashed as it is read.
  let hashed: string | undefined;
  const servedNow = (await deps.warehouse.servedState()).population;
  if (servedNow?.asOf === asOf && sameFiles((await deps.ledger.getPartition(servedNow.contentHash))?.files, files)) {
    hashed = await partitionHash(deps.lake, partition.files);
  }
  if (hashed !== undefined && (await deps.ledger.getPartition(hashed))?.status === 'rejected') {
    const reason = 'this content was rejected before (too many invalid rows); land corrected files to serve it';
    log(`score ${folder}: ${reason}`);
    return { status: 'unchanged', path: folder, asOf, contentHash: hashed, reason };
  }

  const load = await deps.warehouse.openPopulationLoad({ asOf, path: folder });
  const served = load.before.population;
  if (served && hashed === served.contentHash) return unchanged(deps, load, folder, asOf, served);
  if (served && served.asOf > asOf) {
    await load.rollback();
    log(`score ${folder}: older than the served population of ${served.asOf}; not served`);
    const contentHash = hashed ?? (await partitionHash(deps.lake, partition.files));
    await deps.ledger.putPartition({
      contentHash,
      path: folder,
      asOf,
      status: 'superseded',
      contacts: 0,
      rowsRejected: 0,
      modelVersion: null,
      at: at(),
      files,
    });
    return { status: 'superseded', path: folder, asOf, contentHash, servedAsOf: served.asOf };
  }
  return loadPopulation(deps, load, { folder, asOf, files: partition.files, sizes: files, expectedHash: hashed });
}

function sameFiles(a: { name: string; size: number }[] | undefined, b: { name: string; size: number }[]): boolean {
  return a !== undefined && a.length === b.length && a.every((f, i) => f.name === b[i]!.name && f.size === b[i]!.size);
}

async function unchanged(deps: ScoringDeps, load: PopulationLoad, folder: string, asOf: string, served: ServedPopulation): Promise<ScorePartitionResult> {
  await load.rollback();
  // The same content again: nothing to load; but a load that died after its commit may have left
  // the lake export unpublished, and this is where its redelivery mends it.
  let reason = `already served (same content, loaded ${served.loadedAt}); nothing to do`;
  const state = await deps.warehouse.servedState();
  if ((await exportIsCurrent(deps.lake, state)) === false) {
    const e = await exportServedScores({ lake: deps.lake, warehouse: deps.warehouse, chunkRows: deps.chunkRows ?? 100_000, runId: randomUUID().slice(0, 8) });
    reason = `already served (same content, loaded ${served.loadedAt}); the lake export was not current: ${e.status === 'published' ? 'rewritten from SQL' : e.status}`;
  }
  deps.log.info(`score ${folder}: ${reason}`);
  return { status: 'unchanged', path: folder, asOf, contentHash: served.contentHash, reason };
}

async function loadPopulation(
  deps: ScoringDeps,
  load: PopulationLoad,
  p: { folder: string; asOf: string; files: string[]; sizes: { name: string; size: number }[]; expectedHash: string | undefined },
): Promise<ScorePartitionResult> {
  const chunkRows = deps.chunkRows ?? 100_000;
  const maxBad = deps.maxBadFraction ?? 0.01;
  // Chunks of 8,192 rows on shared memory, read in place by the loader's and the export's threads;
  // six in turn bound memory whatever the partition's size.
  const ring = new RowRing(6, Math.min(chunkRows, 8192));
  // Sized once, from the lines of the first chunk and the partition's bytes.
  let ids: ContactIdSet | undefined;
  const bytes = p.sizes.reduce((t, f) => t + f.size, 0);
  const bad: BadRow[] = [];
  let badCount = 0;
  let good = 0;
  const exp: ScoresExport | null = load.model ? startExport(deps.lake, load.model, p.asOf, chunkRows, randomUUID().slice(0, 8)) : null;

  const flush = async (reader: FeatureFileReader): Promise<void> => {
    if (reader.rows.n === 0) return;
    const rows = reader.rows.rows();
    reader.rows = await ring.next(Promise.all([load.write(rows), exp?.add(rows)]));
  };

  // The content's hash, of the very bytes loaded (partitionHash's definition).
  const readHash = createHash('sha256');
  let contentHash = '';
  try {
    for (const file of p.files) {
      const fileHash = createHash('sha256');
      const reject = (line: number, contactId: string, reason: string, text: string): void => {
        badCount++;
        if (bad.length < MAX_QUARANTINE_ROWS) bad.push({ file: baseName(file), line, contactId: clip(contactId, 64), reason, raw: text });
      };
      let reader: FeatureFileReader | undefined;
      let lines: ByteLineSplitter | undefined;
      for await (const chunk of deps.lake.scan(file)) {
        fileHash.update(chunk);
        ids ??= new ContactIdSet(Math.ceil((bytes / Math.max(1, chunk.length)) * Math.max(1, countLines(chunk)) * 1.05));
        reader ??= new FeatureFileReader(file, p.asOf, ids, ring.current, reject);
        lines ??= new ByteLineSplitter(reader);
        // Paused whenever the row buffer is full: handed on, then the rest of the chunk.
        for (let done = lines.push(chunk); !done; done = lines.resume()) await flush(reader);
      }
      if (!reader || !lines) throw new Error(`${file}: empty file (no header)`);
      lines.end();
      if (!reader.started) throw new Error(`${file}: empty file (no header)`);
      if (reader.rows.full) await flush(reader);
      // reader.rows is ring.current: the next file's rows go on in the same buffer.
      good += reader.good;
      readHash.update(`${baseName(file)}\t${fileHash.digest('hex')}\n`);
    }
    contentHash = readHash.digest('hex');
    // A file rewritten between the hash taken first and this read must not be served under the hash of other content.
    if (p.expectedHash !== undefined && contentHash !== p.expectedHash) {
      throw new Error(`${p.folder}: a file changed while it was being read; nothing was changed (the next event serves the new content)`);
    }
    if (ring.current.n > 0) {
      const rows = ring.current.rows();
      await ring.next(Promise.all([load.write(rows), exp?.add(rows)]));
    }
    await ring.drain();
  } catch (err) {
    await ring.drain().catch(() => undefined);
    await load.rollback();
    await exp?.discard();
    throw err;
  }

  const served = load.before.population;
  if (served?.contentHash === contentHash) {
    await exp?.discard();
    return unchanged(deps, load, p.folder, p.asOf, served);
  }
  const total = good + badCount;
  const quarantineFile = scoringQuarantinePath(p.asOf);
  const at = (deps.now?.() ?? new Date()).toISOString();
  if (total > 0 && badCount / total > maxBad) {
    await load.rollback();
    await exp?.discard();
    await deps.lake.write(quarantineFile, quarantineCsv(bad, badCount - bad.length));
    await deps.ledger.putPartition({
      contentHash,
      path: p.folder,
      asOf: p.asOf,
      status: 'rejected',
      contacts: 0,
      rowsRejected: badCount,
      modelVersion: null,
      at,
      files: p.sizes,
    });
    const props = { path: p.folder, rowsRejected: badCount, rowsTotal: total, maxBadFraction: maxBad, quarantineFile };
    deps.log.error(`ALERT PartitionRejected: ${JSON.stringify(props)}`);
    deps.telemetry?.trackEvent('ScoringFailed', { partition: p.folder, reason: `${badCount} of ${total} rows invalid`, quarantineFile });
    deps.telemetry?.trackMetric('rows_rejected', badCount, { partition: p.folder });
    await deps.telemetry?.flush();
    deps.log.warn(
      `score ${p.folder}: REJECTED, ${badCount} of ${total} rows invalid (> ${(maxBad * 100).toFixed(2)} %); reasons in ${quarantineFile}; nothing changed`,
    );
    return { status: 'rejected', path: p.folder, asOf: p.asOf, contentHash: contentHash, rowsRejected: badCount, rowsTotal: total, quarantineFile };
  }

  try {
    // The export's parts are all written before the commit: an export that could not be written
    // leaves everything as it was (and the trigger retries), rather than a population without its copy.
    await exp?.finish();
    if (badCount > 0) await deps.lake.write(quarantineFile, quarantineCsv(bad, badCount - bad.length));
    await load.commit(contentHash);
  } catch (err) {
    await load.rollback();
    await exp?.discard();
    if (badCount > 0) await deps.lake.delete(quarantineFile);
    throw err;
  }

  // Committed: the population is served. The export is its lake copy; a failure here is reported and
  // mended by the next export (exportServedScores), never by undoing the load.
  let exported: ExportResult = { status: 'none', reason: 'no version is active: the first deploy writes the export' };
  let exportError: string | null = null;
  if (exp) {
    try {
      exported = await exp.publish(deps.warehouse, contentHash);
    } catch (err) {
      exportError = err instanceof Error ? err.message : String(err);
      exported = { status: 'none', reason: `export failed: ${exportError}` };
    }
  }
  load.release?.();
  const modelVersion = load.model?.version ?? null;
  await deps.ledger.putPartition({
    contentHash,
    path: p.folder,
    asOf: p.asOf,
    status: 'loaded',
    contacts: good,
    rowsRejected: badCount,
    modelVersion,
    at,
    files: p.sizes,
  });
  deps.telemetry?.trackEvent('PartitionScored', { partition: p.folder, modelVersion, rowsScored: good, rowsRejected: badCount });
  deps.telemetry?.trackMetric('rows_scored', good, { partition: p.folder });
  deps.telemetry?.trackMetric('rows_rejected', badCount, { partition: p.folder });
  await deps.telemetry?.flush();
  deps.log.info(
    `score ${p.folder}: ${good} contacts served${modelVersion !== null ? `, scored by v${modelVersion}` : ' (no version active yet)'}, ${badCount} rows quarantined; export ${exported.status}${exported.status === 'published' ? ` (${exported.files.length} file(s))` : `: ${exported.reason}`}`,
  );
  return {
    status: 'scored',
    path: p.folder,
    asOf: p.asOf,
    contentHash: contentHash,
    files: p.files,
    contacts: good,
    rowsRejected: badCount,
    modelVersion,
    quarantineFile: badCount > 0 ? quarantineFile : null,
    export: exported,
    exportError,
  };
}

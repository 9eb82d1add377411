import * as path from 'node:path';
import { N_FEATURES } from '../domain/features/schema';
import { baseName, scoresFolder, successMarkerPath } from '../domain/lakeLayout';
import { Channel, WORKER_LIMITS } from '../fast/channel';
import { isShared } from '../fast/featureRows';
import { exportHandler, type ExportAnswer, type ExportRequest } from '../fast/scoresCsv';
import type { Lake } from '../ports/lake';
import type { FeatureRows, ServedState, ServingModel, Warehouse } from '../ports/warehouse';

/**
 * The lake copy of the served scores: scores/yyyy/mm/dd/ for the served population's date, written by
 * the product only. Its `_SUCCESS` manifest (SUCCESS_MARKER) names the version and the population that produced it
 * and lists its part files; readers read what the manifest lists.
 *
 * Never stale or partial: parts are written under temporary names (`_tmp-…`, hidden by the Hadoop
 * convention) and published only while the warehouse's serving lock is held and the served state is
 * still the one exported — renamed into place, the manifest written, every other file of the folder
 * removed. An export that finds the served state changed publishes nothing and removes its parts (the
 * change that moved it on writes its own export). The rows are scored by the TypeScript twin of the
 * lead_scores view (scoreRows, formatted by fast/scoresCsv.ts; the tests hold the two equal), from the
 * rows just loaded or read back from SQL after a version change.
 */

export interface ExportManifest {
  model_version: number;
  as_of: string;
  population_hash: string;
  contacts: number;
  files: string[];
  written_at: string;
}

export type ExportResult =
  | { status: 'published'; folder: string; modelVersion: number; files: string[]; contacts: number }
  /** The served state moved on while exporting: nothing was published (the newer change exports). */
  | { status: 'superseded'; folder: string; reason: string }
  | { status: 'none'; reason: string };

/** What one export is of: the population (date and content) scored by one version. */
interface Subject {
  model: ServingModel;
  asOf: string;
}

function sameSubject(s: Subject, populationHash: string, state: ServedState): string | null {
  if (!state.population) return 'no population is served any more';
  if (state.population.contentHash !== populationHash)
    return `the served population is now ${state.population.path} (${state.population.contentHash.slice(0, 8)})`;
  if (state.activeVersion !== s.model.version) return `the active version is now ${state.activeVersion === null ? 'none' : `v${state.activeVersion}`}`;
  return null;
}

/** Rows per message to the export thread (each message a copy the thread may keep). */
const MESSAGE_ROWS = 16_384;

/** One export being written; publish() or discard() ends it. */
export class ScoresExport {
  private readonly folder: string;
  private readonly token: string;
  private readonly temps: string[] = [];
  private readonly writes: Promise<void>[] = [];
  private readonly channel: Channel<ExportRequest, ExportAnswer>;
  private inPart = 0;
  private contacts = 0;
  private finished = false;

  constructor(
    private readonly lake: Lake,
    private readonly subject: Subject,
    private readonly partRows: number,
    private readonly runId: string,
    threaded = true,
  ) {
    this.folder = scoresFolder(subject.asOf);
    this.token = `v${subject.model.version}`;
    // Scoring and formatting a part costs about as much as reading it: on a thread of its own it
    // overlaps the reading (this thread) and the load (the warehouse's thread). From a local lake
    // folder that thread writes the parts itself; otherwise it hands them back to be written here.
    this.channel = Channel.open(path.join(__dirname, '..', 'fast', 'scoresExportThread.js'), exportHandler, {
      maxInFlight: 4,
      threaded,
      resourceLimits: WORKER_LIMITS,
    });
    void this.channel.send({ op: 'start', model: subject.model, asOf: subject.asOf });
  }

  /**
   * Scores `rows` with the export's version into the current part (a part is written once it is
   * full); resolves once the rows are taken in, so their memory may be reused.
   */
  add(rows: FeatureRows): Promise<void> {
    // One at a time, in order (the caller does not wait for one chunk before handing the next).
    const done = this.queue.then(() => this.addNow(rows));
    this.queue = done.catch(() => undefined);
    return done;
  }

  private queue: Promise<void> = Promise.resolve();

  private async addNow(rows: FeatureRows): Promise<void> {
    const shared = isShared(rows);
    const taken: Promise<unknown>[] = [];
    for (let from = 0; from < rows.n;) {
      const to = Math.min(rows.n, from + MESSAGE_ROWS, from + (this.partRows - this.inPart));
      const base = from === 0 ? 0 : rows.idEnds[from - 1]!;
      let msg: FeatureRows;
      let transfer: ArrayBuffer[] = [];
      if (shared && from === 0 && to === rows.n)
        msg = rows; // read in place by the thread
      else {
        // Copies handed over by transfer.
        const idEnds = new Uint32Array(to - from);
        for (let i = from; i < to; i++) idEnds[i - from] = rows.idEnds[i]! - base;
        msg = { n: to - from, ids: new Uint8Array(rows.ids.subarray(base, rows.idEnds[to - 1])), idEnds, x: rows.x.slice(from * N_FEATURES, to * N_FEATURES) };
        transfer = [msg.ids.buffer, msg.idEnds.buffer, msg.x.buffer] as ArrayBuffer[];
      }
      taken.push((await this.channel.send({ op: 'rows', ...msg }, transfer)).answer);
      this.inPart += to - from;
      this.contacts += to - from;
      if (this.inPart === this.partRows) await this.endPart();
      from = to;
    }
    await Promise.all(taken);
  }

  /** Writes the current part under its temporary name (`_tmp-…`, hidden by the Hadoop convention). */
  private async endPart(): Promise<void> {
    const part = `${this.folder}/_tmp-${this.runId}-part-${String(this.temps.length).padStart(4, '0')}.csv`;
    this.temps.push(part);
    this.inPart = 0;
    const local = this.channel.threaded && this.lake.localFile ? await this.lake.localFile(part, 'write') : null;
    const { answer } = await this.channel.send({ op: 'part', local });
    const written = answer.then(async (a) => {
      if (a.bytes) await this.lake.write(part, a.bytes);
    });
    written.catch(() => undefined); // observed by finish
    this.writes.push(written);
  }

  /** Every part written (an empty population has one part, its header); throws if a part could not be. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      await this.queue;
      if (this.inPart > 0 || this.temps.length === 0) await this.endPart();
      await this.channel.drain();
      for (const w of this.writes) await w;
    } finally {
      await this.channel.close();
    }
  }

  /** The final name of temporary part `k`: the version and the population (its hash) are in it. */
  private final(k: number, populationHash: string): string {
    return `${this.folder}/${this.token}-${populationHash.slice(0, 8)}-part-${String(k).padStart(4, '0')}.csv`;
  }

  /**
   * Publishes under the serving lock if the served state is still this export's subject: parts
   * renamed into place, the manifest written, every other file of the folder removed. Otherwise the
   * parts are removed and nothing changes.
   */
  async publish(warehouse: Pick<Warehouse, 'withServingLock'>, populationHash: string, now: () => Date = () => new Date()): Promise<ExportResult> {
    try {
      await this.finish();
      return await warehouse.withServingLock(async (state) => {
        const stale = sameSubject(this.subject, populationHash, state);
        if (stale !== null) {
          await this.discard();
          return { status: 'superseded', folder: this.folder, reason: stale };
        }
        const files = this.temps.map((_, k) => this.final(k, populationHash));
        for (let k = 0; k < this.temps.length; k++) await this.lake.rename(this.temps[k]!, files[k]!);
        const manifest: ExportManifest = {
          model_version: this.subject.model.version,
          as_of: this.subject.asOf,
          population_hash: populationHash,
          contacts: this.contacts,
          files: files.map((f) => baseName(f)),
          written_at: now().toISOString(),
        };
        await this.lake.write(successMarkerPath(this.folder), `${JSON.stringify(manifest, null, 2)}\n`);
        const keep = new Set([...files, successMarkerPath(this.folder)]);
        for (const e of await this.lake.list(this.folder)) if (!keep.has(e.path)) await this.lake.delete(e.path);
        return { status: 'published', folder: this.folder, modelVersion: this.subject.model.version, files, contacts: this.contacts };
      });
    } catch (err) {
      await this.discard();
      throw err;
    }
  }

  /** Removes this export's temporary parts (an export that will not be published). */
  async discard(): Promise<void> {
    await this.finish().catch(() => undefined);
    for (const t of this.temps) await this.lake.delete(t);
    this.temps.length = 0;
  }
}

/** An export of the population of `asOf` scored by `model`, in parts of `partRows` (its content hash is given at publish). */
export function startExport(lake: Lake, model: ServingModel, asOf: string, partRows: number, runId: string): ScoresExport {
  return new ScoresExport(lake, { model, asOf }, partRows, runId);
}

export interface ExportDeps {
  lake: Lake;
  warehouse: Pick<Warehouse, 'readServed' | 'withServingLock'>;
  chunkRows: number;
  runId: string;
}

/**
 * Rewrites the export of what is served now, reading the population and the active version from
 * SQL in one snapshot (after a deploy or rollback, or to repair an export a crash left stale).
 */
export async function exportServedScores(deps: ExportDeps): Promise<ExportResult> {
  let exp: ScoresExport | undefined;
  let hash = '';
  let none: string | null = null;
  try {
    await deps.warehouse.readServed(deps.chunkRows, {
      snapshot: async ({ state, model }) => {
        if (!model) none = 'no version is active';
        else if (!state.population) none = 'no population is served yet';
        else {
          exp = startExport(deps.lake, model, state.population.asOf, deps.chunkRows, deps.runId);
          hash = state.population.contentHash;
        }
        return exp !== undefined;
      },
      rows: async (rows) => exp!.add(rows),
    });
  } catch (err) {
    await exp?.discard();
    throw err;
  }
  if (!exp) return { status: 'none', reason: none ?? 'nothing is served' };
  return exp.publish(deps.warehouse, hash);
}

/** The manifest of the export of `asOf`, or null when there is none. */
export async function readManifest(lake: Lake, asOf: string): Promise<ExportManifest | null> {
  const file = successMarkerPath(scoresFolder(asOf));
  if (!(await lake.exists(file))) return null;
  return JSON.parse((await lake.read(file)).toString('utf8')) as ExportManifest;
}

/** Whether the lake export is the one of what is served now (null when there is nothing to export). */
export async function exportIsCurrent(lake: Lake, state: ServedState): Promise<boolean | null> {
  if (!state.population || state.activeVersion === null) return null;
  const m = await readManifest(lake, state.population.asOf);
  return m !== null && m.model_version === state.activeVersion && m.population_hash === state.population.contentHash;
}

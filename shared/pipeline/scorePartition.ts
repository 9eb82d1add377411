import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { FEATURES, N_FEATURES } from '../features/schema';
import { sigmoid } from '../model/score';
import type { Lake } from '../ports/lake';
import type { Ledger } from '../ports/ledger';
import type { ScoredChunk, Warehouse } from '../ports/warehouse';
import { bandOf, toScore100, topFactorIndexes, topFactorsColumn, TOP_FACTORS, type ServingModel } from '../scoring/contact';
import { ContactIdSet, headerIndex, splitCsvLine, validateRow } from '../scoring/featureRows';
import { loadActiveModel } from '../scoring/servingModel';

/**
 * Scores one landed feature partition into SQL and the lake (ARCHITECTURE.md sections 2, 3, 7).
 *
 * Two passes over the file: the first only hashes it, so a replay of the same content for the same
 * version is recognised before anything is written (exactly once, through the partition ledger); the
 * second validates, scores and upserts chunk by chunk inside one warehouse transaction, so memory is
 * bounded by a chunk and a failure at any point commits nothing.
 */

export interface ScoringDeps {
  lake: Lake;
  warehouse: Warehouse;
  ledger: Pick<Ledger, 'getPartition' | 'putPartition'>;
  log?: (message: string) => void;
  /** Raised when a partition is not scored because too many rows are invalid. */
  alert?: (name: string, properties: Record<string, unknown>) => void;
  /** Largest share of invalid rows that still gets scored (default 0.01). */
  maxBadFraction?: number;
  /** Rows per chunk: bounds memory, one scores file per chunk (default 100,000). */
  chunkRows?: number;
  now?: () => Date;
}

export type ScorePartitionResult =
  | {
      status: 'scored';
      path: string;
      modelVersion: number;
      contentHash: string;
      rowsScored: number;
      rowsRejected: number;
      scoresFiles: string[];
      quarantineFile: string | null;
    }
  | { status: 'unchanged'; path: string; modelVersion: number; contentHash: string }
  | {
      status: 'rejected';
      path: string;
      modelVersion: number;
      contentHash: string;
      rowsRejected: number;
      rowsTotal: number;
      quarantineFile: string;
    };

const PARTITION_RE = /^processed\/features\/(\d{4})\/(\d{2})\/(\d{2})\/([^/]+)\.csv$/;
/** Bad rows kept with their text for quarantine/; beyond this only the count is kept. */
const MAX_QUARANTINE_ROWS = 100_000;

export interface PartitionPath {
  path: string;
  date: string;
  /** File name without .csv. */
  name: string;
  datePath: string;
}

/** Parses `processed/features/yyyy/mm/dd/<name>.csv`; undefined for anything else (e.g. _validation.json). */
export function parsePartitionPath(p: string): PartitionPath | undefined {
  const path = p.replace(/^\/+/, '');
  const m = PARTITION_RE.exec(path);
  if (!m) return undefined;
  return { path, date: `${m[1]}-${m[2]}-${m[3]}`, name: m[4]!, datePath: `${m[1]}/${m[2]}/${m[3]}` };
}

export function scoresFilePath(pp: PartitionPath, version: number, part: number): string {
  return `scores/${pp.datePath}/${pp.name}.v${version}.part-${String(part).padStart(4, '0')}.csv`;
}

export function quarantineFilePath(pp: PartitionPath): string {
  return `quarantine/scoring/${pp.datePath}/${pp.name}.csv`;
}

export class PartitionPathError extends Error {
  constructor(path: string) {
    super(`not a feature partition: ${path} (expected processed/features/yyyy/mm/dd/<name>.csv)`);
    this.name = 'PartitionPathError';
  }
}

export async function hashLakeFile(lake: Lake, path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of lake.readStream(path)) h.update(chunk);
  return h.digest('hex');
}

/** Lines of a lake file, decoded as UTF-8 across chunk boundaries; CR before LF dropped. */
async function* lines(lake: Lake, path: string): AsyncIterable<string[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const buf of lake.readStream(path)) {
    const text = rest + decoder.write(buf);
    const out: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      out.push(text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
    if (out.length > 0) yield out;
  }
  rest += decoder.end();
  if (rest.length > 0) yield [rest.endsWith('\r') ? rest.slice(0, -1) : rest];
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

const SCORES_HEADER = 'contact_id,as_of,model_version,lead_score,probability,score_100,band,top_factor_1,top_factor_2,top_factor_3\n';

class ChunkBuffer {
  n = 0;
  readonly contactId: string[] = [];
  readonly asOf: string[] = [];
  readonly x: Float64Array;
  readonly leadScore: Float64Array;
  readonly probability: Float64Array;
  readonly score100: Uint8Array;
  readonly band: string[] = [];
  readonly topFactors: string[] = [];
  readonly top: Int8Array;

  constructor(readonly capacity: number) {
    this.x = new Float64Array(capacity * N_FEATURES);
    this.leadScore = new Float64Array(capacity);
    this.probability = new Float64Array(capacity);
    this.score100 = new Uint8Array(capacity);
    this.top = new Int8Array(capacity * TOP_FACTORS);
  }

  reset(): void {
    this.n = 0;
    this.contactId.length = 0;
    this.asOf.length = 0;
    this.band.length = 0;
    this.topFactors.length = 0;
  }

  /** The weighted sum in leadScore's order ((x1·w1 + x2·w2) + …) + offset, then the derived columns. */
  score(model: ServingModel): void {
    const w = model.weights;
    const contrib = new Float64Array(N_FEATURES);
    const idx = new Int8Array(TOP_FACTORS);
    for (let i = 0; i < this.n; i++) {
      const at = i * N_FEATURES;
      let s = 0;
      for (let j = 0; j < N_FEATURES; j++) s += this.x[at + j]! * w[j]!;
      const z = s + model.offset;
      const p = sigmoid(z);
      const s100 = toScore100(p);
      this.leadScore[i] = z;
      this.probability[i] = p;
      this.score100[i] = s100;
      this.band[i] = bandOf(s100);
      topFactorIndexes(w, model.trainingMean, this.x, at, idx, contrib);
      this.top.set(idx, i * TOP_FACTORS);
      this.topFactors[i] = topFactorsColumn(idx, contrib);
    }
  }

  asScored(modelVersion: number, scoredAt: string): ScoredChunk {
    return {
      n: this.n,
      contactId: this.contactId,
      asOf: this.asOf,
      x: this.x,
      leadScore: this.leadScore,
      probability: this.probability,
      score100: this.score100,
      band: this.band,
      topFactors: this.topFactors,
      modelVersion,
      scoredAt,
    };
  }

  scoresCsv(modelVersion: number): string {
    const out: string[] = [SCORES_HEADER];
    for (let i = 0; i < this.n; i++) {
      const t = i * TOP_FACTORS;
      out.push(
        `${csvField(this.contactId[i]!)},${this.asOf[i]},${modelVersion},${this.leadScore[i]},${this.probability[i]},${this.score100[i]},${this.band[i]},` +
          `${FEATURES[this.top[t]!]},${FEATURES[this.top[t + 1]!]},${FEATURES[this.top[t + 2]!]}\n`,
      );
    }
    return out.join('');
  }
}

interface BadRow {
  line: number;
  contactId: string;
  reason: string;
  raw: string;
}

function quarantineCsv(bad: BadRow[], omitted: number): string {
  const rows = bad.map((b) => `${b.line},${csvField(b.contactId)},${csvField(b.reason)},${csvField(b.raw)}\n`);
  const tail = omitted > 0 ? [`,,${csvField(`${omitted} more invalid rows not listed`)},\n`] : [];
  return ['line,contact_id,reason,row\n', ...rows, ...tail].join('');
}

export interface ScoreOptions {
  /** The model to score with (default: the active version, read now). */
  model?: ServingModel;
  /**
   * Score even when the ledger says this content was scored with this version. A deploy or rollback
   * needs it: after v1 → v2 → v1 the ledger holds v1's record while lead_scores hold v2's scores.
   */
  force?: boolean;
}

/**
 * Scores `path` with the active version. Throws NoActiveVersionError when no version is active (the
 * blob trigger retries), PartitionPathError for a path that is not a feature partition.
 */
export async function scorePartition(deps: ScoringDeps, path: string, options: ScoreOptions = {}): Promise<ScorePartitionResult> {
  const pp = parsePartitionPath(path);
  if (!pp) throw new PartitionPathError(path);
  const log = deps.log ?? (() => undefined);
  const active = options.model ?? (await loadActiveModel(deps.warehouse, deps.lake));
  const contentHash = await hashLakeFile(deps.lake, pp.path);

  const seen = options.force ? undefined : await deps.ledger.getPartition(pp.path, active.version);
  if (seen && seen.contentHash === contentHash) {
    log(`score ${pp.path}: already scored with v${active.version} (same content); nothing to do`);
    return { status: 'unchanged', path: pp.path, modelVersion: active.version, contentHash };
  }

  const chunkRows = deps.chunkRows ?? 100_000;
  const maxBad = deps.maxBadFraction ?? 0.01;
  const scoredAt = (deps.now?.() ?? new Date()).toISOString();
  const buf = new ChunkBuffer(chunkRows);
  const ids = new ContactIdSet();
  const bad: BadRow[] = [];
  let badCount = 0;
  let good = 0;
  let lineNo = 0;
  let index: number[] | undefined;
  const written: string[] = [];
  const writer = await deps.warehouse.openScoreWriter();

  const flush = async (): Promise<void> => {
    if (buf.n === 0) return;
    buf.score(active);
    await writer.write(buf.asScored(active.version, scoredAt));
    const file = scoresFilePath(pp, active.version, written.length);
    await deps.lake.write(file, buf.scoresCsv(active.version));
    written.push(file);
    buf.reset();
  };

  const undo = async (): Promise<void> => {
    await writer.rollback();
    for (const f of written) await deps.lake.delete(f);
  };

  try {
    for await (const block of lines(deps.lake, pp.path)) {
      for (const line of block) {
        lineNo++;
        if (index === undefined) {
          index = headerIndex(splitCsvLine(line), pp.path);
          continue;
        }
        if (line.length === 0) continue;
        const fields = splitCsvLine(line);
        let reason = validateRow(fields, index, pp.date, buf.x, buf.n * N_FEATURES);
        const contactId = fields[index[0]!] ?? '';
        if (reason === undefined && !ids.add(contactId)) reason = 'contact_id: duplicate within the partition';
        if (reason !== undefined) {
          badCount++;
          if (bad.length < MAX_QUARANTINE_ROWS) bad.push({ line: lineNo, contactId, reason, raw: line });
          continue;
        }
        buf.contactId.push(contactId);
        buf.asOf.push(fields[index[1]!]!);
        buf.n++;
        good++;
        if (buf.n === chunkRows) await flush();
      }
    }
    if (index === undefined) throw new Error(`${pp.path}: empty file (no header)`);
    await flush();
  } catch (err) {
    await undo();
    throw err;
  }

  const total = good + badCount;
  const quarantineFile = quarantineFilePath(pp);
  if (total > 0 && badCount / total > maxBad) {
    await undo();
    await deps.lake.write(quarantineFile, quarantineCsv(bad, badCount - bad.length));
    const props = { path: pp.path, modelVersion: active.version, rowsRejected: badCount, rowsTotal: total, maxBadFraction: maxBad, quarantineFile };
    deps.alert?.('PartitionRejected', props);
    log(`score ${pp.path}: REJECTED, ${badCount} of ${total} rows invalid (> ${(maxBad * 100).toFixed(2)} %); reasons in ${quarantineFile}; nothing written`);
    return { status: 'rejected', path: pp.path, modelVersion: active.version, contentHash, rowsRejected: badCount, rowsTotal: total, quarantineFile };
  }

  try {
    if (badCount > 0) await deps.lake.write(quarantineFile, quarantineCsv(bad, badCount - bad.length));
    await writer.commit();
  } catch (err) {
    await undo();
    if (badCount > 0) await deps.lake.delete(quarantineFile);
    throw err;
  }
  await deps.ledger.putPartition({
    path: pp.path,
    contentHash,
    modelVersion: active.version,
    rowsScored: good,
    rowsRejected: badCount,
    scoredAt,
  });
  log(`score ${pp.path}: ${good} contacts scored with v${active.version}, ${badCount} rows quarantined`);
  return {
    status: 'scored',
    path: pp.path,
    modelVersion: active.version,
    contentHash,
    rowsScored: good,
    rowsRejected: badCount,
    scoresFiles: written,
    quarantineFile: badCount > 0 ? quarantineFile : null,
  };
}

/** The feature files of the newest partition date (what a deploy or rollback rescores). */
export async function newestPartition(lake: Lake): Promise<string[]> {
  const files = (await lake.list('processed/features')).map((e) => parsePartitionPath(e.path)).filter((p): p is PartitionPath => p !== undefined);
  if (files.length === 0) return [];
  const newest = files.reduce((a, b) => (b.date > a.date ? b : a)).date;
  return files.filter((f) => f.date === newest).map((f) => f.path);
}

/** Rescores the newest partition with the active version (whatever the ledger says: see ScoreOptions.force). */
export async function rescoreNewest(deps: ScoringDeps): Promise<ScorePartitionResult[]> {
  const model = await loadActiveModel(deps.warehouse, deps.lake);
  const out: ScorePartitionResult[] = [];
  for (const p of await newestPartition(deps.lake)) out.push(await scorePartition(deps, p, { model, force: true }));
  return out;
}

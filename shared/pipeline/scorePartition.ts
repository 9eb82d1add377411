import { createHash } from 'node:crypto';
import { FEATURES, N_FEATURES } from '../features/schema';
import { sigmoid } from '../model/score';
import type { Lake } from '../ports/lake';
import type { Telemetry } from '../ports/telemetry';
import type { Ledger } from '../ports/ledger';
import type { ScoredChunk, Warehouse } from '../ports/warehouse';
import { bandOf, toScore100, topFactorIndexes, topFactorsText, TOP_FACTORS, type ServingModel } from '../scoring/contact';
import { ContactIdSet, FastRowReader, headerIndex, splitCsvLine, validateRow } from '../scoring/featureRows';
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
  /** PartitionScored / ScoringFailed events and the rows_scored / rows_rejected metrics. */
  telemetry?: Telemetry;
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

/**
 * A lake file as byte blocks that end at a line end: each yielded buffer holds whole lines only (the
 * last line of the file may lack its LF). Lines stay bytes, so a million rows cost no line strings.
 */
async function* lineBlocks(lake: Lake, path: string): AsyncIterable<Buffer> {
  let carry: Buffer | undefined;
  for await (const chunk of lake.readStream(path)) {
    const data = carry ? Buffer.concat([carry, chunk]) : chunk;
    const last = data.lastIndexOf(10);
    if (last === -1) {
      carry = Buffer.from(data);
      continue;
    }
    // Copy the tail: a view would keep the whole read buffer alive.
    carry = last + 1 < data.length ? Buffer.from(data.subarray(last + 1)) : undefined;
    yield data.subarray(0, last + 1);
  }
  if (carry && carry.length > 0) yield carry;
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
  /** Per row the TOP_FACTORS feature indexes and their contributions (w·(x − mean)). */
  readonly top: Int8Array;
  readonly topContribution: Float64Array;
  /** The scores file's bytes; grows when a chunk needs more, then is reused. */
  private csv: Buffer;

  constructor(readonly capacity: number) {
    this.csv = Buffer.allocUnsafe(Math.min(capacity, 1 << 16) * 160 + SCORES_HEADER.length);
    this.x = new Float64Array(capacity * N_FEATURES);
    this.leadScore = new Float64Array(capacity);
    this.probability = new Float64Array(capacity);
    this.score100 = new Uint8Array(capacity);
    this.top = new Int8Array(capacity * TOP_FACTORS);
    this.topContribution = new Float64Array(capacity * TOP_FACTORS);
  }

  reset(): void {
    this.n = 0;
    this.contactId.length = 0;
    this.asOf.length = 0;
    this.band.length = 0;
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
      const t = i * TOP_FACTORS;
      for (let k = 0; k < TOP_FACTORS; k++) {
        this.top[t + k] = idx[k]!;
        this.topContribution[t + k] = contrib[idx[k]!]!;
      }
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
      topFactors: (i) => topFactorsText(this.top, this.topContribution, i * TOP_FACTORS),
      modelVersion,
      scoredAt,
    };
  }

  /** The chunk's scores file, written row by row into one reused buffer (no array of row strings). */
  scoresCsv(modelVersion: number): Buffer {
    let out = this.csv;
    let o = out.write(SCORES_HEADER, 0, 'latin1');
    for (let i = 0; i < this.n; i++) {
      const t = i * TOP_FACTORS;
      const row =
        `${csvField(this.contactId[i]!)},${this.asOf[i]},${modelVersion},${this.leadScore[i]},${this.probability[i]},${this.score100[i]},${this.band[i]},` +
        `${FEATURES[this.top[t]!]},${FEATURES[this.top[t + 1]!]},${FEATURES[this.top[t + 2]!]}\n`;
      // A UTF-16 code unit is at most 3 UTF-8 bytes.
      if (o + row.length * 3 > out.length) {
        const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, o + row.length * 3));
        out.copy(bigger, 0, 0, o);
        out = this.csv = bigger;
      }
      o += out.write(row, o, 'utf8');
    }
    return out.subarray(0, o);
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
    let fast: FastRowReader | undefined;
    for await (const block of lineBlocks(deps.lake, pp.path)) {
      for (let start = 0; start < block.length; ) {
        let nl = block.indexOf(10, start);
        if (nl === -1) nl = block.length;
        const next = nl + 1;
        const end = nl > start && block[nl - 1] === 13 ? nl - 1 : nl;
        lineNo++;
        if (index === undefined) {
          index = headerIndex(splitCsvLine(block.toString('utf8', start, end)), pp.path);
          fast = new FastRowReader(index, pp.date);
          start = next;
          continue;
        }
        if (end === start) {
          start = next;
          continue;
        }
        // Plain rows are read from the bytes; anything else (quotes, bad values, non-ASCII ids) goes
        // through the string path, which decides and names the reason exactly as before.
        let contactId = fast!.read(block, start, end, buf.x, buf.n * N_FEATURES);
        let asOf = pp.date;
        let reason: string | undefined;
        if (contactId === undefined) {
          const line = block.toString('utf8', start, end);
          const fields = splitCsvLine(line);
          reason = validateRow(fields, index, pp.date, buf.x, buf.n * N_FEATURES);
          contactId = fields[index[0]!] ?? '';
          asOf = fields[index[1]!]!;
          if (reason === undefined && !ids.add(contactId)) reason = 'contact_id: duplicate within the partition';
          if (reason !== undefined) {
            badCount++;
            if (bad.length < MAX_QUARANTINE_ROWS) bad.push({ line: lineNo, contactId, reason, raw: line });
            start = next;
            continue;
          }
        } else if (!ids.add(contactId)) {
          badCount++;
          if (bad.length < MAX_QUARANTINE_ROWS) bad.push({ line: lineNo, contactId, reason: 'contact_id: duplicate within the partition', raw: block.toString('utf8', start, end) });
          start = next;
          continue;
        }
        start = next;
        buf.contactId.push(contactId);
        buf.asOf.push(asOf);
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
    deps.telemetry?.trackEvent('ScoringFailed', { partition: pp.path, modelVersion: active.version, reason: `${badCount} of ${total} rows invalid`, quarantineFile });
    deps.telemetry?.trackMetric('rows_rejected', badCount, { partition: pp.path });
    await deps.telemetry?.flush();
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
  deps.telemetry?.trackEvent('PartitionScored', { partition: pp.path, modelVersion: active.version, rowsScored: good, rowsRejected: badCount });
  deps.telemetry?.trackMetric('rows_scored', good, { partition: pp.path });
  deps.telemetry?.trackMetric('rows_rejected', badCount, { partition: pp.path });
  await deps.telemetry?.flush();
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

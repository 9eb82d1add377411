import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { FEATURES, N_FEATURES } from '../../features/schema';
import {
  type ActivateRequest,
  type Deployment,
  type LeadScoreRow,
  type ModelVersion,
  type NewVersion,
  type ScoredChunk,
  type ScoreWriter,
  type VersionWeights,
  type Warehouse,
  WarehouseConflictError,
  weightsFromRows,
} from '../../ports/warehouse';
import { SQLITE_MIGRATIONS } from './sqlite-migrations';
import { MSSQL_STATEMENTS } from './mssql-statements';
import { activeWeightsFromRow, checkActivation, deploymentFromRow, leadScoreFromRow, type Row, versionFromRow } from './rows';

export interface SqliteWarehouseOptions {
  /** Test seam: called after each step of a deploy/rollback transaction; a throw aborts it. */
  failpoint?: (step: string) => void;
  /** How long a writer waits for another connection's write lock before giving up (ms). */
  busyTimeoutMs?: number;
}


function nowIso(): string {
  return new Date().toISOString();
}

/** The local warehouse: `$LEADSCORE_HOME/warehouse.db` on node:sqlite. */
export class SqliteWarehouse implements Warehouse {
  readonly engine = 'sqlite' as const;
  private readonly db: DatabaseSync;
  private readonly failpoint: (step: string) => void;
  private readonly busyTimeoutMs: number;
  private readonly checkpoints = new Set<Promise<number>>();

  constructor(
    readonly file: string,
    options: SqliteWarehouseOptions = {},
  ) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.failpoint = options.failpoint ?? (() => undefined);
    this.busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.db = this.connect();
  }

  /**
   * page_size only takes effect while the file is still empty (a new warehouse); 16 KiB pages make a
   * partition's upserts about a third cheaper than the 4 KiB default (fewer pages to balance, spill
   * and checkpoint per row) and cost a point lookup next to nothing. On an existing file it is a no-op.
   */
  private setupSql(): string {
    return `PRAGMA page_size = 16384; PRAGMA busy_timeout = ${this.busyTimeoutMs}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;`;
  }

  private connect(): DatabaseSync {
    const db = new DatabaseSync(this.file);
    db.exec(this.setupSql());
    return db;
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE takes the write lock up front). */
  private transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async migrate(): Promise<string[]> {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id TEXT NOT NULL PRIMARY KEY, checksum TEXT NOT NULL,
      applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`);
    const applied = new Map(
      (this.db.prepare('SELECT id, checksum FROM schema_migrations').all() as Row[]).map((r) => [String(r.id), String(r.checksum)]),
    );
    const now: string[] = [];
    for (const m of SQLITE_MIGRATIONS) {
      const checksum = createHash('sha256').update(m.sql).digest('hex');
      const seen = applied.get(m.id);
      if (seen !== undefined) {
        if (seen !== checksum) throw new Error(`migration ${m.id} changed after it was applied (checksum ${seen} → ${checksum}); add a new migration instead`);
        continue;
      }
      this.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (id, checksum) VALUES (?, ?)').run(m.id, checksum);
      });
      now.push(m.id);
    }
    return now;
  }

  async nextVersion(): Promise<number> {
    const row = this.db.prepare('SELECT IFNULL(MAX(model_version), 0) + 1 AS next_version FROM model_versions').get() as Row;
    return Number(row.next_version);
  }

  async insertVersion(v: NewVersion): Promise<void> {
    if (v.weights.length !== N_FEATURES) throw new Error(`version ${v.version} has ${v.weights.length} weights, expected ${N_FEATURES}`);
    try {
      this.transaction(() => {
        this.db
          .prepare(
            `INSERT INTO model_versions (model_version, status, is_active, "trigger", artifact_path, metrics, auc, pr_auc, brier, window_start, window_end)
             VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(v.version, v.status, v.trigger, v.artifactPath, JSON.stringify(v.metrics), v.metrics.auc, v.metrics.pr_auc, v.metrics.brier, v.windowStart, v.windowEnd);
        const ins = this.db.prepare(`INSERT INTO scoring_weights (model_version, feature, weight, "offset", is_active) VALUES (?, ?, ?, ?, 0)`);
        FEATURES.forEach((f, i) => ins.run(v.version, f, v.weights[i]!, v.offset));
      });
    } catch (err) {
      if (/UNIQUE constraint failed: model_versions/.test(String(err))) {
        throw new WarehouseConflictError(`model version ${v.version} already exists`);
      }
      throw err;
    }
  }

  async deleteVersion(version: number): Promise<void> {
    this.transaction(() => {
      const r = this.db.prepare('SELECT status FROM model_versions WHERE model_version = ?').get(version) as Row | undefined;
      if (!r) return;
      if (r.status !== 'staged' && r.status !== 'rejected') throw new WarehouseConflictError(`model version ${version} is ${String(r.status)}; only staged or rejected versions can be removed`);
      this.db.prepare('DELETE FROM scoring_weights WHERE model_version = ?').run(version);
      this.db.prepare('DELETE FROM model_versions WHERE model_version = ?').run(version);
    });
  }

  async getVersion(version: number): Promise<ModelVersion | undefined> {
    const r = this.db.prepare('SELECT * FROM model_versions WHERE model_version = ?').get(version) as Row | undefined;
    return r ? versionFromRow(r) : undefined;
  }

  async listVersions(): Promise<ModelVersion[]> {
    return (this.db.prepare('SELECT * FROM model_versions ORDER BY model_version').all() as Row[]).map((r) => versionFromRow(r));
  }

  async getWeights(version: number): Promise<VersionWeights | undefined> {
    const rows = this.db.prepare('SELECT feature, weight, "offset" AS "offset" FROM scoring_weights WHERE model_version = ?').all(version) as {
      feature: string;
      weight: number;
      offset: number;
    }[];
    return rows.length === 0 ? undefined : weightsFromRows(version, rows);
  }

  async getActiveWeights(): Promise<VersionWeights | undefined> {
    const r = this.db.prepare('SELECT * FROM active_scoring_weights').get() as Row | undefined;
    if (!r) return undefined;
    return activeWeightsFromRow(r);
  }

  async activate(req: ActivateRequest): Promise<Deployment> {
    return this.transaction(() => {
      const cur = this.db.prepare('SELECT model_version FROM model_versions WHERE is_active = 1').get() as Row | undefined;
      const current = cur ? Number(cur.model_version) : null;
      this.failpoint('read-active');
      const target = this.db.prepare('SELECT status FROM model_versions WHERE model_version = ?').get(req.toVersion) as Row | undefined;
      checkActivation(req, current, target ? String(target.status) : undefined);
      if (current !== null) {
        this.db.prepare(`UPDATE model_versions SET status = 'retired', is_active = 0 WHERE model_version = ?`).run(current);
        this.failpoint('retire-version');
        this.db.prepare('UPDATE scoring_weights SET is_active = 0 WHERE model_version = ?').run(current);
        this.failpoint('deactivate-weights');
      }
      const at = nowIso();
      this.db
        .prepare(`UPDATE model_versions SET status = 'active', is_active = 1, activated_at = ?, activated_by = ? WHERE model_version = ?`)
        .run(at, req.by, req.toVersion);
      this.failpoint('activate-version');
      this.db.prepare('UPDATE scoring_weights SET is_active = 1 WHERE model_version = ?').run(req.toVersion);
      this.failpoint('activate-weights');
      const r = this.db
        .prepare('INSERT INTO deployment_log (action, from_version, to_version, changed_by, reason, changed_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
        .get(req.action, current, req.toVersion, req.by, req.reason, at) as Row;
      this.failpoint('log');
      return { id: Number(r.id), action: req.action, fromVersion: current, toVersion: req.toVersion, by: req.by, reason: req.reason, at };
    });
  }

  async listDeployments(limit: number): Promise<Deployment[]> {
    return (this.db.prepare('SELECT * FROM deployment_log ORDER BY id DESC LIMIT ?').all(limit) as Row[]).map(deploymentFromRow);
  }

  async openScoreWriter(): Promise<ScoreWriter> {
    // Its own connection: a long partition transaction must not share a connection (and so a
    // transaction) with deploys running meanwhile; SQLite's file lock serializes the two.
    // A partition is one big transaction: a 64 MiB page cache keeps its B-tree pages from being
    // spilled to the WAL and read back again and again (the main cost at a million rows).
    // No checkpoint inside COMMIT: the thread runs it after the commit is reported (see settled).
    const writer = await SqliteScoreWriter.open(path.resolve(this.file), `${this.setupSql()} PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0;`);
    const done = writer.finished.then((ms) => {
      this.checkpoints.delete(done);
      return ms;
    });
    this.checkpoints.add(done);
    return writer;
  }

  /**
   * The score writers' WAL checkpoints still running. A partition's COMMIT appends its pages to the
   * WAL; copying them into the database file (about as long again at a million rows) is storage
   * upkeep, so the writer's thread does it after the commit is reported, while readers and the next
   * writer go on (a passive checkpoint blocks neither). Resolves with each checkpoint's milliseconds.
   */
  async settled(): Promise<number[]> {
    return Promise.all([...this.checkpoints]);
  }

  async getLeadScore(contactId: string): Promise<LeadScoreRow | undefined> {
    const r = this.db.prepare('SELECT * FROM lead_scores WHERE contact_id = ?').get(contactId) as Row | undefined;
    if (!r) return undefined;
    return leadScoreFromRow(r);
  }

  async countLeadScores(): Promise<number> {
    return Number((this.db.prepare('SELECT COUNT(*) AS n FROM lead_scores').get() as Row).n);
  }

  async runSeedScoringSelect(): Promise<{ contactId: string; leadScore: number }[]> {
    const rows = this.db.prepare(MSSQL_STATEMENTS.seedScoringSelectByContact!).all() as Row[];
    return rows.map((r) => ({ contactId: String(r.contact_id), leadScore: Number(r.lead_score) }));
  }

  /** The seed's SELECT exactly as written (no contact column): for the test that it runs unchanged. */
  seedScoringSelectAsWritten(): number[] {
    return (this.db.prepare(MSSQL_STATEMENTS.seedScoringSelect!).all() as Row[]).map((r) => Number(r.lead_score));
  }

  async close(): Promise<void> {
    await this.settled();
    if (this.db.isOpen) this.db.close();
  }
}

const FEATURE_COLS = ['contact_id', 'as_of', ...FEATURES, 'updated_at'];
const SCORE_COLS = ['contact_id', 'model_version', 'lead_score', 'probability', 'score_100', 'band', 'top_factors', 'as_of', 'scored_at'];

/** Rows per multi-row upsert of the score writer (features bind 8 values a row, scores 6). */
const SCORE_BATCH = 256;
/**
 * Rows per message to the writer thread, and messages not yet written: at most 64k rows in flight,
 * a little more than a default chunk, so the reading thread hands a whole chunk over and goes on
 * reading the next one instead of waiting inside write() (3 messages measured about a third slower).
 */
const MESSAGE_ROWS = 8192;
const MAX_IN_FLIGHT = 8;
/** lead_scores.band's values (its CHECK constraint): a message carries each row's band as an index. */
const BANDS = ['High', 'Medium', 'Low', 'Very low'] as const;

function sqlText(v: string): string {
  return `'${v.replaceAll("'", "''")}'`;
}

/**
 * A multi-row upsert of `rows` rows. Values that are the same for the whole chunk (as_of,
 * model_version, scored_at) are SQL literals, so each row binds only its own values: binding is the
 * per-value cost across the JS/C boundary. (Numbered parameters like ?1 would avoid re-preparing,
 * but node:sqlite's positional binding then costs O(parameters) per value.)
 */
function upsertSql(table: string, cols: string[], row: string, rows: number): string {
  const sets = cols
    .slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}
    ON CONFLICT (contact_id) DO UPDATE SET ${sets} WHERE excluded.as_of >= ${table}.as_of`;
}

interface RunStatements {
  featBatch: string;
  featOne: string;
  scoreBatch: string;
  scoreOne: string;
}

/**
 * The score writer's thread (plain JavaScript, started with `eval`, so it runs the same under
 * ts-jest and from dist/). It owns the partition's connection and transaction and only binds and
 * steps: the SQL text is made by SqliteScoreWriter. A failed step fails every later request, until
 * the rollback.
 */
const WRITER_THREAD = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
// The main thread has already shown node:sqlite's experimental warning once; not again per partition.
const emitWarning = process.emitWarning;
process.emitWarning = (w, ...rest) => (/SQLite is an experimental/.test(String(w)) ? undefined : emitWarning.call(process, w, ...rest));
const { DatabaseSync } = require('node:sqlite');
process.emitWarning = emitWarning;
const { batch } = workerData;
let db;
let failed;
const prepared = new Map();
const prep = (sql) => {
  let st = prepared.get(sql);
  if (!st) prepared.set(sql, (st = db.prepare(sql)));
  return st;
};
const FW = 8, SW = 6;
const fp = new Array(FW * batch), sp = new Array(SW * batch), f1 = new Array(FW), s1 = new Array(SW);
// Per row, the text columns are slices of one joined text per column (ends[i] = where row i ends):
// a message then carries a few strings and typed arrays, which clone as bulk copies, instead of three
// arrays of short strings, which clone string by string on both sides.
function put(m, i, f, s, k) {
  let o = k * FW - 1;
  const id = m.contactIds.slice(i === 0 ? 0 : m.idEnds[i - 1], m.idEnds[i]);
  f[++o] = id;
  const x = m.x, at = i * 7;
  for (let j = 0; j < 7; j++) f[++o] = x[at + j];
  o = k * SW - 1;
  s[++o] = id;
  s[++o] = m.leadScore[i];
  s[++o] = m.probability[i];
  s[++o] = m.score100[i];
  s[++o] = m.bandNames[m.band[i]];
  s[++o] = m.topFactors.slice(i === 0 ? 0 : m.topEnds[i - 1], m.topEnds[i]);
}
function run(m) {
  const fb = prep(m.sql.featBatch), fo = prep(m.sql.featOne), sb = prep(m.sql.scoreBatch), so = prep(m.sql.scoreOne);
  let i = 0;
  for (; i + batch <= m.n; i += batch) {
    for (let k = 0; k < batch; k++) put(m, i + k, fp, sp, k);
    fb.run(...fp);
    sb.run(...sp);
  }
  for (; i < m.n; i++) {
    put(m, i, f1, s1, 0);
    fo.run(...f1);
    so.run(...s1);
  }
}
parentPort.on('message', (m) => {
  try {
    if (m.op === 'rollback') {
      if (db && db.isOpen) {
        try {
          if (db.isTransaction) db.exec('ROLLBACK');
        } finally {
          db.close();
        }
      }
    } else if (failed) {
      throw failed;
    } else if (m.op === 'open') {
      db = new DatabaseSync(m.file);
      db.exec(m.setup);
      db.exec('BEGIN IMMEDIATE');
    } else if (m.op === 'run') {
      run(m);
    } else if (m.op === 'commit') {
      db.exec('COMMIT');
      parentPort.postMessage({ seq: m.seq });
      // The commit is reported; now copy its WAL pages into the database file, then end the thread.
      // A checkpoint that fails here runs at a later commit or close: nothing is lost either way.
      const t0 = performance.now();
      try {
        db.exec('PRAGMA wal_checkpoint(PASSIVE)');
        db.close();
        parentPort.postMessage({ checkpointMs: performance.now() - t0 });
      } catch {
      } finally {
        parentPort.close();
      }
      return;
    }
    parentPort.postMessage({ seq: m.seq });
  } catch (err) {
    if (m.op === 'run') failed = err;
    parentPort.postMessage({ seq: m.seq, error: String((err && err.message) || err) });
  }
});
`;

/**
 * All rows of a partition in one transaction on a connection of its own, driven from a second
 * thread: while SQLite binds and steps a chunk there, this thread reads and scores the next one.
 * write() returns once the chunk is handed over (at most MAX_IN_FLIGHT messages of MESSAGE_ROWS
 * rows in flight, so memory stays bounded by about a chunk); a failed step surfaces at the next
 * write, or at commit, which waits for every chunk. rollback() undoes everything, whatever state
 * the thread is in.
 */
class SqliteScoreWriter implements ScoreWriter {
  private done = false;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private readonly inFlight: Promise<void>[] = [];
  /** Set when the thread itself died (not when a statement failed: the thread then still rolls back). */
  private dead: Error | undefined;
  private lastKey = '';
  private lastSql: RunStatements | undefined;

  /** Resolves when the thread has ended: after the commit's checkpoint (its ms), or 0 when there was none. */
  readonly finished: Promise<number>;

  private constructor(private readonly worker: Worker) {
    let checkpointMs = 0;
    this.finished = new Promise((resolve) => worker.once('exit', () => resolve(checkpointMs)));
    worker.on('message', (m: { seq: number; error?: string } | { checkpointMs: number }) => {
      if ('checkpointMs' in m) {
        checkpointMs = m.checkpointMs;
        return;
      }
      const p = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve();
    });
    const fail = (err: Error): void => {
      this.dead ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`score writer thread exited (code ${code})`)));
  }

  static async open(file: string, setup: string): Promise<SqliteScoreWriter> {
    const w = new SqliteScoreWriter(new Worker(WRITER_THREAD, { eval: true, workerData: { batch: SCORE_BATCH } }));
    try {
      await w.request({ op: 'open', file, setup });
    } catch (err) {
      await w.worker.terminate();
      throw err;
    }
    return w;
  }

  private request(m: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const seq = ++this.seq;
    const p = new Promise<void>((resolve, reject) => this.pending.set(seq, { resolve, reject }));
    this.worker.postMessage({ ...m, seq }, transfer as never);
    return p;
  }

  /** Statements with this run's constants as literals (the thread prepares each text once). */
  private statements(asOf: string, modelVersion: number, scoredAt: string): RunStatements {
    if (!Number.isSafeInteger(modelVersion)) throw new Error(`model_version must be an integer, got ${modelVersion}`);
    const key = `${asOf}\u0000${modelVersion}\u0000${scoredAt}`;
    if (this.lastKey === key && this.lastSql) return this.lastSql;
    const a = sqlText(asOf);
    const t = sqlText(scoredAt);
    // contact_id, as_of, 7 features, updated_at
    const frow = `(?, ${a}, ${FEATURES.map(() => '?').join(', ')}, ${t})`;
    // contact_id, model_version, lead_score, probability, score_100, band, top_factors, as_of, scored_at
    const srow = `(?, ${modelVersion}, ?, ?, ?, ?, ?, ${a}, ${t})`;
    this.lastKey = key;
    this.lastSql = {
      featBatch: upsertSql('contact_features', FEATURE_COLS, frow, SCORE_BATCH),
      featOne: upsertSql('contact_features', FEATURE_COLS, frow, 1),
      scoreBatch: upsertSql('lead_scores', SCORE_COLS, srow, SCORE_BATCH),
      scoreOne: upsertSql('lead_scores', SCORE_COLS, srow, 1),
    };
    return this.lastSql;
  }

  async write(c: ScoredChunk): Promise<void> {
    if (this.done) throw new Error('score writer already finished');
    if (this.dead) throw this.dead;
    // Runs of rows sharing as_of (a partition has one date) go through the same literal statements.
    for (let from = 0; from < c.n; ) {
      const asOf = c.asOf[from]!;
      let to = from + 1;
      while (to < c.n && to - from < MESSAGE_ROWS && c.asOf[to] === asOf) to++;
      while (this.inFlight.length >= MAX_IN_FLIGHT) await this.inFlight.shift();
      const n = to - from;
      const idEnds = new Uint32Array(n);
      const topEnds = new Uint32Array(n);
      const band = new Uint16Array(n); // MESSAGE_ROWS < 65536 distinct names
      const bandNames: string[] = [...BANDS];
      const ids: string[] = new Array<string>(n);
      const tops: string[] = new Array<string>(n);
      let idEnd = 0;
      let topEnd = 0;
      for (let i = 0; i < n; i++) {
        const id = c.contactId[from + i]!;
        const top = c.topFactors(from + i);
        ids[i] = id;
        tops[i] = top;
        idEnds[i] = idEnd += id.length;
        topEnds[i] = topEnd += top.length;
        const name = c.band[from + i]!;
        let b = bandNames.indexOf(name);
        // A value outside the four is still written as it is, for the table's CHECK to reject.
        if (b === -1) b = bandNames.push(name) - 1;
        band[i] = b;
      }
      // Copies (slice) handed over by transfer: the caller reuses its buffers once write returns.
      const x = c.x.slice(from * N_FEATURES, to * N_FEATURES);
      const leadScore = c.leadScore.slice(from, to);
      const probability = c.probability.slice(from, to);
      const score100 = c.score100.slice(from, to);
      const p = this.request(
        {
          op: 'run',
          sql: this.statements(asOf, c.modelVersion, c.scoredAt),
          n,
          contactIds: ids.join(''),
          idEnds,
          x,
          leadScore,
          probability,
          score100,
          band,
          bandNames,
          topFactors: tops.join(''),
          topEnds,
        },
        [x.buffer, leadScore.buffer, probability.buffer, score100.buffer, idEnds.buffer, topEnds.buffer, band.buffer] as ArrayBuffer[],
      );
      p.catch(() => undefined); // observed through inFlight / commit
      this.inFlight.push(p);
      from = to;
    }
  }

  async commit(): Promise<void> {
    if (this.done) return;
    // A failure here leaves the transaction open: the caller rolls back, which ends the thread.
    while (this.inFlight.length > 0) await this.inFlight.shift();
    await this.request({ op: 'commit' });
    // The thread goes on to checkpoint, then ends by itself (SqliteWarehouse.settled waits for it).
    this.done = true;
  }

  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await Promise.allSettled(this.inFlight);
      this.inFlight.length = 0;
      if (!this.dead) await this.request({ op: 'rollback' }).catch(() => undefined);
    } finally {
      await this.worker.terminate();
    }
  }
}

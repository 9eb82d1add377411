import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { FEATURES, N_FEATURES } from '../../features/schema';
import {
  type ActivateRequest,
  type Deployment,
  type LeadScoreRow,
  type ModelVersion,
  type NewVersion,
  type ScoredChunk,
  type ScoreWriter,
  type VersionMetrics,
  type VersionStatus,
  type VersionWeights,
  type Warehouse,
  WarehouseConflictError,
  WarehouseNotFoundError,
  WEIGHT_COLUMNS,
  weightsFromRows,
} from '../../ports/warehouse';
import { SQLITE_MIGRATIONS } from './sqlite-migrations';
import { MSSQL_STATEMENTS } from './mssql-statements';

export interface SqliteWarehouseOptions {
  /** Test seam: called after each step of a deploy/rollback transaction; a throw aborts it. */
  failpoint?: (step: string) => void;
  /** How long a writer waits for another connection's write lock before giving up (ms). */
  busyTimeoutMs?: number;
}

type Row = Record<string, unknown>;

function nowIso(): string {
  return new Date().toISOString();
}

/** The local warehouse: `$LEADSCORE_HOME/warehouse.db` on node:sqlite. */
export class SqliteWarehouse implements Warehouse {
  readonly engine = 'sqlite' as const;
  private readonly db: DatabaseSync;
  private readonly failpoint: (step: string) => void;
  private readonly busyTimeoutMs: number;

  constructor(
    readonly file: string,
    options: SqliteWarehouseOptions = {},
  ) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.failpoint = options.failpoint ?? (() => undefined);
    this.busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.db = this.connect();
  }

  private connect(): DatabaseSync {
    const db = new DatabaseSync(this.file);
    db.exec(`PRAGMA busy_timeout = ${this.busyTimeoutMs}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;`);
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

  private toVersion(r: Row): ModelVersion {
    return {
      version: Number(r.model_version),
      status: String(r.status) as VersionStatus,
      trigger: String(r.trigger),
      artifactPath: String(r.artifact_path),
      metrics: JSON.parse(String(r.metrics)) as VersionMetrics,
      windowStart: (r.window_start as string | null) ?? null,
      windowEnd: (r.window_end as string | null) ?? null,
      createdAt: String(r.created_at),
      activatedAt: (r.activated_at as string | null) ?? null,
      activatedBy: (r.activated_by as string | null) ?? null,
    };
  }

  async getVersion(version: number): Promise<ModelVersion | undefined> {
    const r = this.db.prepare('SELECT * FROM model_versions WHERE model_version = ?').get(version) as Row | undefined;
    return r ? this.toVersion(r) : undefined;
  }

  async listVersions(): Promise<ModelVersion[]> {
    return (this.db.prepare('SELECT * FROM model_versions ORDER BY model_version').all() as Row[]).map((r) => this.toVersion(r));
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
    return { version: Number(r.model_version), weights: FEATURES.map((f) => Number(r[WEIGHT_COLUMNS[f]])), offset: Number(r.offset) };
  }

  async activate(req: ActivateRequest): Promise<Deployment> {
    return this.transaction(() => {
      const cur = this.db.prepare('SELECT model_version FROM model_versions WHERE is_active = 1').get() as Row | undefined;
      const current = cur ? Number(cur.model_version) : null;
      this.failpoint('read-active');
      if (current !== req.expectedActive) {
        throw new WarehouseConflictError(
          `the active version changed while this ${req.action} ran (expected ${req.expectedActive ?? 'none'}, found ${current ?? 'none'}); nothing was changed, retry`,
        );
      }
      const target = this.db.prepare('SELECT status FROM model_versions WHERE model_version = ?').get(req.toVersion) as Row | undefined;
      if (!target) throw new WarehouseNotFoundError(`model version ${req.toVersion} does not exist`);
      if (target.status === 'active') throw new WarehouseConflictError(`model version ${req.toVersion} is already active`);
      if (target.status === 'rejected') throw new WarehouseConflictError(`model version ${req.toVersion} was rejected by the gates and cannot be activated`);
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
    return (this.db.prepare('SELECT * FROM deployment_log ORDER BY id DESC LIMIT ?').all(limit) as Row[]).map((r) => ({
      id: Number(r.id),
      action: r.action as Deployment['action'],
      fromVersion: r.from_version === null ? null : Number(r.from_version),
      toVersion: Number(r.to_version),
      by: String(r.changed_by),
      reason: (r.reason as string | null) ?? null,
      at: String(r.changed_at),
    }));
  }

  async openScoreWriter(): Promise<ScoreWriter> {
    // Its own connection: a long partition transaction must not share a connection (and so a
    // transaction) with deploys running meanwhile; SQLite's file lock serializes the two.
    const db = this.connect();
    // A partition is one big transaction: a 64 MiB page cache keeps its B-tree pages from being
    // spilled to the WAL and read back again and again (the main cost at a million rows).
    db.exec('PRAGMA cache_size = -65536');
    return new SqliteScoreWriter(db);
  }

  async getLeadScore(contactId: string): Promise<LeadScoreRow | undefined> {
    const r = this.db.prepare('SELECT * FROM lead_scores WHERE contact_id = ?').get(contactId) as Row | undefined;
    if (!r) return undefined;
    return {
      contactId: String(r.contact_id),
      modelVersion: Number(r.model_version),
      leadScore: Number(r.lead_score),
      probability: Number(r.probability),
      score100: Number(r.score_100),
      band: String(r.band),
      topFactors: String(r.top_factors),
      asOf: String(r.as_of),
      scoredAt: String(r.scored_at),
    };
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
    if (this.db.isOpen) this.db.close();
  }
}

const FEATURE_COLS = ['contact_id', 'as_of', ...FEATURES, 'updated_at'];
const SCORE_COLS = ['contact_id', 'model_version', 'lead_score', 'probability', 'score_100', 'band', 'top_factors', 'as_of', 'scored_at'];

/** Rows per multi-row upsert of the score writer (features bind 8 values a row, scores 6). */
const SCORE_BATCH = 256;

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

interface ChunkStatements {
  key: string;
  featBatch: StatementSync;
  featOne: StatementSync;
  scoreBatch: StatementSync;
  scoreOne: StatementSync;
}

class SqliteScoreWriter implements ScoreWriter {
  private done = false;
  private stmts: ChunkStatements | undefined;
  // Parameter arrays reused across chunks: a million rows allocate nothing per row here.
  private readonly fp = new Array<unknown>((1 + N_FEATURES) * SCORE_BATCH);
  private readonly sp = new Array<unknown>(6 * SCORE_BATCH);
  private readonly f1 = new Array<unknown>(1 + N_FEATURES);
  private readonly s1 = new Array<unknown>(6);

  constructor(private readonly db: DatabaseSync) {
    db.exec('BEGIN IMMEDIATE');
  }

  /** Statements with this run's constants as literals; prepared once per (as_of, version, scored_at). */
  private statements(asOf: string, modelVersion: number, scoredAt: string): ChunkStatements {
    if (!Number.isSafeInteger(modelVersion)) throw new Error(`model_version must be an integer, got ${modelVersion}`);
    const key = `${asOf}\u0000${modelVersion}\u0000${scoredAt}`;
    if (this.stmts?.key === key) return this.stmts;
    const a = sqlText(asOf);
    const t = sqlText(scoredAt);
    // contact_id, as_of, 7 features, updated_at
    const frow = `(?, ${a}, ${FEATURES.map(() => '?').join(', ')}, ${t})`;
    // contact_id, model_version, lead_score, probability, score_100, band, top_factors, as_of, scored_at
    const srow = `(?, ${modelVersion}, ?, ?, ?, ?, ?, ${a}, ${t})`;
    this.stmts = {
      key,
      featBatch: this.db.prepare(upsertSql('contact_features', FEATURE_COLS, frow, SCORE_BATCH)),
      featOne: this.db.prepare(upsertSql('contact_features', FEATURE_COLS, frow, 1)),
      scoreBatch: this.db.prepare(upsertSql('lead_scores', SCORE_COLS, srow, SCORE_BATCH)),
      scoreOne: this.db.prepare(upsertSql('lead_scores', SCORE_COLS, srow, 1)),
    };
    return this.stmts;
  }

  async write(c: ScoredChunk): Promise<void> {
    if (this.done) throw new Error('score writer already finished');
    // Runs of rows sharing as_of (a partition has one date) go through the literal statements.
    for (let from = 0; from < c.n; ) {
      const asOf = c.asOf[from]!;
      let to = from + 1;
      while (to < c.n && c.asOf[to] === asOf) to++;
      this.writeRun(c, from, to, this.statements(asOf, c.modelVersion, c.scoredAt));
      from = to;
    }
  }

  private writeRun(c: ScoredChunk, from: number, to: number, st: ChunkStatements): void {
    const { fp, sp, f1, s1 } = this;
    const { contactId, x, leadScore, probability, score100, band, topFactors } = c;
    const putRow = (i: number, f: unknown[], s: unknown[], k: number): void => {
      let o = k * (1 + N_FEATURES) - 1;
      const id = contactId[i];
      f[++o] = id;
      const at = i * N_FEATURES;
      for (let j = 0; j < N_FEATURES; j++) f[++o] = x[at + j];
      o = k * 6 - 1;
      s[++o] = id;
      s[++o] = leadScore[i];
      s[++o] = probability[i];
      s[++o] = score100[i];
      s[++o] = band[i];
      s[++o] = topFactors(i);
    };
    let i = from;
    for (; i + SCORE_BATCH <= to; i += SCORE_BATCH) {
      for (let k = 0; k < SCORE_BATCH; k++) putRow(i + k, fp, sp, k);
      st.featBatch.run(...(fp as never[]));
      st.scoreBatch.run(...(sp as never[]));
    }
    for (; i < to; i++) {
      putRow(i, f1, s1, 0);
      st.featOne.run(...(f1 as never[]));
      st.scoreOne.run(...(s1 as never[]));
    }
  }

  async commit(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      this.db.exec('COMMIT');
    } finally {
      this.db.close();
    }
  }

  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
    } finally {
      this.db.close();
    }
  }
}

import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { FEATURES, N_FEATURES } from '../../domain/features/schema';
import {
  type AbScoreRow,
  type AbTest,
  type AbTestRequest,
  type ActivateRequest,
  type ChallengerModel,
  type ChallengerRequest,
  type Deployment,
  type LeadScoreRow,
  type ModelVersion,
  type NewVersion,
  type PopulationLoad,
  type PopulationTarget,
  type ServedState,
  type ServedVisitor,
  type ServingModel,
  type VersionWeights,
  type Warehouse,
  WarehouseConflictError,
  weightsFromRows,
} from '../../ports/warehouse';
import { applyMigrations } from './sqlite-migrations';
import { challengerModel, challengerScore, clearChallenger, setChallenger } from './sqliteChallenger';
import { abScore, currentAbTest, dropStoppedArms, registerAbBucket, startAbTest, stopAbTest } from './sqliteAbTest';
import { activateVersion } from './sqliteActivate';
import { MSSQL_STATEMENTS } from './mssql-statements';
import {
  activeWeightsFromRow,
  deploymentFromRow,
  gradeColumns,
  leadScoreFromRow,
  populationFromRow,
  type Row,
  servingModelFromRow,
  versionFromRow,
} from './rows';
import { SqlitePopulationLoad } from './sqlitePopulationLoad';
import { readServedContacts } from './sqliteServed';

export interface SqliteWarehouseOptions {
  /** Test seam: called after each step of a deploy/rollback transaction; a throw aborts it. */
  failpoint?: (step: string) => void;
  /** How long a writer waits for another connection's write lock before giving up (ms). */
  busyTimeoutMs?: number;
  /** Run population loads on a thread of their own (default: when running from dist/). */
  loaderThread?: boolean;
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
  private readonly loaderThread: boolean;
  private readonly checkpoints = new Set<Promise<number>>();
  private readonly loads = new Set<SqlitePopulationLoad>();

  constructor(
    readonly file: string,
    options: SqliteWarehouseOptions = {},
  ) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.failpoint = options.failpoint ?? (() => undefined);
    this.busyTimeoutMs = options.busyTimeoutMs ?? 60_000;
    this.loaderThread = options.loaderThread ?? true;
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
    try {
      const db = new DatabaseSync(this.file);
      db.exec(this.setupSql());
      registerAbBucket(db);
      return db;
    } catch (err) {
      throw new Error(
        `the warehouse ${this.file} cannot be opened: ${err instanceof Error ? err.message : String(err)} (a damaged or foreign file: restore it from a backup; see README, Recovering a lost warehouse)`,
      );
    }
  }

  /**
   * Runs `fn` in one write transaction (BEGIN IMMEDIATE takes the write lock up front). The error
   * reported is always the first one: when the failure already ended the transaction (a full disk
   * does), the ROLLBACK's own "no transaction is active" must not hide it.
   */
  private transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      try {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
      } catch {
        // the first error is the one that matters
      }
      throw err;
    }
  }

  /** A short-lived connection of its own, for work that spans awaits (it must not share a transaction). */
  private side<T>(fn: (db: DatabaseSync) => Promise<T>): Promise<T> {
    const db = this.connect();
    return fn(db).finally(() => {
      try {
        if (db.isTransaction) db.exec('ROLLBACK');
      } catch {
        // closing rolls back anyway
      }
      db.close();
    });
  }

  private static state(db: DatabaseSync): ServedState {
    const p = db.prepare('SELECT * FROM served_population WHERE id = 1').get() as Row | undefined;
    const v = db.prepare('SELECT model_version FROM model_versions WHERE is_active = 1').get() as Row | undefined;
    return { population: p ? populationFromRow(p) : null, activeVersion: v ? Number(v.model_version) : null };
  }

  async migrate(): Promise<string[]> {
    return applyMigrations(this.db, (fn) => this.transaction(fn));
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
            `INSERT INTO model_versions (model_version, status, is_active, "trigger", artifact_path, metrics, auc, pr_auc, brier, window_start, window_end, complete,
                                         grade_a_min, grade_b_min, grade_c_min)
             VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            v.version,
            v.status,
            v.trigger,
            v.artifactPath,
            JSON.stringify(v.metrics),
            v.metrics.auc,
            v.metrics.pr_auc,
            v.metrics.brier,
            v.windowStart,
            v.windowEnd,
            v.complete === false ? 0 : 1,
            ...gradeColumns(v),
          );
        const ins = this.db.prepare(`INSERT INTO scoring_weights (model_version, feature, weight, "offset", is_active) VALUES (?, ?, ?, ?, 0)`);
        FEATURES.forEach((f, i) => ins.run(v.version, f, v.weights[i]!, v.offset));
        this.insertMeans(v.version, v.trainingMean);
      });
    } catch (err) {
      if (/UNIQUE constraint failed: model_versions/.test(String(err))) {
        throw new WarehouseConflictError(`model version ${v.version} already exists`);
      }
      throw err;
    }
  }

  async completeVersion(version: number): Promise<void> {
    this.db.prepare('UPDATE model_versions SET complete = 1 WHERE model_version = ?').run(version);
  }

  get location(): string {
    return this.file;
  }

  async deleteVersion(version: number): Promise<void> {
    this.transaction(() => {
      const r = this.db.prepare('SELECT status FROM model_versions WHERE model_version = ?').get(version) as Row | undefined;
      if (!r) return;
      if (r.status !== 'staged' && r.status !== 'rejected')
        throw new WarehouseConflictError(`model version ${version} is ${String(r.status)}; only staged or rejected versions can be removed`);
      this.db.prepare('DELETE FROM scoring_weights WHERE model_version = ?').run(version);
      this.db.prepare('DELETE FROM version_feature_means WHERE model_version = ?').run(version);
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
    return this.transaction(() => activateVersion(this.db, req, nowIso(), this.failpoint));
  }

  async listDeployments(limit: number): Promise<Deployment[]> {
    return (this.db.prepare('SELECT * FROM deployment_log ORDER BY id DESC LIMIT ?').all(limit) as Row[]).map(deploymentFromRow);
  }

  private insertMeans(version: number, mean: number[]): void {
    if (mean.length !== N_FEATURES || !mean.every(Number.isFinite)) throw new Error(`version ${version}: training means must be ${N_FEATURES} finite numbers`);
    const ins = this.db.prepare('INSERT INTO version_feature_means (model_version, feature, training_mean) VALUES (?, ?, ?)');
    FEATURES.forEach((f, i) => ins.run(version, f, mean[i]!));
  }

  async activeModel(): Promise<ServingModel | undefined> {
    const r = this.db.prepare('SELECT * FROM active_model').get() as Row | undefined;
    return r ? servingModelFromRow(r) : undefined;
  }

  async activeVersion(): Promise<number | null> {
    const r = this.db.prepare('SELECT model_version FROM model_versions WHERE is_active = 1').get() as Row | undefined;
    return r ? Number(r.model_version) : null;
  }

  async versionsWithoutMeans(): Promise<number[]> {
    const rows = this.db
      .prepare(
        'SELECT model_version FROM model_versions v WHERE NOT EXISTS (SELECT 1 FROM version_feature_means m WHERE m.model_version = v.model_version) ORDER BY model_version',
      )
      .all() as Row[];
    return rows.map((r) => Number(r.model_version));
  }

  async putTrainingMeans(version: number, trainingMean: number[]): Promise<void> {
    this.transaction(() => {
      this.db.prepare('DELETE FROM version_feature_means WHERE model_version = ?').run(version);
      this.insertMeans(version, trainingMean);
    });
  }

  async servedState(): Promise<ServedState> {
    return SqliteWarehouse.state(this.db);
  }

  async openPopulationLoad(target: PopulationTarget): Promise<PopulationLoad> {
    // A population is one big transaction; an 8 MiB page cache holds the B-tree's right edge, where
    // ids in order are appended (more measured no faster, and memory is bounded by it). No checkpoint
    // inside COMMIT: the loader runs it once the load's follow-up is done (release, settled).
    const load = await SqlitePopulationLoad.open(
      path.resolve(this.file),
      `${this.setupSql()} PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 0;`,
      target,
      this.loaderThread,
    );
    const done = load.finished.then((ms) => {
      this.checkpoints.delete(done);
      this.loads.delete(load);
      return ms;
    });
    this.checkpoints.add(done);
    this.loads.add(load);
    return load;
  }

  async readServed(chunkRows: number, visit: ServedVisitor): Promise<void> {
    return this.side(async (db) => {
      // One read transaction: the snapshot taken by its first SELECT holds for every chunk (WAL).
      db.exec('BEGIN');
      const state = SqliteWarehouse.state(db);
      const m = db.prepare('SELECT * FROM active_model').get() as Row | undefined;
      if (!(await visit.snapshot({ state, model: m ? servingModelFromRow(m) : null }))) return;
      await readServedContacts(db, chunkRows, visit);
      db.exec('COMMIT');
    });
  }

  async withServingLock<T>(fn: (state: ServedState) => Promise<T>): Promise<T> {
    return this.side(async (db) => {
      // SQLite's serving lock is its write lock: loads, deploys and rollbacks all take it first.
      db.exec('BEGIN IMMEDIATE');
      const out = await fn(SqliteWarehouse.state(db));
      db.exec('COMMIT');
      return out;
    });
  }

  /**
   * Loads' WAL checkpoints still running. A population's COMMIT appends its pages to the WAL;
   * copying them into the database file (about as long again at a million rows) is storage upkeep,
   * so the loader's thread does it after the commit is reported, while readers and the next writer
   * go on. Resolves with each checkpoint's milliseconds.
   */
  async settled(): Promise<number[]> {
    for (const l of this.loads) l.release();
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

  async topLeadScores(limit: number): Promise<LeadScoreRow[]> {
    return (this.db.prepare('SELECT * FROM lead_scores ORDER BY lead_score DESC, contact_id LIMIT ?').all(limit) as Row[]).map(leadScoreFromRow);
  }

  async runSeedScoringSelect(): Promise<{ contactId: string; leadScore: number }[]> {
    const rows = this.db.prepare(MSSQL_STATEMENTS.seedScoringSelectByContact!).all() as Row[];
    return rows.map((r) => ({ contactId: String(r.contact_id), leadScore: Number(r.lead_score) }));
  }

  /** The seed's SELECT exactly as written (no contact column): for the test that it runs unchanged. */
  seedScoringSelectAsWritten(): number[] {
    return (this.db.prepare(MSSQL_STATEMENTS.seedScoringSelect!).all() as Row[]).map((r) => Number(r.lead_score));
  }

  // A running A/B test stops with the challenger it compares: in the transaction that changes it.
  async setChallenger(req: ChallengerRequest): Promise<{ previous: number | null }> {
    return this.transaction(() => {
      const at = nowIso();
      stopAbTest(this.db, at, req.by, `v${req.version} became the challenger`);
      return setChallenger(this.db, req, at);
    });
  }

  async clearChallenger(by = 'unknown'): Promise<number | null> {
    return this.transaction(() => {
      const was = clearChallenger(this.db);
      if (was !== null) stopAbTest(this.db, nowIso(), by, `v${was} is no longer the challenger`);
      return was;
    });
  }

  async challenger(): Promise<ChallengerModel | undefined> {
    return challengerModel(this.db);
  }

  async getChallengerScore(contactId: string): Promise<LeadScoreRow | undefined> {
    return challengerScore(this.db, contactId);
  }

  async startAbTest(req: AbTestRequest): Promise<AbTest> {
    return this.transaction(() => startAbTest(this.db, req, nowIso()));
  }

  async stopAbTest(by: string, reason: string): Promise<AbTest | null> {
    return this.transaction(() => {
      const stopped = stopAbTest(this.db, nowIso(), by, reason);
      dropStoppedArms(this.db);
      return stopped;
    });
  }

  async abTest(): Promise<AbTest | undefined> {
    return currentAbTest(this.db);
  }

  async getAbScore(contactId: string): Promise<AbScoreRow | undefined> {
    return abScore(this.db, contactId);
  }

  async close(): Promise<void> {
    await this.settled();
    if (this.db.isOpen) this.db.close();
  }
}

import sql from 'mssql';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
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
  type ServedPopulation,
  type ServedState,
  type ServedVisitor,
  type ServingModel,
  type VersionWeights,
  type Warehouse,
  WarehouseConflictError,
  weightsFromRows,
} from '../../ports/warehouse';
import { statement } from './mssql-statements';
import { bind, type Run, runIn } from './mssql-binding';
import { MssqlPopulationLoad, readServedIn } from './mssql-population';
import { DEFAULT_RETRY, isUniqueViolation, type RetryOptions, sqlErrorNumber, withTransientRetry } from './retry';
import { loadTsqlMigrations } from './tsql-batches';
import { mssqlChallenger } from './mssqlChallenger';
import { mssqlAbTest } from './mssqlAbTest';
import {
  activeWeightsFromRow,
  checkActivation,
  deploymentFromRow,
  gradeColumns,
  iso,
  leadScoreFromRow,
  populationFromRow,
  type Row,
  servingModelFromRow,
  versionFromRow,
} from './rows';

export interface MssqlWarehouseOptions {
  /** Host name, e.g. myserver.database.windows.net. */
  server: string;
  database: string;
  /** Client id of a user-assigned managed identity; omitted = DefaultAzureCredential's own chain. */
  managedIdentityClientId?: string;
  poolMax?: number;
  retry?: RetryOptions;
  /** Tests/other clouds may pass their own credential. */
  credential?: TokenCredential;
  log?: (message: string) => void;
}

function populationOf(rows: Row[]): ServedPopulation | null {
  return rows[0] ? populationFromRow(rows[0]) : null;
}

/** Azure SQL through `mssql` (tedious) with Entra ID tokens from DefaultAzureCredential. */
export class MssqlWarehouse implements Warehouse {
  readonly engine = 'mssql' as const;
  private pool: Promise<sql.ConnectionPool> | undefined;
  private readonly retry: RetryOptions;

  constructor(private readonly options: MssqlWarehouseOptions) {
    this.retry = {
      ...(options.retry ?? DEFAULT_RETRY),
      onRetry: (err, attempt, delay) =>
        options.log?.(`transient SQL error ${sqlErrorNumber(err) ?? (err as { code?: string }).code}; retry ${attempt} in ${delay} ms`),
    };
  }

  private connect(): Promise<sql.ConnectionPool> {
    if (!this.pool) {
      const credential =
        this.options.credential ??
        new DefaultAzureCredential(this.options.managedIdentityClientId ? { managedIdentityClientId: this.options.managedIdentityClientId } : {});
      const config: sql.config = {
        server: this.options.server,
        database: this.options.database,
        // The credential is asked for a fresh token on every new physical connection, so
        // a long-lived pool never presents an expired one.
        authentication: { type: 'token-credential', options: { credential } },
        options: { encrypt: true, trustServerCertificate: false },
        pool: { max: this.options.poolMax ?? 10, min: 0, idleTimeoutMillis: 30_000 },
        connectionTimeout: 30_000,
        requestTimeout: 120_000,
      };
      const pool = new sql.ConnectionPool(config);
      this.pool = pool.connect().catch((err: unknown) => {
        this.pool = undefined;
        throw err;
      });
    }
    return this.pool;
  }

  private async query(name: string, params: Record<string, unknown> = {}): Promise<Row[]> {
    return withTransientRetry(async () => {
      const req = bind((await this.connect()).request(), params);
      const res = await req.query(statement(name));
      return (res.recordset ?? []) as Row[];
    }, this.retry);
  }

  /** One transaction, retried as a whole on transient errors (a failed attempt was rolled back). */
  private async inTransaction<T>(fn: (run: Run) => Promise<T>, isolation: sql.IIsolationLevel = sql.ISOLATION_LEVEL.SERIALIZABLE): Promise<T> {
    return withTransientRetry(async () => {
      const tx = await this.begin(isolation);
      try {
        const out = await fn(runIn(tx));
        await tx.commit();
        return out;
      } catch (err) {
        // The first error is the one reported; a failed rollback must not hide it.
        await tx.rollback().catch(() => undefined);
        throw err;
      }
    }, this.retry);
  }

  private async begin(isolation: sql.IIsolationLevel): Promise<sql.Transaction> {
    const tx = new sql.Transaction(await this.connect());
    await tx.begin(isolation);
    return tx;
  }

  async migrate(): Promise<string[]> {
    const migrations = loadTsqlMigrations();
    const present = await this.query('schemaMigrationsExists');
    const applied = new Map<string, string>();
    if (Number(present[0]?.present) === 1) {
      for (const r of await this.query('listAppliedMigrations')) applied.set(String(r.id), String(r.checksum).trim());
    }
    const now: string[] = [];
    for (const m of migrations) {
      const seen = applied.get(m.id);
      if (seen !== undefined) {
        if (seen !== m.checksum) throw new Error(`migration ${m.id} changed after it was applied; add a new migration instead`);
        continue;
      }
      // Batches are idempotent (guarded), so a migration interrupted midway is simply run again.
      for (const batch of m.batches) {
        await withTransientRetry(async () => {
          await (await this.connect()).request().batch(batch);
        }, this.retry);
      }
      await this.query('recordMigration', { id: m.id, checksum: m.checksum });
      now.push(m.id);
    }
    return now;
  }

  async nextVersion(): Promise<number> {
    return Number((await this.query('nextVersion'))[0]?.next_version ?? 1);
  }

  async insertVersion(v: NewVersion): Promise<void> {
    if (v.weights.length !== N_FEATURES) throw new Error(`version ${v.version} has ${v.weights.length} weights, expected ${N_FEATURES}`);
    const [gradeA, gradeB, gradeC] = gradeColumns(v);
    try {
      await this.inTransaction(async (run) => {
        await run('insertVersion', {
          version: v.version,
          status: v.status,
          trigger: v.trigger,
          artifactPath: v.artifactPath,
          metrics: JSON.stringify(v.metrics),
          auc: v.metrics.auc,
          prAuc: v.metrics.pr_auc,
          brier: v.metrics.brier,
          windowStart: v.windowStart,
          windowEnd: v.windowEnd,
          complete: v.complete !== false,
          gradeA,
          gradeB,
          gradeC,
        });
        for (let i = 0; i < N_FEATURES; i++) {
          await run('insertWeight', { version: v.version, feature: FEATURES[i], weight: v.weights[i], offset: v.offset });
          await run('insertMean', { version: v.version, feature: FEATURES[i], mean: v.trainingMean[i] });
        }
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new WarehouseConflictError(`model version ${v.version} already exists`);
      throw err;
    }
  }

  async completeVersion(version: number): Promise<void> {
    await this.query('completeVersion', { version });
  }

  get location(): string {
    return `${this.options.server}/${this.options.database}`;
  }

  async deleteVersion(version: number): Promise<void> {
    await this.inTransaction(async (run) => {
      const r = (await run('getVersionStatus', { version }))[0];
      if (!r) return;
      if (r.status !== 'staged' && r.status !== 'rejected')
        throw new WarehouseConflictError(`model version ${version} is ${String(r.status)}; only staged or rejected versions can be removed`);
      await run('deleteWeights', { version });
      await run('deleteMeans', { version });
      await run('deleteVersion', { version });
    });
  }

  async getVersion(version: number): Promise<ModelVersion | undefined> {
    const r = (await this.query('getVersion', { version }))[0];
    return r ? versionFromRow(r) : undefined;
  }

  async listVersions(): Promise<ModelVersion[]> {
    return (await this.query('listVersions')).map((r) => versionFromRow(r));
  }

  async getWeights(version: number): Promise<VersionWeights | undefined> {
    const rows = await this.query('getWeights', { version });
    if (rows.length === 0) return undefined;
    return weightsFromRows(
      version,
      rows.map((r) => ({ feature: String(r.feature), weight: Number(r.weight), offset: Number(r.offset) })),
    );
  }

  async getActiveWeights(): Promise<VersionWeights | undefined> {
    const r = (await this.query('getActiveWeights'))[0];
    if (!r) return undefined;
    return activeWeightsFromRow(r);
  }

  async activate(req: ActivateRequest): Promise<Deployment> {
    try {
      return await this.inTransaction(async (run) => {
        // The serving lock first: a second deploy/rollback (or a population load) waits here until this
        // one commits, then sees the new active version and fails the expectedActive check below.
        await run('lockServedPopulation');
        const cur = (await run('lockActiveVersion'))[0];
        const current = cur ? Number(cur.model_version) : null;
        const target = (await run('getVersionStatus', { version: req.toVersion }))[0];
        checkActivation(req, current, target ? String(target.status) : undefined, target ? Number(target.means) : 0, target ? Boolean(target.complete) : true);
        if (current !== null) {
          await run('retireVersion', { version: current });
          await run('deactivateWeights', { version: current });
        }
        await run('activateVersion', { version: req.toVersion, by: req.by });
        await run('activateWeights', { version: req.toVersion });
        const log = (await run('insertDeployment', { action: req.action, fromVersion: current, toVersion: req.toVersion, by: req.by, reason: req.reason }))[0]!;
        // A running A/B test compared the champion this replaces.
        await run('stopAbTest', {
          by: req.by,
          reason: `v${req.toVersion} was ${req.action === 'rollback' ? 'rolled back to' : 'deployed'}: the champion changed`,
        });
        return {
          id: Number(log.id),
          action: req.action,
          fromVersion: current,
          toVersion: req.toVersion,
          by: req.by,
          reason: req.reason,
          at: iso(log.changed_at) ?? '',
        };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new WarehouseConflictError(`another deploy or rollback activated a version meanwhile; nothing was changed, retry`);
      throw err;
    }
  }

  async listDeployments(limit: number): Promise<Deployment[]> {
    return (await this.query('listDeployments', { limit })).map(deploymentFromRow);
  }

  async activeModel(): Promise<ServingModel | undefined> {
    const r = (await this.query('getActiveModel'))[0];
    return r ? servingModelFromRow(r) : undefined;
  }

  async activeVersion(): Promise<number | null> {
    const r = (await this.query('getActiveVersion'))[0];
    return r ? Number(r.model_version) : null;
  }

  async versionsWithoutMeans(): Promise<number[]> {
    return (await this.query('versionsWithoutMeans')).map((r) => Number(r.model_version));
  }

  async putTrainingMeans(version: number, trainingMean: number[]): Promise<void> {
    await this.inTransaction(async (run) => {
      await run('deleteMeans', { version });
      for (let i = 0; i < N_FEATURES; i++) await run('insertMean', { version, feature: FEATURES[i], mean: trainingMean[i] });
    });
  }

  async servedState(): Promise<ServedState> {
    const [p, v] = await Promise.all([this.query('getServedPopulation'), this.query('getActiveVersion')]);
    return { population: populationOf(p), activeVersion: v[0] ? Number(v[0].model_version) : null };
  }

  /**
   * Not retried piecemeal: a transient error aborts the transaction, and the caller (the blob trigger)
   * retries the whole partition.
   */
  async openPopulationLoad(target: PopulationTarget): Promise<PopulationLoad> {
    const tx = await this.begin(sql.ISOLATION_LEVEL.READ_COMMITTED);
    const run = runIn(tx);
    try {
      const population = populationOf(await run('lockServedPopulation'));
      const m = (await run('getActiveModel'))[0];
      const model = m ? servingModelFromRow(m) : null;
      const loadedAt = new Date();
      await run('clearContactFeatures');
      return new MssqlPopulationLoad(tx, run, target, { population, activeVersion: model?.version ?? null }, model, loadedAt);
    } catch (err) {
      await tx.rollback().catch(() => undefined);
      throw err;
    }
  }

  async readServed(chunkRows: number, visit: ServedVisitor): Promise<void> {
    // SNAPSHOT: one consistent view of the population and the active version for every page.
    const tx = await this.begin(sql.ISOLATION_LEVEL.SNAPSHOT);
    try {
      await readServedIn(runIn(tx), chunkRows, visit);
      await tx.commit();
    } catch (err) {
      await tx.rollback().catch(() => undefined);
      throw err;
    }
  }

  async withServingLock<T>(fn: (state: ServedState) => Promise<T>): Promise<T> {
    const tx = await this.begin(sql.ISOLATION_LEVEL.READ_COMMITTED);
    const run = runIn(tx);
    try {
      const population = populationOf(await run('lockServedPopulation'));
      const v = (await run('getActiveVersion'))[0];
      const out = await fn({ population, activeVersion: v ? Number(v.model_version) : null });
      await tx.commit();
      return out;
    } catch (err) {
      await tx.rollback().catch(() => undefined);
      throw err;
    }
  }

  // The challenger (migration 005): mssqlChallenger.ts, over this adapter's query and transaction.
  private readonly challengerOps = mssqlChallenger(
    (name, params) => this.query(name, params),
    (fn) => this.inTransaction(fn),
  );
  setChallenger = (req: ChallengerRequest): Promise<{ previous: number | null }> => this.challengerOps.setChallenger(req);
  clearChallenger = (by?: string): Promise<number | null> => this.challengerOps.clearChallenger(by);
  challenger = (): Promise<ChallengerModel | undefined> => this.challengerOps.challenger();
  getChallengerScore = (contactId: string): Promise<LeadScoreRow | undefined> => this.challengerOps.getChallengerScore(contactId);
  // The A/B test (migration 006): mssqlAbTest.ts.
  private readonly abOps = mssqlAbTest(
    (name, params) => this.query(name, params),
    (fn) => this.inTransaction(fn),
  );
  startAbTest = (req: AbTestRequest): Promise<AbTest> => this.abOps.startAbTest(req);
  stopAbTest = (by: string, reason: string): Promise<AbTest | null> => this.abOps.stopAbTest(by, reason);
  abTest = (): Promise<AbTest | undefined> => this.abOps.abTest();
  getAbScore = (contactId: string): Promise<AbScoreRow | undefined> => this.abOps.getAbScore(contactId);

  async getLeadScore(contactId: string): Promise<LeadScoreRow | undefined> {
    const r = (await this.query('getLeadScore', { contactId }))[0];
    if (!r) return undefined;
    return leadScoreFromRow(r);
  }

  async countLeadScores(): Promise<number> {
    return Number((await this.query('countLeadScores'))[0]?.n ?? 0);
  }

  async topLeadScores(limit: number): Promise<LeadScoreRow[]> {
    return (await this.query('topLeadScores', { limit })).map(leadScoreFromRow);
  }

  async runSeedScoringSelect(): Promise<{ contactId: string; leadScore: number }[]> {
    return (await this.query('seedScoringSelectByContact')).map((r) => ({ contactId: String(r.contact_id), leadScore: Number(r.lead_score) }));
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await (await pool).close();
  }
}

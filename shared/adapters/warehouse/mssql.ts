import sql from 'mssql';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
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
import { statement } from './mssql-statements';
import { DEFAULT_RETRY, type RetryOptions, sqlErrorNumber, withTransientRetry } from './retry';
import { loadTsqlMigrations } from './tsql-batches';
import { activeWeightsFromRow, checkActivation, deploymentFromRow, iso, leadScoreFromRow, type Row, versionFromRow } from './rows';

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

/** Rows per MERGE: one JSON parameter per chunk keeps round trips few and statements static. */
const MERGE_ROWS = 2000;


/** A duplicate key on the one-active filtered indexes means someone else activated meanwhile. */
function isUniqueViolation(err: unknown): boolean {
  const n = sqlErrorNumber(err);
  return n === 2601 || n === 2627;
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
      const req = (await this.connect()).request();
      for (const [k, v] of Object.entries(params)) req.input(k, v);
      const res = await req.query(statement(name));
      return (res.recordset ?? []) as Row[];
    }, this.retry);
  }

  /** One transaction, retried as a whole on transient errors (a failed attempt was rolled back). */
  private async inTransaction<T>(fn: (run: (name: string, params?: Record<string, unknown>) => Promise<Row[]>) => Promise<T>): Promise<T> {
    return withTransientRetry(async () => {
      const tx = new sql.Transaction(await this.connect());
      await tx.begin(sql.ISOLATION_LEVEL.SERIALIZABLE);
      try {
        const out = await fn(async (name, params = {}) => {
          const req = new sql.Request(tx);
          for (const [k, v] of Object.entries(params)) req.input(k, v);
          return ((await req.query(statement(name))).recordset ?? []) as Row[];
        });
        await tx.commit();
        return out;
      } catch (err) {
        await tx.rollback().catch(() => undefined);
        throw err;
      }
    }, this.retry);
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
        });
        for (let i = 0; i < N_FEATURES; i++) {
          await run('insertWeight', { version: v.version, feature: FEATURES[i], weight: v.weights[i], offset: v.offset });
        }
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new WarehouseConflictError(`model version ${v.version} already exists`);
      throw err;
    }
  }

  async deleteVersion(version: number): Promise<void> {
    await this.inTransaction(async (run) => {
      const r = (await run('getVersionStatus', { version }))[0];
      if (!r) return;
      if (r.status !== 'staged' && r.status !== 'rejected') throw new WarehouseConflictError(`model version ${version} is ${String(r.status)}; only staged or rejected versions can be removed`);
      await run('deleteWeights', { version });
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
        // UPDLOCK+HOLDLOCK+TABLOCK: a second deploy/rollback waits here until this one commits, then
        // sees the new active version and fails the expectedActive check below.
        const cur = (await run('lockActiveVersion'))[0];
        const current = cur ? Number(cur.model_version) : null;
        const target = (await run('getVersionStatus', { version: req.toVersion }))[0];
        checkActivation(req, current, target ? String(target.status) : undefined);
        if (current !== null) {
          await run('retireVersion', { version: current });
          await run('deactivateWeights', { version: current });
        }
        await run('activateVersion', { version: req.toVersion, by: req.by });
        await run('activateWeights', { version: req.toVersion });
        const log = (await run('insertDeployment', { action: req.action, fromVersion: current, toVersion: req.toVersion, by: req.by, reason: req.reason }))[0]!;
        return { id: Number(log.id), action: req.action, fromVersion: current, toVersion: req.toVersion, by: req.by, reason: req.reason, at: iso(log.changed_at) ?? '' };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new WarehouseConflictError(`another deploy or rollback activated a version meanwhile; nothing was changed, retry`);
      throw err;
    }
  }

  async listDeployments(limit: number): Promise<Deployment[]> {
    return (await this.query('listDeployments', { limit })).map(deploymentFromRow);
  }

  async openScoreWriter(): Promise<ScoreWriter> {
    const tx = new sql.Transaction(await this.connect());
    await tx.begin(sql.ISOLATION_LEVEL.READ_COMMITTED);
    return new MssqlScoreWriter(tx);
  }

  async getLeadScore(contactId: string): Promise<LeadScoreRow | undefined> {
    const r = (await this.query('getLeadScore', { contactId }))[0];
    if (!r) return undefined;
    return leadScoreFromRow(r);
  }

  async countLeadScores(): Promise<number> {
    return Number((await this.query('countLeadScores'))[0]?.n ?? 0);
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

/**
 * A partition's upserts in one transaction. Not retried piecemeal: a transient error aborts the
 * transaction, and the caller (the blob trigger) retries the whole partition.
 */
class MssqlScoreWriter implements ScoreWriter {
  private done = false;
  constructor(private readonly tx: sql.Transaction) {}

  async write(c: ScoredChunk): Promise<void> {
    for (let from = 0; from < c.n; from += MERGE_ROWS) {
      const to = Math.min(c.n, from + MERGE_ROWS);
      const feats: unknown[] = [];
      const scores: unknown[] = [];
      for (let i = from; i < to; i++) {
        feats.push([c.contactId[i], c.asOf[i], ...Array.from(c.x.subarray(i * N_FEATURES, (i + 1) * N_FEATURES))]);
        scores.push([c.contactId[i], c.modelVersion, c.leadScore[i], c.probability[i], c.score100[i], c.band[i], c.topFactors(i), c.asOf[i], c.scoredAt]);
      }
      await new sql.Request(this.tx).input('rows', sql.NVarChar(sql.MAX), JSON.stringify(feats)).query(statement('upsertContactFeatures'));
      await new sql.Request(this.tx).input('rows', sql.NVarChar(sql.MAX), JSON.stringify(scores)).query(statement('upsertLeadScores'));
    }
  }

  async commit(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.tx.commit();
  }

  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.tx.rollback();
  }
}

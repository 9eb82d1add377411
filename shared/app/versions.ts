import type { Log } from '../ports/log';
import { FEATURES, N_FEATURES } from '../domain/features/schema';
import type { ModelArtifact } from '../domain/model/artifact';
import type { Lake } from '../ports/lake';
import { type Deployment, type ModelVersion, type VersionMetrics, type Warehouse, WarehouseConflictError, WarehouseNotFoundError } from '../ports/warehouse';
import type { Telemetry } from '../ports/telemetry';
import { readTrainingMean } from './activeModel';
import { modelFolder, MODELS_ROOT, versionOfModelPath } from '../domain/lakeLayout';
import { exportServedScores, type ExportResult } from './scoresExport';

/**
 * The version lifecycle (docs/architecture.md, "SQL schema and serving"): register (staged) → deploy (active) → retired,
 * and rollback. Each state change is one warehouse transaction; the lake holds the artifacts.
 */

export interface VersionDeps {
  lake: Lake;
  warehouse: Warehouse;
  /** Deploy and Rollback events for the workbook and the audit trail in App Insights. */
  telemetry?: Telemetry;
  log: Log;
  /** Contacts per part of the lake export rewritten after a change (default 100,000). */
  exportChunkRows?: number;
}

export interface RegisterInput {
  artifact: ModelArtifact;
  /** Written whole to metrics.json; auc_roc, pr_auc and brier are also listed by `leadscore versions`. */
  metrics: { auc_roc: number; pr_auc: number; brier: number } & Record<string, unknown>;
  /** weights.csv as given, or rendered for the version number assigned here. */
  weightsCsv: string | ((version: number) => string);
  /** What started the run: schedule, drift, performance, manual. */
  trigger: string;
  /** Training window of labelled send dates (YYYY-MM-DD, inclusive); null when unknown (file mode). */
  window: { start: string; end: string } | null;
  /** 'rejected' records a version that failed a gate (never deployable). Default 'staged'. */
  status?: 'staged' | 'rejected';
  /** Further fields for model.json (e.g. run id, data partitions with hashes, code version). */
  modelJsonExtra?: Record<string, unknown>;
  /**
   * Complete once its artifacts are written (default true). A retrain registers incomplete and
   * completes the version when the run finishes, so one killed in between leaves it incomplete.
   */
  complete?: boolean;
}

/** The lake already holds a registered version's folder: a registered artifact is never overwritten. */
export class ArtifactExistsError extends Error {
  constructor(folder: string) {
    super(
      `${folder} already exists in the lake: a registered version's artifacts are never overwritten (the warehouse and the lake disagree; see README, Recovering a lost warehouse)`,
    );
    this.name = 'ArtifactExistsError';
  }
}

/** The warehouse holds no version while the lake holds registered ones: it was lost or replaced. */
export class LostWarehouseError extends Error {
  constructor(location: string, highest: number) {
    super(
      `the warehouse ${location} holds no model versions, but the lake holds models/v1..v${highest}: the warehouse was lost or replaced. ` +
        `Restore it from a backup, or move the lake's models/ aside to start the numbering again; nothing was registered`,
    );
    this.name = 'LostWarehouseError';
  }
}

/** The highest version number with a folder in the lake's models/ (0 when none). */
export async function highestLakeVersion(lake: Lake): Promise<number> {
  let high = 0;
  for (const e of await lake.list(MODELS_ROOT)) high = Math.max(high, versionOfModelPath(e.path) ?? 0);
  return high;
}

/** Scalars only go to SQL (curves and per-row detail stay in metrics.json). */
function sqlMetrics(m: RegisterInput['metrics']): VersionMetrics {
  const out: VersionMetrics = { auc: m.auc_roc, pr_auc: m.pr_auc, brier: m.brier };
  for (const [k, v] of Object.entries(m)) {
    if (v === null || ['number', 'string', 'boolean'].includes(typeof v)) out[k] = v;
  }
  out.auc = m.auc_roc;
  return out;
}

function checkArtifact(a: ModelArtifact, status: 'staged' | 'rejected'): void {
  // Defence in depth: the trainer refuses a fit that did not converge; should one get here, it is
  // recorded only as rejected, which can never be activated.
  if (a.converged !== true && status !== 'rejected') {
    throw new Error(
      `artifact.converged is ${String(a.converged)} (${a.iterations} iterations): a fit that did not converge can be registered only as rejected, never ${status}`,
    );
  }
  if (a.features.length !== N_FEATURES || a.features.some((f, i) => f !== FEATURES[i])) {
    throw new Error(`artifact.features must be the canonical order ${FEATURES.join(', ')}; got ${a.features.join(', ')}`);
  }
  const bad = a.raw_weights.findIndex((w) => !Number.isFinite(w));
  if (a.raw_weights.length !== N_FEATURES || bad >= 0) throw new Error(`artifact.raw_weights must be ${N_FEATURES} finite numbers (index ${bad} is not)`);
  if (!Number.isFinite(a.offset)) throw new Error('artifact.offset must be a finite number');
  if (a.training_mean.length !== N_FEATURES || !a.training_mean.every(Number.isFinite))
    throw new Error(`artifact.training_mean must be ${N_FEATURES} finite numbers`);
  const g = a.grades?.min_lead_score;
  if (g && (g.length !== 3 || !g.every(Number.isFinite) || g[0]! < g[1]! || g[1]! < g[2]!))
    throw new Error(`artifact.grades.min_lead_score must be 3 finite numbers, A's ≥ B's ≥ C's; got ${JSON.stringify(g)}`);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Registers a trained model as the next version: the SQL rows first (the primary key claims the
 * number, so two concurrent registrations cannot both take it), then models/v{N}/ in the lake; if
 * the lake write fails the SQL rows are removed again.
 */
export async function registerVersion(deps: VersionDeps, input: RegisterInput): Promise<ModelVersion> {
  checkArtifact(input.artifact, input.status ?? 'staged');
  if (input.window && (!DATE.test(input.window.start) || !DATE.test(input.window.end))) {
    throw new Error(`window must be YYYY-MM-DD dates; got ${input.window.start}..${input.window.end}`);
  }
  // The next number is above both the warehouse's and the lake's highest: a warehouse that lost
  // versions can never make a new one take an old one's folder.
  const lakeHigh = await highestLakeVersion(deps.lake);
  for (let attempt = 0; ; attempt++) {
    const next = await deps.warehouse.nextVersion();
    if (next === 1 && lakeHigh > 0) throw new LostWarehouseError(deps.warehouse.location, lakeHigh);
    const version = Math.max(next, lakeHigh + 1);
    const folder = modelFolder(version);
    if ((await deps.lake.list(folder)).length > 0) throw new ArtifactExistsError(folder);
    try {
      await deps.warehouse.insertVersion({
        version,
        status: input.status ?? 'staged',
        trigger: input.trigger,
        artifactPath: folder,
        metrics: sqlMetrics(input.metrics),
        windowStart: input.window?.start ?? null,
        windowEnd: input.window?.end ?? null,
        weights: input.artifact.raw_weights,
        offset: input.artifact.offset,
        trainingMean: input.artifact.training_mean,
        // Grade thresholds from the training rows (model/grades.ts); an artifact without them has no grades.
        gradeMin: input.artifact.grades?.min_lead_score ?? null,
        // Incomplete until its artifacts are written (below), or until its run finishes.
        complete: false,
      });
    } catch (err) {
      if (err instanceof WarehouseConflictError && attempt < 5) continue;
      throw err;
    }
    const files: [string, string][] = [
      ['model.json', `${JSON.stringify({ model_version: version, ...input.artifact, ...input.modelJsonExtra }, null, 2)}\n`],
      ['weights.csv', typeof input.weightsCsv === 'function' ? input.weightsCsv(version) : input.weightsCsv],
      ['metrics.json', `${JSON.stringify(input.metrics, null, 2)}\n`],
    ];
    const done: string[] = [];
    try {
      for (const [name, text] of files) {
        await deps.lake.write(folder + name, text);
        done.push(folder + name);
      }
    } catch (err) {
      for (const f of done) await deps.lake.delete(f);
      await deps.warehouse.deleteVersion(version);
      throw err;
    }
    if (input.complete !== false) await deps.warehouse.completeVersion(version);
    deps.log.info(`registered model version ${version} (${input.status ?? 'staged'}) → ${folder}`);
    const registered = await deps.warehouse.getVersion(version);
    if (!registered) throw new Error(`model version ${version} vanished right after registration`);
    return registered;
  }
}

export interface ChangeOptions {
  /** Who asks: a user principal, `cli:<user>`, `timer`, … */
  by: string;
  reason?: string | null;
  /** Rewrite the lake export after the change (default true). The change is complete without it. */
  export?: boolean;
  /** Activate an incomplete version (registered by a run that did not finish) all the same. */
  force?: boolean;
}

export interface ChangeResult {
  deployment: Deployment;
  /** The lake export rewritten after the change (null when not asked for). */
  export: ExportResult | null;
  /** The change is committed even if the export failed; the next export (or `leadscore export`) mends it. */
  exportError: string | null;
  /** How long the change itself took (the flip of is_active, in one transaction), in seconds. */
  changeSeconds: number;
  exportSeconds: number;
}

async function afterChange(deployment: Deployment, changeSeconds: number, opts: ChangeOptions, deps: VersionDeps): Promise<ChangeResult> {
  const log = deps.log;
  deps.telemetry?.trackEvent(deployment.action === 'deploy' ? 'Deploy' : 'Rollback', {
    fromVersion: deployment.fromVersion,
    toVersion: deployment.toVersion,
    by: deployment.by,
    reason: deployment.reason,
  });
  await deps.telemetry?.flush();
  log.info(
    `${deployment.action}: v${deployment.fromVersion ?? '-'} → v${deployment.toVersion} by ${deployment.by}${deployment.reason ? ` (${deployment.reason})` : ''}; lead_scores now serve v${deployment.toVersion}`,
  );
  const result: ChangeResult = { deployment, export: null, exportError: null, changeSeconds, exportSeconds: 0 };
  if (opts.export === false) return result;
  const t0 = performance.now();
  try {
    result.export = await exportServedScores({
      lake: deps.lake,
      warehouse: deps.warehouse,
      chunkRows: deps.exportChunkRows ?? 100_000,
      runId: `d${deployment.id}`,
    });
  } catch (err) {
    result.exportError = err instanceof Error ? err.message : String(err);
    log.warn(`rewriting the lake export after ${deployment.action} failed: ${result.exportError}`);
  }
  result.exportSeconds = (performance.now() - t0) / 1000;
  return result;
}

/** Activates `version` (staged or retired) in one transaction; throws WarehouseNotFoundError / WarehouseConflictError. */
export async function deployVersion(deps: VersionDeps, version: number, opts: ChangeOptions): Promise<ChangeResult> {
  const target = await deps.warehouse.getVersion(version);
  if (!target) throw await notFound(deps, version);
  const t0 = performance.now();
  const deployment = await deps.warehouse.activate({
    action: 'deploy',
    toVersion: version,
    expectedActive: await deps.warehouse.activeVersion(),
    by: opts.by,
    reason: opts.reason ?? null,
    force: opts.force === true,
  });
  return afterChange(deployment, (performance.now() - t0) / 1000, opts, deps);
}

/**
 * The version a rollback returns to: the one the current version replaced when it was deployed.
 * Repeated rollbacks walk back through deploy history (v3 → v2 → v1), never ping-pong.
 */
export async function previousVersion(warehouse: Warehouse, current: number): Promise<number | null> {
  const log = await warehouse.listDeployments(10_000);
  const deployed = log.find((d) => d.action === 'deploy' && d.toVersion === current);
  return deployed?.fromVersion ?? null;
}

export async function rollback(deps: VersionDeps, opts: ChangeOptions & { toVersion?: number }): Promise<ChangeResult> {
  const t0 = performance.now();
  const active = await deps.warehouse.activeVersion();
  if (active === null) throw new WarehouseConflictError('no version is active: nothing to roll back');
  let target = opts.toVersion;
  if (target === undefined) {
    const prev = await previousVersion(deps.warehouse, active);
    if (prev === null) throw new WarehouseConflictError(`version ${active} was the first one deployed: there is no previous version to roll back to`);
    target = prev;
  } else {
    const v = await deps.warehouse.getVersion(target);
    if (!v) throw await notFound(deps, target);
    if (v.status === 'staged') throw new WarehouseConflictError(`model version ${target} was never active; use deploy to activate a staged version`);
  }
  const deployment = await deps.warehouse.activate({
    action: 'rollback',
    toVersion: target,
    expectedActive: active,
    by: opts.by,
    reason: opts.reason ?? null,
    force: opts.force === true,
  });
  return afterChange(deployment, (performance.now() - t0) / 1000, opts, deps);
}

/**
 * Copies the training means of versions registered before the warehouse kept them (migration 002)
 * from their models/v{N}/model.json; returns the versions mended.
 */
export async function backfillTrainingMeans(deps: Pick<VersionDeps, 'lake' | 'warehouse' | 'log'>): Promise<number[]> {
  const missing = await deps.warehouse.versionsWithoutMeans();
  for (const v of missing) {
    await deps.warehouse.putTrainingMeans(v, await readTrainingMean(deps.lake, v));
    deps.log.info(`version ${v}: training means copied into SQL from ${modelFolder(v)}model.json`);
  }
  return missing;
}

/** Not found: or, when the warehouse holds no version at all while the lake does, a lost warehouse. */
async function notFound(deps: Pick<VersionDeps, 'lake' | 'warehouse'>, version: number): Promise<Error> {
  if ((await deps.warehouse.nextVersion()) === 1) {
    const high = await highestLakeVersion(deps.lake);
    if (high > 0) return new LostWarehouseError(deps.warehouse.location, high);
  }
  return new WarehouseNotFoundError(`model version ${version} does not exist`);
}

export async function listVersions(deps: Pick<VersionDeps, 'warehouse'>): Promise<ModelVersion[]> {
  return deps.warehouse.listVersions();
}

/** Weights and offset this close to a version's are that version again. */
export const SAME_WEIGHTS = 1e-12;

/** The active or a staged, complete version whose weights and offset equal these within SAME_WEIGHTS, if any. */
export async function sameWeightsVersion(
  warehouse: Warehouse,
  weights: readonly number[],
  offset: number,
): Promise<{ version: number; status: string } | null> {
  for (const v of await warehouse.listVersions()) {
    // An incomplete version (its retrain was killed midway) is no match: its artifacts may be partial,
    // and the retrain that takes over must register a whole one.
    if ((v.status !== 'active' && v.status !== 'staged') || !v.complete) continue;
    const w = await warehouse.getWeights(v.version);
    if (w && Math.abs(w.offset - offset) <= SAME_WEIGHTS && w.weights.every((x, i) => Math.abs(x - weights[i]!) <= SAME_WEIGHTS))
      return { version: v.version, status: v.status };
  }
  return null;
}

import type { Log } from '../ports/log';
import { randomUUID } from 'node:crypto';
import { N_FEATURES } from '../domain/features/schema';
import { evaluate, type Evaluation } from '../domain/model/metrics';
import { leadScore, sigmoid } from '../domain/model/score';
import { TrainingDidNotConvergeError, type TrainResult } from '../domain/model/train';
import type { Lake } from '../ports/lake';
import type { Ledger, RunRecord } from '../ports/ledger';
import type { Telemetry } from '../ports/telemetry';
import type { Warehouse } from '../ports/warehouse';
import { renderReport } from '../report/report';
import { codeVersion } from './codeVersion';
import { DAY_MS, dayStartMs, isDay } from '../domain/calendar';
import { abandonOrphans, lockOwner, ownerAlive } from './retrainLock';
import {
  approvalGate,
  dataFreshnessGate,
  dataQualityGate,
  withGatesNotEvaluated,
  type FreshnessLimits,
  dataSufficiencyGate,
  learnsSomethingGate,
  safetyGate,
  type GateOutcome,
  type GateThresholds,
} from '../domain/gates';
import { holdoutFit, refitOnWindow, withoutRefit, type HoldoutFit, type VersionFit } from './versionFit';
import { buildTrainingSet, newestData, type TrainingSet } from './trainingSet';
import { weightsCsv } from '../domain/model/outputs';
import { deployVersion, registerVersion, SAME_WEIGHTS, sameWeightsVersion } from './versions';
import { challengerStart } from './challenger';
import type { GradeShares } from '../domain/model/grades';

/**
 * The one retrain step behind the weekly timer, the drift alert, POST /api/retrain and
 * `leadscore retrain` (docs/architecture.md, "Entry points" / "Training recipe" / "Gates"): build the training set from the lake,
 * train, apply every gate, register the version, deploy it when allowed, and record the run.
 */
export type RetrainTrigger = 'schedule' | 'alert' | 'drift' | 'performance' | 'manual';

/** Triggers that come from monitoring and are rate-limited (one per cooldown). */
const RATE_LIMITED: readonly RetrainTrigger[] = ['alert', 'drift', 'performance'];
const LOCK = 'retrain';
const COOLDOWN = 'retrain-monitoring';

export interface RetrainSettings {
  trainDays: number;
  validDays: number;
  C: number;
  brierThreshold: number;
  /** Percent of training rows graded A, B and C (GRADE_SHARES); default 5, 15, 30. */
  gradeShares?: GradeShares;
  /** Limits of the other calibration checks (ECE, |slope − 1|, |intercept|). */
  calibration: { maxEce: number; maxSlopeDeviation: number; maxIntercept: number };
  autoDeploy: boolean;
  gates: GateThresholds;
  cooldownHours: number;
  lockMinutes: number;
  freshness: FreshnessLimits;
  /** RETRAIN_MODE: a version that passes its gates is deployed/staged (default) or becomes the challenger. */
  mode?: 'deploy' | 'challenger';
  /** Newest features partitions whose contacts form a version's PSI baseline. */
  psiBaselineDays: number;
}

export interface RetrainDeps {
  lake: Lake;
  warehouse: Warehouse;
  ledger: Ledger;
  telemetry: Telemetry;
  settings: RetrainSettings;
  /** Contacts per part of the lake export rewritten after a deploy (default 100,000). */
  exportChunkRows?: number;
  log: Log;
  now?: () => Date;
}

export interface RetrainRequest {
  trigger: RetrainTrigger;
  reason?: string;
  /** Labelled send dates up to this day are used (default: today, UTC). */
  asOf?: string;
  /** A run id given out earlier (POST /api/retrain answers with it before the work starts). */
  runId?: string;
  requestedBy?: string;
  /** This run only: become the challenger instead of being deployed (RETRAIN_MODE), and/or another TRAIN_DAYS. */
  mode?: 'deploy' | 'challenger';
  trainDays?: number;
}

export type RetrainOutcome = 'deployed' | 'staged' | 'challenger' | 'rejected' | 'blocked' | 'suppressed' | 'duplicate' | 'error';

export interface RetrainDetails {
  outcome: RetrainOutcome;
  requestedBy: string | null;
  asOf: string;
  window: TrainingSet['window'] | null;
  partitions: { path: string; contentHash: string; rows: number }[];
  codeVersion: string;
  version: number | null;
  /** The labelled days and rows the version's weights were fitted on, and their AUC there (docs/architecture.md, "Training window"). */
  fittedOn?: VersionFit['fittedOn'];
  /** A retrain that learnt an existing version's weights: that version (nothing was registered). */
  duplicateOf?: number;
  metrics: Omit<TrainResult['metrics'], 'calibration_curve'> | null;
  production: { version: number; auc: number } | null;
  gates: GateOutcome[];
  durationMs: number;
  reportPath: string | null;
}

export interface RetrainRun extends RunRecord {
  details: RetrainDetails;
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * When a run happens on the data's clock: the end of its as-of day, or now if that day has not
 * ended. A retrain as of a past day (the local run, a replay) is rate-limited by the days of data it
 * has seen, as one as of today (Azure's timers) is by the wall clock.
 */
export function dataClock(asOf: string, now: Date): Date {
  return new Date(Math.min(dayStartMs(asOf) + DAY_MS, now.getTime()));
}

/** The production version evaluated on the new validation rows: the safety gate compares like with like. */
async function productionOnSameRows(warehouse: Warehouse, set: TrainingSet): Promise<{ version: number; metrics: Evaluation } | null> {
  const active = await warehouse.getActiveWeights();
  if (!active) return null;
  const p = new Float64Array(set.valid.n);
  for (let i = 0; i < set.valid.n; i++) p[i] = sigmoid(leadScore(active.weights, active.offset, set.valid.x, i * N_FEATURES));
  const { auc_roc, pr_auc, brier, precision_at_100, precision_at_200, lift_at_10pct } = evaluate(p, set.valid.y);
  return { version: active.version, metrics: { auc_roc, pr_auc, brier, precision_at_100, precision_at_200, lift_at_10pct } };
}

export async function retrain(deps: RetrainDeps, request: RetrainRequest): Promise<RetrainRun> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  const id = request.runId ?? randomUUID();
  const asOf = request.asOf ?? isoDate(started);
  const log = (m: string): void => deps.log.info(m);
  const details: RetrainDetails = {
    outcome: 'error',
    requestedBy: request.requestedBy ?? null,
    asOf,
    window: null,
    partitions: [],
    codeVersion: codeVersion(),
    version: null,
    metrics: null,
    production: null,
    gates: [],
    durationMs: 0,
    reportPath: null,
  };
  const run: RetrainRun = { id, trigger: request.trigger, status: 'running', startedAt: started.toISOString(), details };
  if (request.reason) run.reason = request.reason;
  const finish = async (status: RunRecord['status'], outcome: RetrainOutcome, reason?: string): Promise<RetrainRun> => {
    // The version this run registered becomes complete only now: a run that dies before this line
    // leaves it incomplete, and deploy refuses it without --force.
    if (details.version !== null) await deps.warehouse.completeVersion(details.version);
    details.outcome = outcome;
    // Every gate is listed, those the run did not reach as `not evaluated`.
    details.gates = withGatesNotEvaluated(details.gates, `not evaluated: the run ended ${outcome}`);
    details.durationMs = now().getTime() - started.getTime();
    run.status = status;
    run.finishedAt = now().toISOString();
    if (reason) run.reason = reason;
    await deps.ledger.putRun(run);
    deps.telemetry.trackEvent('RetrainRun', {
      runId: id,
      trigger: request.trigger,
      status,
      outcome,
      version: details.version ?? '',
      reason: run.reason ?? '',
      durationMs: details.durationMs,
    });
    await deps.telemetry.flush();
    log(`retrain ${id} (${request.trigger}): ${outcome}${run.reason ? ` — ${run.reason}` : ''}`);
    return run;
  };

  // Monitoring triggers are rate-limited, on the data's clock; a suppressed trigger is still recorded with its reason.
  // An as-of that is not a day fails the run below, recorded, as before; it has no clock of its own.
  const clock = isDay(asOf) ? dataClock(asOf, started) : started;
  if (RATE_LIMITED.includes(request.trigger)) {
    const until = await deps.ledger.getCooldown(COOLDOWN);
    if (until && new Date(until) > clock) {
      return finish('suppressed', 'suppressed', `rate-limited: a monitoring-triggered retrain already ran; next allowed after ${until}`);
    }
  }
  // Single flight across instances: whoever holds the lease trains; everyone else is recorded and leaves.
  // A lease whose holder is gone is taken over: on this machine when its process no longer exists,
  // anywhere when the lease expired.
  const owner = lockOwner(id);
  const ttl = deps.settings.lockMinutes * 60_000;
  let held = await deps.ledger.acquireLock(LOCK, owner, ttl);
  if (!held) {
    const holder = await deps.ledger.lockHolder(LOCK);
    if (holder && !ownerAlive(holder.owner)) {
      held = await deps.ledger.acquireLock(LOCK, owner, ttl, { takeOverFrom: holder.owner });
      if (held) log(`retrain ${id}: took the lock over from ${holder.owner}, whose process is gone`);
    }
  }
  if (!held) {
    const holder = await deps.ledger.lockHolder(LOCK);
    return finish(
      'suppressed',
      'suppressed',
      `another retrain is running (single flight; lock held by ${holder?.owner ?? 'another instance'} until ${holder?.expiresAt ?? '?'})`,
    );
  }
  try {
    await abandonOrphans(deps, id, now().toISOString(), log);
    if (RATE_LIMITED.includes(request.trigger)) {
      await deps.ledger.setCooldown(COOLDOWN, new Date(clock.getTime() + deps.settings.cooldownHours * 3_600_000).toISOString());
    }
    await deps.ledger.putRun(run);
    return await retrainLocked(deps, request, run, finish, log);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return finish('failed', 'error', message);
  } finally {
    await deps.ledger.releaseLock(LOCK, owner);
  }
}

async function retrainLocked(
  deps: RetrainDeps,
  request: RetrainRequest,
  run: RetrainRun,
  finish: (status: RunRecord['status'], outcome: RetrainOutcome, reason?: string) => Promise<RetrainRun>,
  log: (message: string) => void,
): Promise<RetrainRun> {
  const settings = { ...deps.settings, ...(request.mode ? { mode: request.mode } : {}), ...(request.trainDays ? { trainDays: request.trainDays } : {}) };
  const details = run.details;
  const gateFailed = (g: GateOutcome): void => {
    deps.telemetry.trackEvent('GateFailed', { runId: run.id, gate: g.name, detail: g.detail, trigger: request.trigger });
  };
  // Freshness first, from the lake's listing alone: a stale lake is refused before anything is read.
  const freshness = dataFreshnessGate(details.asOf, await newestData(deps.lake, details.asOf), settings.freshness);
  details.gates.push(freshness);
  if (!freshness.passed) {
    gateFailed(freshness);
    return finish('failed', 'blocked', `gate data_freshness failed: ${freshness.detail}`);
  }

  const set = await buildTrainingSet(deps.lake, { asOf: details.asOf, trainDays: settings.trainDays, validDays: settings.validDays });
  details.window = set.window;
  details.partitions = set.partitions.map((p) => ({ path: p.path, contentHash: p.contentHash, rows: p.rows }));
  log(
    `training set: ${set.train.n} training rows ${set.window.trainFrom}..${set.window.trainTo}, ${set.valid.n} validation rows ${set.window.validFrom}..${set.window.validTo}`,
  );

  const preconditions = [dataSufficiencyGate(set.train, set.valid, settings.gates), dataQualityGate(set.reports)];
  details.gates.push(...preconditions);
  const blocked = preconditions.filter((g) => !g.passed);
  if (blocked.length) {
    blocked.forEach(gateFailed);
    return finish('failed', 'blocked', `gate ${blocked.map((g) => g.name).join(', ')} failed: ${blocked.map((g) => g.detail).join('; ')}`);
  }

  const fitOptions = {
    C: settings.C,
    brierThreshold: settings.brierThreshold,
    calibration: settings.calibration,
    gradeShares: settings.gradeShares,
    psiBaselineDays: settings.psiBaselineDays,
  };
  let holdout: HoldoutFit;
  try {
    holdout = await holdoutFit(deps.lake, set, fitOptions);
  } catch (err) {
    // A fit that did not converge is no model: the run fails and no version is registered (not even
    // as rejected), so there is nothing that `deploy` or a rollback could ever activate.
    if (err instanceof TrainingDidNotConvergeError) return finish('failed', 'error', `no version registered: ${err.message}`);
    throw err;
  }
  const result = holdout.result;
  const { calibration_curve: _curve, ...metrics } = result.metrics;
  details.metrics = metrics;
  const production = await productionOnSameRows(deps.warehouse, set);
  details.production = production ? { version: production.version, auc: production.metrics.auc_roc } : null;
  const quality = [learnsSomethingGate(result.metrics, settings.gates), safetyGate(result.metrics.auc_roc, details.production, settings.gates)];
  details.gates.push(...quality);
  const rejected = quality.filter((g) => !g.passed);
  const approval = approvalGate(settings.autoDeploy, settings.mode ?? 'deploy');
  if (!rejected.length) details.gates.push(approval);

  // The version's weights: the same recipe on the whole window once the holdout fit passed.
  let fit: VersionFit;
  try {
    fit = rejected.length ? withoutRefit(set, holdout) : await refitOnWindow(set, holdout, fitOptions);
  } catch (err) {
    if (err instanceof TrainingDidNotConvergeError) return finish('failed', 'error', `no version registered: the refit on the whole window: ${err.message}`);
    throw err;
  }
  details.fittedOn = fit.fittedOn;
  const artifact = fit.final.artifact;

  // A retrain that learnt the weights of a version already there (active or staged) registers nothing:
  // two identical versions would only make deploy and rollback lists lie about what changed.
  const same = await sameWeightsVersion(deps.warehouse, artifact.raw_weights, artifact.offset);
  if (same) {
    details.duplicateOf = same.version;
    return finish('succeeded', 'duplicate', `nothing registered: the weights and offset equal v${same.version}'s (${same.status}) within ${SAME_WEIGHTS}`);
  }

  const registered = await registerVersion(deps, {
    artifact,
    // auc_train: the version's own weights on the rows they were fitted on (PERFORMANCE_BASELINE=training).
    metrics: { ...result.metrics, auc_train: fit.fittedOn.auc, weights_fitted_on: fit.fittedOn },
    weightsCsv: (v) => weightsCsv(artifact, v),
    trigger: request.trigger,
    window: { start: set.window.trainFrom, end: set.window.validTo },
    status: rejected.length ? 'rejected' : 'staged',
    // Complete when the run finishes (finish above), not when the artifacts are written.
    complete: false,
    modelJsonExtra: {
      psi_baseline_population: fit.population
        ? `every eligible contact in the features partitions ${fit.population.from}..${fit.population.to} (${fit.population.rows.n} rows)`
        : 'training rows',
      weights_fitted_on: fit.fittedOn,
      run: {
        id: run.id,
        trigger: request.trigger,
        reason: run.reason ?? null,
        codeVersion: details.codeVersion,
        window: set.window,
        partitions: details.partitions,
        metrics: details.metrics,
        gates: details.gates,
        // Up to registration: the deploy that may follow is in the ledger's run record.
        durationMs: (deps.now ?? (() => new Date()))().getTime() - new Date(run.startedAt).getTime(),
      },
    },
  });
  details.version = registered.version;
  details.reportPath = `${registered.artifactPath}report.html`;
  await deps.lake.write(
    details.reportPath,
    renderReport({
      version: registered.version,
      createdAt: registered.createdAt,
      trigger: request.trigger,
      dataWindow: {
        training: `${set.window.trainFrom} .. ${set.window.trainTo} (${set.train.n} rows)`,
        validation: `${set.window.validFrom} .. ${set.window.validTo} (${set.valid.n} rows)`,
        'weights fitted on': `${fit.fittedOn.from} .. ${fit.fittedOn.to} (${fit.fittedOn.rows} rows)`,
      },
      artifact,
      refit: fit.final === result ? null : fit.fittedOn,
      metrics: result.metrics,
      baselineMetrics: result.metrics.baseline,
      production,
      curves: { model: result.detail.model, baseline: result.detail.baseline },
      validation: { probabilities: result.detail.validProbabilities, labels: set.valid.y },
      gates: details.gates,
    }),
  );

  if (rejected.length) {
    rejected.forEach(gateFailed);
    return finish(
      'failed',
      'rejected',
      `v${registered.version} rejected: gate ${rejected.map((g) => g.name).join(', ')} failed: ${rejected.map((g) => g.detail).join('; ')}`,
    );
  }
  if (settings.mode === 'challenger') {
    // Complete first: only a complete, staged version can be the challenger (the database checks it).
    await deps.warehouse.completeVersion(registered.version);
    const from = challengerStart(details.asOf);
    await deps.warehouse.setChallenger({ version: registered.version, from, by: `retrain:${request.trigger}` });
    return finish('succeeded', 'challenger', `v${registered.version} is the challenger, judged on the sends from ${from} on`);
  }
  if (!settings.autoDeploy) return finish('succeeded', 'staged', `v${registered.version} staged for approval`);

  // This run's own version: complete for this deploy (the run is alive and decided it).
  await deps.warehouse.completeVersion(registered.version);
  await deployVersion(deps, registered.version, {
    by: `retrain:${request.trigger}`,
    reason: request.reason ?? `retrain ${run.id}`,
  });
  return finish('succeeded', 'deployed', `v${registered.version} deployed`);
}

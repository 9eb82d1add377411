import { FEATURES, N_FEATURES, type FeatureName } from '../domain/features/schema';
import type { ModelArtifact } from '../domain/model/artifact';
import { evaluateDrift, type DriftResult } from '../domain/model/drift';
import { rankingMetrics } from '../domain/model/metrics';
import { leadScore, leadScores } from '../domain/model/score';
import type { Dataset } from '../domain/model/dataset';
import { daysBetween } from '../domain/calendar';
import type { FreshnessLimits } from '../domain/gates';
import type { Lake } from '../ports/lake';
import type { Log } from '../ports/log';
import type { DriftRecord, Ledger } from '../ports/ledger';
import { evaluateChallenger, type ChallengerDeps, type ChallengerReport } from './challenger';
import type { Telemetry } from '../ports/telemetry';
import type { Warehouse } from '../ports/warehouse';
import { driftReportPath, SUCCESS_MARKER } from '../domain/lakeLayout';
import { completeFeaturesDates, readFeaturesPartition } from './partitions';
import { exportIsCurrent, exportServedScores } from './scoresExport';
import { retrain, type RetrainDeps, type RetrainRun } from './retrain';
import { buildTrainingSet, NoLabelsError } from './trainingSet';

/**
 * The daily drift check (docs/architecture.md, "Drift"): PSI of every feature and of the score in the
 * newest features partition against the active version's baseline, the active version's AUC on the
 * labels matured in the last days (beside the version it replaced, on the same rows), and how old
 * the partition and labels it used are. Writes monitoring/drift/yyyy/mm/dd/drift.json,
 * records it in the ledger, emits the metrics the Azure Monitor alert watches, and says whether a
 * retrain is due (the caller starts it: directly locally, through the alert in Azure).
 */
export interface DriftDeps {
  lake: Lake;
  warehouse: Warehouse;
  ledger: Pick<Ledger, 'putDrift'>;
  telemetry: Telemetry;
  psiThreshold: number;
  aucDropThreshold: number;
  /** Labelled send days the recent AUC is measured on (default 7). */
  recentDays: number;
  /** What the recent AUC is compared with: the version's validation AUC or its AUC on its training rows. */
  performanceBaseline: PerformanceBaseline;
  /** The ages the freshness signal flags (the freshness gate's limits). */
  freshness: FreshnessLimits;
  log: Log;
}

export type PerformanceBaseline = 'validation' | 'training';

/** How old the data the check used is, in days before the check's date (docs/architecture.md, "Drift"). */
export interface Freshness {
  features_partition: string;
  features_age_days: number;
  /** The newest labelled send day on or before the date; null when there is none. */
  labels_newest: string | null;
  labels_age_days: number | null;
  /** Which of the two is older than its limit. */
  stale: ('features' | 'labels')[];
}

export interface DriftReport extends DriftResult {
  date: string;
  model_version: number;
  partition: string;
  rows: number;
  auc_validation: number;
  /** The AUC the recent one is compared with, and which it is. A version without a training AUC (registered before it was recorded) falls back to validation. */
  auc_baseline: { kind: PerformanceBaseline; value: number };
  auc_recent_rows: number;
  /** The version the active one replaced, on the same recent rows: did the change help? Null when there is none. */
  previous: { version: number; auc_recent: number | null } | null;
  freshness: Freshness;
  /** Why a retrain is due, in words; null when none is. */
  reason: string | null;
}

export class DriftCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriftCheckError';
  }
}

export async function checkDrift(deps: DriftDeps, date: string): Promise<DriftReport> {
  const active = await deps.warehouse.getActiveWeights();
  if (!active) throw new DriftCheckError('no active model version: deploy one before checking drift');
  const version = await deps.warehouse.getVersion(active.version);
  if (!version) throw new DriftCheckError(`active version ${active.version} has no model_versions row`);
  const artifact = JSON.parse((await deps.lake.read(`${version.artifactPath}model.json`)).toString('utf8')) as ModelArtifact;
  const validationAuc = Number(version.metrics.auc);
  const trainingAuc = typeof version.metrics.auc_train === 'number' ? version.metrics.auc_train : null;
  const baseline: DriftReport['auc_baseline'] =
    deps.performanceBaseline === 'training' && trainingAuc !== null ? { kind: 'training', value: trainingAuc } : { kind: 'validation', value: validationAuc };

  const day = (await completeFeaturesDates(deps.lake, date))[0];
  if (!day) throw new DriftCheckError(`no complete features partition (with its ${SUCCESS_MARKER} marker) on or before ${date}`);
  const partition = await readFeaturesPartition(deps.lake, day);
  if (!partition) throw new DriftCheckError(`features partition of ${day} vanished while reading`);
  if (!partition.report.ok) throw new DriftCheckError(`features partition ${partition.partition.folder} fails validation; see its report`);
  const n = partition.contactIds.length;
  const features = Object.fromEntries(FEATURES.map((f) => [f, new Float64Array(n)])) as Record<FeatureName, Float64Array>;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    FEATURES.forEach((f, j) => {
      features[f][i] = partition.x[i * N_FEATURES + j]!;
    });
    scores[i] = leadScore(active.weights, active.offset, partition.x, i * N_FEATURES);
  }

  // The active version, and the one it replaced, on the labels that matured most recently.
  const previousVersion = (await deps.warehouse.listDeployments(1)).find((d) => d.toVersion === active.version)?.fromVersion ?? null;
  const previousWeights = previousVersion !== null ? await deps.warehouse.getWeights(previousVersion) : null;
  let aucRecent: number | null = null;
  let aucPrevious: number | null = null;
  let recentRows = 0;
  let labelsNewest: string | null = null;
  try {
    const recentSet = await buildTrainingSet(deps.lake, { asOf: date, trainDays: 0, validDays: deps.recentDays });
    const recent = recentSet.valid;
    labelsNewest = recentSet.window.validTo;
    recentRows = recent.n;
    let pos = 0;
    for (let i = 0; i < recent.n; i++) pos += recent.y[i]!;
    if (pos > 0 && pos < recent.n) {
      aucRecent = aucOf(active, recent);
      if (previousWeights) aucPrevious = aucOf(previousWeights, recent);
    }
  } catch (err) {
    if (!(err instanceof NoLabelsError)) throw err;
  }
  const freshness = freshnessOf(date, day, labelsNewest, deps.freshness);

  const verdict = evaluateDrift({
    baseline: artifact.psi_baseline,
    features,
    scores,
    aucRecent,
    baselineAuc: baseline.value,
    psiThreshold: deps.psiThreshold,
    aucDropThreshold: deps.aucDropThreshold,
  });
  const reasons: string[] = [];
  if (verdict.drifted.length) reasons.push(`PSI > ${deps.psiThreshold} on ${verdict.drifted.join(', ')}`);
  if (verdict.auc_relative_drop !== null && verdict.auc_relative_drop > deps.aucDropThreshold) {
    reasons.push(
      `recent AUC ${verdict.auc_recent?.toFixed(4)} is ${(100 * verdict.auc_relative_drop).toFixed(1)}% below ${baseline.kind} AUC ${baseline.value.toFixed(4)}`,
    );
  }
  const report: DriftReport = {
    date,
    model_version: active.version,
    partition: partition.partition.folder,
    rows: n,
    auc_validation: validationAuc,
    auc_baseline: baseline,
    auc_recent_rows: recentRows,
    previous: previousVersion !== null && previousWeights ? { version: previousVersion, auc_recent: aucPrevious } : null,
    freshness,
    ...verdict,
    reason: reasons.length ? reasons.join('; ') : null,
  };

  await deps.lake.write(driftReportPath(date), `${JSON.stringify(report, null, 2)}\n`);
  await deps.ledger.putDrift(driftRecord(report));
  for (const [name, value] of Object.entries(report.psi)) deps.telemetry.trackMetric('psi', value, { feature: name, modelVersion: String(active.version) });
  // baseline and threshold: what the AUC-drop alert compares the recent AUC with (infra/modules/alerts.bicep).
  if (report.auc_recent !== null)
    deps.telemetry.trackMetric('auc_recent', report.auc_recent, {
      modelVersion: String(active.version),
      baseline: String(baseline.value),
      baselineKind: baseline.kind,
      threshold: String(deps.aucDropThreshold),
    });
  // The freshness signal: the data-age alert reads these (infra/modules/alerts.bicep).
  deps.telemetry.trackMetric('data_age_days', freshness.features_age_days, { data: 'features', limit: String(deps.freshness.maxFeaturesAgeDays) });
  if (freshness.labels_age_days !== null)
    deps.telemetry.trackMetric('data_age_days', freshness.labels_age_days, { data: 'labels', limit: String(deps.freshness.maxLabelAgeDays) });
  deps.telemetry.trackEvent('DataFreshness', {
    date,
    featuresPartition: freshness.features_partition,
    featuresAgeDays: freshness.features_age_days,
    labelsNewest: freshness.labels_newest ?? '',
    labelsAgeDays: freshness.labels_age_days ?? '',
    stale: freshness.stale.join(','),
  });
  if (freshness.stale.length) deps.log.error(`ALERT DataStale: ${JSON.stringify({ date, ...freshness })}`);
  const performance = verdict.auc_relative_drop !== null && verdict.auc_relative_drop > deps.aucDropThreshold;
  if (performance) {
    // The performance trigger alerts the team (in Azure also the auc-drop rule on auc_recent).
    const props = { date, modelVersion: active.version, aucRecent: report.auc_recent, baseline: baseline.value, baselineKind: baseline.kind };
    deps.telemetry.trackEvent('PerformanceDegraded', props);
    deps.log.error(`ALERT PerformanceDegraded: ${JSON.stringify(props)}`);
  }
  deps.telemetry.trackEvent('DriftChecked', {
    date,
    modelVersion: active.version,
    drifted: report.drifted.join(','),
    action: report.action,
    reason: report.reason ?? '',
  });
  await deps.telemetry.flush();
  deps.log.info(`drift ${date} (v${active.version}, ${partition.partition.folder}): ${report.action}${report.reason ? ` — ${report.reason}` : ''}`);
  return report;
}

function driftRecord(report: DriftReport): DriftRecord {
  return { date: report.date, psi: report.psi, aucRecent: report.auc_recent, drifted: report.drifted, action: report.action };
}

/** What the ledger keeps of a challenger evaluation (GET /api/status shows it). */
function challengerSummary(c: ChallengerReport): NonNullable<DriftRecord['challenger']> {
  const { date, champion, challenger, n, auc_champion, auc_challenger, auc_diff, p_value, decision, ready, action } = c;
  return { date, champion, challenger, n, auc_champion, auc_challenger, auc_diff, p_value, decision, ready, action };
}

function aucOf(model: { weights: readonly number[]; offset: number }, rows: Dataset): number {
  return rankingMetrics(leadScores(model.weights, model.offset, rows), rows.y).auc_roc;
}

function freshnessOf(date: string, featuresDay: string, labelsNewest: string | null, limits: FreshnessLimits): Freshness {
  const featuresAge = daysBetween(featuresDay, date);
  const labelsAge = labelsNewest === null ? null : daysBetween(labelsNewest, date);
  const stale: Freshness['stale'] = [];
  if (featuresAge > limits.maxFeaturesAgeDays) stale.push('features');
  if (labelsAge === null || labelsAge > limits.maxLabelAgeDays) stale.push('labels');
  return { features_partition: featuresDay, features_age_days: featuresAge, labels_newest: labelsNewest, labels_age_days: labelsAge, stale };
}

/**
 * The drift check and what follows from it: when a trigger fires and DRIFT_RETRAIN is 'direct'
 * (local, or the fallback in Azure), start the retrain here; with 'alert' the Azure Monitor alert on
 * the emitted metrics calls POST /api/retrain instead. The retrain itself is rate-limited.
 */
export async function checkDriftAndRespond(
  drift: DriftDeps,
  retrainDeps: RetrainDeps,
  date: string,
  mode: 'direct' | 'alert',
  challengerDeps?: ChallengerDeps,
): Promise<{ report: DriftReport; run: RetrainRun | null; challenger: ChallengerReport | null }> {
  const report = await checkDrift(drift, date);
  // The challenger is judged against the champion the check measured, before any retrain it calls for.
  const challenger = challengerDeps ? await evaluateChallenger(challengerDeps, date) : null;
  if (challenger) {
    await drift.ledger.putDrift({ ...driftRecord(report), challenger: challengerSummary(challenger) });
  }
  // The daily check also mends a lake export a crash left behind what is served.
  if ((await exportIsCurrent(drift.lake, await drift.warehouse.servedState())) === false) {
    const e = await exportServedScores({ lake: drift.lake, warehouse: drift.warehouse, chunkRows: 100_000, runId: `drift-${date}` });
    drift.log.warn(`drift ${date}: the lake export was not current: ${e.status === 'published' ? `rewritten from SQL (${e.folder})` : e.status}`);
  }
  if (report.action !== 'retrain' || mode !== 'direct') return { report, run: null, challenger };
  const trigger = report.drifted.length ? 'drift' : 'performance';
  const run = await retrain(retrainDeps, { trigger, reason: report.reason ?? 'drift check', asOf: date, requestedBy: 'drift-check' });
  return { report, run, challenger };
}

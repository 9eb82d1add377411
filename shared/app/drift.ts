import { FEATURES, N_FEATURES, type FeatureName } from '../domain/features/schema';
import type { ModelArtifact } from '../domain/model/artifact';
import { evaluateDrift, type DriftResult } from '../domain/model/drift';
import { rankingMetrics } from '../domain/model/metrics';
import { leadScore, sigmoid } from '../domain/model/score';
import type { Lake } from '../ports/lake';
import type { Log } from '../ports/log';
import type { Ledger } from '../ports/ledger';
import type { Telemetry } from '../ports/telemetry';
import type { Warehouse } from '../ports/warehouse';
import { driftReportPath, SUCCESS_MARKER } from '../domain/lakeLayout';
import { completeFeaturesDates, readFeaturesPartition } from './partitions';
import { exportIsCurrent, exportServedScores } from './scoresExport';
import { retrain, type RetrainDeps, type RetrainRun } from './retrain';
import { buildTrainingSet, NoLabelsError } from './trainingSet';

/**
 * The daily drift check (docs/architecture.md, "Drift"): PSI of every feature and of the score in the
 * newest features partition against the active version's training baseline, and the active
 * version's AUC on the labels matured in the last days. Writes monitoring/drift/yyyy/mm/dd/drift.json,
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
  log: Log;
}

export interface DriftReport extends DriftResult {
  date: string;
  model_version: number;
  partition: string;
  rows: number;
  auc_validation: number;
  auc_recent_rows: number;
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

  // The active version on the labels that matured most recently.
  let aucRecent: number | null = null;
  let recentRows = 0;
  try {
    const recent = (await buildTrainingSet(deps.lake, { asOf: date, trainDays: 0, validDays: deps.recentDays })).valid;
    recentRows = recent.n;
    const p = new Float64Array(recent.n);
    for (let i = 0; i < recent.n; i++) p[i] = sigmoid(leadScore(active.weights, active.offset, recent.x, i * N_FEATURES));
    let pos = 0;
    for (let i = 0; i < recent.n; i++) pos += recent.y[i]!;
    if (pos > 0 && pos < recent.n) aucRecent = rankingMetrics(p, recent.y).auc_roc;
  } catch (err) {
    if (!(err instanceof NoLabelsError)) throw err;
  }

  const verdict = evaluateDrift({
    baseline: artifact.psi_baseline,
    features,
    scores,
    aucRecent,
    validationAuc,
    psiThreshold: deps.psiThreshold,
    aucDropThreshold: deps.aucDropThreshold,
  });
  const reasons: string[] = [];
  if (verdict.drifted.length) reasons.push(`PSI > ${deps.psiThreshold} on ${verdict.drifted.join(', ')}`);
  if (verdict.auc_relative_drop !== null && verdict.auc_relative_drop > deps.aucDropThreshold) {
    reasons.push(
      `recent AUC ${verdict.auc_recent?.toFixed(4)} is ${(100 * verdict.auc_relative_drop).toFixed(1)}% below validation AUC ${validationAuc.toFixed(4)}`,
    );
  }
  const report: DriftReport = {
    date,
    model_version: active.version,
    partition: partition.partition.folder,
    rows: n,
    auc_validation: validationAuc,
    auc_recent_rows: recentRows,
    ...verdict,
    reason: reasons.length ? reasons.join('; ') : null,
  };

  await deps.lake.write(driftReportPath(date), `${JSON.stringify(report, null, 2)}\n`);
  await deps.ledger.putDrift({ date, psi: report.psi, aucRecent: report.auc_recent, drifted: report.drifted, action: report.action });
  for (const [name, value] of Object.entries(report.psi)) deps.telemetry.trackMetric('psi', value, { feature: name, modelVersion: String(active.version) });
  // baseline and threshold: what the AUC-drop alert compares the recent AUC with (infra/modules/alerts.bicep).
  if (report.auc_recent !== null)
    deps.telemetry.trackMetric('auc_recent', report.auc_recent, {
      modelVersion: String(active.version),
      baseline: String(validationAuc),
      threshold: String(deps.aucDropThreshold),
    });
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
): Promise<{ report: DriftReport; run: RetrainRun | null }> {
  const report = await checkDrift(drift, date);
  // The daily check also mends a lake export a crash left behind what is served.
  if ((await exportIsCurrent(drift.lake, await drift.warehouse.servedState())) === false) {
    const e = await exportServedScores({ lake: drift.lake, warehouse: drift.warehouse, chunkRows: 100_000, runId: `drift-${date}` });
    drift.log.warn(`drift ${date}: the lake export was not current: ${e.status === 'published' ? `rewritten from SQL (${e.folder})` : e.status}`);
  }
  if (report.action !== 'retrain' || mode !== 'direct') return { report, run: null };
  const trigger = report.drifted.length ? 'drift' : 'performance';
  const run = await retrain(retrainDeps, { trigger, reason: report.reason ?? 'drift check', asOf: date, requestedBy: 'drift-check' });
  return { report, run };
}

import { FEATURES, N_FEATURES, type FeatureName } from '../features/schema';
import { fnv1a } from '../hash';
import type { ModelArtifact, PsiBaseline } from './artifact';
import {
  calibrationChecks,
  calibrationRecord,
  calibrationTriggers,
  DEFAULT_CALIBRATION_THRESHOLDS,
  type CalibrationChecks,
  type CalibrationRecord,
  type CalibrationThresholds,
} from './calibration';
import type { Dataset } from './dataset';
import { fitLogistic, type LogisticFit } from './logistic';
import { evaluate, type Evaluation, type EvaluationDetail } from './metrics';
import { fitPlatt, type PlattParameters } from './platt';
import { gradeSummary, gradeTable, type GradeRow, type GradeShares } from './grades';
import { psiBaseline, type QuantileSelector, sortedQuantiles } from './psi';
import { fitScaler, type Scaler } from './scaler';
import { leadScores, sigmoid } from './score';
import { covarianceOfRaw, equalWeightsBaseline, featurePsiBaselines, type BaselineEvaluation } from './trainJobs';

/**
 * The training recipe (docs/architecture.md, "Training recipe"), as one pure function: scale on training rows,
 * fit L2 logistic regression, evaluate on validation rows beside the equal-weights baseline,
 * try Platt scaling when a calibration check fails and keep it only when it lowers validation log-loss,
 * and express everything as raw-space weights so SQL needs one weighted sum.
 */
export interface TrainOptions {
  C?: number;
  /** Platt scaling is tried when validation Brier exceeds this (docs/architecture.md, "Training recipe"); default 0.2. */
  brierThreshold?: number;
  /** The other calibration checks' limits (ECE, |slope − 1|, |intercept|); defaults DEFAULT_CALIBRATION_THRESHOLDS. */
  calibration?: Partial<Omit<CalibrationThresholds, 'maxBrier'>>;
  /** Stratified folds of the validation rows for the held-out check of Platt scaling; default 5. */
  folds?: number;
  /** L-BFGS iteration bound of each fit (scikit-learn's max_iter); default 1000. */
  maxIterations?: number;
  /**
   * The rows the PSI baseline describes (docs/architecture.md, "Drift"); default the training rows. The retrain passes
   * the population the drift check watches (every eligible contact of the training window).
   */
  psiRows?: Dataset;
  /** How the PSI baselines find their deciles: the plain sort by default, fast/quantiles.ts from the app. */
  quantiles?: QuantileSelector;
  /**
   * Platt scaling applied (true) or not (false) whatever the validation rows say: a retrain's refit
   * repeats the decision its holdout fit made (docs/architecture.md, "Training window"). Default: the rule.
   */
  calibrate?: boolean;
  /** Percent of training rows graded A, B and C (grades.ts); default 5, 15, 30. */
  gradeShares?: GradeShares;
}

export interface Metrics extends Evaluation {
  /** Platt scaling is folded into the weights (calibration.applied). */
  calibrated: boolean;
  n_train: number;
  n_valid: number;
  /** Share of positive labels among the validation rows (the base rate lift is measured against). */
  positive_rate: number;
  positive_rate_train: number;
  baseline: Evaluation;
  /** Each grade's rows, positives and observed positive rate on the validation rows. */
  grades: GradeRow[];
  calibration_curve: EvaluationDetail['calibration_curve'];
  calibration: CalibrationRecord;
}

export interface TrainResult {
  artifact: ModelArtifact;
  metrics: Metrics;
  /** Curves and validation predictions for the report and for audits. */
  detail: {
    model: EvaluationDetail;
    baseline: EvaluationDetail;
    /** Uncalibrated model, when Platt scaling was applied. */
    uncalibrated: Evaluation | null;
    validProbabilities: Float64Array;
    validScores: Float64Array;
    baselineSigns: number[];
  };
}

/**
 * Work that need not wait for (or hold up) the fit: each method starts a job and returns its result
 * to come. Another thread can run them beside the fit (fast/trainHelper.ts); the results are the same
 * functions of the same inputs either way.
 */
export interface TrainOffload {
  featurePsi(train: Dataset): Promise<PsiBaseline[]>;
  baseline(train: Dataset, valid: Dataset): Promise<BaselineEvaluation>;
  covariance(x: Float64Array, n: number, scaler: Scaler, fit: LogisticFit, C: number): Promise<number[][]>;
}

/** Runs each job on this thread, at once: the plain twin of the helper thread. */
export function inlineOffload(select: QuantileSelector = sortedQuantiles): TrainOffload {
  return {
    featurePsi: async (train) => featurePsiBaselines(train, select),
    baseline: async (train, valid) => equalWeightsBaseline(train, valid),
    covariance: async (x, n, scaler, fit, C) => covarianceOfRaw(x, n, scaler, fit, C),
  };
}

export class TrainingDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDataError';
  }
}

/**
 * A fit that stopped before its gradient reached the tolerance: its weights are not the model the
 * recipe defines (e.g. one value of 1e200 used to give AUC 0.5), so no caller writes, registers or
 * deploys them.
 */
export class TrainingDidNotConvergeError extends Error {
  constructor(
    /** Which fit (the model's logistic regression). */
    readonly fit: string,
    readonly iterations: number,
    /** max |∇f| of the objective divided by n, where L-BFGS stopped. */
    readonly gradMax: number,
    readonly gtol: number,
  ) {
    super(
      `${fit} did not converge: L-BFGS stopped after ${iterations} iterations with final gradient max-norm ${gradMax.toExponential(3)} ` +
        `(tolerance ${gtol}); a fit that did not converge is never written or registered`,
    );
    this.name = 'TrainingDidNotConvergeError';
  }
}

/** Throws TrainingDidNotConvergeError unless `fit` converged. */
export function requireConverged(fit: LogisticFit, what: string): LogisticFit {
  if (!fit.converged) throw new TrainingDidNotConvergeError(what, fit.iterations, fit.gradMax, fit.gtol);
  return fit;
}

function countPositives(y: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]!;
  return s;
}

export function checkTwoClasses(data: Dataset, what: string): void {
  const pos = countPositives(data.y);
  if (data.n === 0) throw new TrainingDataError(`${what}: no rows`);
  if (pos === 0 || pos === data.n) {
    throw new TrainingDataError(`${what}: all ${data.n} labels are ${pos === 0 ? 0 : 1}; both classes are needed`);
  }
}

/** W_raw_i = β_i/σ_i, offset = β_0 − Σ β_i·μ_i/σ_i (docs/architecture.md, "Training recipe"). */
export function toRawSpace(coef: readonly number[], intercept: number, scaler: Scaler): { weights: number[]; offset: number } {
  const weights = coef.map((b, j) => b / scaler.std[j]!);
  let offset = intercept;
  for (let j = 0; j < coef.length; j++) offset -= (coef[j]! * scaler.mean[j]!) / scaler.std[j]!;
  return { weights, offset };
}

/**
 * Stratified fold of each row, independent of row order: rows of each class are ranked by a hash
 * of their feature values and dealt round-robin, so shuffling the input file changes nothing.
 */
export function stratifiedFolds(data: Dataset, folds: number): Uint8Array {
  const hash = new Uint32Array(data.n);
  const bytes = new Uint8Array(data.x.buffer, data.x.byteOffset, data.x.byteLength);
  for (let i = 0; i < data.n; i++) {
    const at = i * 8 * N_FEATURES;
    hash[i] = fnv1a(bytes, at, at + 8 * N_FEATURES) >>> 0;
  }
  const fold = new Uint8Array(data.n);
  for (const cls of [0, 1]) {
    const rows: number[] = [];
    for (let i = 0; i < data.n; i++) if (data.y[i] === cls) rows.push(i);
    rows.sort((a, b) => hash[a]! - hash[b]! || a - b);
    rows.forEach((r, k) => (fold[r] = k % folds));
  }
  return fold;
}

/**
 * Platt scaling fitted on the validation logits (the newest rows: what the served score will meet), and the
 * validation logits calibrated held-out: each stratified fold by the fit on the other folds, so the
 * keep-or-reject decision compares log-losses on rows the calibration did not see.
 */
function plattOnValidation(valid: Dataset, z: Float64Array, folds: number): { platt: PlattParameters; heldOut: Float64Array } {
  const fold = stratifiedFolds(valid, folds);
  const heldOut = new Float64Array(valid.n);
  for (let k = 0; k < folds; k++) {
    const zk: number[] = [];
    const yk: number[] = [];
    for (let i = 0; i < valid.n; i++) {
      if (fold[i] === k) continue;
      zk.push(z[i]!);
      yk.push(valid.y[i]!);
    }
    const p = fitPlatt(zk, yk);
    for (let i = 0; i < valid.n; i++) if (fold[i] === k) heldOut[i] = p.a * z[i]! + p.b;
  }
  return { platt: fitPlatt(z, valid.y), heldOut };
}

function summary(e: EvaluationDetail): Evaluation {
  return {
    auc_roc: e.auc_roc,
    pr_auc: e.pr_auc,
    brier: e.brier,
    precision_at_100: e.precision_at_100,
    precision_at_200: e.precision_at_200,
    lift_at_10pct: e.lift_at_10pct,
  };
}

export async function trainModel(
  train: Dataset,
  valid: Dataset,
  options: TrainOptions = {},
  offload: TrainOffload = inlineOffload(options.quantiles),
): Promise<TrainResult> {
  const C = options.C ?? 1.0;
  const thresholds: CalibrationThresholds = {
    ...DEFAULT_CALIBRATION_THRESHOLDS,
    ...options.calibration,
    maxBrier: options.brierThreshold ?? DEFAULT_CALIBRATION_THRESHOLDS.maxBrier,
  };
  const folds = options.folds ?? 5;
  const maxIterations = options.maxIterations ?? 1000;
  if (!(C > 0) || !Number.isFinite(C)) throw new TrainingDataError(`C must be a positive number, got ${C}`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new TrainingDataError(`maxIterations must be a positive whole number, got ${maxIterations}`);
  checkTwoClasses(train, 'training rows');
  checkTwoClasses(valid, 'validation rows');

  // Started first so that another thread can do them while this one fits.
  const psiRows = options.psiRows ?? train;
  const featurePsi = offload.featurePsi(psiRows);
  const baselineJob = offload.baseline(train, valid);
  // Observed below; a failure must not surface as an unhandled rejection while the fit runs.
  featurePsi.catch(() => undefined);
  baselineJob.catch(() => undefined);

  const scaler = fitScaler(train.x, train.n);
  // Standardized as the fit reads the rows: bit-identical to fitting standardize(x), without the copy.
  const fit: LogisticFit = requireConverged(fitLogistic(train.x, train.y, train.n, { C, scaler, maxIterations }), 'the logistic regression');
  // Standard errors: covariance of (β, β_0) on the scaled fit, carried to raw space linearly.
  const covariance = offload.covariance(train.x, train.n, scaler, fit, C);
  covariance.catch(() => undefined);
  const raw = toRawSpace(fit.coef, fit.intercept, scaler);

  const logitsValid = leadScores(raw.weights, raw.offset, valid);
  const probs = logitsValid.map(sigmoid);
  let model = evaluate(probs, valid.y);

  let calibration: { a: number; b: number } | null = null;
  let uncalibrated: Evaluation | null = null;
  let weights = raw.weights;
  let offset = raw.offset;
  let finalScores = logitsValid;
  let finalProbs = probs;
  // The checks on validation decide whether Platt scaling is tried; validation log-loss decides whether it is kept.
  const before = calibrationChecks(logitsValid, valid.y);
  const fired = calibrationTriggers(before, thresholds);
  let tried: { platt: PlattParameters; after: CalibrationChecks; weights: number[]; offset: number } | null = null;
  // A refit repeats its holdout fit's decision (options.calibrate): tried whenever it was applied there, never otherwise.
  if (options.calibrate ?? fired.length > 0) {
    const { platt, heldOut } = plattOnValidation(valid, logitsValid, folds);
    // z' = a·z + b is still one weighted sum: fold a and b into the weights and the offset.
    tried = { platt, after: calibrationChecks(heldOut, valid.y), weights: raw.weights.map((w) => platt.a * w), offset: platt.a * raw.offset + platt.b };
  }
  const record: CalibrationRecord = calibrationRecord(thresholds, before, tried ? fired : [], tried);
  if (options.calibrate !== undefined) {
    // The refit of a retrain: applied exactly when its holdout fit applied it (a > 0 still required).
    record.applied = options.calibrate && tried !== null && tried.platt.a > 0;
    record.reason = `${record.applied ? 'applied' : 'not applied'}, as the fit the gates judged decided (a retrain's refit repeats that decision)`;
  }
  if (record.applied && tried) {
    calibration = tried.platt;
    uncalibrated = summary(model);
    weights = tried.weights;
    offset = tried.offset;
    finalScores = leadScores(weights, offset, valid);
    finalProbs = finalScores.map(sigmoid);
    model = evaluate(finalProbs, valid.y);
  }

  const grades = gradeTable(leadScores(weights, offset, train), options.gradeShares);
  const scorePsi = psiBaseline(leadScores(weights, offset, psiRows), options.quantiles);

  // Equal-weights baseline on the same validation rows.
  const { signs, detail: baseline } = await baselineJob;

  const cov = await covariance;
  const d = N_FEATURES;
  const scale = calibration ? Math.abs(calibration.a) : 1;
  const seCoef = FEATURES.map((_, j) => Math.sqrt(cov[j]![j]!));
  const seIntercept = Math.sqrt(cov[d]![d]!);
  // offset = β_0 − Σ β_j·μ_j/σ_j: gradient g = (−μ/σ, 1) with respect to (β, β_0).
  const grad = [...FEATURES.map((_, j) => -scaler.mean[j]! / scaler.std[j]!), 1];
  let varOffset = 0;
  for (let a = 0; a <= d; a++) for (let b = 0; b <= d; b++) varOffset += grad[a]! * cov[a]![b]! * grad[b]!;

  const psi = {} as Record<FeatureName | 'score', PsiBaseline>;
  const featureBaselines = await featurePsi;
  FEATURES.forEach((f, j) => (psi[f] = featureBaselines[j]!));
  psi.score = scorePsi;

  const nPosTrain = countPositives(train.y);
  const nPosValid = countPositives(valid.y);
  const artifact: ModelArtifact = {
    features: [...FEATURES],
    scaler,
    coef: fit.coef,
    intercept: fit.intercept,
    raw_weights: weights,
    offset,
    calibration,
    C,
    iterations: fit.iterations,
    converged: fit.converged,
    standard_errors: {
      coef: seCoef,
      intercept: seIntercept,
      raw_weights: seCoef.map((s, j) => (scale * s) / scaler.std[j]!),
      offset: scale * Math.sqrt(Math.max(0, varOffset)),
    },
    psi_baseline: psi,
    training_mean: [...scaler.mean],
    grades,
  };
  const metrics: Metrics = {
    ...summary(model),
    calibrated: calibration !== null,
    n_train: train.n,
    n_valid: valid.n,
    positive_rate: nPosValid / valid.n,
    positive_rate_train: nPosTrain / train.n,
    baseline: summary(baseline),
    grades: gradeSummary(finalScores, valid.y, grades.min_lead_score),
    calibration_curve: model.calibration_curve,
    calibration: record,
  };
  return {
    artifact,
    metrics,
    detail: {
      model,
      baseline,
      uncalibrated,
      validProbabilities: finalProbs,
      validScores: finalScores,
      baselineSigns: signs,
    },
  };
}

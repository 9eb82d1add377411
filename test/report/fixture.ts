import { FEATURES } from '../../shared/domain/features/schema';
import type { ModelArtifact } from '../../shared/domain/model/artifact';
import { evaluate } from '../../shared/domain/model/metrics';
import { psiBaseline } from '../../shared/domain/model/psi';
import { gradeSummary, gradeTable } from '../../shared/domain/model/grades';
import type { ReportInput } from '../../shared/report/report';

/** A plausible retrain: seeded synthetic validation rows scored by a model and by the baseline. */
export function reportFixture(): ReportInput & { validScores: Float64Array } {
  let s = 7;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const n = 3000;
  const p = new Float64Array(n);
  const pb = new Float64Array(n);
  const y = new Uint8Array(n);
  const recency = new Float64Array(n);
  const zs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = (zs[i] = rand() * 4 - 3);
    p[i] = 1 / (1 + Math.exp(-z));
    pb[i] = 1 / (1 + Math.exp(-(z * 0.5 + (rand() - 0.5) * 2)));
    y[i] = rand() < p[i]! ? 1 : 0;
    recency[i] = rand() < 0.4 ? 60 : Math.floor(rand() * 60);
  }
  const model = evaluate(p, y);
  const baseline = evaluate(pb, y);
  const raw = [-0.021, -1.3, 0.42, 2.1, 1.6, -0.9, 0.7];
  const se = [0.002, 0.31, 0.05, 0.4, 0.5, 0.2, 0.9];
  const std = [21.5, 0.22, 0.6, 0.18, 0.12, 0.25, 0.11];
  const psi_baseline = Object.fromEntries(
    [...FEATURES, 'score'].map((f, k) => [f, psiBaseline(f === 'recency_days' ? recency : Array.from(p, (v) => v * (k + 1)))]),
  ) as ModelArtifact['psi_baseline'];
  const artifact: ModelArtifact = {
    features: [...FEATURES],
    scaler: { mean: [30, 0.4, 0.2, 0.15, 0.1, 0.3, 0.5], std },
    coef: raw.map((w, i) => w * std[i]!),
    intercept: -1.2,
    raw_weights: raw,
    offset: -1.05,
    calibration: null,
    C: 1,
    iterations: 14,
    converged: true,
    standard_errors: { coef: se.map((v, i) => v * std[i]!), intercept: 0.03, raw_weights: se, offset: 0.08 },
    psi_baseline,
    training_mean: [30, 0.4, 0.2, 0.15, 0.1, 0.3, 0.5],
    // Training scores from the same distribution as the validation ones (41,250 rows, as n_train says).
    grades: gradeTable(Float64Array.from({ length: 41_250 }, () => rand() * 4 - 3)),
  };
  const { roc: _r, pr: _p, calibration_curve: _c, ...baselineMetrics } = baseline;
  const validGrades = gradeSummary(zs, y, artifact.grades!.min_lead_score);
  return {
    version: 3,
    createdAt: '2025-06-01T02:00:41.000Z',
    trigger: 'timer (weekly)',
    dataWindow: { training: '2025-01-18 .. 2025-05-17', validation: '2025-05-18 .. 2025-05-31' },
    artifact,
    metrics: { ...model, n_train: 41_250, n_valid: n, positive_rate: y.reduce((a, b) => a + b, 0) / n, calibrated: false, grades: validGrades },
    baselineMetrics,
    production: { version: 2, metrics: { ...baselineMetrics, auc_roc: model.auc_roc - 0.01, pr_auc: model.pr_auc - 0.02 } },
    curves: { model, baseline },
    validation: { probabilities: p, labels: y },
    /** The validation rows' lead scores, which the grades are counted on. */
    validScores: zs,
    gates: [
      { name: 'data sufficiency', passed: true, detail: '41,250 training rows (9,870 positive); 3,000 validation rows (1,020 positive)' },
      { name: 'data quality', passed: true, detail: '134 partitions, all valid' },
      { name: 'learns something', passed: true, detail: 'PR-AUC 0.61 ≥ 1.05 × 0.52' },
      { name: 'safety', passed: true, detail: 'AUC 0.74 ≥ production 0.73 − 0.02' },
      { name: 'approval', passed: true, detail: 'AUTO_DEPLOY=true' },
    ],
  };
}

import { FEATURES, N_FEATURES } from '../../../shared/domain/features/schema';
import { coefficientCovariance } from '../../../shared/domain/model/logistic';
import { fitScaler, standardize } from '../../../shared/domain/model/scaler';
import { sigmoid } from '../../../shared/domain/model/score';
import { trainModel, type TrainResult } from '../../../shared/domain/model/train';
import { loadSeed, relDiff } from '../../support/seed';

/**
 * Pinned to ../shared/data/seed-reference/README.md: the published table (scikit-learn 1.2.1,
 * LogisticRegression(C=1.0, lbfgs) on StandardScaler features) and its reference fit.
 */
const PUBLISHED = {
  model: { auc_roc: 0.8244, pr_auc: 0.7472, brier: 0.1664, precision_at_100: 0.86, precision_at_200: 0.835 },
  baseline: { auc_roc: 0.7964, pr_auc: 0.7193, brier: 0.2193, precision_at_100: 0.85, precision_at_200: 0.815 },
};
const REFERENCE = {
  mean: [30.08057143, 0.3931641698, 0.03262407309, 0.4509795602, 0.2795951355, 0.187218339, 0.4356401894],
  std: [17.59561048, 0.1964067992, 0.7966958696, 0.1986695244, 0.1737726859, 0.133180581, 0.2018400793],
  beta: [-0.8037190971, -0.2410173205, 0.7701649495, 0.5067822386, 0.1981267633, -0.2987376628, 0.2126150727],
  intercept: -0.4711713326,
  rawWeight: [-0.0456772499, -1.227133284, 0.9666988105, 2.550880615, 1.140149053, -2.243102265, 1.053383815],
  offset: -0.1543679592,
};

const { train, valid } = loadSeed();
let result: TrainResult;
beforeAll(async () => {
  result = await trainModel(train, valid, { C: 1 });
});

/** Gradient of Σ logloss + ‖β‖²/2C at (β, β0), written independently of the trainer's hot loop. */
function gradient(z: Float64Array, y: Uint8Array, n: number, beta: number[], b0: number, C: number): number[] {
  const g = new Array<number>(N_FEATURES + 1).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b0;
    for (let j = 0; j < N_FEATURES; j++) s += beta[j]! * z[i * N_FEATURES + j]!;
    const r = sigmoid(s) - y[i]!;
    for (let j = 0; j < N_FEATURES; j++) g[j]! += r * z[i * N_FEATURES + j]!;
    g[N_FEATURES]! += r;
  }
  for (let j = 0; j < N_FEATURES; j++) g[j]! += beta[j]! / C;
  return g;
}

describe('seed reference data', () => {
  test('reproduces the published logistic regression row at 4 decimals', () => {
    for (const [k, v] of Object.entries(PUBLISHED.model)) {
      expect((result.metrics[k as keyof typeof PUBLISHED.model] as number).toFixed(4)).toBe(v.toFixed(4));
    }
    // ECE 0.026 > 0.01 makes the trainer try Platt scaling; the held-out log-loss rises, so it is not kept (calibration.test.ts).
    expect(result.metrics.calibrated).toBe(false);
    expect(result.metrics.n_train).toBe(3500);
    expect(result.metrics.n_valid).toBe(1200);
  });

  test('reproduces the published equal-weights row at 4 decimals', () => {
    for (const [k, v] of Object.entries(PUBLISHED.baseline)) {
      expect((result.metrics.baseline[k as keyof typeof PUBLISHED.baseline] as number).toFixed(4)).toBe(v.toFixed(4));
    }
  });

  test('scaler parameters equal the reference to its 10 printed digits', () => {
    FEATURES.forEach((_, j) => {
      expect(relDiff(result.artifact.scaler.mean[j]!, REFERENCE.mean[j]!)).toBeLessThan(1e-9);
      expect(relDiff(result.artifact.scaler.std[j]!, REFERENCE.std[j]!)).toBeLessThan(1e-9);
    });
  });

  test('the fit is the exact optimum: gradient below 1e-9 where the reference point still has ~1e-4', () => {
    const scaler = fitScaler(train.x, train.n);
    const z = standardize(train.x, train.n, scaler);
    const ours = gradient(z, train.y, train.n, result.artifact.coef, result.artifact.intercept, 1);
    const theirs = gradient(z, train.y, train.n, REFERENCE.beta, REFERENCE.intercept, 1);
    expect(Math.max(...ours.map(Math.abs))).toBeLessThan(1e-6); // the sum over 3,500 rows; 1e-10 per row
    expect(Math.max(...theirs.map(Math.abs))).toBeGreaterThan(1e-5);
  });

  test('coefficients agree with the reference once its residual gradient is accounted for (one Newton step)', () => {
    // scikit-learn stopped on SciPy's ftol (64·eps) before its gradient vanished; one Newton step
    // from the reference point, β_ref − H⁻¹∇f(β_ref), must land on our optimum.
    const scaler = fitScaler(train.x, train.n);
    const z = standardize(train.x, train.n, scaler);
    const g = gradient(z, train.y, train.n, REFERENCE.beta, REFERENCE.intercept, 1);
    const cov = coefficientCovariance(z, train.n, { coef: REFERENCE.beta, intercept: REFERENCE.intercept, iterations: 0, converged: true }, 1);
    const ref = [...REFERENCE.beta, REFERENCE.intercept];
    const ours = [...result.artifact.coef, result.artifact.intercept];
    ref.forEach((r, a) => {
      let step = 0;
      for (let b = 0; b <= N_FEATURES; b++) step += cov.get(a, b) * g[b]!;
      expect(relDiff(r - step, ours[a]!)).toBeLessThan(1e-6);
      // And plainly: within what the reference's own convergence allows.
      expect(relDiff(r, ours[a]!)).toBeLessThan(5e-6);
    });
  });

  test('raw weights and offset match the reference (beta/std and intercept − Σ beta·mean/std)', () => {
    FEATURES.forEach((_, j) => {
      expect(relDiff(result.artifact.raw_weights[j]!, REFERENCE.rawWeight[j]!)).toBeLessThan(5e-6);
      expect(result.artifact.raw_weights[j]).toBeCloseTo(result.artifact.coef[j]! / result.artifact.scaler.std[j]!, 14);
    });
    // The offset sums terms of size ~1.4 into −0.15, so the reference's 1e-6 coefficient slack grows.
    expect(Math.abs(result.artifact.offset - REFERENCE.offset)).toBeLessThan(2e-6);
  });

  test('sigmoid(raw weighted sum + offset) equals the scaled-space probability on every validation row', () => {
    const { scaler, coef, intercept, raw_weights, offset } = result.artifact;
    let worst = 0;
    for (let i = 0; i < valid.n; i++) {
      let scaled = intercept;
      let raw = offset;
      for (let j = 0; j < N_FEATURES; j++) {
        const v = valid.x[i * N_FEATURES + j]!;
        scaled += coef[j]! * ((v - scaler.mean[j]!) / scaler.std[j]!);
        raw += raw_weights[j]! * v;
      }
      worst = Math.max(worst, Math.abs(sigmoid(raw) - sigmoid(scaled)));
    }
    expect(worst).toBeLessThan(1e-12);
  });

  test('the fit converges and reports its iterations', () => {
    expect(result.artifact.converged).toBe(true);
    expect(result.artifact.iterations).toBeGreaterThan(0);
    expect(result.artifact.C).toBe(1);
  });
});

import { FEATURE_RANGES, FEATURES, N_FEATURES } from '../features/schema';

/**
 * The equal-weights baseline the learned weights must beat (docs/architecture.md, "Training recipe" and "Gates", gate "learns
 * something"): every feature rescaled to [0, 1] by its documented range, turned so that larger
 * means better by the sign of its training correlation with the label, and averaged. The average is
 * itself the predicted probability. This is the seed notebook's "Equal Weights" approach, and it
 * reproduces the seed's published row (AUC 0.7964, PR-AUC 0.7193, Brier 0.2193, P@100 0.85,
 * P@200 0.815) exactly.
 */
export function baselineSigns(x: Float64Array, y: Uint8Array, n: number): number[] {
  const d = N_FEATURES;
  let yMean = 0;
  for (let i = 0; i < n; i++) yMean += y[i]!;
  yMean /= n;
  // The sign of a correlation is the sign of the covariance: Σ x·(y − ȳ) needs no centring of x.
  const cov = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const dy = y[i]! - yMean;
    for (let j = 0; j < d; j++) cov[j]! += x[i * d + j]! * dy;
  }
  return Array.from(cov, (c) => (c >= 0 ? 1 : -1));
}

/** Baseline probability of each row of a raw (unscaled) row-major matrix. */
export function baselineProbabilities(x: Float64Array, n: number, signs: readonly number[]): Float64Array {
  const d = N_FEATURES;
  const lo = FEATURES.map((f) => FEATURE_RANGES[f][0]);
  const span = FEATURES.map((f) => FEATURE_RANGES[f][1] - FEATURE_RANGES[f][0]);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const u = (x[i * d + j]! - lo[j]!) / span[j]!;
      s += signs[j]! > 0 ? u : 1 - u;
    }
    out[i] = s / d;
  }
  return out;
}

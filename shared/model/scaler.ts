import { N_FEATURES } from '../features/schema';

export interface Scaler {
  mean: number[];
  /** Population standard deviation; 1 for a constant feature, as scikit-learn's StandardScaler does. */
  std: number[];
}

/**
 * StandardScaler on a row-major matrix. Mean and population variance in two passes (the second on
 * centred values, so no catastrophic cancellation). A feature counts as constant with scikit-learn's
 * rule (`_is_constant_feature`): its variance is within rounding of zero, and then its scale is 1.
 */
export function fitScaler(x: Float64Array, n: number): Scaler {
  const d = N_FEATURES;
  const sum = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sum[j]! += x[i * d + j]!;
  const mean = Array.from(sum, (s) => s / n);
  const ss = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = x[i * d + j]! - mean[j]!;
      ss[j]! += c * c;
    }
  }
  const eps = Number.EPSILON;
  const std = Array.from(ss, (s, j) => {
    const variance = s / n;
    const upperBound = n * eps * variance + (n * mean[j]! * eps) ** 2;
    return variance <= upperBound ? 1 : Math.sqrt(variance);
  });
  return { mean, std };
}

/** (x - mean) / std, into a new row-major matrix. */
export function standardize(x: Float64Array, n: number, scaler: Scaler): Float64Array {
  const d = N_FEATURES;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) out[i * d + j] = (x[i * d + j]! - scaler.mean[j]!) / scaler.std[j]!;
  }
  return out;
}

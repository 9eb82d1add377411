import { N_FEATURES } from '../features/schema';

export interface Scaler {
  mean: number[];
  /** Population standard deviation; 1 for a constant feature, as scikit-learn's StandardScaler does. */
  std: number[];
}

/** 2^k for any integer k in [-1074, 1023], exactly (Math.pow need not be exact). */
function pow2(k: number): number {
  if (k > 1023) return Infinity;
  if (k >= -1022) return new Float64Array(BigUint64Array.of(BigInt(k + 1023) << 52n).buffer)[0]!;
  return pow2(k + 52) / 4503599627370496; // 2^52: the quotient is the exact subnormal 2^k
}

/**
 * The power of two each feature is divided by before it is summed and squared, so that no sum can
 * overflow and no square underflow: 1 while the largest |x| lies in [2^-400, 2^400] (every real
 * feature, and then the arithmetic is exactly the plain one), else 2^e with |x|/2^e < 2.
 */
function exponentFor(maxAbs: number): number {
  if (maxAbs === 0 || (maxAbs >= 2 ** -400 && maxAbs <= 2 ** 400)) return 0;
  return Math.max(-1022, Math.min(1023, Math.floor(Math.log2(maxAbs))));
}

/**
 * StandardScaler on a row-major matrix. Mean and population variance in two passes (the second on
 * centred values, so no catastrophic cancellation). A feature counts as constant with scikit-learn's
 * rule (`_is_constant_feature`): its variance is within rounding of zero, and then its scale is 1.
 *
 * Safe for any finite input: a feature whose values are huge (1e200, 1e308) or tiny is first divided
 * by a power of two near its largest |x|. Scaling by a power of two is exact and rounding is the same
 * at every scale, so the scaled computation rounds as the plain one would with an unbounded exponent
 * (only values under 2^-1022 of the largest, far below its rounding error, can lose bits); the mean
 * and the std are multiplied back exactly, and the std never exceeds the largest |x|, so both are
 * finite. Features in any real range are not scaled at all: their bits are those of the plain two
 * passes. Without this, one value of 1e200 made the variance Infinity and the feature was taken for a
 * constant. Non-finite input is refused.
 */
export function fitScaler(x: Float64Array, n: number): Scaler {
  const d = N_FEATURES;
  // First pass: the plain sums and the largest |x| of each feature.
  const sum = new Float64Array(d);
  const maxAbs = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j]!;
      sum[j]! += v;
      const a = Math.abs(v);
      if (a > maxAbs[j]!) maxAbs[j] = a;
    }
  }
  // An infinite value shows in maxAbs, a NaN in the sum (finite values can overflow it to ±Infinity, never to NaN).
  maxAbs.forEach((m, j) => {
    if (!Number.isFinite(m) || Number.isNaN(sum[j])) throw new RangeError(`fitScaler: feature ${j} has a value that is not a finite number`);
  });
  const exponent = Array.from(maxAbs, exponentFor);
  const down = exponent.map((e) => pow2(-e));
  const up = exponent.map((e) => pow2(e));
  // Only a feature far outside every real range is summed again, scaled (the plain sum may have overflowed).
  exponent.forEach((e, j) => {
    if (e === 0) return;
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * d + j]! * down[j]!;
    sum[j] = s;
  });
  const meanScaled = Array.from(sum, (s) => s / n);
  const ss = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = x[i * d + j]! * down[j]! - meanScaled[j]!;
      ss[j]! += c * c;
    }
  }
  const eps = Number.EPSILON;
  const mean = meanScaled.map((m, j) => m * up[j]!);
  const std = Array.from(ss, (s, j) => {
    // The constant-feature test is scale-free, so it is made on the scaled values, where it cannot overflow.
    const variance = s / n;
    const upperBound = n * eps * variance + (n * meanScaled[j]! * eps) ** 2;
    // A population std never exceeds the largest |x|: the bound only guards rounding at 1.8e308.
    return variance <= upperBound ? 1 : Math.min(Math.sqrt(variance) * up[j]!, maxAbs[j]!);
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

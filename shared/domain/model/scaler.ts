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
 * Below this population variance some squares that matter may have been subnormal (or the feature
 * is constant): the feature is measured again, scaled. Above it, whatever was lost is below 2^-120
 * of the result.
 */
const TINY_VARIANCE = 2 ** -900;

/**
 * The power of two a feature is divided by before it is summed and squared, so that no sum can
 * overflow and no square underflow: 1 while the largest |x| lies in [2^-400, 2^400] (every real
 * feature; then the arithmetic is exactly the plain one), else 2^e with |x|/2^e < 2.
 */
function exponentFor(maxAbs: number): number {
  if (maxAbs === 0 || (maxAbs >= 2 ** -400 && maxAbs <= 2 ** 400)) return 0;
  return Math.max(-1022, Math.min(1023, Math.floor(Math.log2(maxAbs))));
}

/** Feature j measured in units of 2^e: the scaled mean and population variance, and e. */
function scaledMoments(x: Float64Array, n: number, j: number): { mean: number; variance: number; e: number; maxAbs: number } {
  const d = N_FEATURES;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(x[i * d + j]!);
    if (a > maxAbs) maxAbs = a;
  }
  const e = exponentFor(maxAbs);
  const down = pow2(-e);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i * d + j]! * down;
  // ±Infinity shows in maxAbs, NaN in the sum (finite values below 2 in size cannot make it NaN).
  if (!Number.isFinite(maxAbs) || Number.isNaN(sum)) throw new RangeError(`fitScaler: feature ${j} has a value that is not a finite number`);
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const c = x[i * d + j]! * down - mean;
    ss += c * c;
  }
  return { mean, variance: ss / n, e, maxAbs };
}

/**
 * StandardScaler on a row-major matrix. Mean and population variance in two passes (the second on
 * centred values, so no catastrophic cancellation). A feature counts as constant with scikit-learn's
 * rule (`_is_constant_feature`): its variance is within rounding of zero, and then its scale is 1.
 *
 * Safe for any finite input. The plain two passes serve every feature they can: when a sum overflowed
 * (one value of 1e200 made Σ(x−μ)² Infinity, and the feature was taken for a constant) or the variance
 * is so small that squares may have underflowed, that feature is measured again after dividing it by
 * a power of two near its largest |x|. Scaling by a power of two is exact and rounding is the same at
 * every scale, so this rounds as the plain passes would with an unbounded exponent (only values under
 * 2^-1022 of the largest, far below its rounding error, can lose bits); mean and std are multiplied
 * back exactly, and the std never exceeds the largest |x|, so both are finite. Features in any real
 * range never take that path: their bits are those of the plain passes. NaN and ±Infinity are refused.
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
    let m = mean[j]!;
    let variance = s / n;
    let e = 0;
    let maxAbs = Infinity;
    // Not finite: a sum overflowed (or the input holds NaN or ±Infinity, which scaledMoments refuses).
    if (!(variance >= TINY_VARIANCE && variance < Infinity && Number.isFinite(m))) {
      const scaled = scaledMoments(x, n, j);
      if (scaled.e !== 0) {
        ({ mean: m, variance, e, maxAbs } = scaled);
        mean[j] = m * pow2(e);
      }
    }
    // The constant-feature test is scale-free, so it is made in the scaled units, where it cannot overflow.
    const upperBound = n * eps * variance + (n * m * eps) ** 2;
    // A population std never exceeds the largest |x|: the bound only guards rounding at 1.8e308.
    return variance <= upperBound ? 1 : Math.min(Math.sqrt(variance) * pow2(e), maxAbs);
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

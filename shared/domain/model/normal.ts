/**
 * The standard normal distribution's tails, for the p-values of the champion/challenger and A/B
 * tests. The error function is W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
 * approximations for the error function", Math. Comp. 23 (1969) 631–638; netlib specfun CALERF),
 * accurate to about 1e-16 relative on each of its three intervals.
 *
 * The upper tail is never 1 − cdf: beyond |x| = 0.46875 Cody's approximations give the scaled
 * erfcx(x) = exp(x²)·erfc(x), and the factor exp(−z²/2) is computed from z itself, split as
 * z = zh + (z − zh) with zh on a 1/16 grid (zh² exact), as CALERF does for exp(−x²). Computing
 * exp(−x²) from x = z/√2 instead would lose ~x²·1e-16 of relative accuracy to the rounding of x
 * (about 1e-13 at z = 37).
 */

/** Φ⁻¹(0.975), for 95 % confidence intervals (scipy.stats.norm.ppf(0.975)). */
export const Z95 = 1.959963984540054;

const SQRPI = 0.5641895835477563; // 1/√π
const THRESH = 0.46875;

// Cody's coefficients (CALERF), written as the shortest decimals of the doubles his 18-digit
// published values round to.
// erf(x) ≈ x·A(x²)/B(x²) on |x| ≤ 0.46875.
const A = [3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315];
const B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
// erfcx(x) ≈ C(x)/D(x) on 0.46875 < x ≤ 4.
const C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769, 1712.0476126340707, 2051.0783778260716, 1230.3393547979972,
  2.1531153547440383e-8,
];
const D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597, 4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
// erfcx(x) ≈ (1/√π − P(1/x²)/(x²·Q(1/x²)))/x on x > 4.
const P = [0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378, 0.016315387137302097];
const Q = [2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918];

/** erf(x) for |x| ≤ 0.46875. */
function erfSmall(x: number): number {
  const t = x * x;
  let num = A[4]! * t;
  let den = t;
  for (let i = 0; i < 3; i++) {
    num = (num + A[i]!) * t;
    den = (den + B[i]!) * t;
  }
  return (x * (num + A[3]!)) / (den + B[3]!);
}

/** exp(x²)·erfc(x) for x > 0.46875. */
function erfcxLarge(x: number): number {
  if (x <= 4) {
    let num = C[8]! * x;
    let den = x;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]!) * x;
      den = (den + D[i]!) * x;
    }
    return (num + C[7]!) / (den + D[7]!);
  }
  const t = 1 / (x * x);
  let num = P[5]! * t;
  let den = t;
  for (let i = 0; i < 4; i++) {
    num = (num + P[i]!) * t;
    den = (den + Q[i]!) * t;
  }
  return (SQRPI - (t * (num + P[4]!)) / (den + Q[4]!)) / x;
}

/** exp(−z²/2) for z ≥ 0, without the rounding error of z² growing with z. */
function expHalfSquare(z: number): number {
  const zh = Math.trunc(z * 16) / 16;
  return Math.exp((-zh * zh) / 2) * Math.exp(-((z - zh) * (z + zh)) / 2);
}

/** P(Z > z), the upper tail, to about 1e-15 relative even where it is tiny (it underflows past z ≈ 38.5). */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z === Infinity) return 0;
  if (z === -Infinity) return 1;
  const x = z * Math.SQRT1_2;
  if (Math.abs(x) <= THRESH) return 0.5 - 0.5 * erfSmall(x);
  const tail = 0.5 * erfcxLarge(Math.abs(x)) * expHalfSquare(Math.abs(z));
  return z > 0 ? tail : 1 - tail;
}

/** Φ(z) = P(Z ≤ z); the lower tail is as accurate as the upper one, being normalSf(−z). */
export function normalCdf(z: number): number {
  return normalSf(-z);
}

/** The two-sided p-value of a standard normal statistic, P(|Z| ≥ |z|); NaN for NaN. */
export function twoSidedP(z: number): number {
  return Math.min(1, 2 * normalSf(Math.abs(z)));
}

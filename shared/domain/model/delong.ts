import { twoSidedP, Z95 } from './normal';

/**
 * DeLong's test for two correlated ROC AUCs measured on the same rows (DeLong, DeLong & Clarke-Pearson,
 * "Comparing the areas under two or more correlated receiver operating characteristic curves: a
 * nonparametric approach", Biometrics 44 (1988) 837–845): the champion (a) and the challenger (b)
 * score the same sends, so their AUCs are correlated and the variance of the difference has a
 * covariance term.
 *
 * With m positives X and n negatives Y and the kernel ψ(x, y) = 1 if x > y, ½ if x = y, 0 if x < y,
 * each scorer's structural components are V10(Xᵢ) = (1/n)·Σⱼ ψ(Xᵢ, Yⱼ) and V01(Yⱼ) = (1/m)·Σᵢ ψ(Xᵢ, Yⱼ);
 * the AUC is the mean of either. S10 and S01 are the 2×2 sample covariance matrices (divisor m − 1,
 * n − 1) of the components over the positives and over the negatives, and
 * var(AUC_b − AUC_a) = (S10_aa + S10_bb − 2·S10_ab)/m + (S01_aa + S01_bb − 2·S01_ab)/n.
 *
 * The components come from midranks, as in Sun & Xu, "Fast implementation of DeLong's algorithm
 * for comparing the areas under correlated receiver operating characteristic curves", IEEE Signal
 * Processing Letters 21 (2014) 1389–1393: with Tz the midrank of a row among all rows, Tx among the
 * positives, Ty among the negatives, V10(Xᵢ) = (Tz − Tx)/n and V01(Yⱼ) = 1 − (Tz − Ty)/m. Three sorts
 * per scorer: O(N log N) instead of O(m·n).
 */
export interface DeLongResult {
  n: number;
  positives: number;
  negatives: number;
  auc_a: number;
  auc_b: number;
  /** auc_b − auc_a: challenger minus champion. */
  auc_diff: number;
  var_a: number;
  var_b: number;
  cov_ab: number;
  var_diff: number;
  z: number;
  /** Two-sided. */
  p_value: number;
  /** auc_diff ± Z95·√var_diff (DeLong's normal approximation; not clipped to [−1, 1]). */
  ci95: [number, number];
}

/** Midranks (1-based; ties get the mean of the ranks they span) of the rows idx, by position in idx. */
function midranks(v: ArrayLike<number>, idx: Uint32Array): Float64Array {
  const at = (k: number): number => v[idx[k]!]!;
  const order = new Uint32Array(idx.length);
  for (let k = 0; k < order.length; k++) order[k] = k;
  order.sort((i, j) => at(i) - at(j));
  const out = new Float64Array(idx.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && at(order[j + 1]!) === at(order[i]!)) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k]!] = r;
    i = j + 1;
  }
  return out;
}

/** V10 over the positives and V01 over the negatives of one scorer, by midranks. */
function components(s: ArrayLike<number>, all: Uint32Array, posIdx: Uint32Array, negIdx: Uint32Array, posAt: Int32Array): [Float64Array, Float64Array] {
  const m = posIdx.length;
  const n = negIdx.length;
  const tz = midranks(s, all);
  const tx = midranks(s, posIdx);
  const ty = midranks(s, negIdx);
  const v10 = new Float64Array(m);
  const v01 = new Float64Array(n);
  for (let r = 0; r < all.length; r++) {
    const k = posAt[r]!;
    if (k >= 0) v10[k] = (tz[r]! - tx[k]!) / n;
    else v01[-k - 1] = 1 - (tz[r]! - ty[-k - 1]!) / m;
  }
  return [v10, v01];
}

function mean(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}

/** Sample covariance (divisor length − 1) of two equally long vectors. */
function cov(u: Float64Array, v: Float64Array): number {
  const mu = mean(u);
  const mv = mean(v);
  let s = 0;
  for (let i = 0; i < u.length; i++) s += (u[i]! - mu) * (v[i]! - mv);
  return s / (u.length - 1);
}

/**
 * DeLong's paired test of AUC_b − AUC_a (b the challenger, a the champion) on the same rows; y holds
 * 1 for a positive, 0 for a negative.
 *
 * var_diff is computed from the differences of the components, not as var_a + var_b − 2·cov_ab,
 * so that it is ≥ 0 and exactly 0 when the two scorers rank the rows alike (identical scorers, or
 * one a monotone transform of the other): then auc_diff is 0 too, and z = 0, p = 1. var_diff = 0
 * with auc_diff ≠ 0 (each scorer's components constant, e.g. one separating the classes perfectly
 * and the other scoring every row the same) gives z = ±∞ and p = 0, as the normal statistic would.
 *
 * Throws on lengths that differ, labels other than 0/1, a non-finite score, or fewer than two rows of
 * either class (the sample covariances need two).
 */
export function delongPaired(scoresA: ArrayLike<number>, scoresB: ArrayLike<number>, y: ArrayLike<number>): DeLongResult {
  const N = y.length;
  if (scoresA.length !== N || scoresB.length !== N) {
    throw new Error(`DeLong needs one score from each scorer per row: ${scoresA.length} and ${scoresB.length} scores for ${N} labels`);
  }
  let m = 0;
  for (let r = 0; r < N; r++) {
    const label = y[r]!;
    if (label !== 0 && label !== 1) throw new Error(`DeLong labels are 0 or 1: row ${r} has ${label}`);
    if (!Number.isFinite(scoresA[r]!) || !Number.isFinite(scoresB[r]!)) {
      throw new Error(`DeLong needs finite scores: row ${r} has ${scoresA[r]} (champion) and ${scoresB[r]} (challenger)`);
    }
    m += label;
  }
  const n = N - m;
  if (m < 2 || n < 2) throw new Error(`DeLong needs at least 2 positives and 2 negatives: got ${m} positives and ${n} negatives`);

  const all = new Uint32Array(N);
  const posIdx = new Uint32Array(m);
  const negIdx = new Uint32Array(n);
  // posAt[r] = k ≥ 0 for the k-th positive, −k − 1 for the k-th negative.
  const posAt = new Int32Array(N);
  for (let r = 0, p = 0, q = 0; r < N; r++) {
    all[r] = r;
    if (y[r] === 1) {
      posIdx[p] = r;
      posAt[r] = p++;
    } else {
      negIdx[q] = r;
      posAt[r] = -++q;
    }
  }
  const [a10, a01] = components(scoresA, all, posIdx, negIdx, posAt);
  const [b10, b01] = components(scoresB, all, posIdx, negIdx, posAt);
  const d10 = b10.map((v, i) => v - a10[i]!);
  const d01 = b01.map((v, i) => v - a01[i]!);

  const auc_a = mean(a10);
  const auc_b = mean(b10);
  const auc_diff = auc_b - auc_a;
  const var_a = cov(a10, a10) / m + cov(a01, a01) / n;
  const var_b = cov(b10, b10) / m + cov(b01, b01) / n;
  const cov_ab = cov(a10, b10) / m + cov(a01, b01) / n;
  const var_diff = cov(d10, d10) / m + cov(d01, d01) / n;
  const se = Math.sqrt(var_diff);
  let z: number;
  if (se > 0) z = auc_diff / se;
  else z = auc_diff === 0 ? 0 : auc_diff > 0 ? Infinity : -Infinity;
  return {
    n: N,
    positives: m,
    negatives: n,
    auc_a,
    auc_b,
    auc_diff,
    var_a,
    var_b,
    cov_ab,
    var_diff,
    z,
    p_value: twoSidedP(z),
    ci95: [auc_diff - Z95 * se, auc_diff + Z95 * se],
  };
}

import type { PsiBaseline } from './artifact';

/**
 * Population stability index (ARCHITECTURE.md section 8). Pure functions, no I/O.
 *
 * Baseline: the training data's decile edges, computed exactly like numpy's default
 * `np.quantile(x, q)` ("linear": h = (n-1)·q, interpolate between the order statistics at floor(h) and
 * floor(h)+1), for q = k/10, k = 1..9, duplicates removed. Bins are (-inf, e1], (e1, e2], ..., (ek, +inf).
 */

export type { PsiBaseline } from './artifact';

/** Deciles q = 0.1..0.9, written as k/10 so each is the correctly rounded double (as np.arange(1, 10) / 10). */
export const DECILES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => k / 10);

/** Proportions below this are raised to it before the logarithm, so an empty bin does not give infinity. */
export const PSI_FLOOR = 1e-4;

/** Drift threshold of section 8: any PSI above it counts as drift. */
export const PSI_DRIFT_THRESHOLD = 0.2;

type Values = Float64Array | readonly number[];

function requireFinite(values: Values, what: string): void {
  if (values.length === 0) throw new Error(`${what}: no values`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${what}: value at index ${i} is ${values[i]}, not a finite number`);
  }
}

/** numpy's _lerp: a + t·(b−a), but b − (b−a)·(1−t) when t ≥ 0.5, so results agree to the last bit. */
function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

function insertionSort(a: Float64Array, lo: number, hi: number): void {
  for (let i = lo + 1; i <= hi; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= lo && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/**
 * Rearranges a[lo..hi] so that every rank in ranks[rlo..rhi] (sorted, within lo..hi) holds the value a
 * full sort would put there. One partition serves every wanted rank on each side, so 18 ranks cost
 * about n·log2(18) comparisons instead of the n·log2(n) of a sort.
 */
function multiSelect(a: Float64Array, lo: number, hi: number, ranks: readonly number[], rlo: number, rhi: number): void {
  while (rlo <= rhi && hi > lo) {
    if (hi - lo < 32) {
      insertionSort(a, lo, hi);
      return;
    }
    // Median of three as pivot; Hoare partition splits runs of equal values evenly (discrete features).
    const mid = lo + ((hi - lo) >> 1);
    let x = a[lo]!;
    let y = a[mid]!;
    let z = a[hi]!;
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = lo - 1;
    let j = hi + 1;
    for (;;) {
      do i++;
      while (a[i]! < pivot);
      do j--;
      while (a[j]! > pivot);
      if (i >= j) break;
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    // Now a[lo..j] <= pivot <= a[j+1..hi]. Split the wanted ranks between the two sides.
    let split = rlo;
    while (split <= rhi && ranks[split]! <= j) split++;
    if (split - 1 >= rlo) multiSelect(a, lo, j, ranks, rlo, split - 1);
    lo = j + 1;
    rlo = split;
  }
}

/**
 * numpy's default `np.quantile(values, qs)` (method "linear"), for sorted qs in [0, 1].
 * Uses a selection algorithm on a copy; `values` is not modified. On 1,000,000 values this takes about
 * 30 ms against about 100 ms for sorting a copy (bench on Node 22), and the bin count adds about 20 ms.
 */
export function quantiles(values: Values, qs: readonly number[]): number[] {
  requireFinite(values, 'quantiles');
  return quantilesOfFinite(values, qs);
}

function quantilesOfFinite(values: Values, qs: readonly number[]): number[] {
  const n = values.length;
  const plan = qs.map((q, k) => {
    if (!(q >= 0 && q <= 1)) throw new Error(`quantiles: q must be in [0, 1], got ${q}`);
    if (k > 0 && q < qs[k - 1]!) throw new Error('quantiles: qs must be sorted ascending');
    const h = (n - 1) * q;
    const below = Math.floor(h);
    return { below, above: Math.min(below + 1, n - 1), gamma: h - below };
  });
  const ranks = [...new Set(plan.flatMap((p) => [p.below, p.above]))].sort((x, y) => x - y);
  const a = Float64Array.from(values);
  multiSelect(a, 0, n - 1, ranks, 0, ranks.length - 1);
  return plan.map((p) => lerp(a[p.below]!, a[p.above]!, p.gamma));
}

/** Index of the bin (-inf, e1], (e1, e2], ..., (ek, +inf) that holds v: the number of edges below v. */
export function binIndex(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Share of `values` in each bin defined by `edges` (edges.length + 1 bins). */
export function binProportions(edges: readonly number[], values: Values): number[] {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < values.length; i++) counts[binIndex(edges, values[i]!)]!++;
  return Array.from(counts, (c) => c / values.length);
}

/** The training distribution of one variable: decile edges (duplicates removed) and the share per bin. */
export function psiBaseline(values: Values): PsiBaseline {
  requireFinite(values, 'psiBaseline');
  const edges: number[] = [];
  for (const e of quantilesOfFinite(values, DECILES)) if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  return { edges, proportions: binProportions(edges, values) };
}

/** PSI = Σ (a − e)·ln(a/e) over the baseline's bins, both proportions floored at 1e-4. */
export function psi(baseline: PsiBaseline, values: Values): number {
  const { edges, proportions } = baseline;
  if (proportions.length !== edges.length + 1) {
    throw new Error(`psi: baseline has ${edges.length} edges but ${proportions.length} proportions (expected ${edges.length + 1})`);
  }
  for (let k = 1; k < edges.length; k++) {
    if (!(edges[k]! > edges[k - 1]!)) throw new Error('psi: baseline edges must be strictly increasing');
  }
  requireFinite(values, 'psi');
  const actual = binProportions(edges, values);
  let sum = 0;
  for (let k = 0; k < actual.length; k++) {
    const a = Math.max(actual[k]!, PSI_FLOOR);
    const e = Math.max(proportions[k]!, PSI_FLOOR);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

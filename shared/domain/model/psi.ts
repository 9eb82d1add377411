import type { PsiBaseline } from './artifact';

/**
 * Population stability index (docs/architecture.md, "Drift"). Pure functions, no I/O.
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

/** Drift threshold (docs/architecture.md, "Drift"): any PSI above it counts as drift. */
export const PSI_DRIFT_THRESHOLD = 0.2;

export type Values = Float64Array | readonly number[];

function requireFinite(values: Values, what: string): void {
  if (values.length === 0) throw new Error(`${what}: no values`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${what}: value at index ${i} is ${values[i]}, not a finite number`);
  }
}

/** numpy's _lerp: a + t·(b−a), but b − (b−a)·(1−t) when t ≥ 0.5, so results agree to the last bit. */
export function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/** Where each wanted quantile lies: the order statistics below and above h = (n−1)·q, and the fraction between. */
export interface QuantilePlan {
  below: number;
  above: number;
  gamma: number;
}

export function quantilePlan(n: number, qs: readonly number[]): QuantilePlan[] {
  return qs.map((q, k) => {
    if (!(q >= 0 && q <= 1)) throw new Error(`quantiles: q must be in [0, 1], got ${q}`);
    if (k > 0 && q < qs[k - 1]!) throw new Error('quantiles: qs must be sorted ascending');
    const h = (n - 1) * q;
    const below = Math.floor(h);
    return { below, above: Math.min(below + 1, n - 1), gamma: h - below };
  });
}

/** Quantiles of finite values, with (when the method knows it cheaply) the exact count of values ≤ e near each. */
export interface QuantileSelection {
  edges: number[];
  /** Number of values ≤ e, exact, for any e the method can answer for; null elsewhere (or no such knowledge). */
  countAtMost: ((e: number) => number | null) | null;
}

/** A way to find order statistics: `sortedQuantiles` below, or the selection of fast/quantiles.ts (bench:train). */
export type QuantileSelector = (values: Values, qs: readonly number[]) => QuantileSelection;

/** The plain twin: sort a copy, read the order statistics, interpolate as numpy does. */
export const sortedQuantiles: QuantileSelector = (values, qs) => {
  const sorted = Float64Array.from(values).sort();
  return { edges: quantilePlan(sorted.length, qs).map((p) => lerp(sorted[p.below]!, sorted[p.above]!, p.gamma)), countAtMost: null };
};

/** numpy's default `np.quantile(values, qs)` (method "linear"), for sorted qs in [0, 1]; `values` is not modified. */
export function quantiles(values: Values, qs: readonly number[], select: QuantileSelector = sortedQuantiles): number[] {
  requireFinite(values, 'quantiles');
  return select(values, qs).edges;
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
export function psiBaseline(values: Values, select: QuantileSelector = sortedQuantiles): PsiBaseline {
  requireFinite(values, 'psiBaseline');
  const { edges: deciles, countAtMost } = select(values, DECILES);
  const edges: number[] = [];
  for (const e of deciles) if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  // A selection that already knows how many values lie at or below each edge saves the binning pass;
  // the integer counts, hence the proportions, are the same as binProportions would find.
  const atMost = countAtMost ? edges.map(countAtMost) : [];
  if (!countAtMost || atMost.some((c) => c === null)) return { edges, proportions: binProportions(edges, values) };
  const n = values.length;
  const proportions = edges.map((_, k) => (atMost[k]! - (k > 0 ? atMost[k - 1]! : 0)) / n);
  proportions.push((n - atMost[edges.length - 1]!) / n);
  return { edges, proportions };
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

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
 * `values` is not modified. Large inputs go through sampled brackets (see selectBySample), small ones
 * or unlucky ones through a multi-rank selection on a copy; both give exactly the order statistics.
 */
export function quantiles(values: Values, qs: readonly number[]): number[] {
  requireFinite(values, 'quantiles');
  return quantilesOfFinite(values, qs).edges;
}

interface QuantileResult {
  edges: number[];
  /** Number of values ≤ e, exact, for any e inside a bracket; null when e lies outside every bracket. */
  countAtMost: ((e: number) => number | null) | null;
}

function quantilesOfFinite(values: Values, qs: readonly number[]): QuantileResult {
  const n = values.length;
  const plan = qs.map((q, k) => {
    if (!(q >= 0 && q <= 1)) throw new Error(`quantiles: q must be in [0, 1], got ${q}`);
    if (k > 0 && q < qs[k - 1]!) throw new Error('quantiles: qs must be sorted ascending');
    const h = (n - 1) * q;
    const below = Math.floor(h);
    return { below, above: Math.min(below + 1, n - 1), gamma: h - below };
  });
  const ranks = [...new Set(plan.flatMap((p) => [p.below, p.above]))].sort((x, y) => x - y);
  const sampled = n >= SAMPLED_MIN ? selectBySample(values, ranks) : null;
  if (sampled) {
    return { edges: plan.map((p) => lerp(sampled.valueAt(p.below), sampled.valueAt(p.above), p.gamma)), countAtMost: sampled.countAtMost };
  }
  const a = Float64Array.from(values);
  multiSelect(a, 0, n - 1, ranks, 0, ranks.length - 1);
  return { edges: plan.map((p) => lerp(a[p.below]!, a[p.above]!, p.gamma)), countAtMost: null };
}

/** Below this many values the copy-and-select path is fast enough and sampling does not pay. */
const SAMPLED_MIN = 50_000;

/**
 * Exact order statistics without reordering the data (Floyd–Rivest style): sort a fixed pseudo-random
 * sample, take sample values a few standard deviations either side of each wanted rank as a bracket
 * [lo, hi], then one pass counts the values below each bracket and collects those inside it. If a
 * wanted rank falls inside its bracket's collected values (almost always), sorting that small bucket
 * gives it exactly; otherwise (skewed sample, a huge tie) the caller falls back to full selection.
 * On 1,000,000 values this is about 4x faster than the multi-select, and the same pass also yields
 * exact counts at any edge inside a bracket, which saves psiBaseline its separate binning pass.
 */
function selectBySample(values: Values, ranks: readonly number[]): { valueAt: (rank: number) => number; countAtMost: (e: number) => number | null } | null {
  const n = values.length;
  const s = Math.max(1024, Math.floor(n / 16));
  const sample = new Float64Array(s);
  let state = 0x9e3779b9; // xorshift32, fixed seed: the same sample every run
  for (let i = 0; i < s; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    sample[i] = values[(state >>> 0) % n]!;
  }
  sample.sort();
  // Brackets: ±4 standard deviations of the sample rank, merged where they overlap.
  const lo: number[] = [];
  const hi: number[] = [];
  for (const r of ranks) {
    const centre = (r / (n - 1)) * (s - 1);
    const q = r / (n - 1);
    const delta = 4 * Math.sqrt(s * q * (1 - q)) + 8;
    const l = sample[Math.max(0, Math.floor(centre - delta))]!;
    const h = sample[Math.min(s - 1, Math.ceil(centre + delta))]!;
    if (lo.length > 0 && l <= hi[hi.length - 1]!) hi[hi.length - 1] = Math.max(h, hi[hi.length - 1]!);
    else {
      lo.push(l);
      hi.push(h);
    }
  }
  const m = lo.length;
  const loA = Float64Array.from(lo);
  const hiA = Float64Array.from(hi);
  // One pass: count the values in each gap between brackets, and keep those inside a bracket (with
  // the bracket's index) in one flat array; a bracket that is a single tied value is only counted.
  const gapCount = new Float64Array(m + 1);
  const sizes = new Int32Array(m);
  const limit = n >> 1; // more than this inside brackets: the sample was no good, select instead
  let inside = new Float64Array(Math.min(n, 1024 + (n >> 3)));
  let tag = new Uint8Array(inside.length);
  let stored = 0;
  // Where to start looking for a value's bracket: equal-width cells over [lo_0, hi_last], each
  // holding the first bracket that can contain a value of the cell before it. The one cell of slack
  // covers rounding in the cell index (far below a cell's width), so the exact comparisons below
  // decide as before; they just start near the answer instead of at the first bracket.
  const cells = 1024;
  const base = loA[0]!;
  const scale = cells / (hiA[m - 1]! - base);
  const useCells = Number.isFinite(scale) && scale > 0;
  const firstBracket = new Uint8Array(cells + 1);
  if (useCells) {
    for (let c = 0, k = 0; c <= cells; c++) {
      const previousCellStart = base + (c - 1) / scale;
      while (k < m && hiA[k]! < previousCellStart) k++;
      firstBracket[c] = k;
    }
  }
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    let k = 0;
    if (useCells) {
      const c = (v - base) * scale;
      if (c >= 1) k = firstBracket[c < cells ? c | 0 : cells]!;
    }
    while (k < m && v > hiA[k]!) k++;
    if (k < m && v >= loA[k]!) {
      sizes[k]!++;
      if (loA[k] === hiA[k]) continue;
      if (stored === inside.length) {
        if (stored >= limit) return null;
        const grownValues = new Float64Array(Math.min(n, stored * 2));
        grownValues.set(inside);
        inside = grownValues;
        const grownTags = new Uint8Array(grownValues.length);
        grownTags.set(tag);
        tag = grownTags;
      }
      inside[stored] = v;
      tag[stored++] = k;
    } else gapCount[k]!++;
  }
  // start[k] = number of values below bracket k, i.e. the rank of its bucket's first value.
  const start = new Float64Array(m);
  const fill = new Int32Array(m);
  for (let k = 0, below = 0, offset = 0; k < m; k++) {
    below += gapCount[k]!;
    start[k] = below;
    below += sizes[k]!;
    fill[k] = offset;
    if (loA[k] !== hiA[k]) offset += sizes[k]!;
  }
  const grouped = new Float64Array(stored);
  for (let i = 0; i < stored; i++) grouped[fill[tag[i]!]!++] = inside[i]!;
  const buckets: Float64Array[] = [];
  for (let k = 0, offset = 0; k < m; k++) {
    const size = loA[k] === hiA[k] ? 0 : sizes[k]!;
    buckets.push(grouped.subarray(offset, offset + size).sort());
    offset += size;
  }
  const bracketOf = (r: number): number => {
    for (let k = 0; k < m; k++) if (r >= start[k]! && r < start[k]! + sizes[k]!) return k;
    return -1;
  };
  for (const r of ranks) if (bracketOf(r) < 0) return null;
  return {
    valueAt: (r) => {
      const k = bracketOf(r);
      return lo[k] === hi[k] ? lo[k]! : buckets[k]![r - start[k]!]!;
    },
    countAtMost: (e) => {
      for (let k = 0; k < m; k++) {
        if (e >= lo[k]! && e <= hi[k]!) {
          // Every value in [lo, hi] is in the bucket, so count = below + bucket values ≤ e.
          if (lo[k] === hi[k]) return start[k]! + sizes[k]!;
          const b = buckets[k]!;
          let a = 0;
          let z = b.length;
          while (a < z) {
            const mid = (a + z) >> 1;
            if (b[mid]! <= e) a = mid + 1;
            else z = mid;
          }
          return start[k]! + a;
        }
      }
      return null;
    },
  };
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
  const { edges: deciles, countAtMost } = quantilesOfFinite(values, DECILES);
  const edges: number[] = [];
  for (const e of deciles) if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  // The sampled selection already knows how many values lie at or below each edge; the integer
  // counts, hence the proportions, are the same as binProportions would find.
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

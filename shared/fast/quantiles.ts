import { lerp, quantilePlan, type QuantileSelector, type Values } from '../domain/model/psi';

/*
 * Quantile selection for the PSI baselines of a training run: nine deciles of a million values per
 * feature and for the score. Justified by bench:train: sorting each column costs about three times
 * this selection; its plain twin is sortedQuantiles in domain/model/psi.ts, and test/fast/quantiles.test.ts
 * holds the two equal bit for bit.
 */

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
 * The order statistics numpy's quantile reads, found without sorting (QuantileSelector): large inputs
 * through sampled brackets (see selectBySample), small or unlucky ones through a multi-rank selection
 * on a copy; both give exactly the order statistics, hence exactly sortedQuantiles' edges.
 */
export const selectQuantiles: QuantileSelector = (values, qs) => {
  const n = values.length;
  const plan = quantilePlan(n, qs);
  const ranks = [...new Set(plan.flatMap((p) => [p.below, p.above]))].sort((x, y) => x - y);
  const sampled = n >= SAMPLED_MIN ? selectBySample(values, ranks) : null;
  if (sampled) {
    return { edges: plan.map((p) => lerp(sampled.valueAt(p.below), sampled.valueAt(p.above), p.gamma)), countAtMost: sampled.countAtMost };
  }
  const a = Float64Array.from(values);
  multiSelect(a, 0, n - 1, ranks, 0, ranks.length - 1);
  return { edges: plan.map((p) => lerp(a[p.below]!, a[p.above]!, p.gamma)), countAtMost: null };
};

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

/**
 * Grades A–D (docs/architecture.md, "SQL schema and serving"): thresholds on the lead score (the logit
 * the lead_scores view serves), set per version from the distribution of its training rows' lead
 * scores under the version's final weights and offset. Seed 003's bands stay fixed on probability;
 * at a base rate of a few percent nearly every lead is "Very low" there, while a grade says where a
 * lead ranks among the leads the version was trained on.
 *
 * The rule, exactly: with shares a, b, c (percent of training rows for A, B and C; D the rest) and n
 * training rows sorted by lead score, best first,
 *   min_A = the lead score of row ceil(a·n/100),
 *   min_B = the lead score of row ceil((a+b)·n/100),
 *   min_C = the lead score of row ceil((a+b+c)·n/100)
 * (each rank computed in double precision and held within 1..n). A score gets A when it is ≥ min_A,
 * else B when ≥ min_B, else C when ≥ min_C, else D. Rows tied with a threshold share its grade, so a
 * grade can hold more than its share of training rows (and a lower one fewer, even none).
 */

export type Grade = 'A' | 'B' | 'C' | 'D';

/** Grade names by index (what gradeIndex returns; NO_GRADE is a version without thresholds). */
export const GRADES: readonly Grade[] = ['A', 'B', 'C', 'D'];

/** The grade index of a score under a version that has no thresholds (registered before migration 004). */
export const NO_GRADE = 4;

/** Percent of training rows graded A, B and C; D gets the rest. */
export type GradeShares = readonly [number, number, number];

export const DEFAULT_GRADE_SHARES: GradeShares = [5, 15, 30];

/** What a version stores about its grades (model.json `grades`; min_lead_score also in SQL). */
export interface GradeTable {
  /** Percent of training rows meant for A, B and C (D the rest). */
  shares: number[];
  /** The least lead score of A, B and C (see the rule above). */
  min_lead_score: number[];
  /** Training rows in A, B, C and D under these thresholds (ties make them differ from the shares). */
  training_rows: number[];
}

/** One grade on labelled rows (the report's validation table). */
export interface GradeRow {
  grade: Grade;
  rows: number;
  positives: number;
  /** positives / rows; null when the grade holds no row. */
  positive_rate: number | null;
}

/** Throws unless `shares` are three positive finite percentages adding up to less than 100. */
export function checkGradeShares(shares: readonly number[], what = 'grade shares'): GradeShares {
  if (shares.length !== 3) throw new Error(`${what} must be three percentages (A, B, C; D gets the rest), got ${shares.length}`);
  const bad = shares.findIndex((s) => !Number.isFinite(s) || s <= 0);
  if (bad >= 0) throw new Error(`${what} must each be a number above 0; ${GRADES[bad]}'s is ${shares[bad]}`);
  const sum = shares[0]! + shares[1]! + shares[2]!;
  if (!(sum < 100)) throw new Error(`${what} must add up to less than 100 so that D keeps some rows, got ${shares.join(' + ')} = ${sum}`);
  return [shares[0]!, shares[1]!, shares[2]!];
}

/** `5,15,30` → [5, 15, 30]; throws naming `what` for anything else. */
export function parseGradeShares(text: string, what = 'grade shares'): GradeShares {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 3 || parts.some((p) => p === '' || !Number.isFinite(Number(p)))) {
    throw new Error(`${what} must be three percentages for A, B and C separated by commas (D gets the rest), e.g. 5,15,30; got "${text}"`);
  }
  return checkGradeShares(parts.map(Number), what);
}

/** Index into GRADES of a lead score under thresholds [min_A, min_B, min_C]; NO_GRADE when there are none. */
export function gradeIndex(z: number, min: ArrayLike<number> | null): number {
  if (min === null) return NO_GRADE;
  return z >= min[0]! ? 0 : z >= min[1]! ? 1 : z >= min[2]! ? 2 : 3;
}

export function gradeOf(z: number, min: ArrayLike<number> | null): Grade | null {
  return GRADES[gradeIndex(z, min)] ?? null;
}

/**
 * Moves the value sorted (ascending) order puts at index k of a[lo, hi) there, with nothing greater
 * before it and nothing smaller after it: Hoare's quickselect (median-of-three pivot), O(n) on
 * average, which sorts what is left once the range is small or the partitions stop shrinking.
 */
function selectInPlace(a: Float64Array, k: number, lo: number, hi: number): void {
  let rounds = 2 * Math.ceil(Math.log2(hi - lo + 1)) + 8;
  while (hi - lo > 16 && rounds-- > 0) {
    const x = a[lo]!;
    const y = a[lo + ((hi - lo) >> 1)]!;
    const w = a[hi - 1]!;
    const pivot = x < y ? (y < w ? y : x < w ? w : x) : x < w ? x : y < w ? w : y;
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const v = a[i]!;
        a[i++] = a[j]!;
        a[j--] = v;
      }
    }
    // Now a[lo..j] ≤ pivot ≤ a[i..hi), and whatever lies between j and i equals the pivot.
    if (k <= j) hi = j + 1;
    else if (k >= i) lo = i;
    else return;
  }
  a.subarray(lo, hi).sort();
}

/** [min_A, min_B, min_C] of training lead scores under `shares` (the rule in this file's comment). */
export function gradeThresholds(scores: ArrayLike<number>, shares: GradeShares): [number, number, number] {
  const n = scores.length;
  if (n === 0) throw new Error('grade thresholds need at least one training row');
  checkGradeShares(shares);
  const a = Float64Array.from(scores);
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[i]!)) throw new Error(`grade thresholds: the lead score of training row ${i + 1} is ${a[i]}`);
  const rank = (percent: number): number => Math.min(n, Math.max(1, Math.ceil((percent * n) / 100)));
  // Best-first rank r is ascending index n − r; the widest grade boundary (C) first, then each
  // narrower one inside the part above it.
  const pos = [n - rank(shares[0]), n - rank(shares[0] + shares[1]), n - rank(shares[0] + shares[1] + shares[2])] as const;
  selectInPlace(a, pos[2], 0, n);
  selectInPlace(a, pos[1], pos[2], n);
  selectInPlace(a, pos[0], pos[1], n);
  return [a[pos[0]]!, a[pos[1]]!, a[pos[2]]!];
}

/** Rows per grade (A, B, C, D) of lead scores under thresholds [min_A, min_B, min_C]. */
export function gradeCounts(scores: ArrayLike<number>, min: ArrayLike<number>): number[] {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < scores.length; i++) counts[gradeIndex(scores[i]!, min)]!++;
  return counts;
}

/** A version's grades from its training rows' lead scores (under its final weights and offset). */
export function gradeTable(trainScores: ArrayLike<number>, shares: GradeShares = DEFAULT_GRADE_SHARES): GradeTable {
  const min = gradeThresholds(trainScores, shares);
  return { shares: [...shares], min_lead_score: min, training_rows: gradeCounts(trainScores, min) };
}

/** Each grade's rows, positives and observed positive rate on labelled rows (e.g. validation). */
export function gradeSummary(scores: ArrayLike<number>, labels: ArrayLike<number>, min: ArrayLike<number>): GradeRow[] {
  if (scores.length !== labels.length) throw new Error(`grade summary: ${scores.length} scores but ${labels.length} labels`);
  const rows = [0, 0, 0, 0];
  const positives = [0, 0, 0, 0];
  for (let i = 0; i < scores.length; i++) {
    const g = gradeIndex(scores[i]!, min);
    rows[g]!++;
    if (labels[i] === 1) positives[g]!++;
  }
  return GRADES.map((grade, g) => ({ grade, rows: rows[g]!, positives: positives[g]!, positive_rate: rows[g]! > 0 ? positives[g]! / rows[g]! : null }));
}

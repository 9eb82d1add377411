import {
  checkGradeShares,
  DEFAULT_GRADE_SHARES,
  gradeCounts,
  gradeIndex,
  gradeOf,
  gradeSummary,
  gradeTable,
  gradeThresholds,
  NO_GRADE,
  parseGradeShares,
} from '../../../shared/domain/model/grades';
import { seeded } from '../../support/random';

/** The rule by its definition, without selection or sorting: the score at best-first rank k is the largest t with #{s ≥ t} ≥ k. */
function scoreAtRank(scores: ArrayLike<number>, k: number): number {
  let best = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const t = scores[i]!;
    if (t <= best) continue;
    let atLeast = 0;
    for (let j = 0; j < scores.length; j++) if (scores[j]! >= t) atLeast++;
    if (atLeast >= k) best = t;
  }
  return best;
}

describe('grade thresholds (the rule in grades.ts, by hand)', () => {
  it('20 distinct scores 1..20 with 5/15/30 %: ranks 1, 4 and 10 give 20, 17 and 11', () => {
    const scores = Array.from({ length: 20 }, (_, i) => 20 - i).reverse();
    const t = gradeThresholds(scores, [5, 15, 30]);
    expect(t).toEqual([20, 17, 11]);
    // A = {20}, B = {17, 18, 19}, C = {11..16}, D = {1..10}
    expect(gradeCounts(scores, t)).toEqual([1, 3, 6, 10]);
  });

  it('rounds each rank up: 10 rows at 5/15/30 % give ranks ceil(0.5) = 1, ceil(2) = 2, ceil(5) = 5', () => {
    const scores = [0.3, -1.2, 0.9, 2.5, -0.4, 1.1, 0.0, -2.0, 1.7, 0.6];
    // best first: 2.5, 1.7, 1.1, 0.9, 0.6, 0.3, 0.0, -0.4, -1.2, -2.0
    expect(gradeThresholds(scores, [5, 15, 30])).toEqual([2.5, 1.7, 0.6]);
  });

  it('other shares: 10 rows at 10/20/30 % give ranks 1, 3 and 6', () => {
    const scores = [0.3, -1.2, 0.9, 2.5, -0.4, 1.1, 0.0, -2.0, 1.7, 0.6];
    expect(gradeThresholds(scores, [10, 20, 30])).toEqual([2.5, 1.1, 0.3]);
  });

  it('ties share the grade of their threshold, so a grade can be over its share and the next one empty', () => {
    // ranks ceil(0.25) = 1, ceil(1) = 1, ceil(2.5) = 3: all three thresholds are the tied 3.
    const scores = [3, 1, 3, 2, 3];
    const t = gradeThresholds(scores, [5, 15, 30]);
    expect(t).toEqual([3, 3, 3]);
    expect(gradeCounts(scores, t)).toEqual([3, 0, 0, 2]);
  });

  it('one row is an A', () => {
    expect(gradeThresholds([-4.2], DEFAULT_GRADE_SHARES)).toEqual([-4.2, -4.2, -4.2]);
    expect(gradeTable([-4.2]).training_rows).toEqual([1, 0, 0, 0]);
  });

  it('refuses no rows and a score that is not finite', () => {
    expect(() => gradeThresholds([], DEFAULT_GRADE_SHARES)).toThrow(/at least one training row/);
    expect(() => gradeThresholds([1, NaN, 2], DEFAULT_GRADE_SHARES)).toThrow(/training row 2 is NaN/);
  });

  it('does not modify its input', () => {
    const scores = new Float64Array([5, 1, 4, 2, 3, 9, 7, 8, 6, 0, 11, 10, 12, 15, 13, 14, 19, 17, 16, 18]);
    const copy = scores.slice();
    gradeThresholds(scores, DEFAULT_GRADE_SHARES);
    expect(scores).toEqual(copy);
  });
});

describe('grading a score', () => {
  const min = [2, 1, 0];
  it('is A at or above min_A, B at or above min_B, C at or above min_C, else D', () => {
    expect([2.5, 2, 1.999, 1, 0.5, 0, -1e-300, -7].map((z) => gradeOf(z, min))).toEqual(['A', 'A', 'B', 'B', 'C', 'C', 'D', 'D']);
  });
  it('is null under a version without thresholds', () => {
    expect(gradeOf(3, null)).toBeNull();
    expect(gradeIndex(3, null)).toBe(NO_GRADE);
  });
});

describe('grade summary on labelled rows', () => {
  it('counts rows and positives per grade and divides them, by hand', () => {
    const scores = [3, 2.5, 1.5, 1.2, 0.4, 0.1, -1, -2, -3, -4];
    const labels = [1, 0, 1, 1, 0, 1, 0, 0, 1, 0];
    // min [2, 1, 0]: A = {3, 2.5} (1 positive), B = {1.5, 1.2} (2), C = {0.4, 0.1} (1), D = 4 rows (1)
    expect(gradeSummary(scores, labels, [2, 1, 0])).toEqual([
      { grade: 'A', rows: 2, positives: 1, positive_rate: 0.5 },
      { grade: 'B', rows: 2, positives: 2, positive_rate: 1 },
      { grade: 'C', rows: 2, positives: 1, positive_rate: 0.5 },
      { grade: 'D', rows: 4, positives: 1, positive_rate: 0.25 },
    ]);
  });
  it('gives an empty grade a null rate, and refuses scores and labels of different lengths', () => {
    expect(gradeSummary([0], [1], [2, 1, 0])[0]).toEqual({ grade: 'A', rows: 0, positives: 0, positive_rate: null });
    expect(() => gradeSummary([0, 1], [1], [2, 1, 0])).toThrow(/2 scores but 1 labels/);
  });
});

describe('grade shares', () => {
  it('parses three percentages', () => {
    expect(parseGradeShares('5,15,30')).toEqual([5, 15, 30]);
    expect(parseGradeShares(' 2.5, 10 ,20')).toEqual([2.5, 10, 20]);
  });
  it('refuses what is not three positive numbers adding up to less than 100, naming the setting', () => {
    expect(() => parseGradeShares('5,15', 'GRADE_SHARES')).toThrow(/^GRADE_SHARES must be three percentages .* got "5,15"$/);
    expect(() => parseGradeShares('5,,30', 'GRADE_SHARES')).toThrow(/GRADE_SHARES must be three percentages/);
    expect(() => parseGradeShares('5,x,30', 'GRADE_SHARES')).toThrow(/GRADE_SHARES must be three percentages/);
    expect(() => parseGradeShares('5,0,30', 'GRADE_SHARES')).toThrow(/GRADE_SHARES must each be a number above 0; B's is 0/);
    expect(() => parseGradeShares('50,30,20', 'GRADE_SHARES')).toThrow(/GRADE_SHARES must add up to less than 100 .* 50 \+ 30 \+ 20 = 100/);
    expect(() => checkGradeShares([5, 15], 'x')).toThrow(/x must be three percentages/);
  });
});

describe('grade thresholds against the rule by definition (random data)', () => {
  it('agree with the brute-force k-th largest score on many sizes, shares, ties and orders', () => {
    const r = seeded(14);
    const sharesList = [DEFAULT_GRADE_SHARES, [10, 20, 30], [1, 1, 1], [33.3, 33.3, 33.3], [0.5, 2, 90]] as const;
    let cases = 0;
    for (const n of [1, 2, 3, 7, 16, 17, 18, 40, 101, 333, 1000, 2586]) {
      for (const kind of ['distinct', 'ties', 'sorted', 'reversed', 'constant'] as const) {
        let scores = Array.from({ length: n }, () => (kind === 'ties' ? Math.floor(r() * 6) - 3 : r() * 8 - 6));
        if (kind === 'sorted') scores.sort((a, b) => a - b);
        if (kind === 'reversed') scores.sort((a, b) => b - a);
        if (kind === 'constant') scores = scores.map(() => -2.75);
        for (const shares of sharesList) {
          const t = gradeThresholds(scores, shares);
          const ranks = [shares[0], shares[0] + shares[1], shares[0] + shares[1] + shares[2]].map((p) => Math.min(n, Math.max(1, Math.ceil((p * n) / 100))));
          expect(t).toEqual(ranks.map((k) => scoreAtRank(scores, k)));
          // The counts follow from the thresholds: at least each cumulative rank graded at or above its grade.
          const c = gradeCounts(scores, t);
          expect(c.reduce((a, b) => a + b, 0)).toBe(n);
          expect(c[0]!).toBeGreaterThanOrEqual(ranks[0]!);
          expect(c[0]! + c[1]!).toBeGreaterThanOrEqual(ranks[1]!);
          expect(c[0]! + c[1]! + c[2]!).toBeGreaterThanOrEqual(ranks[2]!);
          cases++;
        }
      }
    }
    expect(cases).toBe(12 * 5 * 5);
  });

  it('with distinct scores, each grade holds exactly its rank difference of training rows', () => {
    const r = seeded(3);
    const scores = Array.from({ length: 2586 }, () => r() * 10 - 7);
    // ranks ceil(129.3) = 130, ceil(517.2) = 518, ceil(1293) = 1293
    expect(gradeTable(scores).training_rows).toEqual([130, 388, 775, 1293]);
  });
});

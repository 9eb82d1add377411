import { delongPaired, type DeLongResult } from '../../../shared/domain/model/delong';
import { rankingMetrics } from '../../../shared/domain/model/metrics';
import { twoSidedP } from '../../../shared/domain/model/normal';
import { seeded } from '../../support/random';
import reference from './stats-reference.json';

/** DeLong from its definition, O(m·n): the Heaviside kernel on every positive/negative pair, no ranks. */
function delongByDefinition(a: ArrayLike<number>, b: ArrayLike<number>, y: ArrayLike<number>) {
  const psi = (x: number, w: number): number => (x > w ? 1 : x === w ? 0.5 : 0);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let r = 0; r < y.length; r++) (y[r] === 1 ? pos : neg).push(r);
  const [m, n] = [pos.length, neg.length];
  const parts = [a, b].map((s) => ({
    v10: pos.map((i) => neg.reduce((t, j) => t + psi(s[i]!, s[j]!), 0) / n),
    v01: neg.map((j) => pos.reduce((t, i) => t + psi(s[i]!, s[j]!), 0) / m),
  }));
  const avg = (v: number[]): number => v.reduce((t, x) => t + x, 0) / v.length;
  const cov = (u: number[], v: number[]): number => u.reduce((t, x, i) => t + (x - avg(u)) * (v[i]! - avg(v)), 0) / (u.length - 1);
  const [pa, pb] = parts as [(typeof parts)[0], (typeof parts)[0]];
  const var_a = cov(pa.v10, pa.v10) / m + cov(pa.v01, pa.v01) / n;
  const var_b = cov(pb.v10, pb.v10) / m + cov(pb.v01, pb.v01) / n;
  const cov_ab = cov(pa.v10, pb.v10) / m + cov(pa.v01, pb.v01) / n;
  const var_diff = var_a + var_b - 2 * cov_ab;
  const auc_diff = avg(pb.v10) - avg(pa.v10);
  // The module's convention for a zero variance (equal rankings on small samples do happen): z = 0 when diff = 0 too.
  const z = var_diff > 0 ? auc_diff / Math.sqrt(var_diff) : auc_diff === 0 ? 0 : Math.sign(auc_diff) * Infinity;
  return { auc_a: avg(pa.v10), auc_b: avg(pb.v10), auc_diff, var_a, var_b, cov_ab, var_diff, z };
}

/** |got − want| within tol, relative to the scale (variances are ~1e-4: an absolute 1e-12 would say little). */
function expectClose(got: DeLongResult, want: Partial<Record<keyof DeLongResult, number>>, tol: number): void {
  const scale = Math.abs(want.var_a ?? 0) + Math.abs(want.var_b ?? 0);
  for (const [k, w] of Object.entries(want) as [keyof DeLongResult, number][]) {
    const g = got[k] as number;
    const s = k === 'cov_ab' || k === 'var_diff' ? scale : Math.max(Math.abs(w), k.startsWith('auc') ? 1 : 0);
    expect([k, Math.abs(g - w) <= tol * s]).toEqual([k, true]);
  }
}

describe("DeLong's paired test (Sun & Xu midranks)", () => {
  test('a hand case: 3 positives, 4 negatives, a tie in each scorer', () => {
    // rows:        p1   p2   p3   n1   n2   n3   n4
    // champion a:  0.9  0.6  0.4  0.6  0.3  0.2  0.1   (p2 ties n1)
    // challenger b:0.8  0.2  0.7  0.5  0.2  0.3  0.1   (p2 ties n2)
    // V10 (share of the 4 negatives each positive beats, ties ½):
    //   a: p1 4/4 = 1, p2 (½ + 3)/4 = 0.875, p3 3/4 = 0.75        → AUC_a = 2.625/3 = 0.875
    //   b: p1 1, p2 (0 + ½ + 0 + 1)/4 = 0.375, p3 1               → AUC_b = 2.375/3 = 19/24
    // V01 (share of the 3 positives ranked above each negative, ties ½):
    //   a: n1 (1 + ½ + 0)/3 = 1/2, n2 1, n3 1, n4 1              (mean 0.875)
    //   b: n1 2/3, n2 (1 + ½ + 1)/3 = 5/6, n3 2/3, n4 1          (mean 19/24)
    // S10 (over the positives, divisor 2): deviations a (1/8, 0, −1/8), b (5, −10, 5)/24
    //   = [[1/64, 0], [0, 25/192]]
    // S01 (over the negatives, divisor 3): deviations a (−9, 3, 3, 3)/24, b (−3, 1, −3, 5)/24
    //   = [[1/16, 1/48], [1/48, 11/432]]
    // var_a = (1/64)/3 + (1/16)/4 = 1/48;  var_b = (25/192)/3 + (11/432)/4 = 43/864;
    // cov_ab = 0/3 + (1/48)/4 = 1/192;     var_diff = 1/48 + 43/864 − 2/192 = 13/216;
    // diff = 19/24 − 21/24 = −1/12;        z = −(1/12)/√(13/216) = −0.33968311024337…
    const r = delongPaired([0.9, 0.6, 0.4, 0.6, 0.3, 0.2, 0.1], [0.8, 0.2, 0.7, 0.5, 0.2, 0.3, 0.1], [1, 1, 1, 0, 0, 0, 0]);
    expect(r).toMatchObject({ n: 7, positives: 3, negatives: 4 });
    expectClose(r, { auc_a: 0.875, auc_b: 19 / 24, auc_diff: -1 / 12, var_a: 1 / 48, var_b: 43 / 864, cov_ab: 1 / 192, var_diff: 13 / 216 }, 1e-15);
    expect(r.z).toBeCloseTo(-1 / 12 / Math.sqrt(13 / 216), 14);
    expect(r.z).toBeCloseTo(-0.3396831102433789, 14);
    expect(r.p_value).toBeCloseTo(0.7340951823194757, 14); // 2·scipy.stats.norm.sf(0.33968…) (stats-reference.json)
    expect(r.ci95[0]).toBeCloseTo(-1 / 12 - 1.959963984540054 * Math.sqrt(13 / 216), 14);
    expect(r.ci95[1]).toBeCloseTo(-1 / 12 + 1.959963984540054 * Math.sqrt(13 / 216), 14);
  });

  const sizes = [5, 12, 40, 150, 400];
  test.each(
    sizes.flatMap((n) => [
      { n, ties: false },
      { n, ties: true },
    ]),
  )('equals the O(m·n) definition on random data: $n rows, ties $ties', ({ n, ties }) => {
    const rnd = seeded(1988 + n + (ties ? 7 : 0));
    let tied = 0;
    for (let rep = 0; rep < 5; rep++) {
      const y = Array.from({ length: n }, (_, i) => (i < 4 ? i % 2 : rnd() < 0.3 ? 1 : 0));
      // Ties: scores on a coarse grid, so both scorers tie within and across the classes.
      const q = (x: number): number => (ties ? Math.round(x * 4) / 4 : x);
      const base = y.map((v) => rnd() + 0.4 * v);
      const a = base.map((x) => q(x + rnd() * 0.8));
      const b = base.map((x, i) => q(x + rnd() * 0.6 + 0.1 * y[i]!));
      tied += 2 * n - new Set(a).size - new Set(b).size;
      const got = delongPaired(a, b, y);
      const want = delongByDefinition(a, b, y);
      expectClose(got, want, 1e-12);
      expect(got.p_value).toBeCloseTo(twoSidedP(want.z), 12);
    }
    expect(tied > 0).toBe(ties);
  });

  test.each(reference.delong)('numpy/scikit-learn reference (stats-reference.json): $name', (c) => {
    const r = delongPaired(c.a, c.b, c.y);
    const e = c.expected;
    expect(r).toMatchObject({ n: e.n, positives: e.positives, negatives: e.negatives });
    // AUCs: sklearn.metrics.roc_auc_score; variances: DeLong's definition in numpy.
    expectClose(
      r,
      { auc_a: e.auc_a, auc_b: e.auc_b, var_a: e.var_a, var_b: e.var_b, cov_ab: e.cov_ab, var_diff: e.var_diff, z: e.z, p_value: e.p_value },
      1e-12,
    );
  });

  test('the AUCs agree with the trapezoid AUC of metrics.ts on 200,000 rows (O(N log N) in practice)', () => {
    const rnd = seeded(15);
    const N = 200_000;
    const y = Array.from({ length: N }, () => (rnd() < 0.04 ? 1 : 0));
    const a = y.map((v) => Math.round((rnd() + 0.3 * v) * 1000) / 1000);
    const b = y.map((v) => rnd() + 0.35 * v);
    const r = delongPaired(a, b, y);
    expect(r.auc_a).toBeCloseTo(rankingMetrics(a, y).auc_roc, 12);
    expect(r.auc_b).toBeCloseTo(rankingMetrics(b, y).auc_roc, 12);
    expect(r.var_diff).toBeGreaterThan(0);
  });

  test('the difference is challenger − champion: swapping them negates diff, z and the interval, and keeps p', () => {
    const y = [1, 0, 1, 0, 0, 1, 0, 0];
    const a = [0.2, 0.4, 0.9, 0.1, 0.5, 0.3, 0.6, 0.2];
    const b = [0.8, 0.4, 0.7, 0.1, 0.5, 0.6, 0.3, 0.2];
    const ab = delongPaired(a, b, y);
    const ba = delongPaired(b, a, y);
    expect(ab.auc_diff).toBeGreaterThan(0);
    expect(ab.auc_diff).toBeCloseTo(ab.auc_b - ab.auc_a, 15);
    expect(ba.auc_diff).toBeCloseTo(-ab.auc_diff, 15);
    expect(ba.z).toBeCloseTo(-ab.z, 14);
    expect(ba.p_value).toBeCloseTo(ab.p_value, 14);
    expect(ba.ci95[0]).toBeCloseTo(-ab.ci95[1], 14);
  });

  test('identical scorers, or one a monotone transform of the other: var_diff exactly 0, z = 0, p = 1', () => {
    const y = [1, 0, 1, 0, 0, 1, 0];
    const a = [0.2, 0.4, 0.9, 0.1, 0.4, 0.3, 0.6];
    for (const b of [a, a.map((x) => Math.log(x) * 3 + 1)]) {
      const r = delongPaired(a, b, y);
      expect(r).toMatchObject({ auc_diff: 0, var_diff: 0, z: 0, p_value: 1, ci95: [0, 0] });
      expect(r.var_a).toBeGreaterThan(0);
    }
  });

  test('var_diff 0 with different AUCs (a perfect scorer against a constant one): z = +∞, p = 0', () => {
    const y = [1, 1, 0, 0, 0];
    const r = delongPaired([0.5, 0.5, 0.5, 0.5, 0.5], [0.9, 0.8, 0.3, 0.2, 0.1], y);
    expect(r).toMatchObject({ auc_a: 0.5, auc_b: 1, auc_diff: 0.5, var_a: 0, var_b: 0, var_diff: 0, z: Infinity, p_value: 0 });
  });

  test('clear errors: lengths, a single class (or one row of a class), labels, non-finite scores', () => {
    expect(() => delongPaired([1, 2, 3], [1, 2], [1, 0, 1])).toThrow(/3 and 2 scores for 3 labels/);
    expect(() => delongPaired([1, 2, 3], [1, 2, 3], [1, 1, 1])).toThrow(/at least 2 positives and 2 negatives: got 3 positives and 0 negatives/);
    expect(() => delongPaired([1, 2, 3, 4], [1, 2, 3, 4], [1, 0, 0, 0])).toThrow(/got 1 positives and 3 negatives/);
    expect(() => delongPaired([1, 2, 3, 4], [1, 2, 3, 4], [1, 0, 2, 0])).toThrow(/labels are 0 or 1: row 2 has 2/);
    expect(() => delongPaired([1, NaN, 3, 4], [1, 2, 3, 4], [1, 0, 1, 0])).toThrow(/finite scores: row 1 has NaN \(champion\)/);
    expect(() => delongPaired([1, 2, 3, 4], [1, 2, Infinity, 4], [1, 0, 1, 0])).toThrow(/row 2 has 3 \(champion\) and Infinity \(challenger\)/);
  });
});

import { twoProportionTest } from '../../../shared/domain/model/proportions';
import reference from './stats-reference.json';

// stats-reference.json's "proportions" were computed by `python3 scripts/stats-reference.py` with
// the formula and scipy.stats.norm (statsmodels' proportions_ztest is not installed on this machine).
describe('the two-proportion z-test', () => {
  test('a hand case: control 100/2000, treatment 130/2000', () => {
    // rates 0.05 and 0.065, diff 0.015
    // pooled p̂ = 230/4000 = 0.0575; SE² = 0.0575·0.9425·(2/2000) = 5.419375e-5; SE = 0.00736164…
    // z = 0.015/0.00736164… = 2.03758932…; p = 2·(1 − Φ(2.0376)) = 0.04159…
    // Wald SE² = 0.05·0.95/2000 + 0.065·0.935/2000 = 2.375e-5 + 3.03875e-5 = 5.41375e-5
    // ci95 = 0.015 ± 1.959963984540054·√5.41375e-5 = 0.015 ± 0.0144210… = [0.000579, 0.029421]
    const r = twoProportionTest({ n: 2000, positives: 100 }, { n: 2000, positives: 130 });
    expect(r.control).toEqual({ n: 2000, positives: 100, rate: 0.05 });
    expect(r.treatment).toEqual({ n: 2000, positives: 130, rate: 0.065 });
    expect(r.diff).toBeCloseTo(0.015, 15);
    expect(r.z).toBeCloseTo(0.015 / Math.sqrt(5.419375e-5), 13);
    expect(r.z).toBeCloseTo(2.0375893, 7);
    expect(r.p_value).toBeCloseTo(0.04159, 5);
    expect(r.ci95[0]).toBeCloseTo(0.015 - 1.959963984540054 * Math.sqrt(5.41375e-5), 14);
    expect(r.ci95[1]).toBeCloseTo(0.015 + 1.959963984540054 * Math.sqrt(5.41375e-5), 14);
    expect(r.ci95[0]).toBeCloseTo(0.000579, 6);
  });

  test.each(reference.proportions)('scipy reference: control $control.positives/$control.n, treatment $treatment.positives/$treatment.n', (c) => {
    const r = twoProportionTest(c.control, c.treatment);
    expect(r.diff).toBeCloseTo(c.diff, 14);
    expect(Math.abs(r.z - c.z) / Math.abs(c.z)).toBeLessThan(1e-13);
    expect(Math.abs(r.p_value - c.p_value) / c.p_value).toBeLessThan(1e-12);
    expect(r.ci95[0]).toBeCloseTo(c.ci95[0]!, 14);
    expect(r.ci95[1]).toBeCloseTo(c.ci95[1]!, 14);
  });

  test('the direction is treatment − control', () => {
    const worse = twoProportionTest({ n: 1000, positives: 60 }, { n: 1000, positives: 40 });
    const better = twoProportionTest({ n: 1000, positives: 40 }, { n: 1000, positives: 60 });
    expect(worse.diff).toBeCloseTo(-0.02, 15);
    expect(worse.z).toBeLessThan(0);
    expect(better.z).toBeCloseTo(-worse.z, 14);
    expect(better.p_value).toBeCloseTo(worse.p_value, 15);
  });

  test('pooled SE 0 (no positives anywhere, or all): z = 0, p = 1, ci95 = [0, 0]', () => {
    for (const [c, t] of [
      [0, 0],
      [80, 120],
    ] as const) {
      const r = twoProportionTest({ n: 80, positives: c }, { n: 120, positives: t });
      expect(r).toMatchObject({ diff: 0, z: 0, p_value: 1, ci95: [0, 0] });
    }
  });

  test('0 % against 100 %: pooled z finite, the Wald interval collapses to [diff, diff]', () => {
    const r = twoProportionTest({ n: 100, positives: 0 }, { n: 100, positives: 100 });
    expect(r.diff).toBe(1);
    expect(r.z).toBeCloseTo(Math.sqrt(200), 12); // 1/√(0.25·0.02)
    expect(r.ci95).toEqual([1, 1]);
  });

  test('an arm with n = 0 or impossible counts is refused, naming the arm', () => {
    expect(() => twoProportionTest({ n: 0, positives: 0 }, { n: 10, positives: 1 })).toThrow(/control arm has no sends \(n = 0\)/);
    expect(() => twoProportionTest({ n: 10, positives: 1 }, { n: 0, positives: 0 })).toThrow(/treatment arm has no sends/);
    expect(() => twoProportionTest({ n: 10, positives: 11 }, { n: 10, positives: 1 })).toThrow(/control arm needs whole counts.*n = 10, positives = 11/);
    expect(() => twoProportionTest({ n: 10, positives: 1 }, { n: 10.5, positives: 1 })).toThrow(/treatment arm needs whole counts/);
    expect(() => twoProportionTest({ n: 10, positives: -1 }, { n: 10, positives: 1 })).toThrow(/control arm/);
    expect(() => twoProportionTest({ n: NaN, positives: 1 }, { n: 10, positives: 1 })).toThrow(/control arm/);
  });
});

import { normalCdf, normalSf, twoSidedP, Z95 } from '../../../shared/domain/model/normal';
import reference from './stats-reference.json';

// stats-reference.json was printed once by `python3 scripts/stats-reference.py` (mpmath at 50
// digits for "cdf"/"sf", scipy.stats.norm for "scipy_*"); CI reads the committed file.
const { values } = reference.normal;
const relErr = (got: number, want: number): number => Math.abs(got - want) / Math.abs(want);

describe('the standard normal distribution (Cody 1969)', () => {
  test('published values: Φ(1.96) = 0.9750021048517795, Φ(−1.96) = 0.024997895148220435, Φ(0) = 1/2', () => {
    // Within an ulp or two: the approximation is good to ~4e-16 relative, not exactly rounded.
    expect(relErr(normalCdf(1.96), 0.9750021048517795)).toBeLessThan(1e-15);
    expect(relErr(normalCdf(-1.96), 0.024997895148220435)).toBeLessThan(1e-15);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalSf(0)).toBe(0.5);
  });

  test.each(values.filter((v) => v.sf >= 1e-300 && v.cdf >= 1e-300))('z = $z: Φ and the upper tail within 1e-15 of mpmath (relative)', (v) => {
    expect(relErr(normalCdf(v.z), v.cdf)).toBeLessThan(1e-15);
    expect(relErr(normalSf(v.z), v.sf)).toBeLessThan(1e-15);
  });

  test('the far upper tail is not 1 − Φ: z = 5, 8, 10, 37 exact to a few ulps, where 1 − Φ(z) would be off or 0', () => {
    for (const z of [5, 8, 10, 37]) {
      const want = values.find((v) => v.z === z)!.sf;
      expect(relErr(normalSf(z), want)).toBeLessThan(1e-15);
      expect(relErr(normalCdf(-z), want)).toBeLessThan(1e-15);
    }
    expect(1 - normalCdf(10)).toBe(0); // what the naive tail would say
    expect(relErr(1 - normalCdf(5), values.find((v) => v.z === 5)!.sf)).toBeGreaterThan(1e-11);
  });

  test('agrees with scipy.stats.norm to 1e-12 everywhere scipy is a normal number (scipy loses ~1e-13 at z = 37)', () => {
    for (const v of values.filter((r) => r.scipy_sf > 1e-300)) expect(relErr(normalSf(v.z), v.scipy_sf)).toBeLessThan(1e-12);
  });

  test('underflow past z ≈ 38.5, gracefully: subnormal at 38 (scipy says 0), 0 at 40 and +∞, 1 at −∞; NaN stays NaN', () => {
    expect(normalSf(38)).toBeCloseTo(values.find((v) => v.z === 38)!.sf, 320);
    expect(normalSf(38)).toBeGreaterThan(0);
    expect(normalSf(40)).toBe(0);
    expect(normalSf(Infinity)).toBe(0);
    expect(normalSf(-Infinity)).toBe(1);
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalSf(NaN)).toBeNaN();
    expect(twoSidedP(NaN)).toBeNaN();
  });

  test('monotone decreasing across the interval boundaries of the approximation (|x| = 0.46875 and 4, i.e. z = 0.6629 and 5.6569)', () => {
    const zs = Array.from({ length: 4001 }, (_, i) => -10 + i * 0.005);
    for (const b of [0.46875 * Math.SQRT2, 4 * Math.SQRT2]) for (const d of [-1e-12, 0, 1e-12]) zs.push(b + d, -b - d);
    zs.sort((a, b) => a - b);
    for (let i = 1; i < zs.length; i++) expect(normalSf(zs[i]!)).toBeLessThanOrEqual(normalSf(zs[i - 1]!));
    for (const z of zs) expect(Math.abs(normalSf(z) + normalCdf(z) - 1)).toBeLessThan(4e-16);
  });

  test('two-sided p: 2·tail of |z|, symmetric, 1 at z = 0, 0.05 at Z95 = norm.ppf(0.975)', () => {
    expect(Z95).toBe(reference.normal.z95);
    expect(twoSidedP(0)).toBe(1);
    expect(twoSidedP(Z95)).toBeCloseTo(0.05, 15);
    expect(twoSidedP(-1.96)).toBe(twoSidedP(1.96));
    expect(relErr(twoSidedP(-1.96), 2 * 0.024997895148220435)).toBeLessThan(1e-15);
    expect(relErr(twoSidedP(37), 2 * values.find((v) => v.z === 37)!.sf)).toBeLessThan(1e-15);
  });
});

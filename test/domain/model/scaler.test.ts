import { N_FEATURES } from '../../../shared/domain/features/schema';
import { fitScaler, standardize } from '../../../shared/domain/model/scaler';
import { loadSeed, relDiff } from '../../support/seed';

/**
 * The scaler on its own, whatever reaches it: file mode and the quality gate refuse out-of-range
 * values, but a single 1e200 used to make the variance Infinity, the feature "constant" and the
 * fit a coin toss (issue 12, item 2).
 */
const { train } = loadSeed();

/** The plain two passes (sum, then squares of centred values), as the scaler computed them before. */
function plain(x: Float64Array, n: number): { mean: number[]; variance: number[] } {
  const d = N_FEATURES;
  const sum = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sum[j]! += x[i * d + j]!;
  const mean = Array.from(sum, (s) => s / n);
  const ss = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = x[i * d + j]! - mean[j]!;
      ss[j]! += c * c;
    }
  }
  return { mean, variance: Array.from(ss, (s) => s / n) };
}

/** A copy of the seed's training matrix with feature `j` multiplied by `factor`. */
function scaled(j: number, factor: number): Float64Array {
  const x = Float64Array.from(train.x);
  for (let i = 0; i < train.n; i++) x[i * N_FEATURES + j]! *= factor;
  return x;
}

test('on real data the scaler is bit for bit the plain two-pass computation', () => {
  const s = fitScaler(train.x, train.n);
  const p = plain(train.x, train.n);
  expect(s.mean).toEqual(p.mean);
  expect(s.std).toEqual(p.variance.map(Math.sqrt));
});

test('one value of 1e200 does not overflow the variance: the feature keeps its true, finite scale', () => {
  const x = Float64Array.from(train.x);
  x[17 * N_FEATURES] = 1e200; // recency_days of row 18
  const n = train.n;
  const s = fitScaler(x, n);
  // The plain computation overflows: Σc² = Infinity, which made the feature look constant (std 1).
  expect(plain(x, n).variance[0]).toBe(Infinity);
  // Every other value is below 61, so far below rounding: mean = 1e200/n, std = 1e200·√(n−1)/n, up
  // to the n·ε a plain sum of n terms may be off by.
  const tol = n * Number.EPSILON;
  expect(relDiff(s.mean[0]!, 1e200 / n)).toBeLessThan(tol);
  expect(relDiff(s.std[0]!, (1e200 * Math.sqrt(n - 1)) / n)).toBeLessThan(tol);
  const z = standardize(x, n, s);
  expect(z.every(Number.isFinite)).toBe(true);
  expect(relDiff(z[17 * N_FEATURES]!, Math.sqrt(n - 1))).toBeLessThan(1e-12);
  // The other features are untouched.
  const clean = fitScaler(train.x, n);
  expect(s.mean.slice(1)).toEqual(clean.mean.slice(1));
  expect(s.std.slice(1)).toEqual(clean.std.slice(1));
});

test('values up to 1.8e308 (where even a sum of two overflows) give a finite mean and std', () => {
  const n = 1000;
  const max = Number.MAX_VALUE;
  const x = new Float64Array(n * N_FEATURES);
  for (let i = 0; i < n; i++) {
    x[i * N_FEATURES] = i % 2 ? max : -max; // ±max alternating: mean 0, std max exactly
    x[i * N_FEATURES + 1] = 1e308; // constant: std 1, as scikit-learn keeps a constant feature
    x[i * N_FEATURES + 2] = i === 0 ? 1e308 : 0; // one huge value
    x[i * N_FEATURES + 3] = i < n / 2 ? 1e308 : 1.5e308; // sum far beyond the double range
  }
  const s = fitScaler(x, n);
  const tol = n * Number.EPSILON; // what a plain sum of n terms may be off by
  expect([...s.mean, ...s.std].every(Number.isFinite)).toBe(true);
  expect(s.mean[0]).toBe(0);
  expect(s.std[0]).toBe(max);
  expect(relDiff(s.mean[1]!, 1e308)).toBeLessThan(tol);
  expect(s.std[1]).toBe(1);
  expect(relDiff(s.mean[2]!, 1e308 / n)).toBeLessThan(tol);
  expect(relDiff(s.std[2]!, (1e308 / n) * Math.sqrt(n - 1))).toBeLessThan(tol);
  expect(relDiff(s.mean[3]!, 1.25e308)).toBeLessThan(tol);
  expect(relDiff(s.std[3]!, 0.25e308)).toBeLessThan(tol);
  expect(standardize(x, n, s).every(Number.isFinite)).toBe(true);
});

test.each([1000, 600, -600, -1000])('a feature multiplied by 2^%i gets its mean and std multiplied by exactly that power of two', (k) => {
  const factor = 2 ** k;
  const base = fitScaler(train.x, train.n);
  for (let j = 0; j < N_FEATURES; j++) {
    const s = fitScaler(scaled(j, factor), train.n);
    expect(s.mean[j]).toBe(base.mean[j]! * factor);
    expect(s.std[j]).toBe(base.std[j]! * factor);
  }
});

test('a value that is not finite is refused, not averaged', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const x = Float64Array.from(train.x);
    x[5 * N_FEATURES + 2] = bad;
    expect(() => fitScaler(x, train.n)).toThrow(/feature 2 has a value that is not a finite number/);
  }
});

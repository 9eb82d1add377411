import { DECILES, psiBaseline, sortedQuantiles } from '../../shared/domain/model/psi';
import { selectQuantiles } from '../../shared/fast/quantiles';
import { seeded } from '../support/random';

/**
 * The decile selection of fast/quantiles.ts against its plain twin, sortedQuantiles (sort a copy, read
 * the order statistics): the same edges bit for bit, and the same PSI baseline (edges and proportions),
 * on small and large inputs — below and above the sampled path's threshold — with ties, a single
 * repeated value, heavy skew and the values the features take.
 */

const CASES: [string, (r: () => number, n: number) => number][] = [
  ['uniform', (r) => r()],
  ['whole days 0..60 (ties)', (r) => Math.floor(r() * 61)],
  ['mostly one value', (r) => (r() < 0.93 ? 0 : r())],
  ['heavy tail', (r) => Math.exp(12 * r()) - 1],
  ['negative and positive', (r) => (r() - 0.5) * 4],
  ['one value', () => 0.25],
  ['sorted', (_r, i) => i / 7],
];

describe('quantile selection = sort + order statistics', () => {
  test.each(CASES.flatMap(([name, f]) => [1, 9, 1000, 49_999, 50_000, 300_001].map((n) => [name, n, f] as const)))('%s, %i values', (_name, n, f) => {
    const r = seeded(n + 17);
    const values = Float64Array.from({ length: n }, (_, i) => f(r, i));
    const before = Float64Array.from(values);
    const plain = sortedQuantiles(values, DECILES).edges;
    const fast = selectQuantiles(values, DECILES).edges;
    expect(fast.findIndex((v, k) => !Object.is(v, plain[k]))).toBe(-1);
    expect(values).toEqual(before); // neither reorders its input
    const a = psiBaseline(values, sortedQuantiles);
    const b = psiBaseline(values, selectQuantiles);
    expect(b.edges).toEqual(a.edges);
    expect(b.proportions.findIndex((v, k) => !Object.is(v, a.proportions[k]))).toBe(-1);
  });

  test('both read the same arbitrary quantiles, 0 and 1 included', () => {
    const r = seeded(3);
    const values = Float64Array.from({ length: 120_000 }, () => r() * r());
    const qs = [0, 0.001, 0.25, 0.5, 0.5, 0.999, 1];
    expect(selectQuantiles(values, qs).edges).toEqual(sortedQuantiles(values, qs).edges);
  });
});

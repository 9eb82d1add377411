import { binIndex, DECILES, psi, psiBaseline, quantiles } from '../../../shared/domain/model/psi';
import { seeded } from '../../support/random';

/** numpy's "linear" quantile on a fully sorted copy: the reference the selection algorithm must match. */
function quantileBySort(values: readonly number[] | Float64Array, q: number): number {
  const s = Float64Array.from(values).sort();
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  const t = h - lo;
  const d = s[hi]! - s[lo]!;
  return t >= 0.5 ? s[hi]! - d * (1 - t) : s[lo]! + d * t;
}

describe('quantiles (numpy default, method "linear")', () => {
  it('interpolates between order statistics at h = (n-1)q, computed by hand for 1..5', () => {
    // n = 5: h = 4q, so q = 0.1 -> h = 0.4 -> 1 + 0.4·(2-1) = 1.4, and so on.
    const got = quantiles([5, 1, 4, 2, 3], DECILES);
    const expected = [1.4, 1.8, 2.2, 2.6, 3.0, 3.4, 3.8, 4.2, 4.6];
    got.forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 12));
  });

  it('matches hand values for two points and for one point', () => {
    // n = 2: h = q, so the decile k/10 of [0, 10] is 10·k/10 = k.
    quantiles([10, 0], DECILES).forEach((v, k) => expect(v).toBeCloseTo(k + 1, 12));
    expect(quantiles([7], DECILES)).toEqual(Array(9).fill(7));
  });

  it('gives q = 0 and q = 1 as min and max', () => {
    expect(quantiles([3, -2, 8, 1], [0, 1])).toEqual([-2, 8]);
  });

  it('does not modify its input', () => {
    const input = [5, 1, 4, 2, 3];
    quantiles(input, DECILES);
    expect(input).toEqual([5, 1, 4, 2, 3]);
  });

  it('agrees bit for bit with a full sort on random data of many sizes, with and without ties', () => {
    const r = seeded(42);
    for (const n of [1, 2, 3, 7, 10, 31, 32, 33, 100, 1000, 20_000]) {
      for (const discrete of [false, true]) {
        const values = Array.from({ length: n }, () => (discrete ? Math.floor(r() * 4) : r() * 100 - 50));
        const got = quantiles(values, DECILES);
        DECILES.forEach((q, k) => expect(got[k]).toBe(quantileBySort(values, q)));
      }
    }
  });

  it('rejects empty input, non-finite values and unsorted or out-of-range q', () => {
    expect(() => quantiles([], DECILES)).toThrow(/no values/);
    expect(() => quantiles([1, NaN], DECILES)).toThrow(/index 1 is NaN/);
    expect(() => quantiles([1, 2], [0.5, 0.1])).toThrow(/sorted/);
    expect(() => quantiles([1, 2], [1.5])).toThrow(/\[0, 1\]/);
  });
});

describe('binIndex: bins (-inf, e1], (e1, e2], ..., (ek, +inf)', () => {
  it('puts a value equal to an edge in the bin that the edge closes', () => {
    const edges = [1, 2, 3];
    expect(binIndex(edges, -100)).toBe(0);
    expect(binIndex(edges, 1)).toBe(0);
    expect(binIndex(edges, 1.5)).toBe(1);
    expect(binIndex(edges, 2)).toBe(1);
    expect(binIndex(edges, 3)).toBe(2);
    expect(binIndex(edges, 3.0000001)).toBe(3);
  });
});

describe('psiBaseline', () => {
  it('computes deciles, bins and proportions of a continuous feature by hand', () => {
    // 1..10: h = 9q, deciles 1.9, 2.8, ..., 9.1; each bin holds one value except the first (1) and last (10).
    const b = psiBaseline([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    [1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3, 8.2, 9.1].forEach((e, k) => expect(b.edges[k]).toBeCloseTo(e, 12));
    expect(b.proportions).toEqual(Array(10).fill(0.1));
  });

  it('removes repeated deciles of a discrete feature', () => {
    // sorted [0,0,0,0,1,1,1,2,2,3], h = 9q:
    // q=.1..=.3 -> 0; .4 -> h 3.6 between 0 and 1 -> 0.6; .5, .6 -> 1; .7 -> h 6.3 between 1 and 2 -> 1.3;
    // .8 -> 2; .9 -> h 8.1 between 2 and 3 -> 2.1. Unique edges: 0, 0.6, 1, 1.3, 2, 2.1.
    const b = psiBaseline([3, 1, 0, 2, 0, 1, 0, 2, 1, 0]);
    expect(b.edges).toHaveLength(6);
    [0, 0.6, 1, 1.3, 2, 2.1].forEach((e, k) => expect(b.edges[k]).toBeCloseTo(e, 12));
    // (-inf,0]: four 0s; (0,.6]: none; (.6,1]: three 1s; (1,1.3]: none; (1.3,2]: two 2s; (2,2.1]: none; (2.1,inf): one 3.
    [0.4, 0, 0.3, 0, 0.2, 0, 0.1].forEach((p, k) => expect(b.proportions[k]).toBeCloseTo(p, 15));
  });

  it('keeps a single edge for a constant feature', () => {
    expect(psiBaseline(new Float64Array([60, 60, 60]))).toEqual({ edges: [60], proportions: [1, 0] });
  });

  it('rejects empty or non-finite values', () => {
    expect(() => psiBaseline([])).toThrow(/psiBaseline: no values/);
    expect(() => psiBaseline([1, Infinity])).toThrow(/not a finite number/);
  });
});

describe('psi', () => {
  it('is 0 for the training data itself', () => {
    const values = [3, 1, 0, 2, 0, 1, 0, 2, 1, 0];
    expect(psi(psiBaseline(values), values)).toBe(0);
  });

  it('matches a hand computation on two bins', () => {
    // expected [0.5, 0.5], actual [0.75, 0.25]: 0.25·ln(1.5) + (-0.25)·ln(0.5) = 0.25·ln 3.
    expect(psi({ edges: [1], proportions: [0.5, 0.5] }, [0, 0, 0, 2])).toBeCloseTo(0.25 * Math.log(3), 15);
    expect(psi({ edges: [1], proportions: [0.5, 0.5] }, [0, 0, 0, 2])).toBeCloseTo(0.274653072167027, 14);
  });

  it('counts values outside the training range in the open end bins, with empty bins floored at 1e-4', () => {
    // Training [0 x5, 60 x5]: h = 9q, the median lies between 0 and 60 -> 30; edges 0, 30, 60.
    const baseline = psiBaseline([0, 0, 0, 0, 0, 60, 60, 60, 60, 60]);
    expect(baseline).toEqual({ edges: [0, 30, 60], proportions: [0.5, 0, 0.5, 0] });
    // Actual: -5 and 0 fall in (-inf,0]; 100 and 100 above 60, a bin training never used.
    // Bins: (0.5 vs 0.5) -> 0; (1e-4 vs 1e-4) -> 0; (1e-4 vs 0.5) and (0.5 vs 1e-4) -> 0.4999·ln(5000) each.
    const value = psi(baseline, [-5, 0, 100, 100]);
    expect(value).toBeCloseTo(2 * 0.4999 * Math.log(5000), 12);
    expect(value).toBeCloseTo(8.51548975277795, 10);
  });

  it('rejects a malformed baseline and bad values', () => {
    expect(() => psi({ edges: [1, 2], proportions: [1] }, [1])).toThrow(/2 edges but 1 proportions/);
    expect(() => psi({ edges: [2, 1], proportions: [0.3, 0.3, 0.4] }, [1])).toThrow(/strictly increasing/);
    expect(() => psi({ edges: [1], proportions: [0.5, 0.5] }, [])).toThrow(/psi: no values/);
  });
});

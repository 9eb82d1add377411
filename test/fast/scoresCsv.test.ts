import { FEATURE_RANGES, FEATURES, N_FEATURES } from '../../shared/domain/features/schema';
import type { FeatureRows } from '../../shared/domain/features/rows';
import { scoresCsv, type ServingModel } from '../../shared/domain/serving';
import { ScoresFormatter } from '../../shared/fast/scoresCsv';

/**
 * The export's byte-level formatter (fast/scoresCsv.ts) against its plain twin, scoresCsv in
 * domain/serving.ts (scoreOne per row, String() of every number, csvLine): the same part, byte for
 * byte, on random models and rows — ids that need CSV quoting, extreme weights, every band — and for
 * parts made of several appends.
 */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

function rowsOf(ids: string[], r: () => number): FeatureRows {
  const bytes = ids.map((id) => Buffer.from(id, 'utf8'));
  const all = Buffer.concat(bytes);
  const idEnds = new Uint32Array(ids.length);
  let end = 0;
  bytes.forEach((b, i) => (idEnds[i] = end += b.length));
  const x = new Float64Array(ids.length * N_FEATURES);
  for (let i = 0; i < ids.length; i++)
    FEATURES.forEach((f, j) => {
      const [lo, hi] = FEATURE_RANGES[f];
      x[i * N_FEATURES + j] = j === 0 ? Math.floor(r() * 61) : lo + r() * (hi - lo);
    });
  return { n: ids.length, ids: all, idEnds, x };
}

describe('scores CSV: byte-level formatter = plain twin', () => {
  test.each([1, 2, 3, 4, 5, 6])('random model and rows, seed %i', (seed) => {
    const r = rng(seed);
    const scale = [0.01, 1, 10, 100][seed % 4]!;
    const model: ServingModel = {
      version: seed,
      weights: FEATURES.map(() => (r() - 0.5) * scale),
      offset: (r() - 0.5) * scale,
      trainingMean: FEATURES.map(() => r()),
    };
    const ids = Array.from({ length: 500 }, (_, i) => (i % 50 === 7 ? `c,${i}` : i % 50 === 9 ? `q"${i}"` : i % 50 === 11 ? `é${i}` : `c${i}`));
    const rows = rowsOf(ids, r);
    const f = new ScoresFormatter(model, '2026-05-04');
    // One part from two appends.
    const half = 200;
    const first: FeatureRows = {
      n: half,
      ids: rows.ids.subarray(0, rows.idEnds[half - 1]),
      idEnds: rows.idEnds.subarray(0, half),
      x: rows.x.subarray(0, half * N_FEATURES),
    };
    const base = rows.idEnds[half - 1]!;
    const second: FeatureRows = {
      n: rows.n - half,
      ids: rows.ids.subarray(base),
      idEnds: rows.idEnds.slice(half).map((e) => e - base),
      x: rows.x.subarray(half * N_FEATURES),
    };
    f.append(first);
    f.append(second);
    const fast = Buffer.from(f.take()).toString('utf8');
    const plain = scoresCsv(model, '2026-05-04', rows);
    expect(fast.split('\n').length).toBe(plain.split('\n').length);
    expect(fast).toBe(plain);
  });

  test('an empty part is the header alone, as the twin gives it', () => {
    const model: ServingModel = { version: 1, weights: FEATURES.map(() => 1), offset: 0, trainingMean: FEATURES.map(() => 0) };
    const f = new ScoresFormatter(model, '2026-05-04');
    const empty: FeatureRows = { n: 0, ids: new Uint8Array(0), idEnds: new Uint32Array(0), x: new Float64Array(0) };
    expect(Buffer.from(f.take()).toString('utf8')).toBe(scoresCsv(model, '2026-05-04', empty));
  });
});

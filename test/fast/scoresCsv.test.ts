import { FEATURE_RANGES, FEATURES, N_FEATURES } from '../../shared/domain/features/schema';
import type { FeatureRows } from '../../shared/domain/features/rows';
import { SCORES_HEADER, scoresCsv, type ServingModel } from '../../shared/domain/serving';
import { RowBuffer } from '../../shared/fast/featureRows';
import { ScoresFormatter } from '../../shared/fast/scoresCsv';
import { seeded } from '../support/random';
import { leadScore } from '../../shared/domain/model/score';
import { gradeThresholds } from '../../shared/domain/model/grades';

/**
 * The export's byte-level formatter (fast/scoresCsv.ts) against its plain twin, scoresCsv in
 * domain/serving.ts (scoreOne per row, String() of every number, csvLine): the same part, byte for
 * byte, on random models and rows — ids that need CSV quoting, extreme weights, every band — and for
 * parts made of several appends.
 */

/** Rows with the given ids and random features inside their ranges, in a RowBuffer as the scorer fills one. */
function rowsOf(ids: string[], r: () => number): FeatureRows {
  const buffer = new RowBuffer(ids.length);
  ids.forEach((id, i) => {
    FEATURES.forEach((f, j) => {
      const [lo, hi] = FEATURE_RANGES[f];
      buffer.x[i * N_FEATURES + j] = j === 0 ? Math.floor(r() * 61) : lo + r() * (hi - lo);
    });
    buffer.pushString(id);
  });
  return buffer.rows();
}

describe('scores CSV: byte-level formatter = plain twin', () => {
  test.each([1, 2, 3, 4, 5, 6])('random model and rows, seed %i', (seed) => {
    const r = seeded(seed);
    const scale = [0.01, 1, 10, 100][seed % 4]!;
    const model: ServingModel = {
      version: seed,
      weights: FEATURES.map(() => (r() - 0.5) * scale),
      offset: (r() - 0.5) * scale,
      trainingMean: FEATURES.map(() => r()),
      gradeMin: null,
    };
    const ids = Array.from({ length: 500 }, (_, i) => (i % 50 === 7 ? `c,${i}` : i % 50 === 9 ? `q"${i}"` : i % 50 === 11 ? `é${i}` : `c${i}`));
    // One part from two appends.
    const first = rowsOf(ids.slice(0, 200), r);
    const second = rowsOf(ids.slice(200), r);
    // Grades from the first rows' scores (every grade occurs), except for one seed in three: no grades.
    if (seed % 3 !== 0) {
      const z = Array.from({ length: first.n }, (_, i) => leadScore(model.weights, model.offset, first.x, i * N_FEATURES));
      model.gradeMin = gradeThresholds(z, [5, 15, 30]);
    }
    const f = new ScoresFormatter(model, '2026-05-04');
    f.append(first);
    f.append(second);
    const fast = Buffer.from(f.take()).toString('utf8');
    // The twin formats each part; the header comes once.
    const plain = scoresCsv(model, '2026-05-04', first) + scoresCsv(model, '2026-05-04', second).slice(SCORES_HEADER.length);
    expect(fast.split('\n').length).toBe(plain.split('\n').length);
    expect(fast).toBe(plain);
    const grades = new Set(
      fast
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.slice(line.lastIndexOf(',') + 1)),
    );
    expect([...grades].sort()).toEqual(seed % 3 === 0 ? [''] : ['A', 'B', 'C', 'D']);
  });

  test('an empty part is the header alone, as the twin gives it', () => {
    const model: ServingModel = { version: 1, weights: FEATURES.map(() => 1), offset: 0, trainingMean: FEATURES.map(() => 0), gradeMin: [1, 0, -1] };
    const f = new ScoresFormatter(model, '2026-05-04');
    const empty: FeatureRows = { n: 0, ids: new Uint8Array(0), idEnds: new Uint32Array(0), x: new Float64Array(0) };
    expect(Buffer.from(f.take()).toString('utf8')).toBe(scoresCsv(model, '2026-05-04', empty));
  });
});

import type { ModelArtifact } from '../../../shared/domain/model/artifact';
import { evaluateDrift } from '../../../shared/domain/model/drift';
import { FEATURES } from '../../../shared/domain/features/schema';

/** Every variable shares one two-bin baseline: half the training rows at or below 1, half above. */
function baseline(): ModelArtifact['psi_baseline'] {
  const b = { edges: [1], proportions: [0.5, 0.5] };
  return Object.fromEntries([...FEATURES, 'score'].map((n) => [n, b])) as ModelArtifact['psi_baseline'];
}

const stable = [0, 2];
const shifted = [0, 0, 0, 2]; // actual [0.75, 0.25]: PSI = 0.25·ln 3 ≈ 0.2747 > 0.2
const features = () => Object.fromEntries(FEATURES.map((n) => [n, stable])) as Record<(typeof FEATURES)[number], number[]>;

describe('evaluateDrift', () => {
  it('reports PSI for every feature and the score, and no action when nothing moved', () => {
    const r = evaluateDrift({ baseline: baseline(), features: features(), scores: stable, aucRecent: 0.7, baselineAuc: 0.72 });
    expect(Object.keys(r.psi)).toEqual([...FEATURES, 'score']);
    expect(Object.values(r.psi).every((v) => v === 0)).toBe(true);
    expect(r.drifted).toEqual([]);
    expect(r.action).toBe('none');
    expect(r.auc_recent).toBe(0.7);
    expect(r.auc_relative_drop).toBeCloseTo(0.02 / 0.72, 12);
  });

  it('names each variable over the PSI threshold and asks for a retrain', () => {
    const f = features();
    f.fatigue_score = shifted;
    const r = evaluateDrift({ baseline: baseline(), features: f, scores: shifted, aucRecent: null, baselineAuc: 0.7 });
    expect(r.psi.fatigue_score).toBeCloseTo(0.25 * Math.log(3), 15);
    expect(r.drifted).toEqual(['fatigue_score', 'score']);
    expect(r.action).toBe('retrain');
    expect(r.auc_relative_drop).toBeNull();
  });

  it('honours a custom PSI threshold', () => {
    const f = features();
    f.fatigue_score = shifted;
    const r = evaluateDrift({ baseline: baseline(), features: f, scores: stable, aucRecent: null, baselineAuc: 0.7, psiThreshold: 0.3 });
    expect(r.drifted).toEqual([]);
    expect(r.action).toBe('none');
  });

  it('retrains on a relative AUC drop above 5% but not at or below it', () => {
    const run = (aucRecent: number) => evaluateDrift({ baseline: baseline(), features: features(), scores: stable, aucRecent, baselineAuc: 0.8 });
    expect(run(0.759).action).toBe('retrain'); // drop 0.041/0.8 = 5.125%
    expect(run(0.761).action).toBe('none'); // drop 0.039/0.8 = 4.875%
    expect(run(0.9).action).toBe('none'); // an improvement is not a drop
  });

  it('rejects missing values and out-of-range AUCs with clear errors', () => {
    const f = features() as Partial<ReturnType<typeof features>>;
    delete f.mms_affinity;
    expect(() => evaluateDrift({ baseline: baseline(), features: f as ReturnType<typeof features>, scores: stable, aucRecent: 0.7, baselineAuc: 0.7 })).toThrow(
      /no current values for "mms_affinity"/,
    );
    expect(() => evaluateDrift({ baseline: baseline(), features: features(), scores: [], aucRecent: 0.7, baselineAuc: 0.7 })).toThrow(/score: psi: no values/);
    expect(() => evaluateDrift({ baseline: baseline(), features: features(), scores: stable, aucRecent: 1.2, baselineAuc: 0.7 })).toThrow(/aucRecent/);
    expect(() => evaluateDrift({ baseline: baseline(), features: features(), scores: stable, aucRecent: 0.7, baselineAuc: 0 })).toThrow(/baselineAuc/);
  });
});

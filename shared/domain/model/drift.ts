import type { ModelArtifact } from './artifact';
import type { FeatureName } from '../features/schema';
import { psi, PSI_DRIFT_THRESHOLD } from './psi';

/**
 * The daily drift verdict (docs/architecture.md, "Drift"): PSI of every feature and of the score against
 * the active version's baseline population, and the active version's AUC on recently matured labels
 * against its baseline AUC (validation or training, PERFORMANCE_BASELINE). Pure: the drift check step gathers the inputs and writes the result.
 */

/** A relative AUC drop above this (5%) from the baseline AUC triggers a retrain. */
export const AUC_DROP_THRESHOLD = 0.05;

export type DriftVariable = FeatureName | 'score';

export interface DriftInput {
  baseline: ModelArtifact['psi_baseline'];
  /** Current values of each feature (e.g. the newest partition), keyed by feature name. */
  features: Record<FeatureName, Float64Array | readonly number[]>;
  /** Current lead scores (the served logit) of the same rows. */
  scores: Float64Array | readonly number[];
  /** AUC of the active version on labels matured recently; null when there are too few to measure. */
  aucRecent: number | null;
  /** The AUC the recent one is compared with: the version's validation or training AUC (PERFORMANCE_BASELINE). */
  baselineAuc: number;
  psiThreshold?: number;
  aucDropThreshold?: number;
}

export interface DriftResult {
  /** Keyed by each feature name and `score`, in the baseline's order. */
  psi: Record<DriftVariable, number>;
  auc_recent: number | null;
  /** (baseline AUC − recent AUC) / baseline AUC; null when no recent AUC. */
  auc_relative_drop: number | null;
  /** Names whose PSI exceeds the threshold. */
  drifted: DriftVariable[];
  action: 'none' | 'retrain';
}

export function evaluateDrift(input: DriftInput): DriftResult {
  const psiThreshold = input.psiThreshold ?? PSI_DRIFT_THRESHOLD;
  const aucDropThreshold = input.aucDropThreshold ?? AUC_DROP_THRESHOLD;
  if (!(input.baselineAuc > 0 && input.baselineAuc <= 1)) {
    throw new Error(`evaluateDrift: baselineAuc must be in (0, 1], got ${input.baselineAuc}`);
  }
  if (input.aucRecent !== null && !(input.aucRecent >= 0 && input.aucRecent <= 1)) {
    throw new Error(`evaluateDrift: aucRecent must be in [0, 1] or null, got ${input.aucRecent}`);
  }

  const result = {} as Record<DriftVariable, number>;
  const drifted: DriftVariable[] = [];
  for (const name of Object.keys(input.baseline) as DriftVariable[]) {
    const values = name === 'score' ? input.scores : input.features[name];
    if (values === undefined) throw new Error(`evaluateDrift: no current values for "${name}", which the baseline has`);
    let value: number;
    try {
      value = psi(input.baseline[name], values);
    } catch (e) {
      throw new Error(`evaluateDrift: ${name}: ${(e as Error).message}`);
    }
    result[name] = value;
    if (value > psiThreshold) drifted.push(name);
  }

  const drop = input.aucRecent === null ? null : (input.baselineAuc - input.aucRecent) / input.baselineAuc;
  const aucDegraded = drop !== null && drop > aucDropThreshold;
  return {
    psi: result,
    auc_recent: input.aucRecent,
    auc_relative_drop: drop,
    drifted,
    action: drifted.length > 0 || aucDegraded ? 'retrain' : 'none',
  };
}

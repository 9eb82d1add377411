import type { FeatureName } from '../features/schema';
import type { GradeTable } from './grades';

/** Training-data distribution of one variable, for PSI (docs/architecture.md, "Drift"). */
export interface PsiBaseline {
  /** Decile edges e1..ek (numpy linear quantiles, duplicates removed). Bins: (-inf,e1], (e1,e2], ..., (ek,+inf). */
  edges: number[];
  /** Training proportion in each of the edges.length + 1 bins. */
  proportions: number[];
}

export interface StandardErrors {
  coef: number[];
  intercept: number;
  raw_weights: number[];
  offset: number;
}

/** Everything needed to reproduce and audit a fit; written as model.json. */
export interface ModelArtifact {
  features: FeatureName[];
  scaler: { mean: number[]; std: number[] };
  /** Coefficients on standardized features (before calibration). */
  coef: number[];
  intercept: number;
  /** What SQL uses: lead_score = Σ raw_weights[i]·x[i] + offset (calibration folded in). */
  raw_weights: number[];
  offset: number;
  /** Platt scaling z' = a·z + b, folded into raw_weights/offset; null when not needed. */
  calibration: { a: number; b: number } | null;
  C: number;
  iterations: number;
  converged: boolean;
  standard_errors: StandardErrors;
  /** Keyed by feature name and `score` (the lead_score, i.e. the served logit). */
  psi_baseline: Record<FeatureName | 'score', PsiBaseline>;
  /** Feature means of the training data, for top-factor contributions. */
  training_mean: number[];
  /** Grade thresholds on lead_score from the training rows (grades.ts); null in an artifact made before grades. */
  grades: GradeTable | null;
}

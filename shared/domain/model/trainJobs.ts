import { FEATURES, N_FEATURES } from '../features/schema';
import type { PsiBaseline } from './artifact';
import { baselineProbabilities, baselineSigns } from './baseline';
import type { Dataset } from './dataset';
import { coefficientCovariance, type LogisticFit } from './logistic';
import { evaluate, type EvaluationDetail } from './metrics';
import { psiBaseline, type QuantileSelector, sortedQuantiles } from './psi';
import type { Scaler } from './scaler';

/**
 * The parts of the training recipe that do not need the fitted model, or need only its result, as
 * plain functions of their inputs. trainModel runs them inline or hands them to another thread (see
 * trainWorker.ts); either way the same code computes the same bits.
 */

/** PSI baseline of each feature's training values, in canonical feature order. */
export function featurePsiBaselines(train: Dataset, select: QuantileSelector = sortedQuantiles): PsiBaseline[] {
  // One column buffer for all features (psiBaseline only reads it): 8 MB instead of 56 MB on 1M rows.
  const column = new Float64Array(train.n);
  return FEATURES.map((_, j) => {
    for (let i = 0; i < train.n; i++) column[i] = train.x[i * N_FEATURES + j]!;
    return psiBaseline(column, select);
  });
}

export interface BaselineEvaluation {
  signs: number[];
  detail: EvaluationDetail;
}

/** The equal-weights baseline (docs/architecture.md, "Training recipe"): signs from training rows, evaluated on validation rows. */
export function equalWeightsBaseline(train: Dataset, valid: Dataset): BaselineEvaluation {
  const signs = baselineSigns(train.x, train.y, train.n);
  return { signs, detail: evaluate(baselineProbabilities(valid.x, valid.n, signs), valid.y) };
}

/**
 * Covariance of (β, β_0) as a plain array. `x` is the raw training matrix: rows are standardized on
 * the fly with the scaler's arithmetic, so the result equals coefficientCovariance on standardize(x).
 */
export function covarianceOfRaw(x: Float64Array, n: number, scaler: Scaler, fit: LogisticFit, C: number): number[][] {
  return coefficientCovariance(x, n, fit, C, scaler).to2DArray();
}

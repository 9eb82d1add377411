import { concatRows, type Dataset } from '../domain/model/dataset';
import { rankingMetrics } from '../domain/model/metrics';
import { leadScores } from '../domain/model/score';
import { trainModel, type TrainOptions, type TrainResult } from '../domain/model/train';
import { selectQuantiles } from '../fast/quantiles';
import type { Lake } from '../ports/lake';
import { recentPopulation } from './population';
import type { TrainingSet } from './trainingSet';

/**
 * How a retrain turns its training set into a version (docs/architecture.md, "Training window"):
 *
 * 1. the holdout fit: the recipe on the training days, judged on the newest VALID_DAYS labelled days,
 *    which it never saw. Its validation metrics are the version's metrics, and the gates read them;
 * 2. the version's weights: the same recipe once more on every labelled day of the window, validation
 *    days included, with the holdout fit's calibration decision. Labels mature LABEL_WINDOW_DAYS after
 *    a send, so without this a version made two weeks into a drift would have seen none of it;
 * 3. its PSI baseline: every contact of the newest PSI_BASELINE_DAYS features partitions, the
 *    population it will score (population.ts).
 *
 * `npm run measure:drift` compares this with the alternatives on simulated drifts (README, "Training
 * window of a retrain").
 */
export interface VersionFitOptions extends Pick<TrainOptions, 'C' | 'brierThreshold' | 'calibration' | 'gradeShares'> {
  psiBaselineDays: number;
}

export interface HoldoutFit {
  result: TrainResult;
  /** What the PSI baselines describe: the newest partitions' contacts (null: the training rows). */
  population: { rows: Dataset; from: string; to: string } | null;
}

export interface VersionFit extends HoldoutFit {
  /** The version's artifact: the refit on the whole window (or the holdout fit's own, when not refit). */
  final: TrainResult;
  /** The labelled days and rows the version's weights were fitted on, and its AUC on those rows (in-sample). */
  fittedOn: { from: string; to: string; rows: number; auc: number };
}

export async function holdoutFit(lake: Lake, set: TrainingSet, options: VersionFitOptions): Promise<HoldoutFit> {
  const recent = await recentPopulation(lake, set.window.asOf, options.psiBaselineDays);
  const population = recent ? { rows: recent.rows, from: recent.dates[0]!, to: recent.dates[recent.dates.length - 1]! } : null;
  const result = await trainModel(set.train, set.valid, {
    ...trainOptions(options),
    ...(population ? { psiRows: population.rows } : {}),
  });
  return { result, population };
}

/** Step 2: the same recipe on training and validation days together. */
export async function refitOnWindow(set: TrainingSet, holdout: HoldoutFit, options: VersionFitOptions): Promise<VersionFit> {
  const all = concatRows(set.train, set.valid);
  const final = await trainModel(all, set.valid, {
    ...trainOptions(options),
    calibrate: holdout.result.metrics.calibrated,
    ...(holdout.population ? { psiRows: holdout.population.rows } : {}),
  });
  return { ...holdout, final, fittedOn: { from: set.window.trainFrom, to: set.window.validTo, rows: all.n, auc: aucOn(final, all) } };
}

/** A version that is not refit (it failed a gate): its artifact is the holdout fit, what was judged. */
export function withoutRefit(set: TrainingSet, holdout: HoldoutFit): VersionFit {
  return {
    ...holdout,
    final: holdout.result,
    fittedOn: { from: set.window.trainFrom, to: set.window.trainTo, rows: set.train.n, auc: aucOn(holdout.result, set.train) },
  };
}

/** AUC of a fit's served weights on rows (ranking only: the logit orders rows as the probability does). */
function aucOn(fit: TrainResult, rows: Dataset): number {
  return rankingMetrics(leadScores(fit.artifact.raw_weights, fit.artifact.offset, rows), rows.y).auc_roc;
}

function trainOptions(options: VersionFitOptions): TrainOptions {
  return {
    quantiles: selectQuantiles,
    ...(options.C !== undefined ? { C: options.C } : {}),
    ...(options.brierThreshold !== undefined ? { brierThreshold: options.brierThreshold } : {}),
    ...(options.gradeShares !== undefined ? { gradeShares: options.gradeShares } : {}),
    ...(options.calibration !== undefined ? { calibration: options.calibration } : {}),
  };
}

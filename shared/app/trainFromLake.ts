import type { Lake } from '../ports/lake';
import { trainModel, type TrainOptions, type TrainResult } from '../domain/model/train';
import { todayUtc } from '../domain/calendar';
import { DataQualityError } from '../domain/quality';
import { buildTrainingSet, type TrainingSet } from './trainingSet';
import { selectQuantiles } from '../fast/quantiles';

/**
 * `leadscore train` without --train/--valid: the training set from the lake (labels ⋈ features, point in
 * time, split by time), through the data-quality gate, into the trainer.
 */
export interface TrainFromLakeOptions extends TrainOptions {
  /** Labelled send dates up to this day (YYYY-MM-DD); default today (UTC). */
  asOf?: string;
  trainDays: number;
  validDays: number;
}

export interface LakeTrainingRun {
  result: TrainResult;
  /** Window, partitions read with their sha256, gate reports, what was left out. */
  trainingSet: TrainingSet;
}

/** Throws DataQualityError (naming partitions and checks) when any partition read fails the gate. */
export async function trainFromLake(lake: Lake, opts: TrainFromLakeOptions): Promise<LakeTrainingRun> {
  const { asOf, trainDays, validDays, ...trainOptions } = opts;
  const trainingSet = await buildTrainingSet(lake, { asOf: asOf ?? todayUtc(), trainDays, validDays });
  const bad = trainingSet.reports.filter((r) => !r.ok);
  if (bad.length > 0) throw new DataQualityError(bad);
  return { result: await trainModel(trainingSet.train, trainingSet.valid, { quantiles: selectQuantiles, ...trainOptions }), trainingSet };
}

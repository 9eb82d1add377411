import { N_FEATURES } from '../../../shared/domain/features/schema';
import * as logistic from '../../../shared/domain/model/logistic';
import { fitLogistic } from '../../../shared/domain/model/logistic';
import { fitScaler, standardize } from '../../../shared/domain/model/scaler';
import { trainModel, TrainingDataError, TrainingDidNotConvergeError } from '../../../shared/domain/model/train';
import { loadSeed } from '../../support/seed';

/** A fit that did not converge is an error, never a model (issue 12, item 2). */
const { train, valid } = loadSeed();

test('fitLogistic reports where it stopped: the final gradient max-norm and the tolerance', () => {
  const scaler = fitScaler(train.x, train.n);
  const z = standardize(train.x, train.n, scaler);
  const done = fitLogistic(z, train.y, train.n, { C: 1 });
  expect(done.converged).toBe(true);
  expect(done.gtol).toBe(1e-10);
  expect(done.gradMax).toBeLessThanOrEqual(1e-10);
  const cut = fitLogistic(z, train.y, train.n, { C: 1, maxIterations: 2 });
  expect(cut).toMatchObject({ converged: false, iterations: 2 });
  expect(cut.gradMax).toBeGreaterThan(1e-10);
});

test('trainModel throws TrainingDidNotConvergeError, naming iterations and the final gradient', async () => {
  let error: unknown;
  try {
    await trainModel(train, valid, { C: 1, maxIterations: 2 });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(TrainingDidNotConvergeError);
  const e = error as TrainingDidNotConvergeError;
  expect(e.name).toBe('TrainingDidNotConvergeError');
  expect(e.iterations).toBe(2);
  expect(e.gradMax).toBeGreaterThan(1e-10);
  expect(e.message).toBe(
    `the logistic regression did not converge: L-BFGS stopped after 2 iterations with final gradient max-norm ${e.gradMax.toExponential(3)} ` +
      '(tolerance 1e-10); a fit that did not converge is never written or registered',
  );
});

test('calibration fits no logistic regression of its own: the one convergence-checked fit is the only one', async () => {
  // Platt scaling is fitted on the validation logits (Newton on two parameters), not on refits of training folds,
  // so there is no second L-BFGS fit that could stop short unchecked. C = 0.001 makes the model under-confident
  // enough that Platt scaling is tried and kept.
  const spy = jest.spyOn(logistic, 'fitLogistic');
  try {
    const r = await trainModel(train, valid, { C: 0.001 });
    expect(r.metrics.calibration.applied).toBe(true);
    expect(spy).toHaveBeenCalledTimes(1);
  } finally {
    spy.mockRestore();
  }
});

test('the iteration bound must be a positive whole number', async () => {
  await expect(trainModel(train, valid, { maxIterations: 0 })).rejects.toThrow(TrainingDataError);
  await expect(trainModel(train, valid, { maxIterations: 2.5 })).rejects.toThrow(/maxIterations must be a positive whole number, got 2.5/);
});

test('a training set with one recency_days of 1e200 (past every gate) no longer gives a "NOT converged" coin toss', async () => {
  // Before: variance Infinity → recency "constant" (scale 1) → L-BFGS on values of 1e200 → not
  // converged, AUC 0.5, exit 0. Now the scale is finite and the fit is a real optimum (or an error).
  const x = Float64Array.from(train.x);
  x[17 * N_FEATURES] = 1e200;
  const r = await trainModel({ n: train.n, x, y: train.y }, valid, { C: 1 });
  expect(r.artifact.converged).toBe(true);
  expect(Number.isFinite(r.artifact.scaler.std[0])).toBe(true);
  expect(r.artifact.scaler.std[0]).toBeGreaterThan(1e197);
  expect(r.metrics.auc_roc).toBeGreaterThan(0.5);
});

import { Matrix, inverse } from 'ml-matrix';
import { N_FEATURES } from '../features/schema';
import { lbfgs } from './lbfgs';
import type { Scaler } from './scaler';
import { sigmoid } from './score';

/**
 * L2-regularised logistic regression as scikit-learn's LogisticRegression(C, solver='lbfgs'):
 * minimise Σ logloss + ‖β‖²/(2C) with the intercept unpenalised. The objective is divided by n
 * (as scikit-learn does) so the gradient tolerance means the same thing at any data size.
 */
export interface LogisticFit {
  coef: number[];
  intercept: number;
  iterations: number;
  converged: boolean;
  /** max |∇f| where L-BFGS stopped (f is the objective divided by n), beside the tolerance it had to reach. */
  gradMax: number;
  gtol: number;
}

export interface LogisticOptions {
  C: number;
  gtol?: number;
  maxIterations?: number;
  /**
   * When given, `x` is the raw matrix and each value is standardized as the pass reads it, with the
   * very arithmetic of standardize ((x − μ)/σ), so the fit is bit-identical to one on
   * standardize(x) without holding that copy (56 MB on 1M rows).
   */
  scaler?: Scaler;
}

/** `x` is row-major and standardized (or raw, see `scaler`). */
export function fitLogistic(x: Float64Array, y: Uint8Array, n: number, options: LogisticOptions): LogisticFit {
  const d = N_FEATURES;
  // (x − 0)/1 is x itself, so without a scaler the same loop reads standardized values unchanged.
  const mean = new Float64Array(options.scaler ? options.scaler.mean : new Array<number>(d).fill(0));
  const std = new Float64Array(options.scaler ? options.scaler.std : new Array<number>(d).fill(1));
  const invN = 1 / n;
  const lambda = 1 / (options.C * n);
  // Parameters: [β_1..β_d, β_0], intercept last as in scikit-learn.
  const objective = (w: Float64Array, g: Float64Array): number => {
    const sums = new Float64Array(d + 2); // loss, then Σ r·x_j, then Σ r
    accumulate(x, y, n, mean, std, w, sums);
    let penalty = 0;
    for (let j = 0; j < d; j++) {
      penalty += w[j]! * w[j]!;
      g[j] = sums[j + 1]! * invN + lambda * w[j]!;
    }
    g[d] = sums[d + 1]! * invN;
    return sums[0]! * invN + 0.5 * lambda * penalty;
  };
  const gtol = options.gtol ?? 1e-10;
  const result = lbfgs(objective, new Float64Array(d + 1), {
    gtol,
    maxIterations: options.maxIterations ?? 1000,
  });
  return {
    coef: Array.from(result.x.subarray(0, d)),
    intercept: result.x[d]!,
    iterations: result.iterations,
    // A NaN or infinite objective (which no finite, scaled input can give) is never convergence.
    converged: result.converged && Number.isFinite(result.f) && result.x.every(Number.isFinite),
    gradMax: result.gradMax,
    gtol,
  };
}

/**
 * One pass over the rows: Σ logloss into sums[0], Σ (p − y)·x_j into sums[1..7], Σ (p − y) into
 * sums[8]. The hot loop of training, so the weights live in locals and one exp serves both the loss
 * (softplus(z) − y·z) and the residual (sigmoid(z) − y). Each value is standardized as it is read,
 * which costs little per pass (bench:train) and saves the 56 MB scaled copy.
 */
function accumulate(x: Float64Array, y: Uint8Array, count: number, mean: Float64Array, std: Float64Array, w: Float64Array, sums: Float64Array): void {
  const [w0, w1, w2, w3, w4, w5, w6, b] = w as unknown as number[] as [number, number, number, number, number, number, number, number];
  const [m0, m1, m2, m3, m4, m5, m6] = mean as unknown as number[] as [number, number, number, number, number, number, number];
  const [s0, s1, s2, s3, s4, s5, s6] = std as unknown as number[] as [number, number, number, number, number, number, number];
  let loss = 0;
  let g0 = 0;
  let g1 = 0;
  let g2 = 0;
  let g3 = 0;
  let g4 = 0;
  let g5 = 0;
  let g6 = 0;
  let gb = 0;
  for (let i = 0, o = 0; i < count; i++, o += 7) {
    const x0 = (x[o]! - m0) / s0;
    const x1 = (x[o + 1]! - m1) / s1;
    const x2 = (x[o + 2]! - m2) / s2;
    const x3 = (x[o + 3]! - m3) / s3;
    const x4 = (x[o + 4]! - m4) / s4;
    const x5 = (x[o + 5]! - m5) / s5;
    const x6 = (x[o + 6]! - m6) / s6;
    const z = b + w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3 + w4 * x4 + w5 * x5 + w6 * x6;
    const e = Math.exp(-Math.abs(z));
    const yi = y[i]!;
    loss += (z > 0 ? z : 0) + Math.log1p(e) - yi * z;
    const res = (z >= 0 ? 1 / (1 + e) : e / (1 + e)) - yi;
    gb += res;
    g0 += res * x0;
    g1 += res * x1;
    g2 += res * x2;
    g3 += res * x3;
    g4 += res * x4;
    g5 += res * x5;
    g6 += res * x6;
  }
  sums[0] = loss;
  sums[1] = g0;
  sums[2] = g1;
  sums[3] = g2;
  sums[4] = g3;
  sums[5] = g4;
  sums[6] = g5;
  sums[7] = g6;
  sums[8] = gb;
}

/**
 * Standard errors of (β, β_0) from the inverse Hessian of the penalised objective at the optimum
 * (Σ p(1-p)·x̃x̃ᵀ + I/C on the coefficients), i.e. the Laplace approximation of the posterior.
 * Returns the full covariance so that errors of linear transforms (raw weights, offset) follow.
 * `x` is standardized, or raw when `scaler` is given: then each value becomes (x − μ)/σ exactly as
 * standardize computes it (with no scaler, (x − 0)/1 is x itself), so no scaled copy is needed.
 */
export function coefficientCovariance(x: Float64Array, n: number, fit: Omit<LogisticFit, 'gradMax' | 'gtol'>, C: number, scaler?: Scaler): Matrix {
  const d = N_FEATURES;
  const k = d + 1;
  const h = new Float64Array(k * k);
  const v = new Float64Array(k);
  const mean = scaler ? scaler.mean : new Array<number>(d).fill(0);
  const std = scaler ? scaler.std : new Array<number>(d).fill(1);
  v[d] = 1;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let z = fit.intercept;
    for (let j = 0; j < d; j++) {
      v[j] = (x[o + j]! - mean[j]!) / std[j]!;
      z += fit.coef[j]! * v[j]!;
    }
    const p = sigmoid(z);
    const w = p * (1 - p);
    for (let a = 0; a < k; a++) {
      const wa = w * v[a]!;
      for (let b = a; b < k; b++) h[a * k + b]! += wa * v[b]!;
    }
  }
  const H = new Matrix(k, k);
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      const value = h[a * k + b]! + (a === b && a < d ? 1 / C : 0);
      H.set(a, b, value);
      H.set(b, a, value);
    }
  }
  return inverse(H);
}

import { Matrix, inverse } from 'ml-matrix';
import { N_FEATURES } from '../features/schema';
import { lbfgs } from './lbfgs';
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
}

export interface LogisticOptions {
  C: number;
  gtol?: number;
  maxIterations?: number;
}

/** `x` is row-major and already standardized; `rows` optionally restricts the fit to a subset. */
export function fitLogistic(x: Float64Array, y: Uint8Array, n: number, options: LogisticOptions, rows?: Uint32Array): LogisticFit {
  const d = N_FEATURES;
  const count = rows ? rows.length : n;
  const invN = 1 / count;
  const lambda = 1 / (options.C * count);
  // Parameters: [β_1..β_d, β_0], intercept last as in scikit-learn.
  const objective = (w: Float64Array, g: Float64Array): number => {
    g.fill(0);
    let loss = 0;
    const b = w[d]!;
    let gb = 0;
    for (let r = 0; r < count; r++) {
      const i = rows ? rows[r]! : r;
      const o = i * d;
      let z = b;
      for (let j = 0; j < d; j++) z += w[j]! * x[o + j]!;
      // One exp serves both the loss (softplus(z) - y·z) and its gradient (sigmoid(z) - y).
      const e = Math.exp(-Math.abs(z));
      const yi = y[i]!;
      loss += (z > 0 ? z : 0) + Math.log1p(e) - yi * z;
      const p = z >= 0 ? 1 / (1 + e) : e / (1 + e);
      const r0 = p - yi;
      gb += r0;
      for (let j = 0; j < d; j++) g[j]! += r0 * x[o + j]!;
    }
    let penalty = 0;
    for (let j = 0; j < d; j++) {
      penalty += w[j]! * w[j]!;
      g[j] = g[j]! * invN + lambda * w[j]!;
    }
    g[d] = gb * invN;
    return loss * invN + 0.5 * lambda * penalty;
  };
  const result = lbfgs(objective, new Float64Array(d + 1), {
    gtol: options.gtol ?? 1e-10,
    maxIterations: options.maxIterations ?? 1000,
  });
  return {
    coef: Array.from(result.x.subarray(0, d)),
    intercept: result.x[d]!,
    iterations: result.iterations,
    converged: result.converged,
  };
}

/**
 * Standard errors of (β, β_0) from the inverse Hessian of the penalised objective at the optimum
 * (Σ p(1-p)·x̃x̃ᵀ + I/C on the coefficients), i.e. the Laplace approximation of the posterior.
 * Returns the full covariance so that errors of linear transforms (raw weights, offset) follow.
 */
export function coefficientCovariance(x: Float64Array, n: number, fit: LogisticFit, C: number): Matrix {
  const d = N_FEATURES;
  const k = d + 1;
  const h = new Float64Array(k * k);
  const v = new Float64Array(k);
  v[d] = 1;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let z = fit.intercept;
    for (let j = 0; j < d; j++) {
      v[j] = x[o + j]!;
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

import { N_FEATURES } from '../features/schema';

/**
 * The production score: the weighted sum the seed's SQL SELECT computes, in the same order
 * ((x1·w1 + x2·w2) + …) + offset, so the two agree to the last bit.
 */
export function leadScore(weights: ArrayLike<number>, offset: number, x: ArrayLike<number>, at = 0): number {
  let s = 0;
  for (let j = 0; j < N_FEATURES; j++) s += x[at + j]! * weights[j]!;
  return s + offset;
}

/** The lead score of every row of a row-major matrix (N_FEATURES values per row). */
export function leadScores(weights: ArrayLike<number>, offset: number, rows: { n: number; x: ArrayLike<number> }): Float64Array {
  const out = new Float64Array(rows.n);
  for (let i = 0; i < rows.n; i++) out[i] = leadScore(weights, offset, rows.x, i * N_FEATURES);
  return out;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

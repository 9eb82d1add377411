import { FEATURES, N_FEATURES, type FeatureName } from '../features/schema';
import { leadScore, sigmoid } from '../model/score';

/**
 * What one score row says besides the weighted sum (ARCHITECTURE.md section 7):
 *  - probability = sigmoid(lead_score)
 *  - score_100   = round(100 · probability), halves rounded up: an integer 0..100
 *  - band        = High ≥ 80, Medium 60-79, Low 40-59, Very low < 40 (on score_100)
 *  - top factors = the 3 features with the largest |w_i · (x_i − training_mean_i)|: how much each
 *    feature moves this contact's logit away from that of an average training contact.
 */
export type Band = 'High' | 'Medium' | 'Low' | 'Very low';

export function toScore100(probability: number): number {
  return Math.floor(100 * probability + 0.5);
}

export function bandOf(score100: number): Band {
  if (score100 >= 80) return 'High';
  if (score100 >= 60) return 'Medium';
  if (score100 >= 40) return 'Low';
  return 'Very low';
}

export interface Factor {
  feature: FeatureName;
  /** w_i · (x_i − training_mean_i), in logit units. */
  contribution: number;
}

export const TOP_FACTORS = 3;

/** The indexes of the TOP_FACTORS largest |contributions|, ties to the earlier feature. */
export function topFactorIndexes(weights: ArrayLike<number>, mean: ArrayLike<number>, x: ArrayLike<number>, at: number, out: Int8Array, contrib: Float64Array): void {
  for (let j = 0; j < N_FEATURES; j++) contrib[j] = weights[j]! * (x[at + j]! - mean[j]!);
  out.fill(-1);
  for (let k = 0; k < TOP_FACTORS; k++) {
    let best = -1;
    let bestAbs = -1;
    for (let j = 0; j < N_FEATURES; j++) {
      if (out[0] === j || out[1] === j || out[2] === j) continue;
      const a = Math.abs(contrib[j]!);
      if (a > bestAbs) {
        bestAbs = a;
        best = j;
      }
    }
    out[k] = best;
  }
}

export function topFactors(weights: ArrayLike<number>, mean: ArrayLike<number>, x: ArrayLike<number>, at = 0): Factor[] {
  const idx = new Int8Array(TOP_FACTORS);
  const contrib = new Float64Array(N_FEATURES);
  topFactorIndexes(weights, mean, x, at, idx, contrib);
  return Array.from(idx, (j) => ({ feature: FEATURES[j]!, contribution: contrib[j]! }));
}

/** The top_factors column: compact JSON [[feature, contribution rounded to 1e-4], …]. */
export function topFactorsColumn(idx: Int8Array, contrib: Float64Array): string {
  const c = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) c[k] = contrib[idx[k]!]!;
  return topFactorsText(idx, c, 0, idx.length);
}

/**
 * String(Math.round(v · 1e4) / 1e4) without converting a double to text. With k = Math.round(v·1e4)
 * and |k| < 1e15, the decimal k·10⁻⁴ (trailing zeros dropped) is exactly what String gives: the
 * quotient is k·10⁻⁴ correctly rounded, and every other decimal with as few digits is a nonzero
 * multiple of 10⁻⁴ away, far more than the spacing of doubles below 1e11, so it is the shortest
 * round-trip text. Anything else takes String itself.
 */
export function round4(v: number): string {
  const k = Math.round(v * 1e4);
  if (!(Math.abs(k) < 1e15)) return String(k / 1e4);
  if (k === 0) return '0';
  const a = k < 0 ? -k : k;
  const whole = Math.floor(a / 10000);
  let frac = a - whole * 10000;
  let s = k < 0 ? `-${whole}` : `${whole}`;
  if (frac !== 0) {
    let digits = 4;
    while (frac % 10 === 0) {
      frac /= 10;
      digits--;
    }
    s += `.${String(frac).padStart(digits, '0')}`;
  }
  return s;
}

/**
 * The same column from `n` factor indexes top[at..at+n) and their contributions c[at..at+n) (what a
 * scored chunk keeps per row, so the string is made only when a row is written).
 */
export function topFactorsText(top: Int8Array, c: Float64Array, at: number, n = TOP_FACTORS): string {
  let s = '[';
  for (let k = 0; k < n; k++) {
    if (k > 0) s += ',';
    s += `["${FEATURES[top[at + k]!]}",${round4(c[at + k]!)}]`;
  }
  return `${s}]`;
}

export interface ContactScore {
  model_version: number;
  lead_score: number;
  probability: number;
  score_100: number;
  band: Band;
  top_factors: Factor[];
}

export interface ServingModel {
  version: number;
  weights: number[];
  offset: number;
  trainingMean: number[];
}

/** One contact's score: the same weighted sum as SQL (leadScore), then the derived columns. */
export function scoreOne(model: ServingModel, x: ArrayLike<number>): ContactScore {
  const z = leadScore(model.weights, model.offset, x);
  const p = sigmoid(z);
  const s100 = toScore100(p);
  return { model_version: model.version, lead_score: z, probability: p, score_100: s100, band: bandOf(s100), top_factors: topFactors(model.weights, model.trainingMean, x) };
}

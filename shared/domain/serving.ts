import { FEATURES, N_FEATURES, type FeatureName } from './features/schema';
import { csvLine } from './csv';
import type { FeatureRows } from './features/rows';
import { leadScore, sigmoid } from './model/score';
import { type Grade, gradeIndex, gradeOf } from './model/grades';

/**
 * What one score row says besides the weighted sum (docs/architecture.md, "SQL schema and serving"):
 *  - probability = sigmoid(lead_score)
 *  - score_100   = round(100 · probability), halves rounded up: an integer 0..100
 *  - band        = High ≥ 80, Medium 60-79, Low 40-59, Very low < 40 (on score_100)
 *  - top factors = the 3 features with the largest |w_i · (x_i − training_mean_i)|: how much each
 *    feature moves this contact's logit away from that of an average training contact.
 *  - grade       = A when lead_score ≥ min_A, B when ≥ min_B, C when ≥ min_C, else D, with the
 *    version's thresholds (model/grades.ts); null for a version that has none.
 */
export type Band = 'High' | 'Medium' | 'Low' | 'Very low';

/** Band names by index (what scoreRows writes into `band`). */
export const BANDS: readonly Band[] = ['High', 'Medium', 'Low', 'Very low'];

export function toScore100(probability: number): number {
  return Math.floor(100 * probability + 0.5);
}

/** Index into BANDS of a score_100. */
export function bandIndex(score100: number): number {
  return score100 >= 80 ? 0 : score100 >= 60 ? 1 : score100 >= 40 ? 2 : 3;
}

export function bandOf(score100: number): Band {
  return BANDS[bandIndex(score100)]!;
}

export interface Factor {
  feature: FeatureName;
  /** w_i · (x_i − training_mean_i), in logit units. */
  contribution: number;
}

export const TOP_FACTORS = 3;

/** The indexes of the TOP_FACTORS largest |contributions|, ties to the earlier feature. */
export function topFactorIndexes(
  weights: ArrayLike<number>,
  mean: ArrayLike<number>,
  x: ArrayLike<number>,
  at: number,
  out: Int8Array,
  contrib: Float64Array,
): void {
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

export interface ContactScore {
  model_version: number;
  lead_score: number;
  probability: number;
  score_100: number;
  band: Band;
  top_factors: Factor[];
  grade: Grade | null;
}

/** A version as the served scores use it: weights, offset and training means in canonical order. */
export interface ServingModel {
  version: number;
  weights: number[];
  offset: number;
  /** What a score's top factors are measured against: contribution = w·(x − trainingMean). */
  trainingMean: number[];
  /** [min_A, min_B, min_C] on lead_score (model/grades.ts); null for a version without grades (before migration 004). */
  gradeMin: readonly number[] | null;
}

export interface ScoredColumns {
  leadScore: Float64Array;
  probability: Float64Array;
  score100: Uint8Array;
  /** Index into BANDS. */
  band: Uint8Array;
  /** TOP_FACTORS feature indexes per row. */
  top: Int8Array;
  /** Index into GRADES (model/grades.ts), NO_GRADE when the version has no thresholds. */
  grade: Uint8Array;
}

/**
 * scoreOne for `n` rows of x (row-major, canonical order) into columns: the TypeScript twin of the
 * lead_scores view, for the lake export (the tests hold the two equal).
 */
export function scoreRows(model: ServingModel, x: Float64Array, n: number, out: ScoredColumns): void {
  const idx = new Int8Array(TOP_FACTORS);
  const contrib = new Float64Array(N_FEATURES);
  for (let i = 0; i < n; i++) {
    const at = i * N_FEATURES;
    const z = leadScore(model.weights, model.offset, x, at);
    const p = sigmoid(z);
    const s100 = toScore100(p);
    out.leadScore[i] = z;
    out.probability[i] = p;
    out.score100[i] = s100;
    out.band[i] = bandIndex(s100);
    out.grade[i] = gradeIndex(z, model.gradeMin);
    topFactorIndexes(model.weights, model.trainingMean, x, at, idx, contrib);
    out.top.set(idx, i * TOP_FACTORS);
  }
}

/** One contact's score: the same weighted sum as SQL (leadScore), then the derived columns. */
export function scoreOne(model: ServingModel, x: ArrayLike<number>): ContactScore {
  const z = leadScore(model.weights, model.offset, x);
  const p = sigmoid(z);
  const s100 = toScore100(p);
  return {
    model_version: model.version,
    lead_score: z,
    probability: p,
    score_100: s100,
    band: bandOf(s100),
    top_factors: topFactors(model.weights, model.trainingMean, x),
    grade: gradeOf(z, model.gradeMin),
  };
}

/** The header of a part of the lake export (scores/yyyy/mm/dd/); grade last, so earlier columns keep their positions. */
export const SCORES_HEADER = 'contact_id,as_of,model_version,lead_score,probability,score_100,band,top_factor_1,top_factor_2,top_factor_3,grade\n';

/**
 * A part of the lake export, plainly: the header, then per row its id, the date, the version, the
 * score and its derived columns (numbers in their shortest round-trip form; an empty grade for a
 * version without grades). The reference twin of
 * fast/scoresCsv.ts, which formats the same bytes without a string per row.
 */
export function scoresCsv(model: ServingModel, asOf: string, rows: FeatureRows): string {
  const text = new TextDecoder();
  const lines = [SCORES_HEADER];
  for (let i = 0; i < rows.n; i++) {
    const id = text.decode(rows.ids.subarray(i === 0 ? 0 : rows.idEnds[i - 1], rows.idEnds[i]));
    const s = scoreOne(model, rows.x.subarray(i * N_FEATURES, (i + 1) * N_FEATURES));
    lines.push(
      csvLine([
        id,
        asOf,
        String(model.version),
        String(s.lead_score),
        String(s.probability),
        String(s.score_100),
        s.band,
        ...s.top_factors.map((f) => f.feature),
        s.grade ?? '',
      ]),
    );
  }
  return lines.join('');
}

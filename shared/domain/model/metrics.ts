/**
 * Evaluation metrics with scikit-learn's definitions, so the seed's published table reproduces:
 * roc_auc_score (ties count one half), average_precision_score (step-wise, no interpolation),
 * brier_score_loss, calibration_curve(n_bins=10, strategy='uniform').
 */

/** Row indices ordered by descending score; ties keep row order so results are deterministic. */
export function rankDescending(scores: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

export interface CurvePoint {
  x: number;
  y: number;
}

export interface RankingMetrics {
  auc_roc: number;
  pr_auc: number;
  roc: CurvePoint[];
  pr: CurvePoint[];
}

/** AUC-ROC (trapezoids over distinct thresholds) and average precision, from one sort. */
export function rankingMetrics(scores: ArrayLike<number>, y: ArrayLike<number>, order = rankDescending(scores)): RankingMetrics {
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i]!;
  const neg = y.length - pos;
  if (pos === 0 || neg === 0) throw new Error('AUC needs both classes in the evaluation rows');
  let tp = 0;
  let fp = 0;
  let auc = 0;
  let ap = 0;
  let prevTpr = 0;
  let prevFpr = 0;
  const roc: CurvePoint[] = [{ x: 0, y: 0 }];
  const pr: CurvePoint[] = [{ x: 0, y: 1 }];
  // The curves are for pictures: keep about 1,000 points whatever the number of rows.
  const every = Math.max(1, Math.floor(order.length / 1000));
  let nextPoint = every;
  for (let k = 0; k < order.length;) {
    const s = scores[order[k]!]!;
    // Consume one group of tied scores: one threshold.
    while (k < order.length && scores[order[k]!] === s) {
      if (y[order[k]!]) tp++;
      else fp++;
      k++;
    }
    const tpr = tp / pos;
    const fpr = fp / neg;
    auc += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
    ap += (tpr - prevTpr) * (tp / (tp + fp));
    if (k >= nextPoint || k === order.length) {
      roc.push({ x: fpr, y: tpr });
      pr.push({ x: tpr, y: tp / (tp + fp) });
      nextPoint = k + every;
    }
    prevTpr = tpr;
    prevFpr = fpr;
  }
  return { auc_roc: auc, pr_auc: ap, roc, pr };
}

export function brier(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i]! - y[i]!) ** 2;
  return s / p.length;
}

/** Mean label of the k highest-scored rows; null when there are fewer than k rows. */
export function precisionAtK(order: Uint32Array, y: ArrayLike<number>, k: number): number | null {
  if (order.length < k || k <= 0) return null;
  let hits = 0;
  for (let i = 0; i < k; i++) hits += y[order[i]!]!;
  return hits / k;
}

/** Precision in the top 10% (rounded up) divided by the positive rate of all rows. */
export function liftAtTop(order: Uint32Array, y: ArrayLike<number>, fraction = 0.1): number {
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i]!;
  const k = Math.max(1, Math.ceil(order.length * fraction));
  return (precisionAtK(order, y, k) ?? 0) / (pos / y.length);
}

export interface CalibrationBin {
  bin: number;
  mean_predicted: number | null;
  fraction_positive: number | null;
  count: number;
}

/** Ten uniform bins [0,0.1], (0.1,0.2], …, (0.9,1] as numpy's searchsorted puts them; empty bins hold null. */
export function calibrationCurve(p: ArrayLike<number>, y: ArrayLike<number>, bins = 10): CalibrationBin[] {
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    let b = 0;
    while (b < bins - 1 && v > (b + 1) / bins) b++;
    sumP[b]! += v;
    sumY[b]! += y[i]!;
    count[b]!++;
  }
  return Array.from({ length: bins }, (_, b) => ({
    bin: b,
    mean_predicted: count[b] ? sumP[b]! / count[b] : null,
    fraction_positive: count[b] ? sumY[b]! / count[b] : null,
    count: count[b]!,
  }));
}

export interface Evaluation {
  auc_roc: number;
  pr_auc: number;
  brier: number;
  precision_at_100: number | null;
  precision_at_200: number | null;
  lift_at_10pct: number;
}

export interface EvaluationDetail extends Evaluation {
  roc: CurvePoint[];
  pr: CurvePoint[];
  calibration_curve: CalibrationBin[];
}

/** Everything the metrics file reports for one set of validation probabilities. */
export function evaluate(p: ArrayLike<number>, y: ArrayLike<number>): EvaluationDetail {
  const order = rankDescending(p);
  const ranking = rankingMetrics(p, y, order);
  return {
    auc_roc: ranking.auc_roc,
    pr_auc: ranking.pr_auc,
    brier: brier(p, y),
    precision_at_100: precisionAtK(order, y, 100),
    precision_at_200: precisionAtK(order, y, 200),
    lift_at_10pct: liftAtTop(order, y, 0.1),
    roc: ranking.roc,
    pr: ranking.pr,
    calibration_curve: calibrationCurve(p, y),
  };
}

import { FEATURES, N_FEATURES, type FeatureName } from '../features/schema';
import { parseNumericCsv } from '../io/numericCsv';
import type { PsiBaseline } from '../model/artifact';
import type { Dataset } from '../model/dataset';
import { psiBaseline } from '../model/psi';
import { leadScore } from '../model/score';
import { featurePsiBaselines } from '../model/trainJobs';
import type { Lake } from '../ports/lake';
import { dayRange } from './days';
import { partitionPath } from './partitions';

/**
 * The PSI baseline of the population the drift check watches. The drift check compares a features
 * partition (every eligible contact on one day) with the baseline, so the baseline must describe
 * the same population: every eligible contact on the days of the training window. The training
 * rows themselves are sends, which over-represent heavily messaged contacts (higher fatigue, more
 * history) and would show "drift" on a perfectly stable day.
 */
export async function populationPsiBaseline(
  lake: Lake,
  from: string,
  to: string,
  weights: readonly number[],
  offset: number,
): Promise<{ baseline: Record<FeatureName | 'score', PsiBaseline>; rows: number; partitions: number } | null> {
  const parts: Dataset[] = [];
  for (const day of dayRange(from, to)) {
    const file = partitionPath('features', day);
    if (!(await lake.exists(file))) continue;
    parts.push(parseNumericCsv(await lake.read(file), { file, labelled: false, allowEmpty: true }));
  }
  const n = parts.reduce((s, p) => s + p.n, 0);
  if (n === 0) return null;
  const all: Dataset = { n, x: new Float64Array(n * N_FEATURES), y: new Uint8Array(0) };
  let at = 0;
  for (const p of parts) {
    all.x.set(p.x, at);
    at += p.x.length;
  }
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) scores[i] = leadScore(weights, offset, all.x, i * N_FEATURES);
  const perFeature = featurePsiBaselines(all);
  const baseline = {} as Record<FeatureName | 'score', PsiBaseline>;
  FEATURES.forEach((f, j) => (baseline[f] = perFeature[j]!));
  baseline.score = psiBaseline(scores);
  return { baseline, rows: n, partitions: parts.length };
}

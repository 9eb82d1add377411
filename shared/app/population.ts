import { N_FEATURES } from '../domain/features/schema';
import type { Dataset } from '../domain/model/dataset';
import type { Lake } from '../ports/lake';
import { completeFeaturesDates, readFeaturesPartition } from './partitions';

/**
 * The population the drift check watches, as rows for the PSI baseline (TrainOptions.psiRows). The
 * drift check compares a features partition (every eligible contact on one day) with the baseline,
 * so the baseline must describe the same population: every eligible contact on some days. The
 * training rows themselves are sends, which over-represent heavily messaged contacts (higher
 * fatigue, more history) and would show "drift" on a perfectly stable day.
 * Null when none of the days has a valid features partition.
 */
export async function featurePopulation(lake: Lake, dates: readonly string[]): Promise<Dataset | null> {
  const parts: Dataset[] = [];
  for (const day of dates) {
    const p = await readFeaturesPartition(lake, day);
    if (!p || !p.report.ok) continue;
    parts.push({ n: p.contactIds.length, x: p.x, y: new Uint8Array(0) });
  }
  const n = parts.reduce((s, p) => s + p.n, 0);
  if (n === 0) return null;
  const all: Dataset = { n, x: new Float64Array(n * N_FEATURES), y: new Uint8Array(0) };
  let at = 0;
  for (const p of parts) {
    all.x.set(p.x, at);
    at += p.x.length;
  }
  return all;
}

export interface RecentPopulation {
  rows: Dataset;
  /** The partitions' dates, oldest first. */
  dates: string[];
}

/**
 * A new version's PSI baseline (docs/architecture.md, "Drift"): every eligible contact of the newest
 * `days` complete features partitions on or before `asOf`, the population the version will score.
 * A baseline of the whole training window would be a mixture of every regime in it, so the day after
 * a drift-triggered retrain the drift check would find the same drift again.
 */
export async function recentPopulation(lake: Lake, asOf: string, days: number): Promise<RecentPopulation | null> {
  const dates = (await completeFeaturesDates(lake, asOf)).slice(0, days).reverse();
  const rows = await featurePopulation(lake, dates);
  return rows ? { rows, dates } : null;
}

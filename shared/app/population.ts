import { N_FEATURES } from '../domain/features/schema';
import type { Dataset } from '../domain/model/dataset';
import type { Lake } from '../ports/lake';
import { dayRange } from '../domain/calendar';
import { readFeaturesPartition } from './partitions';

/**
 * The population the drift check watches, as rows for the PSI baseline (TrainOptions.psiRows). The
 * drift check compares a features partition (every eligible contact on one day) with the baseline,
 * so the baseline must describe the same population: every eligible contact on the days of the
 * training window. The training rows themselves are sends, which over-represent heavily messaged
 * contacts (higher fatigue, more history) and would show "drift" on a perfectly stable day.
 * Null when the window holds no features partition.
 */
export async function featurePopulation(lake: Lake, from: string, to: string): Promise<Dataset | null> {
  const parts: Dataset[] = [];
  for (const day of dayRange(from, to)) {
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

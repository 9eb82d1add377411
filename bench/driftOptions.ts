import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openContainer } from '../shared/app/container';
import { featurePopulation } from '../shared/app/population';
import { buildTrainingSet, type TrainingSet } from '../shared/app/trainingSet';
import { addDays, dayRange } from '../shared/domain/calendar';
import { FEATURES, N_FEATURES, type FeatureName } from '../shared/domain/features/schema';
import { concatRows, type Dataset } from '../shared/domain/model/dataset';
import { rankingMetrics } from '../shared/domain/model/metrics';
import { psi } from '../shared/domain/model/psi';
import { leadScores } from '../shared/domain/model/score';
import { trainModel, type TrainResult } from '../shared/domain/model/train';
import { readFeaturesPartition } from '../shared/app/partitions';
import { selectQuantiles } from '../shared/fast/quantiles';

/*
 * Which training window lets a drift-triggered retrain learn the drift (issue 14, point 1):
 *
 *   npm run measure:drift [-- --json]
 *
 * For each simulated drift (two features, three sizes) it simulates the local run's calendar: 120 days
 * of pipeline, the drift from the next day on, the drift check two weeks later (the retrain it
 * triggers is made as of that day), and the check two weeks after that. Each option makes the
 * drift-triggered version from the same lake; what it is judged on at the later check:
 *   - PSI of the drifted feature on the newest partition against the version's own baseline;
 *   - the version's AUC on the newest matured labels (RECENT_AUC_DAYS = 7) against the old version's
 *     on the same rows, and the rows' count.
 * Options:
 *   holdout:        today's recipe: fit on the days before the 14-day validation, PSI baseline = every
 *                   contact of the training window's partitions.
 *   holdout+recent: the same fit, PSI baseline = every contact of the newest 7 partitions up to as-of.
 *   short-valid:    7 validation days (more drifted days in the fit), recent baseline.
 *   refit:          gates judge the holdout fit as today; the version's weights are then fitted again,
 *                   same recipe, on every labelled day of the window (validation days included);
 *                   recent baseline.
 */

const START = '2025-10-07';
const WARMUP = 90;
const PIPELINE_DAYS = 120;
const PHASE = 14;
const CONTACTS = Number(process.env.MEASURE_CONTACTS ?? 5000);

interface Scenario {
  feature: FeatureName;
  shift: number;
}
const SCENARIOS: Scenario[] = [
  { feature: 'sentiment_score', shift: -1.5 },
  { feature: 'sentiment_score', shift: -0.5 },
  { feature: 'opt_out_risk', shift: 0.15 },
];

type Option = 'holdout' | 'holdout+recent' | 'short-valid' | 'refit';
const OPTIONS: Option[] = ['holdout', 'holdout+recent', 'short-valid', 'refit'];

function auc(r: TrainResult['artifact'], d: Dataset): number {
  return rankingMetrics(leadScores(r.raw_weights, r.offset, d), d.y).auc_roc;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const rows: Record<string, unknown>[] = [];
  for (const sc of SCENARIOS) {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-drift-'));
    const c = await openContainer({ env: { ...process.env, LEADSCORE_HOME: home }, log: { info: () => {}, warn: () => {}, error: () => {} } });
    try {
      const pipelineStart = addDays(START, WARMUP);
      const firstEnd = addDays(START, WARMUP + PIPELINE_DAYS - 1);
      const driftFrom = addDays(firstEnd, 1);
      const retrainAt = addDays(firstEnd, PHASE);
      const laterCheck = addDays(firstEnd, 2 * PHASE);
      // Phase by phase, as the local run goes: labels mature only against the newest simulated day.
      const advance = async (from: string, to: string): Promise<void> => {
        const n = Math.round((Date.parse(to) - Date.parse(START)) / 86_400_000) + 1;
        await c.useCases.simulate({ contacts: CONTACTS, days: n, start: START, seed: 42, drift: { ...sc, from: driftFrom }, writeFrom: from });
        const first = from > pipelineStart ? from : pipelineStart;
        await c.useCases.ingestRange(first, to);
        const back = addDays(first, -7);
        await c.useCases.collectLabelsRange(back < pipelineStart ? pipelineStart : back, to);
      };
      const train = async (set: TrainingSet, fitRows: Dataset, baselineFrom: string, baselineTo: string): Promise<TrainResult> => {
        const population = await featurePopulation(c.lake, dayRange(baselineFrom, baselineTo));
        return trainModel(fitRows, set.valid, { quantiles: selectQuantiles, ...(population ? { psiRows: population } : {}) });
      };
      await advance(START, firstEnd);
      const oldSet = await buildTrainingSet(c.lake, { asOf: firstEnd, trainDays: 120, validDays: 14 });
      const old = await train(oldSet, oldSet.train, oldSet.window.trainFrom, oldSet.window.trainTo);
      await advance(driftFrom, retrainAt);
      const made: { option: Option; set: TrainingSet; r: TrainResult }[] = [];
      for (const option of OPTIONS) {
        const set = await buildTrainingSet(c.lake, { asOf: retrainAt, trainDays: 120, validDays: option === 'short-valid' ? 7 : 14 });
        const recentFrom = addDays(retrainAt, -6);
        const r =
          option === 'holdout'
            ? await train(set, set.train, set.window.trainFrom, set.window.trainTo)
            : option === 'refit'
              ? await train(set, concatRows(set.train, set.valid), recentFrom, retrainAt)
              : await train(set, set.train, recentFrom, retrainAt);
        made.push({ option, set, r });
      }
      await advance(addDays(retrainAt, 1), laterCheck);

      const recent = (await buildTrainingSet(c.lake, { asOf: laterCheck, trainDays: 0, validDays: 7 })).valid;
      const newest = await readFeaturesPartition(c.lake, laterCheck);
      if (!newest) throw new Error(`no features partition on ${laterCheck}`);
      const j = FEATURES.indexOf(sc.feature);
      const values = new Float64Array(newest.contactIds.length);
      for (let i = 0; i < values.length; i++) values[i] = newest.x[i * N_FEATURES + j]!;
      const aucOld = auc(old.artifact, recent);

      for (const { option, set, r } of made) {
        const driftedDaysInFit = option === 'refit' ? set.window.validTo : set.window.trainTo;
        rows.push({
          drift: `${sc.feature} ${sc.shift > 0 ? '+' : ''}${sc.shift}`,
          option,
          fitTo: driftedDaysInFit,
          driftedDaysInFit: Math.max(0, Math.round((Date.parse(driftedDaysInFit) - Date.parse(driftFrom)) / 86_400_000) + 1),
          psiLater: Number(psi(r.artifact.psi_baseline[sc.feature], values).toFixed(4)),
          recentRows: recent.n,
          aucOld: Number(aucOld.toFixed(4)),
          aucNew: Number(auc(r.artifact, recent).toFixed(4)),
        });
        if (!json) console.error(JSON.stringify(rows[rows.length - 1]));
      }
    } finally {
      await c.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  }
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log('| drift | option | fit to (drifted days) | PSI of the feature 14 days later | AUC new vs old on the newest matured labels (rows) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${String(r.drift)} | ${String(r.option)} | ${String(r.fitTo)} (${String(r.driftedDaysInFit)}) | ${String(r.psiLater)} | ${String(r.aucNew)} vs ${String(r.aucOld)} (${String(r.recentRows)}) |`,
    );
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

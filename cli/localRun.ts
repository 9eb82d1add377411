import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FeatureName } from '../shared/domain/features/schema';
import type { ModelVersion } from '../shared/ports/warehouse';
import type { Container } from '../shared/app/container';
import type { DriftReport } from '../shared/app/drift';
import type { ChallengerReport } from '../shared/app/challenger';
import type { RetrainRun } from '../shared/app/retrain';
import { addDays } from '../shared/domain/calendar';
import { partitionFolder } from '../shared/domain/lakeLayout';

/**
 * `npm start`: the whole pipeline on the embedded defaults, as the timers and triggers would run it
 * in Azure. On an empty home: 120 days of campaigns for 5,000 contacts (after 90 days of simulated
 * history) → ingest → labels → retrain
 * → deploy v1 → score the newest partition → drift check; then a drift in one feature, the drift
 * check's retrain producing v2, a rollback to v1 and forward again, and a retrain on a 60-day window
 * as the challenger. On a home that already holds a run it continues: two more weeks of campaigns
 * through the same steps, the drift check judging the challenger on the outcomes that matured.
 */
export interface LocalRunPlan {
  /** First simulated day. */
  start: string;
  seed: number;
  contacts: number;
  /** Days simulated so far (from `start`). */
  days: number;
  /**
   * Simulated days before the pipeline starts: campaign history only, so that the first feature
   * partitions already see full 90-day windows. Without it, early partitions have thin histories
   * (rates of 0 or 1, affinities near 0.5) and the drift check mistakes the warm-up for drift.
   */
  warmupDays: number;
  drift: { feature: FeatureName; shift: number; from: string } | null;
}

export const FIRST_PLAN: LocalRunPlan = { start: '2025-10-07', seed: 42, contacts: 5000, days: 210, warmupDays: 90, drift: null };
/** Each later phase adds two weeks: enough matured labels for a validation window of drifted data. */
const PHASE_DAYS = 14;
const DRIFT = { feature: 'sentiment_score' as FeatureName, shift: -1.5 };
const ACTOR = 'npm start (local operator)';

export interface LocalRunSummary {
  plan: LocalRunPlan;
  versions: ModelVersion[];
  activeVersion: number | null;
  drift: DriftReport | null;
  /** The drift check's champion/challenger evaluation, when a challenger was set. */
  challenger: ChallengerReport | null;
  runs: RetrainRun[];
  rowsScored: number;
  reportPath: string | null;
  seconds: number;
}

function planFile(home: string): string {
  return path.join(home, 'local-run.json');
}

export interface LocalRunOptions {
  /** The first run's simulation (tests use a smaller one). */
  firstPlan?: LocalRunPlan;
  /** Days each later phase adds. */
  phaseDays?: number;
  /** The challenger's training window (default 60 days; a shorter history needs a shorter one). */
  challengerTrainDays?: number;
}

export async function runLocalPipeline(s: Container, progress: (message: string) => void, options: LocalRunOptions = {}): Promise<LocalRunSummary> {
  const u = s.useCases;
  const phaseDays = options.phaseDays ?? PHASE_DAYS;
  const started = Date.now();
  const home = path.resolve(s.config.LEADSCORE_HOME);
  const stored = fs.existsSync(planFile(home)) ? (JSON.parse(fs.readFileSync(planFile(home), 'utf8')) as LocalRunPlan) : null;
  const step = async <T>(title: string, fn: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    progress(`▸ ${title}`);
    const result = await fn();
    progress(`  done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return result;
  };
  const runs: RetrainRun[] = [];
  const approve = async (run: RetrainRun | null): Promise<void> => {
    if (!run) return;
    runs.push(run);
    progress(`  retrain ${run.status} (${run.details.outcome})${run.reason ? `: ${run.reason}` : ''}`);
    // AUTO_DEPLOY=false stages a version for approval; the local operator approves it here.
    if (run.details.outcome === 'staged' && run.details.version !== null) {
      await u.deploy(run.details.version, { by: ACTOR, reason: 'approved by the local run' });
      progress(`  approved and deployed v${run.details.version}`);
    }
  };
  const advance = async (plan: LocalRunPlan, from: string): Promise<void> => {
    const last = addDays(plan.start, plan.days - 1);
    const pipelineStart = addDays(plan.start, plan.warmupDays);
    const first = from > pipelineStart ? from : pipelineStart;
    await step(
      `simulate ${plan.contacts} contacts, ${from} .. ${last}${plan.drift ? ` (drift: ${plan.drift.feature} ${plan.drift.shift > 0 ? '+' : ''}${plan.drift.shift} from ${plan.drift.from})` : ''}`,
      () =>
        u.simulate({
          contacts: plan.contacts,
          days: plan.days,
          start: plan.start,
          seed: plan.seed,
          ...(plan.drift ? { drift: plan.drift } : {}),
          writeFrom: from,
        }),
    );
    await step(`ingest features ${first} .. ${last}`, () => u.ingestRange(first, last));
    // Sends of the last LABEL_WINDOW_DAYS before `first` mature only now.
    const back = addDays(first, -s.config.LABEL_WINDOW_DAYS);
    const labelFrom = back < pipelineStart ? pipelineStart : back;
    await step(`collect labels ${labelFrom} .. ${last}`, () => u.collectLabelsRange(labelFrom, last));
    fs.writeFileSync(planFile(home), `${JSON.stringify(plan, null, 2)}\n`);
  };
  const scoreNewest = async (): Promise<void> => {
    const newest = (await u.completeFeaturesDates())[0];
    if (!newest) return;
    const r = await step('serve the newest features partition (what the blob trigger does in Azure)', () =>
      u.scorePartition(partitionFolder('features', newest)),
    );
    progress(
      `  ${r.path}: ${r.status}${r.status === 'scored' ? `, ${r.contacts} contacts${r.modelVersion !== null ? `, scored by v${r.modelVersion}` : ''}` : ''}`,
    );
  };
  let challenger: ChallengerReport | null = null;
  const drift = async (asOf: string): Promise<DriftReport> => {
    const { report, run, challenger: judged } = await step(`drift check as of ${asOf}`, () => u.checkDrift(asOf));
    if (judged) {
      challenger = judged;
      progress(`  challenger v${judged.challenger} vs v${judged.champion} on ${judged.n} sends: ${judged.decision} — ${judged.reason}`);
      // AUTO_DEPLOY=false leaves a promotion ready; the local operator approves it here.
      if (judged.ready) {
        await u.deploy(judged.challenger, { by: ACTOR, reason: 'promotion approved by the local run' });
        progress(`  approved the promotion: deployed v${judged.challenger}`);
      }
    }
    const top = Object.entries(report.psi).sort((a, b) => b[1] - a[1])[0];
    progress(
      `  PSI max ${top ? `${top[0]} ${top[1].toFixed(3)}` : 'n/a'}; AUC recent ${report.auc_recent?.toFixed(4) ?? 'n/a'}; action ${report.action}${report.reason ? ` (${report.reason})` : ''}`,
    );
    await approve(run);
    return report;
  };

  let plan: LocalRunPlan;
  let report: DriftReport | null = null;
  if (!stored) {
    plan = { ...(options.firstPlan ?? FIRST_PLAN) };
    await advance(plan, plan.start);
    const asOf = addDays(plan.start, plan.days - 1);
    await approve(await step('retrain (first model)', () => u.retrain({ trigger: 'manual', reason: 'first model', asOf, requestedBy: ACTOR })));
    await scoreNewest();
    report = await drift(asOf);

    // A drift in one feature's generating process from tomorrow on.
    const from = addDays(plan.start, plan.days);
    plan = { ...plan, days: plan.days + phaseDays, drift: { ...DRIFT, from } };
    await advance(plan, from);
    await scoreNewest();
    const v1 = (await s.warehouse.getActiveWeights())?.version ?? null;
    report = await drift(addDays(plan.start, plan.days - 1));
    const v2 = (await s.warehouse.getActiveWeights())?.version ?? null;
    if (v1 !== null && v2 !== null && v2 !== v1) {
      await step(`roll back v${v2} → v${v1}, then forward again`, async () => {
        const back = await u.rollback({ toVersion: v1, by: ACTOR, reason: 'showing rollback' });
        progress(
          `  rollback: v${back.deployment.fromVersion} → v${back.deployment.toVersion} in ${(back.changeSeconds * 1000).toFixed(0)} ms; export ${back.export?.status ?? 'skipped'}`,
        );
        const fwd = await u.deploy(v2, { by: ACTOR, reason: 'rolling forward' });
        progress(
          `  deploy:   v${fwd.deployment.fromVersion} → v${fwd.deployment.toVersion} in ${(fwd.changeSeconds * 1000).toFixed(0)} ms; export ${fwd.export?.status ?? 'skipped'}`,
        );
      });
    }
    // An experiment the next run judges: would a shorter window serve better after a drift? A retrain
    // on 60 days becomes the challenger, scored beside v2 by the same SQL from tomorrow on.
    const asOf2 = addDays(plan.start, plan.days - 1);
    const window = options.challengerTrainDays ?? 60;
    const trial = await step(`retrain on a ${window}-day window as the challenger`, () =>
      u.retrain({
        trigger: 'manual',
        reason: `challenger: a ${window}-day window after the drift`,
        asOf: asOf2,
        requestedBy: ACTOR,
        mode: 'challenger',
        trainDays: window,
      }),
    );
    runs.push(trial);
    progress(`  retrain ${trial.status} (${trial.details.outcome})${trial.reason ? `: ${trial.reason}` : ''}`);
  } else {
    const from = addDays(stored.start, stored.days);
    plan = { ...stored, days: stored.days + phaseDays };
    progress(`continuing the local run in ${home} from ${from}`);
    await advance(plan, from);
    await scoreNewest();
    if (!(await s.warehouse.getActiveWeights())) {
      await approve(
        await step('retrain', () =>
          u.retrain({ trigger: 'manual', reason: 'no active version', asOf: addDays(plan.start, plan.days - 1), requestedBy: ACTOR }),
        ),
      );
    }
    report = await drift(addDays(plan.start, plan.days - 1));
  }

  const versions = await s.warehouse.listVersions();
  const active = await s.warehouse.getActiveWeights();
  const activeVersion = active?.version ?? null;
  const reportRel = activeVersion !== null ? `${versions.find((v) => v.version === activeVersion)?.artifactPath ?? ''}report.html` : null;
  const reportPath = reportRel && (await s.lake.exists(reportRel)) ? path.join(s.lake.location, reportRel) : null;
  return {
    plan,
    versions,
    activeVersion,
    drift: report,
    challenger,
    runs,
    rowsScored: await s.warehouse.countLeadScores(),
    reportPath,
    seconds: (Date.now() - started) / 1000,
  };
}

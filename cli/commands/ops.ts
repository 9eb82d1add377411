import type { Command } from 'commander';
import type { DriftReport } from '../../shared/app/drift';
import type { RetrainRun } from '../../shared/app/retrain';
import { todayUtc } from '../../shared/domain/calendar';
import { InvalidArgumentError } from 'commander';
import { cliActor, dayArg, result, withContainer } from '../options';
import { EXIT, exitWith } from '../exit';

function days(value: string): number {
  const v = Number(value);
  if (!/^[1-9]\d{0,3}$/.test(value)) throw new InvalidArgumentError(`'${value}' is not a number of days (a whole number from 1 to 9999)`);
  return v;
}

/** A retrain that did not produce a servable version exits non-zero (see cli/exit.ts). */
export function retrainExit(run: RetrainRun): void {
  const o = run.details.outcome;
  if (o === 'suppressed') exitWith(EXIT.notNow);
  else if (o === 'rejected' || o === 'blocked') exitWith(EXIT.refused);
  else if (o === 'error') exitWith(EXIT.failed);
}

export function describeRun(run: RetrainRun): string {
  const d = run.details;
  const lines = [`run ${run.id}: ${run.status} (${d.outcome})${run.reason ? ` — ${run.reason}` : ''}`];
  if (d.window)
    lines.push(
      `  data: training ${d.window.trainFrom}..${d.window.trainTo}, validation ${d.window.validFrom}..${d.window.validTo}, ${d.partitions.length} partitions`,
    );
  if (d.metrics)
    lines.push(
      `  metrics: AUC ${d.metrics.auc_roc.toFixed(4)}, PR-AUC ${d.metrics.pr_auc.toFixed(4)} (baseline ${d.metrics.baseline.pr_auc.toFixed(4)}), Brier ${d.metrics.brier.toFixed(4)}`,
    );
  const shown = { passed: 'pass', failed: 'FAIL', pending: 'wait', 'not evaluated': '-' } as const;
  for (const g of d.gates) lines.push(`  gate ${g.name.padEnd(17)} ${(shown[g.outcome] ?? (g.passed ? 'pass' : 'FAIL')).padEnd(4)}  ${g.detail}`);
  if (d.reportPath) lines.push(`  report: ${d.reportPath}`);
  return `${lines.join('\n')}\n`;
}

/** The drift check's AUC verdict and the age of the data it used, as `leadscore drift` and `npm start` print them. */
export function driftVerdictLines(report: DriftReport): string[] {
  const f4 = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(4));
  const previous = report.previous ? `; v${report.previous.version} on the same rows ${f4(report.previous.auc_recent)}` : '';
  const f = report.freshness;
  return [
    `AUC recent ${f4(report.auc_recent)} (${report.auc_baseline.kind} ${f4(report.auc_baseline.value)})${previous}; action: ${report.action}`,
    `data: features ${f.features_partition} (${f.features_age_days} days old), labels to ${f.labels_newest ?? 'none'}${f.labels_age_days === null ? '' : ` (${f.labels_age_days} days old)`}${f.stale.length ? `; STALE: ${f.stale.join(', ')}` : ''}`,
  ];
}

export function registerOps(program: Command): void {
  program
    .command('retrain')
    .description('Build the training set from the lake, train, apply every gate, register, deploy when allowed (AUTO_DEPLOY), record the run')
    .option('--as-of <date>', 'use labelled send dates up to this day (default today, UTC)', dayArg)
    .option('--reason <text>', 'why, for the run record', 'manual retrain from the CLI')
    .option('--challenger', 'a version that passes its gates becomes the challenger instead of being deployed (RETRAIN_MODE=challenger for this run)')
    .option('--train-days <n>', 'days of labelled sends in the training window, for this run (TRAIN_DAYS)', days)
    .option('--json', 'print the run record as JSON, every gate with its outcome')
    .action(async (opts: { asOf?: string; reason: string; json?: boolean; challenger?: boolean; trainDays?: number }) => {
      const run = await withContainer(({ useCases }) =>
        useCases.retrain({
          trigger: 'manual',
          reason: opts.reason,
          requestedBy: cliActor(),
          ...(opts.asOf ? { asOf: opts.asOf } : {}),
          ...(opts.challenger ? { mode: 'challenger' as const } : {}),
          ...(opts.trainDays ? { trainDays: opts.trainDays } : {}),
        }),
      );
      result(run, opts.json, describeRun);
      retrainExit(run);
    });

  program
    .command('drift')
    .description(
      'PSI of every feature and the score against the active version, AUC on recent labels; writes monitoring/drift/yyyy/mm/dd/drift.json and retrains when a trigger fires',
    )
    .option('--date <date>', 'check as of this day (default today, UTC)', dayArg)
    .option('--json', 'print the drift report (and the retrain run it started) as JSON')
    .action(async (opts: { date?: string; json?: boolean }) => {
      await withContainer(async (s) => {
        const out = await s.useCases.checkDrift(opts.date ?? todayUtc());
        result(out, opts.json, ({ report, run }) => {
          const lines = [`${'variable'.padEnd(20)}  PSI`];
          for (const [name, v] of Object.entries(report.psi)) lines.push(`${name.padEnd(20)}  ${v.toFixed(4)}${v > s.config.PSI_THRESHOLD ? '  drift' : ''}`);
          lines.push(...driftVerdictLines(report));
          return `${lines.join('\n')}\n${run ? describeRun(run) : ''}`;
        });
      });
    });

  program
    .command('report')
    .description("Print the path of the active version's report.html")
    .action(async () => {
      await withContainer(
        async (s) => {
          const active = await s.warehouse.getActiveWeights();
          if (!active) throw new Error('no model version is active');
          const v = await s.warehouse.getVersion(active.version);
          const reportPath = `${v!.artifactPath}report.html`;
          if (!(await s.lake.exists(reportPath))) throw new Error(`version ${active.version} has no report (${reportPath}); it was not produced by a retrain`);
          process.stdout.write(`${s.config.LAKE_KIND === 'local' ? `${s.lake.location}/${reportPath}` : reportPath}\n`);
        },
        { quiet: true },
      );
    });
}

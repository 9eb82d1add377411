import * as path from 'node:path';
import type { Command } from 'commander';
import { runLocalPipeline, type LocalRunSummary } from '../localRun';
import { withContainer } from '../options';
import { driftVerdictLines } from './ops';
import type { ChallengerReport } from '../../shared/app/challenger';

const f4 = (v: unknown): string => (typeof v === 'number' ? v.toFixed(4) : '   n/a');

/** A path as the user can type it from where they are: relative when it lies below the working folder. */
export function shownPath(p: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

export function formatSummary(sum: LocalRunSummary, show: (p: string) => string = (p) => p): string {
  const lines = ['', `local run finished in ${sum.seconds.toFixed(0)} s — ${sum.plan.contacts} contacts, ${sum.plan.days} days from ${sum.plan.start}`, ''];
  lines.push('version  status    trigger   AUC-ROC  PR-AUC   Brier   window');
  for (const v of sum.versions) {
    lines.push(
      `v${String(v.version).padEnd(7)} ${v.status.padEnd(9)} ${v.trigger.padEnd(9)} ${f4(v.metrics.auc)}   ${f4(v.metrics.pr_auc)}   ${f4(v.metrics.brier)}  ${v.windowStart ?? ''}..${v.windowEnd ?? ''}`,
    );
  }
  lines.push('', `active version: ${sum.activeVersion === null ? 'none' : `v${sum.activeVersion}`}; lead scores in SQL: ${sum.rowsScored}`);
  if (sum.drift) {
    lines.push('', `drift as of ${sum.drift.date} against v${sum.drift.model_version} (${sum.drift.partition}):`);
    for (const [name, v] of Object.entries(sum.drift.psi))
      lines.push(`  ${name.padEnd(20)} PSI ${v.toFixed(4)}${sum.drift.drifted.includes(name as never) ? '  ← drift' : ''}`);
    lines.push(...driftVerdictLines(sum.drift).map((l) => `  ${l}`));
  }
  if (sum.challenger) lines.push('', ...challengerLines(sum.challenger));
  for (const r of sum.runs) lines.push(`retrain ${r.trigger}: ${r.details.outcome}${r.reason ? ` — ${r.reason}` : ''}`);
  if (sum.reportPath) lines.push('', `report of the active version: ${show(sum.reportPath)}`);
  return `${lines.join('\n')}\n`;
}

/** A challenger evaluation as the summary shows it: both AUCs, DeLong's test, the rule's decision. */
export function challengerLines(c: ChallengerReport): string[] {
  const lines = [`challenger v${c.challenger} against v${c.champion} on ${c.n} sends matured ${c.from}..${c.to ?? '-'} (${c.positives} positive):`];
  if (c.models) {
    for (const [role, m] of [
      ['champion', c.models.champion],
      ['challenger', c.models.challenger],
    ] as const)
      lines.push(
        `  ${role.padEnd(10)} v${m.version}  AUC ${f4(m.auc)}  PR-AUC ${f4(m.pr_auc)}  Brier ${f4(m.brier)}  top 10 % positive rate ${f4(m.top10_positive_rate)}`,
      );
    lines.push(`  DeLong: AUC difference ${c.auc_diff!.toFixed(4)}, z ${c.delong!.z.toFixed(2)}, p ${c.p_value!.toPrecision(3)}`);
  }
  lines.push(`  decision: ${c.decision}${c.action !== 'none' ? ` (${c.action})` : ''} — ${c.reason}`);
  return lines;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run the whole pipeline locally on the embedded defaults (what npm start does); continues from the current state')
    .action(async () => {
      await withContainer(
        async (s) => {
          process.stdout.write(`leadscore local run in ${shownPath(s.lake.location)}\n`);
          process.stdout.write(formatSummary(await runLocalPipeline(s, (m) => process.stderr.write(`${m}\n`)), (p) => shownPath(p)));
        },
        { quiet: true },
      );
    });
}

import type { Command } from 'commander';
import type { ModelVersion } from '../../shared/ports/warehouse';
import { result, withContainer } from '../options';

const f4 = (v: unknown): string => (typeof v === 'number' ? v.toFixed(4) : '-');

export function formatVersions(versions: ModelVersion[]): string {
  const head = ['version', 'status', 'AUC', 'PR-AUC', 'Brier', 'trained window', 'activated at', 'activated by'];
  const rows = versions.map((v) => [
    `v${v.version}`,
    v.status,
    f4(v.metrics.auc),
    f4(v.metrics.pr_auc),
    f4(v.metrics.brier),
    v.windowStart && v.windowEnd ? `${v.windowStart}..${v.windowEnd}` : '-',
    v.activatedAt ?? '-',
    `${v.activatedBy ?? '-'}${v.complete ? '' : '  (incomplete: its run did not finish)'}`,
  ]);
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return `${all
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export function registerVersions(program: Command): void {
  program
    .command('versions')
    .description('List model versions: status, AUC, PR-AUC, Brier, trained window, activated at and by')
    .option('--json', 'print the versions as JSON')
    .action(async (opts: { json?: boolean }) => {
      const versions = await withContainer(({ useCases }) => useCases.listVersions(), { quiet: true });
      result(versions, opts.json, (vs) => (vs.length ? formatVersions(vs) : 'no model versions registered yet\n'));
    });
}

import type { Command } from 'commander';
import type { StatusSnapshot } from '../../shared/app/status';
import { result, withContainer } from '../options';

function render(s: StatusSnapshot): string {
  const lines = [
    `active version: ${s.active ? `v${s.active.version} (since ${s.active.activatedAt ?? '?'}, by ${s.active.activatedBy ?? '?'})` : 'none'}; ${s.versions} version(s) registered`,
    `served population: ${s.population ? `${s.population.path} (${s.population.contacts} contacts, loaded ${s.population.loadedAt})` : 'none yet'}`,
    `lake export: ${s.exportCurrent === null ? 'nothing to export yet' : s.exportCurrent ? 'current' : 'STALE (run leadscore export)'}`,
    `drift: ${s.drift ? `${s.drift.at}: ${s.drift.drifted.length ? `PSI > threshold on ${s.drift.drifted.join(', ')}` : 'none'}; AUC recent ${s.drift.aucRecent?.toFixed(4) ?? 'n/a'}` : 'not checked yet'}`,
    `challenger: ${s.challenger ? `v${s.challenger.version} (judged on sends from ${s.challenger.from})` : 'none'}`,
    `A/B test: ${s.abTest ? `${s.abTest.id} ${s.abTest.running ? 'running' : `stopped ${s.abTest.stoppedAt ?? ''}`}: v${s.abTest.champion} control, v${s.abTest.challenger} treatment (${s.abTest.treatmentPercent} %)` : 'none'}`,
    ...s.runs.slice(0, 5).map((r) => `run ${r.startedAt} ${r.trigger} ${r.status}${r.reason ? `: ${r.reason}` : ''}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('What is served (active version, population, lake export), the last runs and the latest drift (what GET /api/status answers)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      result(await withContainer(({ useCases }) => useCases.status(), { quiet: true }), opts.json, render);
    });
}

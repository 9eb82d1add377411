import type { Command } from 'commander';
import type { ChangeResult } from '../../shared/app/versions';
import { cliActor, versionArg, withContainer } from '../options';

export function printChange(r: ChangeResult): void {
  const d = r.deployment;
  process.stdout.write(`${d.action}: v${d.fromVersion ?? '-'} → v${d.toVersion} (log #${d.id}, by ${d.by}; ${(r.changeSeconds * 1000).toFixed(0)} ms)\n`);
  const e = r.export;
  if (e?.status === 'published')
    process.stdout.write(`export: ${e.folder} rewritten from SQL (v${e.modelVersion}, ${e.contacts} contacts, ${r.exportSeconds.toFixed(1)} s)\n`);
  else if (e) process.stdout.write(`export ${e.status}: ${e.reason}\n`);
  if (r.exportError) process.stderr.write(`warning: rewriting the lake export failed: ${r.exportError} (run \`leadscore export\` to retry)\n`);
}

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('Activate a staged (or retired) model version in one transaction (lead_scores serve it at once), then rewrite the lake export')
    .argument('<version>', 'model version number', versionArg)
    .option('--reason <text>', 'why, for the deployment log')
    .option('--force', 'activate a version whose registering run did not finish (after checking models/v{N}/)')
    .action(async (version: number, opts: { reason?: string; force?: boolean }) => {
      await withContainer(async ({ useCases }) =>
        printChange(await useCases.deploy(version, { by: cliActor(), reason: opts.reason ?? null, force: opts.force === true })),
      );
    });
}

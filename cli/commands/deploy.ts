import type { Command } from 'commander';
import { deployVersion, type ChangeResult } from '../../shared/pipeline/versions';
import { openServices } from '../../shared/services';
import { cliActor, cliLog, versionArg } from '../options';

export function printChange(r: ChangeResult): void {
  const d = r.deployment;
  process.stdout.write(`${d.action}: v${d.fromVersion ?? '-'} → v${d.toVersion} (log #${d.id}, by ${d.by})\n`);
  if (r.rescoreError) process.stderr.write(`warning: rescoring the newest partition failed: ${r.rescoreError}\n`);
}

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('Activate a staged (or retired) model version in one transaction, then rescore the newest partition')
    .argument('<version>', 'model version number', versionArg)
    .option('--reason <text>', 'why, for the deployment log')
    .action(async (version: number, opts: { reason?: string }) => {
      const deps = await openServices({ log: cliLog });
      try {
        printChange(await deployVersion(deps, version, { by: cliActor(), reason: opts.reason ?? null, rescore: deps.scoring }));
      } finally {
        await deps.close();
      }
    });
}

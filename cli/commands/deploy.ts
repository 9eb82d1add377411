import { userInfo } from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import { deployVersion, type ChangeResult } from '../../shared/pipeline/versions';
import { openServices } from '../../shared/services';

export function versionArg(value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v <= 0) throw new InvalidArgumentError(`'${value}' is not a version number`);
  return v;
}

export function cliActor(): string {
  return `cli:${process.env.LEADSCORE_USER ?? userInfo().username}`;
}

/** Progress lines of a command go to stdout. */
export function cliLog(message: string): void {
  process.stdout.write(`${message}\n`);
}

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

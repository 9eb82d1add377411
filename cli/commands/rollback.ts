import type { Command } from 'commander';
import { printChange } from './deploy';
import { cliActor, versionArg, withContainer } from '../options';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('Return to the previously active model version (or --to N) in one transaction (lead_scores serve it at once), then rewrite the lake export')
    .option('--to <version>', 'the version to return to', versionArg)
    .option('--reason <text>', 'why, for the deployment log')
    .option('--force', 'return to a version whose registering run did not finish')
    .action(async (opts: { to?: number; reason?: string; force?: boolean }) => {
      await withContainer(async ({ useCases }) =>
        printChange(
          await useCases.rollback({
            by: cliActor(),
            reason: opts.reason ?? null,
            force: opts.force === true,
            ...(opts.to !== undefined ? { toVersion: opts.to } : {}),
          }),
        ),
      );
    });
}

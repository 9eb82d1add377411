import type { Command } from 'commander';
import { challengerStart } from '../../shared/app/challenger';
import { todayUtc } from '../../shared/domain/calendar';
import { cliActor, dayArg, versionArg, withContainer } from '../options';

export function registerChallenger(program: Command): void {
  program
    .command('challenger')
    .description(
      'Make a staged version the challenger (challenger_scores serves its scores beside lead_scores; every drift check judges it on the outcomes that mature), or end it with --clear',
    )
    .argument('[version]', 'model version number', versionArg)
    .option('--from <date>', 'the first send day it is judged on (default tomorrow, UTC)', dayArg)
    .option('--clear', 'end the challenger (the version stays staged)')
    .action(async (version: number | undefined, opts: { from?: string; clear?: boolean }) => {
      if (opts.clear === (version !== undefined)) throw new Error('give a version, or --clear (not both)');
      await withContainer(async ({ useCases }) => {
        if (opts.clear) {
          const was = await useCases.clearChallenger(cliActor());
          process.stdout.write(was === null ? 'there was no challenger\n' : `v${was} is no longer the challenger\n`);
          return;
        }
        const from = opts.from ?? challengerStart(todayUtc());
        const out = await useCases.setChallenger(version!, { from, by: cliActor() });
        process.stdout.write(
          `v${version} is the challenger, judged on the sends from ${from} on${out.previous !== null && out.previous !== version ? ` (replacing v${out.previous})` : ''}\n`,
        );
      });
    });
}

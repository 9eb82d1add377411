import { Command, InvalidArgumentError } from 'commander';
import { DRIFT_EFFECTS, EFFECTS, parseDrift, parseEffect, TRUTH } from '../../shared/simulate/simulate';
import { withContainer } from '../options';

function wholeNumber(value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v)) throw new InvalidArgumentError('must be a whole number');
  return v;
}

export function registerSimulate(program: Command): void {
  const effects = Object.entries(DRIFT_EFFECTS)
    .map(([f, e]) => `  ${f}: ${e}`)
    .join('\n');
  program
    .command('simulate')
    .description('Write simulated SMS/MMS campaign history into raw/ of the lake (deterministic for a seed)')
    .requiredOption('--contacts <n>', 'number of contacts', wholeNumber)
    .requiredOption('--days <n>', 'days of history', wholeNumber)
    .requiredOption('--start <YYYY-MM-DD>', 'first simulated day (UTC)')
    .option('--seed <n>', 'random seed', wholeNumber, 42)
    .option('--drift <feature:shift@date>', "from the date on, move one feature's generating process")
    .option('--effect <effect=value@date>', `from the date on, the outcome's dependence changes: one of ${EFFECTS.join(', ')} gets a new coefficient`)
    .option('--write-from <YYYY-MM-DD>', 'continue a history: simulate from --start as usual (same seed) but write only the days from this one on')
    .addHelpText(
      'after',
      `\nWhat --drift moves, per feature:\n${effects}\n\nWhat --effect changes (the logit's coefficients, now): ${EFFECTS.map((e) => `${e} ${TRUTH[e]}`).join(', ')}\n`,
    )
    .action(async (opts: { contacts: number; days: number; start: string; seed: number; drift?: string; effect?: string; writeFrom?: string }) => {
      const drift = opts.drift === undefined ? undefined : parseDrift(opts.drift);
      const effect = opts.effect === undefined ? undefined : parseEffect(opts.effect);
      const options = {
        contacts: opts.contacts,
        days: opts.days,
        start: opts.start,
        seed: opts.seed,
        ...(drift ? { drift } : {}),
        ...(effect ? { effect } : {}),
        ...(opts.writeFrom !== undefined ? { writeFrom: opts.writeFrom } : {}),
      };
      await withContainer(({ useCases }) => useCases.simulate(options), { migrate: false });
    });
}

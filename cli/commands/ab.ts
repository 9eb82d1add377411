import { type Command, InvalidArgumentError } from 'commander';
import type { AbResults } from '../../shared/app/abTest';
import { challengerStart } from '../../shared/app/challenger';
import { treatmentBuckets } from '../../shared/domain/abSplit';
import { todayUtc } from '../../shared/domain/calendar';
import type { AbTest } from '../../shared/ports/warehouse';
import { cliActor, dayArg, result, withContainer } from '../options';

function percentArg(value: string): number {
  const v = Number(value);
  try {
    if (value.trim() === '') throw new Error('empty');
    treatmentBuckets(v);
  } catch {
    throw new InvalidArgumentError('must be a percent from 0 to 100, with at most 2 decimals');
  }
  return v;
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(2)} %`);
const pp = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)} pp`;

function describe(t: AbTest): string {
  const state = t.running ? 'running' : `stopped ${t.stoppedAt ?? ''} (${t.stopReason ?? ''})`;
  return `A/B test ${t.id} (salt ${JSON.stringify(t.salt)}, ${t.treatmentPercent} % treatment): v${t.champion} control, v${t.challenger} treatment, sends from ${t.from}; ${state}`;
}

function render(r: AbResults): string {
  const lines = [describe(r.test), `matured sends ${r.from} to ${r.to ?? '(none labelled yet)'}:`];
  for (const a of [r.control, r.treatment]) {
    lines.push(`  ${a.arm.padEnd(9)}  v${a.version}  ${String(a.sends).padStart(8)} sends  ${String(a.positives).padStart(7)} positive  rate ${pct(a.rate)}`);
  }
  if (r.diff === null || r.ci95 === null || r.z === null || r.p_value === null) lines.push(`  ${r.reason}`);
  else {
    lines.push(
      `  difference ${pp(r.diff)} (95 % CI ${pp(r.ci95[0])} to ${pp(r.ci95[1])}), z ${r.z < 0 ? '−' : ''}${Math.abs(r.z).toFixed(2)}, p ${r.p_value.toPrecision(3)}: ${r.significant ? 'significant at 0.05' : 'not significant at 0.05'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function registerAbTest(program: Command): void {
  const ab = program
    .command('ab')
    .description("The A/B split of campaigns: control contacts get the champion's scores, treatment contacts the challenger's (view ab_scores)");
  ab.command('start')
    .description('Assign every contact to control or treatment by a hash of the salt and its id (stored with the population), needs a challenger')
    .requiredOption('--salt <text>', 'names this experiment: a new salt gives a fresh, independent split')
    .option('--treatment <percent>', 'percent of contacts in the treatment arm (0-100, at most 2 decimals)', percentArg, 50)
    .option('--from <date>', 'the first send day counted (default tomorrow, UTC)', dayArg)
    .action(async (opts: { salt: string; treatment: number; from?: string }) => {
      await withContainer(async ({ useCases }) => {
        const t = await useCases.startAbTest({
          salt: opts.salt,
          treatmentPercent: opts.treatment,
          from: opts.from ?? challengerStart(todayUtc()),
          by: cliActor(),
        });
        process.stdout.write(`${describe(t)}\n  ${t.arms.control} contacts in control, ${t.arms.treatment} in treatment\n`);
      });
    });
  ab.command('results')
    .description('Sends, positives and rate per arm on the matured labels, the difference with a two-proportion z-test, its 95 % interval and p-value')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      result(await withContainer(({ useCases }) => useCases.abResults(), { quiet: true }), opts.json, render);
    });
  ab.command('stop')
    .description("End the running A/B test (everyone gets the champion's scores again); its results stay readable")
    .action(async () => {
      await withContainer(async ({ useCases }) => {
        const t = await useCases.stopAbTest(cliActor());
        process.stdout.write(t === null ? 'no A/B test was running\n' : `${describe(t)}\n`);
      });
    });
}

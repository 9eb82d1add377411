import { Command } from 'commander';
import { selectDates } from '../../shared/domain/calendar';
import { withContainer } from '../options';

export function registerLabels(program: Command): void {
  program
    .command('labels')
    .description('Write labels/yyyy/mm/dd for sends whose label window has matured (against the newest complete raw day)')
    .option('--date <YYYY-MM-DD>', 'one send date')
    .option('--from <YYYY-MM-DD>', 'first send date')
    .option('--to <YYYY-MM-DD>', 'last send date (included)')
    .action(async (opts: { date?: string; from?: string; to?: string }) => {
      const dates = selectDates(opts, 'labels');
      const results = await withContainer(({ useCases }) => useCases.collectLabelsRange(dates[0]!, dates[dates.length - 1]!));
      const written = results.filter((r) => r.status === 'written').length;
      process.stdout.write(`labels: ${written} partition(s) written, ${results.length - written} skipped (not mature)\n`);
    });
}

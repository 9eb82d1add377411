import { Command } from 'commander';
import { selectDates } from '../../shared/domain/calendar';
import { withContainer } from '../options';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('Compute feature partitions processed/features/yyyy/mm/dd from raw/ (as of 00:00 UTC of each date)')
    .option('--date <YYYY-MM-DD>', 'one partition date')
    .option('--from <YYYY-MM-DD>', 'first partition date')
    .option('--to <YYYY-MM-DD>', 'last partition date (included)')
    .action(async (opts: { date?: string; from?: string; to?: string }) => {
      const dates = selectDates(opts, 'ingest');
      const results = await withContainer(({ useCases }) => useCases.ingestRange(dates[0]!, dates[dates.length - 1]!));
      const written = results.filter((r) => r.status === 'written').length;
      process.stdout.write(`ingest: ${written} partition(s) written, ${results.length - written} skipped\n`);
    });
}

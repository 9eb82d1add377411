import { Command } from 'commander';
import { loadConfig } from '../../shared/app/config';
import { createLake } from '../../shared/app/container';
import { selectDates } from '../../shared/domain/calendar';
import { ingestRange } from '../../shared/app/ingest';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('Compute feature partitions processed/features/yyyy/mm/dd from raw/ (as of 00:00 UTC of each date)')
    .option('--date <YYYY-MM-DD>', 'one partition date')
    .option('--from <YYYY-MM-DD>', 'first partition date')
    .option('--to <YYYY-MM-DD>', 'last partition date (included)')
    .action(async (opts: { date?: string; from?: string; to?: string }) => {
      const dates = selectDates(opts, 'ingest');
      const config = loadConfig();
      const lake = createLake(config);
      const results = await ingestRange(lake, dates[0]!, dates[dates.length - 1]!, {
        maxRowCountChange: config.QUALITY_MAX_ROWCOUNT_CHANGE,
        log: (m) => process.stderr.write(`${m}\n`),
      });
      const written = results.filter((r) => r.status === 'written').length;
      process.stdout.write(`ingest: ${written} partition(s) written, ${results.length - written} skipped\n`);
    });
}

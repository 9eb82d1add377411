import { Command } from 'commander';
import { loadConfig } from '../../shared/app/config';
import { createLake } from '../../shared/app/container';
import { selectDates } from '../../shared/domain/calendar';
import { collectLabelsRange } from '../../shared/app/labels';

export function registerLabels(program: Command): void {
  program
    .command('labels')
    .description('Write labels/yyyy/mm/dd for sends whose label window has matured (against the newest complete raw day)')
    .option('--date <YYYY-MM-DD>', 'one send date')
    .option('--from <YYYY-MM-DD>', 'first send date')
    .option('--to <YYYY-MM-DD>', 'last send date (included)')
    .action(async (opts: { date?: string; from?: string; to?: string }) => {
      const dates = selectDates(opts, 'labels');
      const config = loadConfig();
      const lake = createLake(config);
      const results = await collectLabelsRange(lake, dates[0]!, dates[dates.length - 1]!, {
        windowDays: config.LABEL_WINDOW_DAYS,
        maxRowCountChange: config.QUALITY_MAX_ROWCOUNT_CHANGE,
        log: (m) => process.stderr.write(`${m}\n`),
      });
      const written = results.filter((r) => r.status === 'written').length;
      process.stdout.write(`labels: ${written} partition(s) written, ${results.length - written} skipped (not mature)\n`);
    });
}

import type { Command } from 'commander';
import { result, withContainer } from '../options';
import { EXIT, exitWith } from '../exit';

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('Serve a landed features partition (processed/features/yyyy/mm/dd, or any file in it) as the population lead_scores scores')
    .argument('<lake path>', 'the partition folder, one of its data files or its _SUCCESS marker')
    .option('--force', 'serve a partition that has no _SUCCESS marker yet, as it stands')
    .option('--json', 'print the result as JSON')
    .action(async (lakePath: string, opts: { force?: boolean; json?: boolean }) => {
      await withContainer(async ({ useCases }) => {
        const r = await useCases.scorePartition(lakePath, { force: opts.force === true });
        result(r, opts.json, (x) => {
          if (x.status === 'scored')
            return `${x.path}: ${x.contacts} contacts served${x.modelVersion !== null ? `, scored by v${x.modelVersion}` : ''}; ${x.rowsRejected} rows quarantined; export ${x.export.status}\n`;
          if (x.status === 'rejected') return `${x.path}: ${x.rowsRejected} of ${x.rowsTotal} rows invalid; nothing changed; reasons in ${x.quarantineFile}\n`;
          if (x.status === 'superseded') return `${x.path}: older than the served population of ${x.servedAsOf}; nothing changed\n`;
          return `${x.path}: ${x.status}: ${x.reason}\n`;
        });
        if (r.status === 'rejected' || r.status === 'superseded') exitWith(EXIT.refused);
        else if (r.status === 'waiting') exitWith(EXIT.notNow);
      });
    });

  program
    .command('export')
    .description('Rewrite the lake export scores/yyyy/mm/dd/ of what is served now, from SQL (deploys and rollbacks do it themselves)')
    .action(async () => {
      const r = await withContainer(({ useCases }) => useCases.exportServedScores('cli'));
      process.stdout.write(
        r.status === 'published'
          ? `export: ${r.folder} (v${r.modelVersion}, ${r.contacts} contacts, ${r.files.length} file(s))\n`
          : `export ${r.status}: ${'reason' in r ? r.reason : ''}\n`,
      );
    });
}

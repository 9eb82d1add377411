import type { Command } from 'commander';
import { exportServedScores } from '../../shared/pipeline/scoresExport';
import { scorePartition } from '../../shared/pipeline/scorePartition';
import { openServices } from '../../shared/services';
import { cliLog } from '../options';

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('Serve a landed features partition (processed/features/yyyy/mm/dd, or any file in it) as the population lead_scores scores')
    .argument('<lake path>', 'the partition folder, one of its data files or its _SUCCESS marker')
    .option('--force', 'serve a partition that has no _SUCCESS marker yet, as it stands')
    .action(async (lakePath: string, opts: { force?: boolean }) => {
      const deps = await openServices({ log: cliLog });
      try {
        const r = await scorePartition(deps.scoring, lakePath, { force: opts.force === true });
        if (r.status === 'rejected') throw new Error(`${r.path}: ${r.rowsRejected} of ${r.rowsTotal} rows invalid; nothing changed; reasons in ${r.quarantineFile}`);
      } finally {
        await deps.close();
      }
    });

  program
    .command('export')
    .description('Rewrite the lake export scores/yyyy/mm/dd/ of what is served now, from SQL (deploys and rollbacks do it themselves)')
    .action(async () => {
      const deps = await openServices({ log: cliLog });
      try {
        const r = await exportServedScores({ lake: deps.lake, warehouse: deps.warehouse, chunkRows: deps.config.SCORE_CHUNK_ROWS, runId: 'cli' });
        process.stdout.write(r.status === 'published' ? `export: ${r.folder} (v${r.modelVersion}, ${r.contacts} contacts, ${r.files.length} file(s))\n` : `export ${r.status}: ${'reason' in r ? r.reason : ''}\n`);
      } finally {
        await deps.close();
      }
    });
}

import type { Command } from 'commander';
import { scorePartition } from '../../shared/pipeline/scorePartition';
import { openServices } from '../../shared/services';
import { cliLog } from '../options';

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('Score a landed feature partition (processed/features/yyyy/mm/dd/<name>.csv) with the active version')
    .argument('<lake path>', 'path inside the lake')
    .action(async (lakePath: string) => {
      const deps = await openServices({ log: cliLog });
      try {
        const r = await scorePartition(deps.scoring, lakePath);
        if (r.status === 'rejected') throw new Error(`${r.path}: ${r.rowsRejected} of ${r.rowsTotal} rows invalid; nothing written; reasons in ${r.quarantineFile}`);
      } finally {
        await deps.close();
      }
    });
}

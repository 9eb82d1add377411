import type { Command } from 'commander';
import { backfillTrainingMeans } from '../../shared/app/versions';
import { openServices } from '../../shared/app/services';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending warehouse schema migrations (infra/sql on Azure SQL, their SQLite equivalent locally)')
    .action(async () => {
      const deps = await openServices({ migrate: false });
      try {
        const applied = await deps.warehouse.migrate();
        process.stdout.write(applied.length ? `applied ${applied.join(', ')} (${deps.warehouse.engine})\n` : `schema up to date (${deps.warehouse.engine})\n`);
        const mended = await backfillTrainingMeans(deps.versions);
        if (mended.length) process.stdout.write(`training means copied into SQL for version(s) ${mended.join(', ')}\n`);
      } finally {
        await deps.close();
      }
    });
}

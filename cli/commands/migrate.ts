import type { Command } from 'commander';
import { withContainer } from '../options';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending warehouse schema migrations (infra/sql on Azure SQL, their SQLite equivalent locally)')
    .action(async () => {
      await withContainer(
        async ({ useCases, warehouse }) => {
          const { applied, mended } = await useCases.migrate();
          process.stdout.write(applied.length ? `applied ${applied.join(', ')} (${warehouse.engine})\n` : `schema up to date (${warehouse.engine})\n`);
          if (mended.length) process.stdout.write(`training means copied into SQL for version(s) ${mended.join(', ')}\n`);
        },
        { quiet: true, migrate: false },
      );
    });
}

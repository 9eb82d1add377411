import { Command, CommanderError } from 'commander';
import { registerTrain } from './commands/train';
import { registerMigrate } from './commands/migrate';
import { registerDeploy } from './commands/deploy';
import { registerRollback } from './commands/rollback';
import { registerVersions } from './commands/versions';
import { registerScore } from './commands/score';
import { registerSimulate } from './commands/simulate';
import { registerIngest } from './commands/ingest';
import { registerLabels } from './commands/labels';
import { registerOps } from './commands/ops';
import { registerStart } from './commands/start';
import { registerConfig } from './commands/config';

export function buildProgram(): Command {
  const program = new Command('leadscore')
    .description('Learns lead-scoring weights from SMS/MMS campaign outcomes and serves them to SQL.')
    .exitOverride()
    .showHelpAfterError();
  // Each command lives in its own file under cli/commands and binds options to one pipeline step.
  registerSimulate(program);
  registerIngest(program);
  registerLabels(program);
  registerTrain(program);
  registerMigrate(program);
  registerDeploy(program);
  registerRollback(program);
  registerVersions(program);
  registerScore(program);
  registerOps(program);
  registerStart(program);
  registerConfig(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`leadscore: ${message}\n`);
    if (process.env.LEADSCORE_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

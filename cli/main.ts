import { Command, CommanderError } from 'commander';
import { codeVersion } from '../shared/app/codeVersion';
import { EXIT } from './exit';
import { registerStatus } from './commands/status';
import { registerTrain } from './commands/train';
import { registerMigrate } from './commands/migrate';
import { registerDeploy } from './commands/deploy';
import { registerChallenger } from './commands/challenger';
import { registerAbTest } from './commands/ab';
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
    .version(codeVersion(), '-V, --version')
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
  registerChallenger(program);
  registerAbTest(program);
  registerVersions(program);
  registerScore(program);
  registerOps(program);
  registerStart(program);
  registerConfig(program);
  registerStatus(program);
  return program;
}

/** At most this many characters of an error reach the terminal: it names what and where, not the data. */
const MAX_MESSAGE = 600;

export function clipMessage(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}… (${message.length - MAX_MESSAGE} more characters)` : message;
}

/** Runs the CLI; resolves to the process exit code (see cli/exit.ts). */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.done;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.done : EXIT.usage;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`leadscore: ${clipMessage(message)}\n`);
    if (process.env.LEADSCORE_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return EXIT.failed;
  }
}

import { userInfo } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { isDay } from '../shared/domain/calendar';
import { openContainer, type Container } from '../shared/app/container';
import { parseVersionNumber } from '../shared/domain/versions';
import { logTo, silentLog, type Log } from '../shared/ports/log';

/** Option parsers and output helpers every command shares. */

/** A model version, written as the HTTP routes take it (shared/http/schemas.ts versionNumber). */
export function versionArg(value: string): number {
  const v = parseVersionNumber(value);
  if (v === undefined) throw new InvalidArgumentError(`'${value}' is not a version number (a positive integer written plainly, 1 to 999999999)`);
  return v;
}

export function dayArg(value: string): string {
  if (!isDay(value)) throw new InvalidArgumentError('must be a date YYYY-MM-DD');
  return value;
}

export function positiveNumberArg(value: string): number {
  const v = Number(value);
  if (!Number.isFinite(v) || v <= 0) throw new InvalidArgumentError('must be a positive number');
  return v;
}

/** Who is acting, for the deployment log and run records. */
export function cliActor(): string {
  return `cli:${process.env.LEADSCORE_USER ?? userInfo().username}`;
}

/** Progress lines of a command go to stderr; its result goes to stdout (see result). */
export const cliLog: Log = logTo((m) => process.stderr.write(`${m}\n`));

/**
 * Runs `fn` with the configuration's container (the composition root), closed afterwards whatever
 * happens. `quiet`: no progress lines (a command whose output is its result alone).
 */
export async function withContainer<T>(fn: (c: Container) => Promise<T>, options: { quiet?: boolean; migrate?: boolean } = {}): Promise<T> {
  const c = await openContainer({ log: options.quiet ? silentLog : cliLog, ...(options.migrate === false ? { migrate: false } : {}) });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/** A command's result on stdout: as JSON with --json, else as the text `render` gives. */
export function result<T>(value: T, json: boolean | undefined, render: (v: T) => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : render(value));
}

import { spawn } from 'node:child_process';
import * as path from 'node:path';

/**
 * Runs the leadscore CLI in a fresh Node process, as a user would, and reports the wall time from
 * spawn to exit and the child's peak resident set size (its own getrusage, printed at exit).
 */
export interface Measurement {
  seconds: number;
  peakRssMiB: number;
  /** User + system CPU of the child, all its threads: less sensitive to other load than wall time. */
  cpuSeconds: number;
  stdout: string;
}

export async function measureCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Measurement> {
  const cliMain = path.resolve(__dirname, '../cli/main.js');
  const script = `
    require(${JSON.stringify(cliMain)}).main(['node', 'leadscore', ...process.argv.slice(1)]).then((code) => {
      const u = process.resourceUsage();
      process.stderr.write('\\n@@maxrss ' + u.maxRSS + ' @@cpu ' + (u.userCPUTime + u.systemCPUTime) + '\\n');
      process.exitCode = code;
    });`;
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['-e', script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`leadscore ${args.join(' ')} failed (${code}):\n${stderr}`);
  const m = /@@maxrss (\d+) @@cpu (\d+)/.exec(stderr);
  return { seconds, peakRssMiB: m ? Number(m[1]) / 1024 : NaN, cpuSeconds: m ? Number(m[2]) / 1e6 : NaN, stdout };
}

/** Seconds a fresh Node process takes to load the CLI's modules and exit: the floor under any command. */
export async function measureCliStartup(): Promise<number> {
  const cliMain = path.resolve(__dirname, '../cli/main.js');
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(cliMain)})`], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('close', resolve));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export function report(rows: [string, string][]): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
}

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The README's sample output of `npm start` is what `npm start` prints: this runs the compiled CLI
 * (`leadscore start`, which `npm start` runs after its build) on an empty folder, as a new user does,
 * and compares its whole standard output with the README's block. Only the run time may differ.
 */
const repo = path.resolve(__dirname, '..', '..');
const BIN = path.join(repo, 'bin', 'leadscore.js');
const maskTime = (text: string): string => text.replace(/finished in \d+ s/, 'finished in N s');

function readmeSample(): string {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## What `npm start` does'));
  const block = /```\n(leadscore local run in [\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README: no sample output block in "What `npm start` does"');
  return block[1]!;
}

test('the README shows exactly what npm start prints on an empty folder', async () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-start-'));
  try {
    const env = { ...process.env };
    delete env.LEADSCORE_HOME;
    const child = spawn(process.execPath, [BIN, 'start'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect([code, err.split('\n').filter((l) => /error/i.test(l))]).toEqual([0, []]);
    expect(maskTime(out)).toBe(maskTime(readmeSample()));
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}, 600_000);

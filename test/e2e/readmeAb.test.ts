import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The README's A/B sample ("Champion and challenger") is what its commands print: this runs each
 * `npx leadscore …` line of its bash block with the compiled CLI on an empty home, and compares what
 * `ab start` and `ab results` print with the output block that follows.
 */
const repo = path.resolve(__dirname, '..', '..');
const BIN = path.join(repo, 'bin', 'leadscore.js');

function sample(): { commands: string[][]; output: string } {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const at = readme.indexOf('An A/B test from an empty home');
  const m = /```bash\n([\s\S]*?)```\n\n```\n([\s\S]*?)```/.exec(readme.slice(at));
  if (at < 0 || !m) throw new Error('README: no A/B sample under "Champion and challenger"');
  const commands = m[1]!
    .split('\n')
    .filter((l) => l.startsWith('npx leadscore '))
    .map((l) => l.slice('npx leadscore '.length).split(' '));
  return { commands, output: m[2]! };
}

test('the README A/B sample prints what it shows', () => {
  const { commands, output } = sample();
  expect(commands.map((c) => c[0])).toEqual(['simulate', 'ingest', 'labels', 'retrain', 'deploy', 'retrain', 'score', 'ab', 'ab']);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-ab-sample-'));
  try {
    let printed = '';
    for (const args of commands) {
      const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, LEADSCORE_HOME: home }, encoding: 'utf8', timeout: 300_000 });
      expect([args.join(' '), r.status]).toEqual([args.join(' '), 0]);
      if (args[0] === 'ab') printed += r.stdout;
    }
    expect(printed).toBe(output);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}, 600_000);

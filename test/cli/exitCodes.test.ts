import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { SqliteLedger } from '../../shared/adapters/ledger/sqlite';
import { EXIT } from '../../cli/exit';
import { retrainExit } from '../../cli/commands/ops';
import type { RetrainRun } from '../../shared/app/retrain';
import { featureRows, FEATURES_HEADER } from '../support/fixtures';

/**
 * The CLI as a user runs it (bin/leadscore.js, compiled, Node 22): a command that did not do what was
 * asked never exits 0, and the code says why (cli/exit.ts, listed in the README).
 */
const BIN = path.resolve(__dirname, '../../bin/leadscore.js');
let home: string;

function leadscore(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, LEADSCORE_HOME: home }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeEach(() => {
  home = mkdtempSync(path.join(tmpdir(), 'leadscore-exit-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

test('done 0, failed 1, usage 2, refused 3, not now 4', () => {
  expect(leadscore('--version')).toMatchObject({ status: EXIT.done, stdout: expect.stringMatching(/^leadscore@/) });
  // A retrain on an empty home cannot train: the freshness gate refuses it (no labels, no features), and says so.
  const empty = leadscore('retrain', '--as-of', '2026-05-04');
  expect(empty.status).toBe(EXIT.refused);
  expect(empty.stdout).toMatch(/failed \(blocked\) — gate data_freshness failed: no labelled send day on or before 2026-05-04/);
  expect(leadscore('deploy', '0x2').status).toBe(EXIT.usage);
  expect(leadscore('deploy', '7').status).toBe(EXIT.failed);

  const folder = path.join(home, 'lake/processed/features/2026/05/04');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'part-0.csv'), `${FEATURES_HEADER}\n${featureRows(20).join('\n')}\n`);
  expect(leadscore('score', 'processed/features/2026/05/04').status).toBe(EXIT.notNow); // no _SUCCESS yet
  writeFileSync(path.join(folder, '_SUCCESS'), '');
  const served = leadscore('score', 'processed/features/2026/05/04', '--json');
  expect(served.status).toBe(EXIT.done);
  expect(JSON.parse(served.stdout)).toMatchObject({ status: 'scored', contacts: 20 });
  expect(leadscore('score', 'processed/features/2026/05/04').status).toBe(EXIT.done); // unchanged: nothing to do
  writeFileSync(path.join(folder, 'part-0.csv'), `${FEATURES_HEADER}\n${featureRows(20).join('\n')}\nbad,2026-05-04,99,0,0,0,0,0,0.5\n`);
  expect(leadscore('score', 'processed/features/2026/05/04').status).toBe(EXIT.refused); // 1 in 21 invalid > 1 %
  const status = JSON.parse(leadscore('status', '--json').stdout) as { population: { contacts: number } };
  expect(status.population.contacts).toBe(20);
});

test('a retrain suppressed because another one runs exits 4', async () => {
  const ledger = new SqliteLedger(path.join(home, 'ledger.db'));
  // A live holder on this machine: this test's own process.
  expect(await ledger.acquireLock('retrain', `${hostname()}/${process.pid}/other-run`, 600_000)).toBe(true);
  await ledger.close();
  const r = leadscore('retrain', '--as-of', '2026-05-04');
  expect(r.status).toBe(EXIT.notNow);
  expect(r.stdout).toMatch(/suppressed.*another retrain is running/);
});

test('each retrain outcome has its code', () => {
  const code = (outcome: RetrainRun['details']['outcome']): number | undefined => {
    process.exitCode = undefined;
    retrainExit({ details: { outcome } } as RetrainRun);
    const c = process.exitCode;
    process.exitCode = undefined;
    return c;
  };
  expect(['deployed', 'staged', 'rejected', 'blocked', 'suppressed', 'error'].map((o) => code(o as never) ?? EXIT.done)).toEqual([
    EXIT.done,
    EXIT.done,
    EXIT.refused,
    EXIT.refused,
    EXIT.notNow,
    EXIT.failed,
  ]);
});

test('a binary file with no line break gets a short error that names it', () => {
  const bin = path.join(home, 'bin.csv');
  writeFileSync(bin, Buffer.from(Array.from({ length: 725_000 }, (_, i) => (i * 7919 + 13) % 256).filter((b) => b !== 10)));
  const train = leadscore('train', '--train', bin, '--valid', bin, '--out', path.join(home, 'out'));
  expect(train.status).toBe(EXIT.failed);
  expect(train.stderr.length).toBeLessThan(700);
  expect(train.stderr).toContain('bin.csv');
  const folder = path.join(home, 'lake/processed/features/2026/05/04');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'part-0.csv'), readFileSync(bin));
  writeFileSync(path.join(folder, '_SUCCESS'), '');
  const score = leadscore('score', 'processed/features/2026/05/04');
  expect(score.status).toBe(EXIT.failed);
  expect(score.stderr.length).toBeLessThan(700);
  expect(score.stderr).toContain('part-0.csv');
});

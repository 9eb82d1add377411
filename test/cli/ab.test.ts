import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../cli/exit';
import { LocalLake } from '../../shared/adapters/lake/local';
import { SqliteWarehouse } from '../../shared/adapters/warehouse/sqlite';
import { abArm } from '../../shared/domain/abSplit';
import { featureRows, FEATURES_HEADER, register, W1, W2 } from '../support/fixtures';

/** `leadscore ab start|results|stop` as a user runs them (bin/leadscore.js, compiled): what they print, and what they refuse. */
const BIN = path.resolve(__dirname, '../../bin/leadscore.js');
let home: string;

function leadscore(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, LEADSCORE_HOME: home }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  home = mkdtempSync(path.join(tmpdir(), 'leadscore-ab-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

test('ab start needs a challenger; splits the served contacts by the hash; results say what is missing; stop ends it', async () => {
  expect(leadscore('ab', 'start', '--treatment', '150', '--salt', 's').status).toBe(EXIT.usage);
  expect(leadscore('ab', 'start', '--treatment', '50').status).toBe(EXIT.usage); // --salt is required
  const none = leadscore('ab', 'results');
  expect(none).toMatchObject({ status: EXIT.failed, stderr: expect.stringMatching(/no A\/B test has been started/) });

  const folder = path.join(home, 'lake/processed/features/2026/05/04');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'part-0.csv'), `${FEATURES_HEADER}\n${featureRows(200).join('\n')}\n`);
  writeFileSync(path.join(folder, '_SUCCESS'), '');
  const w = new SqliteWarehouse(path.join(home, 'warehouse.db'));
  await w.migrate();
  await register({ lake: new LocalLake(path.join(home, 'lake')), warehouse: w }, W1, -0.3);
  await register({ lake: new LocalLake(path.join(home, 'lake')), warehouse: w }, W2, 0.2);
  await w.close();
  expect(leadscore('deploy', '1').status).toBe(EXIT.done);
  expect(leadscore('score', 'processed/features/2026/05/04').status).toBe(EXIT.done);

  const refused = leadscore('ab', 'start', '--salt', 'spring', '--from', '2026-05-05');
  expect(refused).toMatchObject({ status: EXIT.failed, stderr: expect.stringMatching(/needs an active version and a challenger: no challenger/) });
  expect(leadscore('challenger', '2', '--from', '2026-05-05').status).toBe(EXIT.done);
  const bad = leadscore('ab', 'start', '--salt', 'a\tb');
  expect(bad).toMatchObject({ status: EXIT.failed, stderr: expect.stringMatching(/salt must be 1 to 100 printable characters/) });

  const started = leadscore('ab', 'start', '--salt', 'spring', '--treatment', '40', '--from', '2026-05-05');
  expect(started.status).toBe(EXIT.done);
  const ids = featureRows(200).map((l) => l.split(',')[0]!);
  const treated = ids.filter((id) => abArm('spring', id, 40) === 'treatment').length;
  expect(started.stdout).toContain(`A/B test 1 (salt "spring", 40 % treatment): v1 control, v2 treatment, sends from 2026-05-05; running`);
  expect(started.stdout).toContain(`${200 - treated} contacts in control, ${treated} in treatment`);
  expect(leadscore('ab', 'start', '--salt', 'again').stderr).toMatch(/A\/B test 1 is running/);

  expect(leadscore('status').stdout).toContain('A/B test: 1 running: v1 control, v2 treatment (40 %)');
  expect(JSON.parse(leadscore('status', '--json').stdout)).toMatchObject({ abTest: { id: 1, running: true, arms: { treatment: treated } } });
  const results = leadscore('ab', 'results', '--json');
  expect(results.status).toBe(EXIT.done);
  expect(JSON.parse(results.stdout)).toMatchObject({
    test: { id: 1, running: true, champion: 1, challenger: 2 },
    control: { sends: 0 },
    treatment: { sends: 0 },
    p_value: null,
    reason: 'no matured sends in the control arm since 2026-05-05 yet',
  });
  expect(leadscore('ab', 'results').stdout).toMatch(/matured sends 2026-05-05 to \(none labelled yet\):\n {2}control {4}v1 +0 sends/);

  expect(leadscore('ab', 'stop').stdout).toMatch(/^A\/B test 1 .*; stopped .* \(stopped by an operator\)/);
  expect(leadscore('ab', 'stop').stdout).toBe('no A/B test was running\n');
});

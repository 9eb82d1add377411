import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * The shell scripts (scripts/*.sh, infra/scripts/*.sh): each parses with its own shell (`sh -n` for
 * the POSIX ones, `bash -n`) and passes ShellCheck at warning level (Debian package `shellcheck`;
 * .ci/run installs it when missing). And the azd post-provision hook runs its Node.js steps on the
 * project's Node 22, never on the machine's `node`.
 */

const repo = path.resolve(__dirname, '..', '..');
const scripts = ['scripts', path.join('infra', 'scripts')].flatMap((dir) =>
  readdirSync(path.join(repo, dir))
    .filter((f) => f.endsWith('.sh'))
    .map((f) => path.join(dir, f)),
);

function shellOf(file: string): 'sh' | 'bash' {
  const first = readFileSync(path.join(repo, file), 'utf8').split('\n')[0] ?? '';
  return /\bbash\b/.test(first) ? 'bash' : 'sh';
}

describe('shell scripts', () => {
  test('there are some', () => {
    expect(scripts).toEqual(expect.arrayContaining(['scripts/check-infra.sh', 'scripts/start-host.sh', 'infra/scripts/postprovision.sh']));
  });

  test.each(scripts)('%s parses (sh -n or bash -n)', (file) => {
    const run = spawnSync(shellOf(file), ['-n', path.join(repo, file)], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  test.each(scripts)('%s passes shellcheck (warnings and errors)', (file) => {
    const run = spawnSync('shellcheck', ['--severity=warning', '--shell', shellOf(file), path.join(repo, file)], { encoding: 'utf8' });
    if (run.error) throw new Error(`shellcheck is not installed (apt-get install shellcheck): ${run.error.message}`);
    expect(run.stdout).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('infra/scripts/postprovision.sh', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'leadscore-postprovision-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('runs its Node.js steps on node_modules/.bin/node (22), not on the node first on the PATH', () => {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    // A `node` that must never run, first on the PATH; an `npm` that only records (no rebuild here).
    writeFileSync(path.join(bin, 'node'), `#!/bin/sh\necho "system node ran: $*" >> "${dir}/system-node"\nexit 3\n`);
    writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "$*" >> "${dir}/npm"\n`);
    chmodSync(path.join(bin, 'node'), 0o755);
    chmodSync(path.join(bin, 'npm'), 0o755);
    // Every Node.js process records which script it runs, on which version.
    const probe = path.join(dir, 'probe.js');
    writeFileSync(
      probe,
      `require('fs').appendFileSync(${JSON.stringify(path.join(dir, 'nodes'))}, process.version + ' ' + (process.argv[1] || '') + '\\n');\n`,
    );

    const run = spawnSync('sh', [path.join(repo, 'infra', 'scripts', 'postprovision.sh')], {
      cwd: dir,
      encoding: 'utf8',
      // No azd environment values: the SQL step stops at its first check, which is enough here.
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, NODE_OPTIONS: `--require ${probe}` },
      timeout: 60_000,
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(output).toContain('sql post-provision failed: AZURE_SUBSCRIPTION_ID is not set');
    expect(run.status).not.toBe(0);
    expect(() => readFileSync(path.join(dir, 'system-node'), 'utf8')).toThrow();
    expect(readFileSync(path.join(dir, 'npm'), 'utf8').trim()).toBe('run build --silent');
    const nodes = readFileSync(path.join(dir, 'nodes'), 'utf8').trim().split('\n');
    const sqlStep = nodes.filter((l) => l.endsWith(path.join('infra', 'scripts', 'sql-postprovision.js')));
    expect(sqlStep).toHaveLength(1);
    expect(sqlStep[0]).toMatch(/^v22\./);
    expect(nodes.every((l) => l.startsWith('v22.'))).toBe(true);
  }, 90_000);
});

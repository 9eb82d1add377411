import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FUNCTIONS, triggerOf, type Loaded } from '../support/functions';

/**
 * The deployment package (`npm run package` → .package/, what azd zips and uploads): built here for
 * real (a production-only npm ci, then the compiled app), checked for what it must and must not hold,
 * then copied into an empty folder outside the repository and loaded there by the Node 22 binary
 * alone, with no NODE_PATH and no node_modules above it: every dist/functions/*.js must load and
 * register its function, and every adapter (the Azure SDKs, loaded on a worker's first invocation)
 * must load too. `npm test` builds dist/ before jest, so this runs scripts/package.js directly.
 */

const repo = path.resolve(__dirname, '..', '..');
const pkgDir = path.join(repo, '.package');
const node22 = path.join(repo, 'node_modules', 'node', 'bin', 'node');

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else yield full;
  }
}

describe('npm run package (.package/)', () => {
  let output: string;
  let scratch: string;

  beforeAll(() => {
    const run = spawnSync(process.execPath, [path.join(repo, 'scripts', 'package.js')], { cwd: repo, encoding: 'utf8', timeout: 280_000 });
    output = `${run.stdout}${run.stderr}`;
    if (run.status !== 0) throw new Error(`scripts/package.js failed (${run.status}):\n${output}`);
    scratch = mkdtempSync(path.join(tmpdir(), 'leadscore-package-test-'));
  }, 300_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('prints the unpacked and zipped sizes, within the 400 MiB budget', () => {
    const m = /unpacked ([\d.]+) MiB in (\d+) files \(node_modules [\d.]+ MiB; ([\d.]+) MiB on this disk\), zipped ([\d.]+) MiB/.exec(output);
    expect(m).not.toBeNull();
    const [unpacked, , disk, zipped] = [Number(m![1]), Number(m![2]), Number(m![3]), Number(m![4])];
    expect(unpacked).toBeLessThan(400);
    expect(disk).toBeLessThan(400);
    expect(zipped).toBeGreaterThan(0);
    expect(zipped).toBeLessThan(unpacked);
    // The printed figure is the tree's: the sum of its file sizes.
    let bytes = 0;
    for (const f of files(pkgDir)) bytes += statSync(f).size;
    expect(Math.abs(bytes / 1024 / 1024 - unpacked)).toBeLessThan(0.1);
  });

  test('the production-only install went through prepare without building (no TypeScript there)', () => {
    expect(output).toMatch(/npm ci --omit=dev: added \d+ packages/);
  });

  test('holds host.json, a package.json without scripts, the compiled functions and shared code, production dependencies only', () => {
    expect(readdirSync(pkgDir).sort()).toEqual(['dist', 'host.json', 'node_modules', 'package.json']);
    expect(readdirSync(path.join(pkgDir, 'dist')).sort()).toEqual(['functions', 'shared']);
    expect(JSON.parse(readFileSync(path.join(pkgDir, 'host.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(path.join(repo, 'host.json'), 'utf8')));

    const source = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as Record<string, unknown>;
    const deployed = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(deployed.main).toBe('dist/functions/*.js');
    expect(deployed.main).toBe(source.main);
    expect(deployed.dependencies).toEqual(source.dependencies);
    expect(deployed).not.toHaveProperty('scripts');
    expect(deployed).not.toHaveProperty('devDependencies');

    // The app: .js only (no sources, maps or declarations), one file per function file.
    const app = [...files(path.join(pkgDir, 'dist'))].map((f) => path.relative(pkgDir, f));
    expect(app.every((f) => f.endsWith('.js'))).toBe(true);
    const fnSources = readdirSync(path.join(repo, 'functions')).filter((f) => f.endsWith('.ts'));
    expect(readdirSync(path.join(pkgDir, 'dist', 'functions')).sort()).toEqual(fnSources.map((f) => f.replace(/\.ts$/, '.js')).sort());

    // No dev-only package of the lock file (the Node 22 binary, azurite, jest, TypeScript, ...).
    const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages)
      .filter(([p, meta]) => p.startsWith('node_modules/') && meta.dev === true)
      .map(([p]) => p);
    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/node', 'node_modules/azurite', 'node_modules/jest', 'node_modules/typescript']));
    const present = devOnly.filter((p) => existsSync(path.join(pkgDir, p)));
    expect(present).toEqual([]);

    // Nothing that no one loads: source maps, declarations, TypeScript sources, command-line links.
    const leftovers = [...files(path.join(pkgDir, 'node_modules'))].filter((f) => /\.(map|[cm]?ts)$/.test(f) || f.includes(`${path.sep}.bin${path.sep}`));
    expect(leftovers).toEqual([]);
  });

  test('copied into an empty folder, every dist/functions/*.js loads with Node 22 alone and registers its function', () => {
    const app = path.join(scratch, 'app');
    cpSync(pkgDir, app, { recursive: true });
    // The loader lives beside the copy, not in the repository, so no path leads back to it.
    const loader = path.join(scratch, 'registrations.js');
    cpSync(path.join(repo, 'scripts', 'registrations.js'), loader);
    // Nothing above the copy that Node.js would search (parent node_modules, HOME's global folders).
    for (let dir = path.dirname(app); ; dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);
      if (path.dirname(dir) === dir) break;
    }
    const run = spawnSync(node22, [loader, app, '--adapters'], {
      cwd: app,
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', HOME: scratch, NODE_PATH: '' },
      timeout: 120_000,
    });
    if (run.status !== 0) throw new Error(`loading the package failed (${run.status}):\n${run.stdout}${run.stderr}`);
    const loaded = JSON.parse(run.stdout) as Loaded & { adapters: NonNullable<Loaded['adapters']> };

    expect(loaded.node).toMatch(/^v22\./);
    expect(loaded.files.map((f) => f.file)).toEqual(
      readdirSync(path.join(app, 'dist', 'functions'))
        .sort()
        .map((f) => `dist/functions/${f}`),
    );
    // app.js only calls app.setup(); every other file registers exactly one function.
    for (const f of loaded.files) expect(f.registered).toHaveLength(f.file === 'dist/functions/app.js' ? 0 : 1);
    expect(loaded.registrations.map((r) => r.name).sort()).toEqual(Object.keys(FUNCTIONS).sort());
    for (const r of loaded.registrations) expect(triggerOf(r).type).toBe(FUNCTIONS[r.name]!.trigger);
    // No function module loads node:sqlite (issue 13, item 7): only the embedded adapters do.
    expect(loaded.sqlite).toBe(false);
    // Every adapter that composition requires on demand (the Azure SDKs behind them) loaded as well:
    // a file missing from node_modules would have thrown above.
    const compose = readFileSync(path.join(app, 'dist', 'shared', 'app', 'container.js'), 'utf8');
    const onDemand = [...compose.matchAll(/require\('\.\.\/(adapters\/[^']+)'\)/g)].map((m) => `dist/shared/${m[1]}.js`);
    expect(onDemand.length).toBeGreaterThanOrEqual(5);
    expect(loaded.adapters.files).toEqual(expect.arrayContaining(onDemand));
    expect(run.stderr).not.toMatch(/Skipping call to register|test mode/);
  }, 150_000);
});

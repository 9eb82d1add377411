import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The layers' rules (.dependency-cruiser.cjs) hold on the tree as it is, and a forbidden import in a
 * scratch copy of it makes `npm run lint`'s dependency check fail, naming the rule and the file.
 */
const repo = path.resolve(__dirname, '..', '..');
const depcruise = path.join(repo, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');

function cruise(root: string, outputType = 'err'): { status: number | null; out: string } {
  const run = spawnSync(process.execPath, [depcruise, 'shared', 'functions', 'cli', '--config', '.dependency-cruiser.cjs', '--output-type', outputType], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

let scratch: string;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-layout-'));
  for (const item of ['shared', 'functions', 'cli', '.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) {
    fs.cpSync(path.join(repo, item), path.join(scratch, item), { recursive: true });
  }
  // Resolution of the npm packages the sources import (not followed, but resolved).
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(scratch, 'node_modules'));
});

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function withImport(file: string, line: string, check: (r: { status: number | null; out: string }) => void): void {
  const target = path.join(scratch, file);
  const before = fs.readFileSync(target, 'utf8');
  fs.writeFileSync(target, `${line}\n${before}`);
  try {
    check(cruise(scratch));
  } finally {
    fs.writeFileSync(target, before);
  }
}

describe('the layers (dependency-cruiser, as npm run lint runs it)', () => {
  test('the tree as it is breaks no rule', () => {
    const r = cruise(repo);
    expect(r.out).not.toMatch(/error/);
    expect(r.status).toBe(0);
  });

  test.each([
    ['shared/domain/gates.ts', "import '../adapters/warehouse/sqlite';", 'domain-is-pure'],
    ['shared/domain/calendar.ts', "import 'node:fs';", 'domain-has-no-io'],
    ['shared/fast/bytes.ts', "import '../app/config';", 'fast-uses-domain-only'],
    ['shared/app/ingest.ts', "import '../adapters/lake/local';", 'app-uses-inner-layers'],
    ['shared/adapters/lake/local.ts', "import '../../app/ingest';", 'adapters-are-leaves'],
    ['functions/status.ts', "import '../shared/adapters/ledger/sqlite';", 'doors-are-thin'],
    ['shared/simulate/simulate.ts', "import '../app/ingest';", 'report-and-simulate-use-domain-only'],
    ['shared/domain/features/schema.ts', "import './formulas';", 'no-circular'],
  ])('an import added to %s (%s) fails the check with %s', (file, line, rule) => {
    withImport(file, line, (r) => {
      expect(r.status).not.toBe(0);
      expect(r.out).toContain(rule);
      expect(r.out).toContain(file);
    });
  });

  test('no cycle between the layers either (shared/<layer>, functions, cli): folder A imports B only if B never reaches A', () => {
    const r = cruise(repo, 'json');
    const modules = (JSON.parse(r.out) as { modules: { source: string; dependencies: { resolved: string }[] }[] }).modules;
    const layerOf = (f: string): string =>
      f
        .split('/')
        .slice(0, f.startsWith('shared/') ? 2 : 1)
        .join('/');
    const edges = new Map<string, Set<string>>();
    for (const m of modules) {
      if (!/^(shared|functions|cli)\//.test(m.source)) continue;
      for (const d of m.dependencies) {
        const [a, b] = [layerOf(m.source), layerOf(d.resolved)];
        if (!/^(shared|functions|cli)\//.test(d.resolved) || a === b) continue;
        if (!edges.has(a)) edges.set(a, new Set());
        edges.get(a)!.add(b);
      }
    }
    // Depth-first search; a layer met again while still on the path closes a cycle.
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (n: string, trail: string[]): void => {
      if (state.get(n) === 'done') return;
      if (state.get(n) === 'open') return void cycles.push([...trail.slice(trail.indexOf(n)), n].join(' -> '));
      state.set(n, 'open');
      for (const m of edges.get(n) ?? []) visit(m, [...trail, n]);
      state.set(n, 'done');
    };
    for (const n of edges.keys()) visit(n, []);
    expect(cycles).toEqual([]);
    expect([...edges.keys()].sort()).toEqual(expect.arrayContaining(['cli', 'functions', 'shared/adapters', 'shared/app', 'shared/fast', 'shared/http']));
  });
});

describe('habits of the house', () => {
  const files = (dir: string): string[] =>
    fs
      .readdirSync(path.join(repo, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(dir, f));

  test('no source file in shared/ is longer than 400 lines', () => {
    const long = files('shared')
      .map((f) => [f, fs.readFileSync(path.join(repo, f), 'utf8').split('\n').length - 1] as const)
      .filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });

  test('every fast/ module names, in its opening lines, the benchmark that justifies it', () => {
    const silent = files('shared/fast').filter(
      (f) => !/bench:(ingest|score|train|coldstart)/.test(fs.readFileSync(path.join(repo, f), 'utf8').split('\n').slice(0, 30).join('\n')),
    );
    expect(silent).toEqual([]);
  });

  test('no comment cites the ARCHITECTURE.md outside the repository; docs/architecture.md has every section cited', () => {
    const cited = new Set<string>();
    for (const f of [...files('shared'), ...files('functions'), ...files('cli')]) {
      const text = fs.readFileSync(path.join(repo, f), 'utf8');
      expect([f, /ARCHITECTURE\.md/.test(text)]).toEqual([f, false]);
      for (const m of text.matchAll(/docs\/architecture\.md, "([^"]+)"/g)) cited.add(m[1]!);
    }
    const headings = new Set([...fs.readFileSync(path.join(repo, 'docs/architecture.md'), 'utf8').matchAll(/^## (.+)$/gm)].map((m) => m[1]!));
    expect([...cited].filter((c) => !headings.has(c))).toEqual([]);
    expect(cited.size).toBeGreaterThan(5);
  });
});

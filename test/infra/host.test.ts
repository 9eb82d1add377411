import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../shared/app/config';
import { FUNCTIONS, loadRegistrations, triggerOf, type Loaded } from '../support/functions';

/**
 * The local Functions host (`npm run start:host`, scripts/start-host.sh) as far as it can be tested
 * without Azure Functions Core Tools, which cannot be installed here: host.json, the settings file,
 * every registration the host would index (trigger, route, methods, key level, connection names)
 * against the table in test/support/functions.ts, and the script itself run with a stand-in `func`
 * that records what it was started with (Node on the PATH, settings file, Azurite on loopback).
 */

const repo = path.resolve(__dirname, '..', '..');
const read = (f: string): unknown => JSON.parse(readFileSync(path.join(repo, f), 'utf8'));

describe('host.json', () => {
  const host = read('host.json') as Record<string, unknown>;

  test('is a version 2.0 host file with only known top-level settings', () => {
    expect(host.version).toBe('2.0');
    const known = [
      'version',
      'logging',
      'extensionBundle',
      'extensions',
      'functionTimeout',
      'concurrency',
      'healthMonitor',
      'retry',
      'singleton',
      'watchDirectories',
      'watchFiles',
      'aggregator',
      'telemetryMode',
    ];
    expect(Object.keys(host).filter((k) => !known.includes(k))).toEqual([]);
  });

  test('takes the bindings from extension bundle 4.x (blob trigger with the Event Grid source, queues, timers)', () => {
    expect(host.extensionBundle).toEqual({ id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
  });

  test('sets a function timeout the host can parse (hh:mm:ss) and keeps requests out of sampling', () => {
    expect(host.functionTimeout).toMatch(/^\d{2}:[0-5]\d:[0-5]\d$/);
    const sampling = (host.logging as { applicationInsights: { samplingSettings: { excludedTypes: string } } }).applicationInsights.samplingSettings;
    expect(sampling.excludedTypes.split(';')).toEqual(expect.arrayContaining(['Request', 'Exception']));
  });
});

describe('local.settings.sample.json', () => {
  const sample = read('local.settings.sample.json') as { IsEncrypted: boolean; Values: Record<string, unknown> };

  test('is what Core Tools read: unencrypted, string values, the Node worker', () => {
    expect(sample.IsEncrypted).toBe(false);
    expect(Object.values(sample.Values).every((v) => typeof v === 'string')).toBe(true);
    expect(sample.Values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
    expect(sample.Values.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
  });

  test('is a valid app configuration on the embedded adapters', () => {
    const config = loadConfig(sample.Values as NodeJS.ProcessEnv);
    expect([config.LAKE_KIND, config.WAREHOUSE_KIND, config.LEDGER_KIND, config.TELEMETRY_KIND]).toEqual(['local', 'sqlite', 'sqlite', 'jsonl']);
  });
});

describe('what the host indexes (dist/functions/*.js, package.json "main")', () => {
  let loaded: Loaded;
  beforeAll(() => {
    loaded = loadRegistrations();
  });

  test('every file registers the functions of the table, nothing more, nothing less', () => {
    expect(loaded.registrations.map((r) => r.name).sort()).toEqual(Object.keys(FUNCTIONS).sort());
    // node:sqlite is loaded only by the embedded adapters, when configuration picks them.
    expect(loaded.sqlite).toBe(false);
  });

  test.each(Object.entries(FUNCTIONS))('%s: trigger, schedule or route, methods, key level, connection names', (name, want) => {
    const r = loaded.registrations.find((x) => x.name === name);
    expect(r).toBeDefined();
    const t = triggerOf(r!);
    expect(t.type).toBe(want.trigger);
    const pick = (keys: string[]): Record<string, unknown> => Object.fromEntries(keys.filter((k) => t[k] !== undefined).map((k) => [k, t[k]]));
    const expected = Object.fromEntries(
      Object.entries({
        schedule: want.schedule,
        route: want.route,
        methods: want.methods,
        authLevel: want.authLevel,
        queueName: want.queueName,
        path: want.path,
        source: want.source,
      }).filter(([, v]) => v !== undefined),
    );
    expect(pick(['schedule', 'route', 'methods', 'authLevel', 'queueName', 'path', 'source'])).toEqual(expected);
    const connections = Object.values(r!.bindings)
      .map((b) => b.connection)
      .filter((c): c is string => typeof c === 'string');
    expect([...new Set(connections)].sort()).toEqual([...want.connections].sort());
  });

  test('every connection name is defined locally (local.settings.sample.json) and in Azure (identity-based app settings)', () => {
    const names = new Set(
      loaded.registrations.flatMap((r) => Object.values(r.bindings).map((b) => b.connection)).filter((c): c is string => typeof c === 'string'),
    );
    expect([...names].sort()).toEqual(['AzureWebJobsStorage', 'LAKE']);
    const local = (read('local.settings.sample.json') as { Values: Record<string, string> }).Values;
    const bicep = readFileSync(path.join(repo, 'infra', 'modules', 'functionapp.bicep'), 'utf8');
    for (const name of names) {
      expect(Object.keys(local).some((k) => k === name || k.startsWith(`${name}__`))).toBe(true);
      // No connection string in Azure: `<name>__credential` = managedidentity and the service URI(s) or account.
      expect(bicep).toContain(`{ name: '${name}__credential', value: 'managedidentity' }`);
      expect(bicep).toMatch(new RegExp(`name: '${name}__(accountName|blobServiceUri)'`));
    }
  });
});

// ------------------------------------------------------------------------- scripts/start-host.sh --

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function run(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 90_000);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

/**
 * A stand-in for Core Tools: records the Node.js on its PATH, the working folder, the settings file,
 * whether the build ran and whether Azurite accepts connections on the given loopback ports.
 */
const FAKE_FUNC = `#!/usr/bin/env node
const fs = require('node:fs');
const net = require('node:net');
const { execFileSync } = require('node:child_process');
const ports = [process.env.AZURITE_BLOB_PORT, process.env.AZURITE_QUEUE_PORT, process.env.AZURITE_TABLE_PORT].map(Number);
const accepts = (port) => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});
Promise.all(ports.map(accepts)).then((listening) => {
  const record = {
    args: process.argv.slice(2),
    node: execFileSync('node', ['--version'], { encoding: 'utf8' }).trim(),
    cwd: process.cwd(),
    settings: fs.existsSync('local.settings.json') ? JSON.parse(fs.readFileSync('local.settings.json', 'utf8')) : null,
    built: fs.existsSync('built.marker'),
    listening,
  };
  fs.writeFileSync(process.env.FAKE_FUNC_RECORD, JSON.stringify(record));
});
`;

describe('scripts/start-host.sh (npm run start:host)', () => {
  let root: string;
  let bin: string;
  const system = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: tmpdir() };

  beforeEach(() => {
    // A copy of the project's files the script uses; node_modules (node@22, azurite) is the repo's.
    root = mkdtempSync(path.join(tmpdir(), 'leadscore-host-'));
    mkdirSync(path.join(root, 'scripts'));
    copyFileSync(path.join(repo, 'scripts', 'start-host.sh'), path.join(root, 'scripts', 'start-host.sh'));
    copyFileSync(path.join(repo, 'local.settings.sample.json'), path.join(root, 'local.settings.sample.json'));
    symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    // `npm run build` here leaves a marker instead of compiling.
    writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({ name: 'host-test', version: '0.0.0', private: true, scripts: { build: "node -e \"require('fs').writeFileSync('built.marker', '')\"" } }),
    );
    bin = path.join(root, 'fake-bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'func'), FAKE_FUNC);
    chmodSync(path.join(bin, 'func'), 0o755);
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  test('creates local.settings.json from the sample, builds, starts Azurite on loopback and runs func start on Node 22; stops Azurite after', async () => {
    const ports = { AZURITE_BLOB_PORT: await freePort(), AZURITE_QUEUE_PORT: await freePort(), AZURITE_TABLE_PORT: await freePort() };
    const record = path.join(root, 'func-record.json');
    const env = {
      ...system,
      PATH: `${bin}:${system.PATH}`,
      FAKE_FUNC_RECORD: record,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };
    const { status, output } = await run('bash', [path.join(root, 'scripts', 'start-host.sh'), '--port', '7072'], { cwd: root, env });
    expect(status).toBe(0);
    expect(output).toContain('created local.settings.json from local.settings.sample.json');
    expect(output).toMatch(/Azurite on 127\.0\.0\.1/);
    expect(output).toContain('stopped Azurite');

    const seen = JSON.parse(readFileSync(record, 'utf8')) as {
      args: string[];
      node: string;
      cwd: string;
      settings: unknown;
      built: boolean;
      listening: boolean[];
    };
    expect(seen.args).toEqual(['start', '--port', '7072']);
    expect(seen.node).toMatch(/^v22\./);
    expect(seen.cwd).toBe(root);
    expect(seen.settings).toEqual(read('local.settings.sample.json'));
    expect(seen.built).toBe(true);
    expect(seen.listening).toEqual([true, true, true]);
    // Azurite is gone once the host has ended.
    for (const port of Object.values(ports)) expect(await accepts(port)).toBe(false);
    expect(existsSync(path.join(root, '.azurite'))).toBe(true);
  }, 120_000);

  test('keeps an existing local.settings.json', async () => {
    const mine = { IsEncrypted: false, Values: { FUNCTIONS_WORKER_RUNTIME: 'node', AzureWebJobsStorage: 'UseDevelopmentStorage=true', MINE: 'yes' } };
    writeFileSync(path.join(root, 'local.settings.json'), JSON.stringify(mine));
    // No func on the PATH: the script stops before Azurite, saying why.
    const { status, output } = await run('bash', [path.join(root, 'scripts', 'start-host.sh')], { cwd: root, env: system });
    expect(output).toContain('using the existing local.settings.json');
    expect(JSON.parse(readFileSync(path.join(root, 'local.settings.json'), 'utf8'))).toEqual(mine);
    expect(status).toBe(127);
    expect(output).toMatch(/Azure Functions Core Tools \('func'\) are not on the PATH/);
    expect(existsSync(path.join(root, '.azurite'))).toBe(false);
  }, 60_000);
});

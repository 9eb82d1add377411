import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { AppInsightsTelemetry } from '../../../shared/adapters/telemetry/appinsights';
import { loadSdk } from '../../../shared/adapters/telemetry/appinsightsSdk';
import { stopSettingsPoll } from './envelopes';

/*
 * The worker's client is created at app start (functions/app.ts registers an appStart hook), and
 * every function gets that one. In-process, @azure/functions is replaced to catch the hook; then
 * the whole worker runs in a fresh Node 22 process on dist/, with the same stand-in for
 * @azure/functions-core that scripts/registrations.js uses, plus the hooks it records.
 */

const hooks: (() => unknown)[] = [];
jest.mock('@azure/functions', () => ({ app: { setup: jest.fn(), hook: { appStart: (h: () => unknown) => void hooks.push(h) } } }));

const repo = path.resolve(__dirname, '..', '..', '..');
const node22 = path.join(repo, 'node_modules', 'node', 'bin', 'node');
const CONNECTION_STRING = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/';
const sdkClients = (): number => (loadSdk().TelemetryClient as unknown as { _instanceCount: number })._instanceCount;

describe('the appStart hook of functions/app.ts', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });
  afterAll(stopSettingsPoll);

  it('creates the process client with App Insights configured, and nothing without it', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the mock
    require('../../../functions/app');
    expect(hooks).toHaveLength(1);
    const before = sdkClients();
    hooks[0]!(); // TELEMETRY_KIND unset: JSON lines, no client
    expect(sdkClients()).toBe(before);

    Object.assign(process.env, { TELEMETRY_KIND: 'appinsights', APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING });
    hooks[0]!();
    expect(sdkClients()).toBe(before + 1);
    const telemetry = AppInsightsTelemetry.forProcess(CONNECTION_STRING);
    expect(sdkClients()).toBe(before + 1);
    await telemetry.close();
  });

  it('does not fail the worker over a bad setting (the first invocation reports it)', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    Object.assign(process.env, { TELEMETRY_KIND: 'appinsights' });
    delete process.env.APPLICATIONINSIGHTS_CONNECTION_STRING;
    expect(() => hooks[0]!()).not.toThrow();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/telemetry not started .*APPLICATIONINSIGHTS_CONNECTION_STRING/));
    warn.mockRestore();
  });
});

describe('a Functions worker (Node 22 on dist/, Azure settings, nothing sent)', () => {
  it('creates one client at app start and every function gets it', () => {
    const script = `
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const repo = ${JSON.stringify(repo)};
const hooks = [];
const core = {
  version: '3.10.1', hostVersion: '4.0.0', setProgrammingModel() {}, getProgrammingModel() {},
  registerFunction: () => ({ dispose() {} }),
  registerHook: (name, cb) => { if (name === 'appStart') hooks.push(cb); return { dispose() {} }; },
  log() {}, Disposable: class { dispose() {} },
};
const original = Module.prototype.require;
Module.prototype.require = function (id) { return id === '@azure/functions-core' ? core : original.apply(this, arguments); };
Object.assign(process.env, {
  AZURE_CLIENT_ID: '11111111-1111-1111-1111-111111111111', LAKE_KIND: 'adls', LAKE_ACCOUNT_URL: 'https://127.0.0.1:9',
  WAREHOUSE_KIND: 'mssql', SQL_SERVER: '127.0.0.1', SQL_DATABASE: 'leadscore', LEDGER_KIND: 'tables', LEDGER_TABLES_URL: 'https://127.0.0.1:9',
  TELEMETRY_KIND: 'appinsights', APPLICATIONINSIGHTS_CONNECTION_STRING: ${JSON.stringify(CONNECTION_STRING)},
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=11111111-1111-1111-1111-111111111111',
});
const dir = path.join(repo, 'dist', 'functions');
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) require(path.join(dir, f));
(async () => {
  const { loadSdk } = require(path.join(repo, 'dist/shared/adapters/telemetry/appinsightsSdk.js'));
  const count = () => loadSdk().TelemetryClient._instanceCount;
  const beforeAppStart = Object.keys(require.cache).some((k) => k.includes('node_modules/applicationinsights/')) ? count() : 0;
  for (const h of hooks) await h({ hookData: {}, appHookData: {}, functionAppDirectory: repo });
  const afterAppStart = count();
  const { workerContainer } = require(path.join(repo, 'dist/shared/app/container.js'));
  const { AppInsightsTelemetry } = require(path.join(repo, 'dist/shared/adapters/telemetry/appinsights.js'));
  const [a, b] = await Promise.all([workerContainer(), workerContainer()]);
  const processClient = AppInsightsTelemetry.forProcess(${JSON.stringify(CONNECTION_STRING)});
  const shared = [a.telemetry, b.telemetry, a.withLog({ info() {}, warn() {}, error() {} }).telemetry].every((t) => t === processClient);
  process.stdout.write(JSON.stringify({ hooks: hooks.length, beforeAppStart, afterAppStart, afterInvocations: count(), shared, stillDeferred: loadSdk().stillDeferred() }));
  process.exit(0);
})().catch((err) => { console.error(err); process.exit(1); });
`;
    const run = spawnSync(node22, ['-e', script], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0) throw new Error(`worker exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
    const out = JSON.parse(run.stdout);
    expect(out).toEqual({
      hooks: 1,
      beforeAppStart: 0,
      afterAppStart: 1,
      afterInvocations: 1,
      shared: true,
      stillDeferred: expect.arrayContaining(['../main']),
    });
    expect(out.stillDeferred).toHaveLength(4);
  });
});

/* eslint-disable @typescript-eslint/no-require-imports -- the child measures require() itself */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as zlib from 'node:zlib';

/*
 * Cold-start cost of the telemetry (issue 13, item 6), each run in a fresh Node process:
 *
 *   npm run bench:coldstart [-- --runs 7] [--scenario adapter,function,function-jsonl] [--ingestion refused] [--json]
 *
 * adapter:  require the App Insights adapter (and with it the SDK), create its client, the first
 *           trackEvent + trackMetric, flush, then close.
 * function: what a Functions worker does before and during its first invocation: require every file
 *           package.json "main" names (as the host does, through a stand-in for @azure/functions-core,
 *           like scripts/registrations.js), run the app's appStart hooks, sharedServices() with the
 *           Azure settings of infra/modules/functionapp.bicep, the first event + metric, flush.
 * function-jsonl: the same with TELEMETRY_KIND=jsonl, i.e. without App Insights: the floor under
 *           `function`, the difference being what App Insights costs a cold start.
 *
 * Nothing leaves the machine: the ingestion endpoint is 127.0.0.1:9 (refused at once), the other
 * Azure endpoints are never called (their adapters connect on first use), and the identity's token
 * comes from a stub (the exporter still signs its requests with it, as with the managed identity).
 * Offline storage (where the exporter keeps what it could not send) goes to a temporary folder that
 * is removed after each run.
 */

const REFUSED_CONNECTION_STRING = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/';
const connectionString = (): string => process.env.BENCH_CONNECTION_STRING ?? REFUSED_CONNECTION_STRING;
const CLIENT_ID = '11111111-1111-1111-1111-111111111111';
const dist = path.resolve(__dirname, '..');
const root = path.resolve(dist, '..');

type Phases = Record<string, number>;
interface ChildResult {
  phases: Phases;
  totalMs: number;
  /** CPU time of the timed phases (without close): steadier than wall time on a shared machine. */
  cpuMs: number;
  peakRssMiB: number;
  modules: number;
  packages: number;
}

const stubToken = async () => ({ token: 'coldstart-bench', expiresOnTimestamp: Date.now() + 3_600_000 });

/**
 * mark(name) records the wall time since the previous mark as phase `name`; cpu[name] is the CPU time
 * (user + system, every thread) from the first phase's start to that mark.
 */
function timer(): { mark: (name: string) => void; phases: Phases; cpu: Phases } {
  const phases: Phases = {};
  const cpu: Phases = {};
  let last = performance.now();
  const cpu0 = process.cpuUsage();
  return {
    phases,
    cpu,
    mark: (name) => {
      const now = performance.now();
      phases[name] = now - last;
      last = now;
      const used = process.cpuUsage(cpu0);
      cpu[name] = (used.user + used.system) / 1000;
    },
  };
}

function loadedPackages(): { modules: number; packages: number } {
  const files = Object.keys(require.cache);
  const packages = new Set<string>();
  for (const f of files) {
    const m = /.*node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(f);
    if (m?.[1]) packages.add(m[1]);
  }
  return { modules: files.length, packages: packages.size };
}

async function childAdapter(): Promise<{ phases: Phases; cpu: Phases }> {
  const { mark, phases, cpu } = timer();
  const { AppInsightsTelemetry } = require(
    path.join(dist, 'shared/adapters/telemetry/appinsights.js'),
  ) as typeof import('../shared/adapters/telemetry/appinsights');
  mark('require');
  const telemetry = AppInsightsTelemetry.fromConnectionString(connectionString(), { getToken: stubToken });
  mark('create');
  telemetry.trackEvent('RetrainRun', { runId: 'bench', trigger: 'timer', outcome: 'deployed', version: 1 });
  telemetry.trackMetric('psi', 0.12, { feature: 'score' });
  mark('firstTrack');
  await telemetry.flush();
  mark('flush');
  await telemetry.close();
  mark('close');
  return { phases, cpu };
}

/** The worker's answer to require('@azure/functions-core'), recording hooks so appStart can run. */
function functionsCoreStandIn(): { appStart: ((ctx: unknown) => unknown)[] } {
  const hooks = { appStart: [] as ((ctx: unknown) => unknown)[] };
  let model: unknown;
  const coreApi = {
    version: '3.10.1',
    hostVersion: '4.0.0',
    setProgrammingModel: (m: unknown) => void (model = m),
    getProgrammingModel: () => model,
    registerFunction: () => ({ dispose() {} }),
    registerHook: (name: string, callback: (ctx: unknown) => unknown) => {
      if (name === 'appStart') hooks.appStart.push(callback);
      return { dispose() {} };
    },
    log: () => undefined,
    Disposable: class {
      dispose() {}
    },
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the module as its this
  const original = Module.prototype.require;
  Module.prototype.require = function (this: NodeJS.Module, id: string) {
    if (id === '@azure/functions-core') return coreApi;
    return original.call(this, id) as unknown;
  } as typeof Module.prototype.require;
  return hooks;
}

function hostMainFiles(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string };
  const folder = path.join(root, path.dirname(pkg.main));
  const pattern = new RegExp(`^${path.basename(pkg.main).replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`);
  return fs
    .readdirSync(folder)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => path.join(folder, f));
}

async function childFunction(telemetryKind: 'appinsights' | 'jsonl'): Promise<{ phases: Phases; cpu: Phases }> {
  Object.assign(process.env, {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    AZURE_CLIENT_ID: CLIENT_ID,
    LAKE_KIND: 'adls',
    LAKE_ACCOUNT_URL: 'https://127.0.0.1:9',
    WAREHOUSE_KIND: 'mssql',
    SQL_SERVER: '127.0.0.1',
    SQL_DATABASE: 'leadscore',
    LEDGER_KIND: 'tables',
    LEDGER_TABLES_URL: 'https://127.0.0.1:9',
    TELEMETRY_KIND: telemetryKind,
    LEADSCORE_HOME: path.join(os.tmpdir(), 'home'),
    APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString(),
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `Authorization=AAD;ClientId=${CLIENT_ID}`,
    LOG_ANALYTICS_WORKSPACE_ID: '22222222-2222-2222-2222-222222222222',
  });
  const hooks = functionsCoreStandIn();
  const { mark, phases, cpu } = timer();
  for (const file of hostMainFiles()) require(file);
  mark('requireFiles');
  for (const hook of hooks.appStart) await hook({ hookData: {}, appHookData: {}, functionAppDirectory: root });
  mark('appStart');
  const { workerContainer } = require(path.join(dist, 'shared/app/container.js')) as typeof import('../shared/app/container');
  const app = await workerContainer();
  mark('container');
  // The managed identity's token without the network (the exporter asks for it only when it sends).
  const identity = require(require.resolve('@azure/identity', { paths: [path.join(dist, 'shared')] })) as typeof import('@azure/identity');
  identity.DefaultAzureCredential.prototype.getToken = stubToken;
  app.telemetry.trackEvent('PartitionScored', { partition: 'processed/features/2025/06/01', rows: 4999 });
  app.telemetry.trackMetric('rows_scored', 4999);
  mark('firstTrack');
  await app.telemetry.flush();
  mark('flush');
  await app.close();
  mark('close');
  return { phases, cpu };
}

async function child(scenario: string): Promise<void> {
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'coldstart-'));
  // The exporter's offline storage lives under os.tmpdir() (TMPDIR on Linux): keep each run's apart.
  process.env.TMPDIR = storage;
  const { phases, cpu } = scenario === 'adapter' ? await childAdapter() : await childFunction(scenario === 'function-jsonl' ? 'jsonl' : 'appinsights');
  const { close = 0, ...timed } = phases;
  const totalMs = Object.values(timed).reduce((a, b) => a + b, 0);
  const result: ChildResult = {
    phases: { ...timed, close },
    totalMs,
    cpuMs: cpu.flush ?? NaN,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    ...loadedPackages(),
  };
  fs.rmSync(storage, { recursive: true, force: true });
  process.stdout.write(`@@coldstart ${JSON.stringify(result)}\n`);
  // Whatever the SDK left scheduled (it should be nothing after close) must not hold the run.
  setTimeout(() => process.exit(0), 50).unref();
}

function stats(values: number[]): { min: number; median: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s[s.length - 1]! };
}

/**
 * A local ingestion endpoint that accepts everything (HTTP 200, as Breeze answers), over TLS with a
 * throw-away certificate (the exporter sends only over https). Without openssl, or with
 * --ingestion refused, the endpoint is 127.0.0.1:9, where every send is refused: the exporter then
 * retries with backoff and flush measures those seconds of waiting, not its own work.
 */
async function ingestionStub(): Promise<{ connectionString: string; env: NodeJS.ProcessEnv; envelopes: () => number; close: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coldstart-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  if (made.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error('openssl could not make a certificate for the local ingestion endpoint; run with --ingestion refused');
  }
  let envelopes = 0;
  const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      const items = (JSON.parse(body.toString('utf8') || '[]') as unknown[]).length;
      envelopes += items;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: items, itemsAccepted: items, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    connectionString: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${port}/`,
    env: { NODE_EXTRA_CA_CERTS: cert },
    envelopes: () => envelopes,
    close: () => {
      server.close();
      server.closeAllConnections();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function runChild(scenario: string, env: NodeJS.ProcessEnv): Promise<ChildResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [__filename, '--child', scenario], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      const line = /@@coldstart (.*)/.exec(stdout);
      if (code !== 0 || !line?.[1]) return reject(new Error(`${scenario} run failed (${code}):\n${stdout}\n${stderr}`));
      const result = JSON.parse(line[1]) as ChildResult;
      result.phases.process = performance.now() - started;
      resolve(result);
    }),
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
  const runs = Number(option('--runs') ?? 7);
  const only = option('--scenario') ? option('--scenario')!.split(',') : ['adapter', 'function', 'function-jsonl'];
  const refused = option('--ingestion') === 'refused';
  const stub = refused ? undefined : await ingestionStub();
  const env = { ...process.env, ...stub?.env, BENCH_CONNECTION_STRING: stub?.connectionString ?? REFUSED_CONNECTION_STRING };
  const results: Record<string, ChildResult[]> = Object.fromEntries(only.map((s) => [s, []]));
  try {
    for (let i = 0; i < runs; i++) for (const scenario of only) results[scenario]!.push(await runChild(scenario, env));
  } finally {
    stub?.close();
  }
  const ingestion = refused ? 'refused (127.0.0.1:9)' : `local TLS stub answering 200 (${stub!.envelopes()} envelopes received in all)`;
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ node: process.version, runs, ingestion, results }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`node ${process.version}, ${runs} fresh processes per scenario, ingestion: ${ingestion}\nms as min / median / max\n`);
  for (const [scenario, list] of Object.entries(results)) {
    process.stdout.write(`\n${scenario}\n`);
    const names = [...Object.keys(list[0]!.phases), 'total'];
    const rows: [string, string][] = names.map((n) => {
      const { min, median, max } = stats(list.map((r) => (n === 'total' ? r.totalMs : r.phases[n]!)));
      const label = n === 'process' ? 'process (spawn to exit)' : n === 'total' ? 'total (without close)' : n;
      return [label, `${min.toFixed(0)} / ${median.toFixed(0)} / ${max.toFixed(0)}`];
    });
    const cpu = stats(list.map((r) => r.cpuMs));
    rows.push(['CPU of the total', `${cpu.min.toFixed(0)} / ${cpu.median.toFixed(0)} / ${cpu.max.toFixed(0)}`]);
    const rss = stats(list.map((r) => r.peakRssMiB));
    rows.push(['peak RSS MiB', `${rss.min.toFixed(0)} / ${rss.median.toFixed(0)} / ${rss.max.toFixed(0)}`]);
    rows.push(['modules / packages loaded', `${list[0]!.modules} / ${list[0]!.packages}`]);
    const w = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3] ?? 'adapter').catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}

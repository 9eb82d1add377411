import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { AppInsightsTelemetry, createAppInsightsClient } from '../../../shared/adapters/telemetry/appinsights';
import { DEFERRED_MODULES } from '../../../shared/adapters/telemetry/appinsightsSdk';
import { COVERS_EVERY_NAME, EMISSIONS, EXPECTED_ENVELOPES, emitScript, normalise, stopSettingsPoll, type SentRequest } from './envelopes';

/*
 * The telemetry the workbook and the alerts read is what reaches the ingestion endpoint. These tests
 * record the requests the exporter makes (an httpClient in its options, so nothing leaves the
 * process) and compare them with what the adapter sent before issue 13.6 (./envelopes.ts).
 * In-process the SDK is loaded by jest's module registry, which ignores Node's module cache, so the
 * narrow load (shared/adapters/telemetry/appinsightsSdk.ts) is checked in a fresh Node 22 process on
 * dist/ (`npm test` builds it first), the way the Functions worker loads it.
 */

const repo = path.resolve(__dirname, '..', '..', '..');
const node22 = path.join(repo, 'node_modules', 'node', 'bin', 'node');
const exporterDir = path.join(repo, 'node_modules', '@azure', 'monitor-opentelemetry-exporter');
const { createHttpHeaders } = createRequire(path.join(exporterDir, 'package.json'))('@azure/core-rest-pipeline') as typeof import('@azure/core-rest-pipeline');
const CONNECTION_STRING = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/';
const sortedExpected = [...EXPECTED_ENVELOPES].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

function distroVersion(): string {
  let dir = path.dirname(require.resolve('@azure/monitor-opentelemetry', { paths: [path.join(repo, 'node_modules', 'applicationinsights')] }));
  while (
    !fs.existsSync(path.join(dir, 'package.json')) ||
    JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name !== '@azure/monitor-opentelemetry'
  )
    dir = path.dirname(dir);
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

function runNode(script: string): { entry: string; fallback?: string; stillDeferred: string[]; distro?: string; sent: SentRequest[] } {
  const run = spawnSync(node22, ['-e', script], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`node exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

describe('what App Insights receives from the adapter', () => {
  afterAll(stopSettingsPoll);

  it('covers every event and metric name the workbook and alerts can read', () => {
    expect(new Set(EMISSIONS.filter((e) => e.kind === 'event').map((e) => e.name))).toEqual(new Set(COVERS_EVERY_NAME.events));
    expect(new Set(EMISSIONS.filter((e) => e.kind === 'metric').map((e) => e.name))).toEqual(new Set(COVERS_EVERY_NAME.metrics));
  });

  it('sends the same envelopes as before: customEvents and customMetrics names and dimensions, signed with the credential', async () => {
    const sent: SentRequest[] = [];
    const credential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const client = createAppInsightsClient(CONNECTION_STRING, credential);
    client.config.azureMonitorOpenTelemetryOptions.azureMonitorExporterOptions!.httpClient = {
      sendRequest: async (request) => {
        const items = JSON.parse(String(request.body)) as SentRequest['items'];
        sent.push({ url: request.url, authorization: request.headers.get('authorization'), items });
        const body = JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] });
        return { request, status: 200, headers: createHttpHeaders(), bodyAsText: body };
      },
    };
    const telemetry = new AppInsightsTelemetry(client);
    for (const e of EMISSIONS) {
      if (e.kind === 'event') telemetry.trackEvent(e.name, e.properties);
      else telemetry.trackMetric(e.name, e.value, e.dimensions);
    }
    await telemetry.flush();
    await telemetry.close();

    const got = normalise(sent);
    expect(got.map((g) => g.envelope)).toEqual(sortedExpected);
    for (const g of got) {
      expect(g).toMatchObject({
        url: '/v2.1/track',
        authorization: 'Bearer test-token',
        iKey: '00000000-0000-0000-0000-000000000000',
        sampleRate: 100,
        ver: 1,
      });
      expect(g.tags).toEqual(['ai.cloud.role', 'ai.cloud.roleInstance', 'ai.internal.sdkVersion']);
    }
  });
});

describe('the SDK as a Functions worker loads it (Node 22 on dist/)', () => {
  it('loads the client without the distro and the OTLP exporters, and sends exactly the same', () => {
    const out = runNode(emitScript(repo));
    expect(out.fallback).toBeUndefined();
    expect(out.entry).toBe('narrow');
    // Nothing read them: not creating, tracking, flushing or closing the client.
    expect(out.stillDeferred).toEqual(DEFERRED_MODULES.map(([, id]) => id));
    // What the distro would have set on load, so the envelopes' sdkVersion tag is unchanged.
    expect(out.distro).toBe(distroVersion());
    const got = normalise(out.sent);
    expect(got.map((g) => g.envelope)).toEqual(sortedExpected);
    for (const g of got) expect(g).toMatchObject({ url: '/v2.1/track', authorization: 'Bearer test-token' });
    const tags = out.sent.flatMap((r) => r.items.map((i) => i.tags['ai.internal.sdkVersion']));
    for (const t of tags) expect(t).toMatch(new RegExp(`^node\\d+:otel[\\d.]+:dst${distroVersion().replace(/\./g, '\\.')}$`));
  });

  it('keeps them deferred when a client that never tracked anything is flushed and closed (the SDK would go to its global providers)', () => {
    const out = runNode(
      emitScript(
        repo,
        `const idle = adapter.AppInsightsTelemetry.forProcess('InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/');
         await idle.flush();
         await idle.close();`,
      ),
    );
    expect(out.stillDeferred).toEqual(DEFERRED_MODULES.map(([, id]) => id));
  });

  it('still gives the whole package to whoever asks for it: the distro loads when first used', () => {
    const out = runNode(
      emitScript(
        repo,
        `const ai = require('applicationinsights');
         if (typeof ai.useAzureMonitor !== 'function' || typeof ai.setup !== 'function') throw new Error('applicationinsights is incomplete');`,
      ),
    );
    expect(out.stillDeferred).not.toContain('../main');
    expect(normalise(out.sent).map((g) => g.envelope)).toEqual(sortedExpected);
  });
});

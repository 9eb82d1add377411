/**
 * What the product sends App Insights, as the ingestion endpoint receives it: one call of every event
 * and metric with the dimensions the pipeline steps give them (shared/app/*), and the envelopes
 * the applicationinsights adapter turned them into before issue 13.6 (recorded through a local
 * ingestion endpoint from the adapter as it was then). customEvents and customMetrics are built from
 * exactly these fields: name, customDimensions (properties), value/valueCount/valueMin/valueMax.
 */
import * as path from 'node:path';
import { TELEMETRY_EVENTS, TELEMETRY_METRICS, type EventProperties, type TelemetryEvent, type TelemetryMetric } from '../../../shared/ports/telemetry';

export type Emission =
  | { kind: 'event'; name: TelemetryEvent; properties: EventProperties }
  | { kind: 'metric'; name: TelemetryMetric; value: number; dimensions: Record<string, string> };

export const EMISSIONS: Emission[] = [
  {
    kind: 'event',
    name: 'RetrainRun',
    properties: { runId: 'r1', trigger: 'timer', outcome: 'deployed', version: 3, reason: 'gates passed', deployed: true, skipped: undefined },
  },
  { kind: 'event', name: 'GateFailed', properties: { runId: 'r1', gate: 'auc', detail: 'AUC dropped 0.03', trigger: 'alert' } },
  { kind: 'event', name: 'Deploy', properties: { toVersion: 3, fromVersion: 2, by: 'cli', reason: 'retrain' } },
  { kind: 'event', name: 'Rollback', properties: { toVersion: 2, fromVersion: 3, by: 'api', reason: 'bad scores' } },
  { kind: 'event', name: 'PartitionScored', properties: { partition: 'processed/features/2025/06/01', modelVersion: 3, rowsScored: 4999, rowsRejected: 1 } },
  {
    kind: 'event',
    name: 'ScoringFailed',
    properties: { partition: 'processed/features/2025/06/02', reason: '90 of 100 rows invalid', quarantineFile: 'quarantine/x.csv' },
  },
  { kind: 'event', name: 'DriftChecked', properties: { date: '2025-06-03', modelVersion: 3, drifted: 'score', action: 'retrain', reason: null } },
  {
    kind: 'event',
    name: 'DataFreshness',
    properties: { date: '2025-06-03', featuresPartition: '2025-06-03', featuresAgeDays: 0, labelsNewest: '2025-05-27', labelsAgeDays: 7, stale: '' },
  },
  {
    kind: 'event',
    name: 'PerformanceDegraded',
    properties: { date: '2025-06-03', modelVersion: 3, aucRecent: 0.7, baseline: 0.8, baselineKind: 'validation' },
  },
  { kind: 'event', name: 'ChallengerChanged', properties: { version: 4, previous: '', from: '2025-06-04', by: 'cli', action: 'set' } },
  {
    kind: 'event',
    name: 'AbTestChanged',
    properties: { action: 'start', abTestId: 1, champion: 3, challenger: 4, treatmentPercent: 50, from: '2025-06-04', by: 'cli' },
  },
  {
    kind: 'event',
    name: 'ChallengerEvaluated',
    properties: {
      date: '2025-06-10',
      champion: 3,
      challenger: 4,
      n: 2500,
      aucChampion: 0.8,
      aucChallenger: 0.81,
      aucDiff: 0.01,
      pValue: 0.01,
      decision: 'promote',
      action: 'deployed',
    },
  },
  { kind: 'metric', name: 'psi', value: 0.25, dimensions: { feature: 'recency_days', modelVersion: '3' } },
  { kind: 'metric', name: 'auc_recent', value: 0.71, dimensions: { modelVersion: '3', baseline: '0.75', threshold: '0.05' } },
  { kind: 'metric', name: 'rows_scored', value: 4999, dimensions: { partition: 'processed/features/2025/06/01' } },
  { kind: 'metric', name: 'rows_rejected', value: 1, dimensions: {} },
  { kind: 'metric', name: 'data_age_days', value: 7, dimensions: { data: 'labels', limit: '10' } },
];

const event = (name: string, properties: Record<string, string>) => ({
  name: 'Microsoft.ApplicationInsights.Event',
  data: { baseType: 'EventData', baseData: { ver: 2, name, properties, measurements: {} } },
});
const metric = (name: string, value: number, properties: Record<string, string>) => ({
  name: 'Microsoft.ApplicationInsights.Metric',
  data: { baseType: 'MetricData', baseData: { ver: 2, metrics: [{ name, kind: 'Aggregation', value, count: 1, min: value, max: value }], properties } },
});

/** The envelopes of EMISSIONS, without the fields that vary (time, host, process path, versions). */
export const EXPECTED_ENVELOPES = [
  event('RetrainRun', { runId: 'r1', trigger: 'timer', outcome: 'deployed', version: '3', reason: 'gates passed', deployed: 'true' }),
  event('GateFailed', { runId: 'r1', gate: 'auc', detail: 'AUC dropped 0.03', trigger: 'alert' }),
  event('Deploy', { toVersion: '3', fromVersion: '2', by: 'cli', reason: 'retrain' }),
  event('Rollback', { toVersion: '2', fromVersion: '3', by: 'api', reason: 'bad scores' }),
  event('PartitionScored', { partition: 'processed/features/2025/06/01', modelVersion: '3', rowsScored: '4999', rowsRejected: '1' }),
  event('ScoringFailed', { partition: 'processed/features/2025/06/02', reason: '90 of 100 rows invalid', quarantineFile: 'quarantine/x.csv' }),
  event('DriftChecked', { date: '2025-06-03', modelVersion: '3', drifted: 'score', action: 'retrain' }),
  // Added after 13.6 (the freshness signal, the performance alert, the challenger): the same envelope shape.
  event('DataFreshness', {
    date: '2025-06-03',
    featuresPartition: '2025-06-03',
    featuresAgeDays: '0',
    labelsNewest: '2025-05-27',
    labelsAgeDays: '7',
    stale: '',
  }),
  event('PerformanceDegraded', { date: '2025-06-03', modelVersion: '3', aucRecent: '0.7', baseline: '0.8', baselineKind: 'validation' }),
  event('ChallengerChanged', { version: '4', previous: '', from: '2025-06-04', by: 'cli', action: 'set' }),
  event('AbTestChanged', { action: 'start', abTestId: '1', champion: '3', challenger: '4', treatmentPercent: '50', from: '2025-06-04', by: 'cli' }),
  event('ChallengerEvaluated', {
    date: '2025-06-10',
    champion: '3',
    challenger: '4',
    n: '2500',
    aucChampion: '0.8',
    aucChallenger: '0.81',
    aucDiff: '0.01',
    pValue: '0.01',
    decision: 'promote',
    action: 'deployed',
  }),
  metric('psi', 0.25, { feature: 'recency_days', modelVersion: '3' }),
  metric('auc_recent', 0.71, { modelVersion: '3', baseline: '0.75', threshold: '0.05' }),
  metric('rows_scored', 4999, { partition: 'processed/features/2025/06/01' }),
  metric('rows_rejected', 1, {}),
  metric('data_age_days', 7, { data: 'labels', limit: '10' }),
];

/** Every name the workbook can read is emitted above (a new one must be added here too). */
export const COVERS_EVERY_NAME = { events: [...TELEMETRY_EVENTS], metrics: [...TELEMETRY_METRICS] };

export interface SentRequest {
  url: string;
  authorization: string | undefined;
  items: { ver: number; name: string; iKey: string; sampleRate: number; time: string; tags: Record<string, string>; data: unknown }[];
}

/** The fields compared: the envelope's kind and data, and the request that carried it. */
export function normalise(
  sent: SentRequest[],
): { url: string; authorization: string | undefined; iKey: string; sampleRate: number; ver: number; tags: string[]; envelope: unknown }[] {
  return sent
    .flatMap((r) =>
      r.items.map((it) => ({
        url: new URL(r.url).pathname,
        authorization: r.authorization,
        iKey: it.iKey,
        sampleRate: it.sampleRate,
        ver: it.ver,
        tags: Object.keys(it.tags).sort(),
        envelope: { name: it.name, data: it.data },
      })),
    )
    .sort((a, b) => JSON.stringify(a.envelope).localeCompare(JSON.stringify(b.envelope)));
}

/** Source of a script (run by the Node 22 binary on dist/) that emits EMISSIONS through the adapter and prints what it sent. */
export function emitScript(repo: string, extra = ''): string {
  return `
const path = require('node:path');
const { createHttpHeaders } = require(require.resolve('@azure/core-rest-pipeline', { paths: [path.join(${JSON.stringify(repo)}, 'node_modules/@azure/monitor-opentelemetry-exporter')] }));
const adapter = require(path.join(${JSON.stringify(repo)}, 'dist/shared/adapters/telemetry/appinsights.js'));
const { loadSdk } = require(path.join(${JSON.stringify(repo)}, 'dist/shared/adapters/telemetry/appinsightsSdk.js'));
const sent = [];
const httpClient = {
  async sendRequest(request) {
    const items = JSON.parse(request.body);
    sent.push({ url: request.url, authorization: request.headers.get('authorization'), items });
    return { request, status: 200, headers: createHttpHeaders(), bodyAsText: JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }) };
  },
};
const credential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3600000 }) };
const client = adapter.createAppInsightsClient('InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/', credential);
client.config.azureMonitorOpenTelemetryOptions.azureMonitorExporterOptions.httpClient = httpClient;
const telemetry = new adapter.AppInsightsTelemetry(client);
for (const e of ${JSON.stringify(EMISSIONS)}) {
  if (e.kind === 'event') telemetry.trackEvent(e.name, e.properties);
  else telemetry.trackMetric(e.name, e.value, e.dimensions);
}
(async () => {
  await telemetry.flush();
  await telemetry.close();
  ${extra}
  const sdk = loadSdk();
  process.stdout.write(JSON.stringify({ entry: sdk.entry, fallback: sdk.fallback, stillDeferred: sdk.stillDeferred(), distro: process.env.AZURE_MONITOR_DISTRO_VERSION, sent }));
})().catch((err) => { console.error(err); process.exit(1); });
`;
}

/**
 * The exporter's OneSettings poll (a process-wide worker its first exporter starts, 5-15 s after
 * start) survives every client's shutdown in this SDK version. Jest runs a test file in one module
 * registry, so its instance is this file's: stop it when the file is done, or jest waits for it.
 */
export function stopSettingsPoll(): void {
  const exporter = path.dirname(require.resolve('@azure/monitor-opentelemetry-exporter', { paths: [path.dirname(require.resolve('applicationinsights'))] }));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module, by its file
  const { ConfigurationManager } = require(path.join(exporter, '_configuration', 'configurationManager.js')) as {
    ConfigurationManager: { getInstance(): { shutdown(): void } };
  };
  ConfigurationManager.getInstance().shutdown();
}

import {
  AppInsightsTelemetry,
  AUTO_COLLECTION_OFF,
  appInsightsOptions,
  createAppInsightsClient,
  type AppInsightsClient,
} from '../../../shared/adapters/telemetry/appinsights';
import { stopSettingsPoll } from './envelopes';

const UNREACHABLE = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/';

describe('AppInsightsTelemetry', () => {
  afterAll(stopSettingsPoll);

  it('maps events and metrics onto the SDK calls the workbook reads', async () => {
    const calls: unknown[] = [];
    const client: AppInsightsClient = {
      trackEvent: (t) => calls.push(['event', t]),
      trackMetric: (t) => calls.push(['metric', t]),
      flush: async () => void calls.push(['flush']),
    };
    const telemetry = new AppInsightsTelemetry(client);
    telemetry.trackEvent('RetrainRun', { runId: 'r1', trigger: 'timer', version: 3, deployed: true, reason: undefined });
    telemetry.trackMetric('psi', 0.25, { feature: 'recency_days' });
    telemetry.trackMetric('rows_scored', 4_999);
    await telemetry.flush();
    expect(calls).toEqual([
      ['event', { name: 'RetrainRun', properties: { runId: 'r1', trigger: 'timer', version: '3', deployed: 'true' } }],
      ['metric', { name: 'psi', value: 0.25, properties: { feature: 'recency_days' } }],
      ['metric', { name: 'rows_scored', value: 4_999, properties: {} }],
      ['flush'],
    ]);
  });

  it('builds a real, isolated SDK client from a connection string without sending anything', async () => {
    // The exporter only speaks TLS, so sending is not exercised here; construction and tracking must not throw.
    const telemetry = AppInsightsTelemetry.fromConnectionString(UNREACHABLE);
    expect(() => telemetry.trackEvent('DriftChecked', { drifted: 'score' })).not.toThrow();
    expect(() => telemetry.trackMetric('auc_recent', 0.71)).not.toThrow();
    // Stopping it ends its timers (left running, its settings poll kept jest's run from exiting).
    await expect(telemetry.close()).resolves.toBeUndefined();
  });

  it('close stops the client (its shutdown sends what is buffered), or only flushes a client without one', async () => {
    const calls: string[] = [];
    const base = { trackEvent: () => undefined, trackMetric: () => undefined, flush: async () => void calls.push('flush') };
    await new AppInsightsTelemetry({ ...base, shutdown: async () => void calls.push('shutdown') }).close();
    await new AppInsightsTelemetry(base).close();
    expect(calls).toEqual(['shutdown', 'flush']);
  });

  it('refuses a psi metric without its feature and a non-finite value', () => {
    const telemetry = new AppInsightsTelemetry({ trackEvent: () => undefined, trackMetric: () => undefined, flush: async () => undefined });
    expect(() => telemetry.trackMetric('psi', 0.1)).toThrow(/dimension "feature"/);
    expect(() => telemetry.trackMetric('auc_recent', NaN)).toThrow(/finite/);
  });

  describe('the client collects nothing by itself', () => {
    const off = { enabled: false };

    it('turns off every collector the SDK has: the host sends requests, exceptions and logs; the product only its events and metrics', () => {
      expect(AUTO_COLLECTION_OFF).toEqual({
        enableAutoCollectRequests: false,
        enableAutoCollectDependencies: false,
        enableAutoCollectExceptions: false,
        enableAutoCollectPerformance: false,
        enableAutoCollectConsole: false,
        enableAutoCollectExternalLoggers: false,
        enableSendLiveMetrics: false,
      });
      expect(appInsightsOptions(UNREACHABLE)).toEqual({
        azureMonitorExporterOptions: { connectionString: UNREACHABLE, disableOfflineStorage: false },
        enableLiveMetrics: false,
        enablePerformanceCounters: false,
        enableStandardMetrics: false,
        enableAutoCollectExceptions: false,
        enableAutoCollectPerformance: false,
        enableAutoCollectRequests: false,
        enableAutoCollectDependencies: false,
        instrumentationOptions: {
          http: off,
          azureSdk: off,
          mongoDb: off,
          mySql: off,
          postgreSql: off,
          redis: off,
          redis4: off,
          winston: off,
          bunyan: off,
          console: off,
        },
      });
    });

    it('is what the SDK makes of the settings: no instrumentation, no live metrics, no performance counters, offline storage kept, signed in with the credential', () => {
      const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) };
      const client = createAppInsightsClient(UNREACHABLE, credential);
      expect(client.config).toMatchObject(AUTO_COLLECTION_OFF);
      // parseConfig is what the client hands its providers and exporters when it starts.
      const parsed = client.config.parseConfig();
      expect(parsed.instrumentationOptions).toEqual({
        http: off,
        azureSdk: off,
        mongoDb: off,
        mySql: off,
        postgreSql: off,
        redis: off,
        redis4: off,
        winston: off,
        bunyan: off,
        console: off,
      });
      expect(parsed).toMatchObject({
        enableLiveMetrics: false,
        enablePerformanceCounters: false,
        enableStandardMetrics: false,
        enableAutoCollectExceptions: false,
        samplingRatio: 1,
        azureMonitorExporterOptions: { connectionString: UNREACHABLE, disableOfflineStorage: false, credential },
      });
      for (const otlp of [parsed.otlpTraceExporterConfig, parsed.otlpMetricExporterConfig, parsed.otlpLogExporterConfig]) expect(otlp?.enabled).toBeFalsy();
      // Not started (nothing tracked), so there is nothing to stop.
    });
  });
});

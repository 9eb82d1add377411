import type { TokenCredential } from '@azure/identity';
import type { TelemetryClient, AzureMonitorOpenTelemetryOptions } from 'applicationinsights';
import { loadSdk } from './appinsightsSdk';

// Loaded with the adapter, as its import was: the client's own modules, not the package's entry point.
const sdk = loadSdk();
import { checkMetric, stringProperties, type EventProperties, type Telemetry, type TelemetryEvent, type TelemetryMetric } from '../../ports/telemetry';

/** The part of applicationinsights' TelemetryClient this adapter uses (tests pass a recorder). */
export type AppInsightsClient = Pick<TelemetryClient, 'trackEvent' | 'trackMetric' | 'flush'> & Partial<Pick<TelemetryClient, 'shutdown'>>;

/**
 * The client's settings: everything it could collect by itself is off. The Functions host already
 * sends each invocation as a request (with its success and duration), its exceptions and the
 * worker's logs; the product sends only its own events and metrics. With useGlobalProviders: false
 * the SDK does not start these collectors for this client anyway (its README: auto-instrumentation and
 * the enable* settings do not target an isolated client), so the settings say so in code, and keep
 * it so if that ever changes. Offline storage stays on (what could not be sent is retried from disk).
 */
export const AUTO_COLLECTION_OFF = {
  enableAutoCollectRequests: false,
  enableAutoCollectDependencies: false,
  enableAutoCollectExceptions: false,
  enableAutoCollectPerformance: false,
  enableAutoCollectConsole: false,
  enableAutoCollectExternalLoggers: false,
  enableSendLiveMetrics: false,
} as const;

/** The distro options the shim merges over its defaults (instrumentationOptions replaces theirs). */
export function appInsightsOptions(connectionString: string): AzureMonitorOpenTelemetryOptions {
  const off = { enabled: false };
  return {
    azureMonitorExporterOptions: { connectionString, disableOfflineStorage: false },
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
  };
}

/**
 * A client isolated from the global OpenTelemetry providers, so that it exports only what the
 * product tracks. With a credential (APPLICATIONINSIGHTS_AUTHENTICATION_STRING set, i.e. the resource
 * accepts Entra ID only) the exporter signs its requests with it.
 */
export function createAppInsightsClient(connectionString: string, credential?: TokenCredential): TelemetryClient {
  const client = new sdk.TelemetryClient(connectionString, { useGlobalProviders: false });
  Object.assign(client.config, AUTO_COLLECTION_OFF);
  client.config.azureMonitorOpenTelemetryOptions = appInsightsOptions(connectionString);
  if (credential) client.config.aadTokenCredential = credential;
  return client;
}

/**
 * App Insights through applicationinsights 3.x (the classic TelemetryClient API over the Azure Monitor
 * OpenTelemetry exporter). Events land in customEvents, metrics in customMetrics with the dimensions as
 * customDimensions, which is what the workbook and the alert rules query.
 */
export class AppInsightsTelemetry implements Telemetry {
  constructor(private readonly client: AppInsightsClient) {}

  static fromConnectionString(connectionString: string, credential?: TokenCredential): AppInsightsTelemetry {
    return new AppInsightsTelemetry(createAppInsightsClient(connectionString, credential));
  }

  trackEvent(name: TelemetryEvent, properties?: EventProperties): void {
    this.client.trackEvent({ name, properties: stringProperties(properties) });
  }

  trackMetric(name: TelemetryMetric, value: number, dimensions: Record<string, string> = {}): void {
    checkMetric(name, value, dimensions);
    this.client.trackMetric({ name, value, properties: { ...dimensions } });
  }

  async flush(): Promise<void> {
    await this.client.flush();
  }

  /**
   * Sends what is buffered and stops the client (shutdown flushes first): its batch processors,
   * metric reader and the exporters' offline-storage timers. (The exporter's OneSettings poll is
   * process-wide and outlives it, on an unref'd timer that does not hold the process open.)
   */
  async close(): Promise<void> {
    await (this.client.shutdown ? this.client.shutdown() : this.client.flush());
  }
}

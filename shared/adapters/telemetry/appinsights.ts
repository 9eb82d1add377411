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
 * accepts Entra ID only) the exporter signs its requests with it. Not started yet: the SDK builds its
 * providers and exporters on initialize() or the first track call (tests change the exporter's
 * options in between).
 */
export function createAppInsightsClient(connectionString: string, credential?: TokenCredential): TelemetryClient {
  const client = new sdk.TelemetryClient(connectionString, { useGlobalProviders: false });
  Object.assign(client.config, AUTO_COLLECTION_OFF);
  client.config.azureMonitorOpenTelemetryOptions = appInsightsOptions(connectionString);
  if (credential) client.config.aadTokenCredential = credential;
  return client;
}

/**
 * A client created and started. Started at once, not on the first event: the work moves to where the
 * client is made (the worker's appStart), and flush() or shutdown() on a client that was never
 * started would go to the SDK's global providers instead of this client's, loading the distro.
 */
function startedClient(connectionString: string, credential?: TokenCredential): TelemetryClient {
  const client = createAppInsightsClient(connectionString, credential);
  client.initialize();
  return client;
}

let processTelemetry: { connectionString: string; telemetry: AppInsightsTelemetry } | undefined;

/**
 * App Insights through applicationinsights 3.x (the classic TelemetryClient API over the Azure Monitor
 * OpenTelemetry exporter). Events land in customEvents, metrics in customMetrics with the dimensions as
 * customDimensions, which is what the workbook and the alert rules query.
 */
export class AppInsightsTelemetry implements Telemetry {
  constructor(
    private readonly client: AppInsightsClient,
    private readonly onClose?: () => void,
  ) {}

  /** A new started client of its own (not the process's). */
  static fromConnectionString(connectionString: string, credential?: TokenCredential): AppInsightsTelemetry {
    return new AppInsightsTelemetry(startedClient(connectionString, credential));
  }

  /**
   * The process's one client: the first call creates and starts it (in a Functions worker, the
   * appStart hook of functions/app.ts, else the first sharedServices()); every later call gets the
   * same one, so every function, and a services start that is retried, share it. `credential` is
   * called only when the client is created. close() ends it; the next call creates a new one.
   */
  static forProcess(connectionString: string, credential?: () => TokenCredential): AppInsightsTelemetry {
    if (processTelemetry) {
      if (processTelemetry.connectionString !== connectionString) {
        throw new Error('telemetry: this process already sends to another Application Insights connection string (one client per process)');
      }
      return processTelemetry.telemetry;
    }
    const telemetry: AppInsightsTelemetry = new AppInsightsTelemetry(startedClient(connectionString, credential?.()), () => {
      if (processTelemetry?.telemetry === telemetry) processTelemetry = undefined;
    });
    processTelemetry = { connectionString, telemetry };
    return telemetry;
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
    this.onClose?.();
    await (this.client.shutdown ? this.client.shutdown() : this.client.flush());
  }
}

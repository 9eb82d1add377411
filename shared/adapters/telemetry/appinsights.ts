import type { TokenCredential } from '@azure/identity';
import { TelemetryClient } from 'applicationinsights';
import { checkMetric, stringProperties, type EventProperties, type Telemetry, type TelemetryEvent, type TelemetryMetric } from '../../ports/telemetry';

/** The part of applicationinsights' TelemetryClient this adapter uses (tests pass a recorder). */
export type AppInsightsClient = Pick<TelemetryClient, 'trackEvent' | 'trackMetric' | 'flush'> & Partial<Pick<TelemetryClient, 'shutdown'>>;

/**
 * App Insights through applicationinsights 3.x (the classic TelemetryClient API over the Azure Monitor
 * OpenTelemetry exporter). Events land in customEvents, metrics in customMetrics with the dimensions as
 * customDimensions, which is what the workbook and the alert rules query.
 */
export class AppInsightsTelemetry implements Telemetry {
  constructor(private readonly client: AppInsightsClient) {}

  /**
   * The client is isolated from the global OpenTelemetry providers so that it exports only what the
   * product tracks. With a credential (APPLICATIONINSIGHTS_AUTHENTICATION_STRING set, i.e. the resource
   * accepts Entra ID only) the exporter signs its requests with it.
   */
  static fromConnectionString(connectionString: string, credential?: TokenCredential): AppInsightsTelemetry {
    const client = new TelemetryClient(connectionString, { useGlobalProviders: false });
    if (credential) client.config.aadTokenCredential = credential;
    return new AppInsightsTelemetry(client);
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
   * Sends what is buffered and stops the exporter (shutdown flushes first), including its settings
   * poll, whose first request 5-15 s after start would otherwise hold the process open.
   */
  async close(): Promise<void> {
    await (this.client.shutdown ? this.client.shutdown() : this.client.flush());
  }
}

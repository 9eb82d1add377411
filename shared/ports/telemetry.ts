/**
 * Telemetry: what the workbook and the alert rules read (docs/architecture.md, "Entry points" / "Drift").
 * Azure: applicationinsights 3.x; locally: JSON lines in $LEADSCORE_HOME/telemetry.jsonl.
 */

/** Custom events. A name outside this list is a typo that would silently miss the workbook. */
export const TELEMETRY_EVENTS = [
  'RetrainRun',
  'GateFailed',
  'Deploy',
  'Rollback',
  'PartitionScored',
  'ScoringFailed',
  'DriftChecked',
  'DataFreshness',
  'PerformanceDegraded',
  'ChallengerChanged',
  'ChallengerEvaluated',
  'AbTestChanged',
] as const;
export type TelemetryEvent = (typeof TELEMETRY_EVENTS)[number];

/** Custom metrics: `psi` carries the dimension `feature` (a feature name or `score`), `data_age_days` the dimension `data` (features or labels). */
export const TELEMETRY_METRICS = ['psi', 'auc_recent', 'rows_scored', 'rows_rejected', 'data_age_days'] as const;
export type TelemetryMetric = (typeof TELEMETRY_METRICS)[number];

export type EventProperties = Record<string, string | number | boolean | null | undefined>;

export interface Telemetry {
  trackEvent(name: TelemetryEvent, properties?: EventProperties): void;
  trackMetric(name: TelemetryMetric, value: number, dimensions?: Record<string, string>): void;
  /** Sends everything buffered; a function awaits it before it returns, or the host may freeze it unsent. */
  flush(): Promise<void>;
  /** Flushes, then stops the adapter's own timers and connections (the CLI's end; not per function call). */
  close?(): Promise<void>;
}

/** Properties as App Insights stores them (customDimensions are strings); null/undefined are dropped. */
export function stringProperties(properties: EventProperties = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(properties)) if (v !== null && v !== undefined) out[k] = String(v);
  return out;
}

export function checkMetric(name: string, value: number, dimensions: Record<string, string> = {}): void {
  if (!Number.isFinite(value)) throw new Error(`telemetry: metric ${name} must be a finite number, got ${value}`);
  if (name === 'psi' && !dimensions.feature) throw new Error('telemetry: metric psi needs the dimension "feature"');
  if (name === 'data_age_days' && !dimensions.data) throw new Error('telemetry: metric data_age_days needs the dimension "data"');
}

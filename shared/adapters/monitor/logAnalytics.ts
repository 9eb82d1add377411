import type { TokenCredential } from '@azure/identity';
import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import type { DriftSnapshot, MonitorQueries } from '../../ports/monitor';

/**
 * Latest drift numbers from Log Analytics: the `psi` (per feature) and `auc_recent` metrics the
 * drift check emitted through Application Insights, over the last two days.
 */
export const LATEST_DRIFT_QUERY = `customMetrics
| where timestamp > ago(2d) and name in ('psi', 'auc_recent')
| extend feature = tostring(customDimensions.feature)
| summarize arg_max(timestamp, value) by name, feature
| project timestamp, name, feature, value`;

export class LogAnalyticsMonitor implements MonitorQueries {
  private readonly client: LogsQueryClient;

  constructor(
    private readonly workspaceId: string,
    credential: TokenCredential,
    private readonly psiThreshold: number,
    client?: LogsQueryClient,
  ) {
    this.client = client ?? new LogsQueryClient(credential);
  }

  async latestDrift(): Promise<DriftSnapshot | null> {
    const result = await this.client.queryWorkspace(this.workspaceId, LATEST_DRIFT_QUERY, { duration: 'P2D' });
    if (result.status !== LogsQueryResultStatus.Success) throw new Error(`Log Analytics query failed: ${result.partialError?.message ?? 'partial result'}`);
    const table = result.tables[0];
    if (!table || table.rows.length === 0) return null;
    const col = (name: string): number => table.columnDescriptors.findIndex((c) => c.name === name);
    const [ts, nm, ft, val] = ['timestamp', 'name', 'feature', 'value'].map(col) as [number, number, number, number];
    const psi: Record<string, number> = {};
    let aucRecent: number | null = null;
    let at = '';
    for (const row of table.rows) {
      const when = String(row[ts] instanceof Date ? (row[ts] as Date).toISOString() : row[ts]);
      if (when > at) at = when;
      if (row[nm] === 'psi') psi[String(row[ft])] = Number(row[val]);
      else aucRecent = Number(row[val]);
    }
    return { at, psi, aucRecent, drifted: Object.keys(psi).filter((k) => psi[k]! > this.psiThreshold), source: 'log-analytics' };
  }
}

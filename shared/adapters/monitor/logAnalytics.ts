import type { TokenCredential } from '@azure/identity';
import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import type { DriftSnapshot, MonitorQueries } from '../../ports/monitor';
import { LATEST_DRIFT } from './queries';

/**
 * Latest drift numbers from the Log Analytics workspace: the `psi` (per feature) and `auc_recent`
 * metrics the drift check emitted through Application Insights, over the last two days. The query
 * (LATEST_DRIFT in ./queries) runs on the workspace's tables: AppMetrics, not customMetrics.
 */
export class LogAnalyticsMonitor implements MonitorQueries {
  private readonly client: Pick<LogsQueryClient, 'queryWorkspace'>;

  constructor(
    private readonly workspaceId: string,
    credential: TokenCredential,
    private readonly psiThreshold: number,
    client?: Pick<LogsQueryClient, 'queryWorkspace'>,
  ) {
    this.client = client ?? new LogsQueryClient(credential);
  }

  async latestDrift(): Promise<DriftSnapshot | null> {
    const result = await this.client.queryWorkspace(this.workspaceId, LATEST_DRIFT.text, { duration: 'P2D' });
    if (result.status !== LogsQueryResultStatus.Success) throw new Error(`Log Analytics query failed: ${result.partialError?.message ?? 'partial result'}`);
    const table = result.tables[0];
    if (!table || table.rows.length === 0) return null;
    const names = ['TimeGenerated', 'Name', 'feature', 'value'];
    const [ts, nm, ft, val] = names.map((name) => table.columnDescriptors.findIndex((c) => c.name === name)) as [number, number, number, number];
    const missing = names.filter((_, i) => [ts, nm, ft, val][i]! < 0);
    if (missing.length)
      throw new Error(`Log Analytics result has no column ${missing.join(', ')} (columns: ${table.columnDescriptors.map((c) => c.name).join(', ')})`);
    const psi: Record<string, number> = {};
    let aucRecent: number | null = null;
    let at = '';
    for (const row of table.rows) {
      const t: unknown = row[ts];
      const when = t instanceof Date ? t.toISOString() : asText(t);
      if (when > at) at = when;
      if (row[nm] === 'psi') psi[asText(row[ft])] = Number(row[val]);
      else aucRecent = Number(row[val]);
    }
    return { at, psi, aucRecent, drifted: Object.keys(psi).filter((k) => psi[k]! > this.psiThreshold), source: 'log-analytics' };
  }
}

/** A cell of a query result as text (the columns read here are strings, numbers or dates). */
function asText(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
}

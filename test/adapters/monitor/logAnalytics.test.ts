import type { LogsColumn, LogsQueryClient, LogsQueryResult, LogsTable } from '@azure/monitor-query-logs';
import { LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { LogAnalyticsMonitor } from '../../../shared/adapters/monitor/logAnalytics';
import { KQL_QUERIES, LATEST_DRIFT } from '../../../shared/adapters/monitor/queries';
import { analyze, tables } from '../../../tools/kql-check/kusto';

/**
 * GET /api/status in Azure: LogAnalyticsMonitor runs LATEST_DRIFT on the Log Analytics workspace,
 * where the drift check's metrics are AppMetrics rows (TimeGenerated, Name, Sum, ItemCount,
 * Properties, …), not customMetrics. The fake client answers with the table the service returns for
 * that query: its columns are the query's result columns as Microsoft's Kusto language service
 * derives them from the documented AppMetrics schema (tools/kql-check/schemas.json), so a query that
 * stops producing a column the adapter reads fails here as well as in `npm run check:infra`.
 */

/** An AppMetrics row as the workspace stores one trackMetric call (the columns this test needs). */
interface AppMetricsRow {
  TimeGenerated: Date;
  Name: string;
  Sum: number;
  ItemCount: number;
  Properties: Record<string, string>;
}

const resultColumns = analyze(LATEST_DRIFT.text, 'workspace').columns;

/** What LATEST_DRIFT returns for these rows: per Name and feature the newest row, value = Sum / ItemCount. */
function queryResult(rows: AppMetricsRow[]): LogsTable {
  const newest = new Map<string, AppMetricsRow>();
  for (const r of rows) {
    if (!['psi', 'auc_recent'].includes(r.Name)) continue;
    const key = `${r.Name}\u0000${r.Properties.feature ?? ''}`;
    const seen = newest.get(key);
    if (!seen || r.TimeGenerated > seen.TimeGenerated) newest.set(key, r);
  }
  const values = (r: AppMetricsRow): Record<string, Date | string | number> => ({
    TimeGenerated: r.TimeGenerated,
    Name: r.Name,
    feature: r.Properties.feature ?? '',
    value: r.Sum / r.ItemCount,
  });
  return {
    name: 'PrimaryResult',
    columnDescriptors: resultColumns.map((c) => ({ name: c.name, type: c.type }) as LogsColumn),
    rows: [...newest.values()].map((r) => resultColumns.map((c) => values(r)[c.name]!)),
  };
}

function fakeClient(result: LogsQueryResult): Pick<LogsQueryClient, 'queryWorkspace'> & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    queryWorkspace: async (...args: unknown[]) => {
      calls.push(args);
      return result;
    },
  };
}

const credential = { getToken: async () => null };
const at = (iso: string): Date => new Date(iso);
const metric = (time: string, name: string, sum: number, itemCount: number, properties: Record<string, string>): AppMetricsRow => ({
  TimeGenerated: at(time),
  Name: name,
  Sum: sum,
  ItemCount: itemCount,
  Properties: properties,
});

describe('LATEST_DRIFT (the /api/status query)', () => {
  test('is a workspace query on AppMetrics that the language service accepts, with the columns the adapter reads', () => {
    expect(LATEST_DRIFT.scope).toBe('workspace');
    expect(KQL_QUERIES.latestDrift).toBe(LATEST_DRIFT);
    expect(LATEST_DRIFT.text).toMatch(/^AppMetrics\n/);
    expect(analyze(LATEST_DRIFT.text, 'workspace').diagnostics).toEqual([]);
    expect(resultColumns).toEqual([
      { name: 'TimeGenerated', type: 'datetime' },
      { name: 'Name', type: 'string' },
      { name: 'feature', type: 'string' },
      { name: 'value', type: 'real' },
    ]);
    // The columns it reads are AppMetrics columns as documented.
    const appMetrics = tables('workspace').AppMetrics!;
    expect(appMetrics).toMatchObject({ TimeGenerated: 'datetime', Name: 'string', Sum: 'real', ItemCount: 'int', Properties: 'dynamic' });
  });

  test('the query it replaces (customMetrics, timestamp, value) does not run on the workspace', () => {
    const old = `customMetrics
| where timestamp > ago(2d) and name in ('psi', 'auc_recent')
| extend feature = tostring(customDimensions.feature)
| summarize arg_max(timestamp, value) by name, feature
| project timestamp, name, feature, value`;
    const { diagnostics } = analyze(old, 'workspace');
    expect(diagnostics.map((d) => d.code)).toContain('KS204');
    expect(diagnostics[0]!.message).toContain("'customMetrics'");
  });
});

describe('LogAnalyticsMonitor', () => {
  const rows = [
    metric('2025-03-09T03:00:04Z', 'psi', 0.05, 1, { feature: 'tenure_days', modelVersion: '3' }),
    metric('2025-03-10T03:00:05Z', 'psi', 0.31, 1, { feature: 'tenure_days', modelVersion: '3' }),
    // Pre-aggregated by the SDK: two measurements in one row, value = Sum / ItemCount.
    metric('2025-03-10T03:00:05Z', 'psi', 0.08, 2, { feature: 'score', modelVersion: '3' }),
    metric('2025-03-10T03:00:05Z', 'psi', 0.12, 1, { feature: 'sends_30d', modelVersion: '3' }),
    metric('2025-03-09T03:00:06Z', 'auc_recent', 0.74, 1, { modelVersion: '3', baseline: '0.76', threshold: '0.05' }),
    metric('2025-03-10T03:00:06Z', 'auc_recent', 0.69, 1, { modelVersion: '3', baseline: '0.76', threshold: '0.05' }),
    metric('2025-03-10T03:00:07Z', 'rows_scored', 5000, 1, { modelVersion: '3' }),
  ];

  test('runs LATEST_DRIFT on the workspace over two days and returns the newest PSI per feature and the recent AUC', async () => {
    const client = fakeClient({ status: LogsQueryResultStatus.Success, tables: [queryResult(rows)] });
    const monitor = new LogAnalyticsMonitor('ws-0000', credential, 0.2, client);

    const snapshot = await monitor.latestDrift();

    expect(client.calls).toEqual([['ws-0000', LATEST_DRIFT.text, { duration: 'P2D' }]]);
    expect(snapshot).toEqual({
      at: '2025-03-10T03:00:06.000Z',
      psi: { tenure_days: 0.31, score: 0.04, sends_30d: 0.12 },
      aucRecent: 0.69,
      drifted: ['tenure_days'],
      source: 'log-analytics',
    });
  });

  test('no rows in two days: null', async () => {
    const client = fakeClient({ status: LogsQueryResultStatus.Success, tables: [queryResult([])] });
    await expect(new LogAnalyticsMonitor('ws-0000', credential, 0.2, client).latestDrift()).resolves.toBeNull();
  });

  test('a partial result is an error that carries the service message', async () => {
    const client = fakeClient({
      status: LogsQueryResultStatus.PartialFailure,
      partialTables: [queryResult(rows)],
      partialError: { code: 'PartialError', message: 'query exceeded the result size limit' },
    });
    await expect(new LogAnalyticsMonitor('ws-0000', credential, 0.2, client).latestDrift()).rejects.toThrow(/Log Analytics query failed: query exceeded/);
  });

  test('a result without a column it reads is an error, not a snapshot of undefined values', async () => {
    const table = queryResult(rows);
    const wrong: LogsTable = {
      ...table,
      columnDescriptors: table.columnDescriptors.map((c) => (c.name === 'TimeGenerated' ? { ...c, name: 'timestamp' } : c)),
    };
    const client = fakeClient({ status: LogsQueryResultStatus.Success, tables: [wrong] });
    await expect(new LogAnalyticsMonitor('ws-0000', credential, 0.2, client).latestDrift()).rejects.toThrow(/no column TimeGenerated/);
  });
});

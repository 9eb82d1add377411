/**
 * Every KQL query the app itself sends, with the schema it runs against. `npm run check:infra`
 * analyses each entry of KQL_QUERIES with Microsoft's Kusto language service against that scope's
 * documented tables (tools/kql-check/schemas.json); keep a query's text a plain template literal (no
 * `${…}`), so the check can also report problems at their line in this file.
 *
 * - 'workspace':   LogsQueryClient.queryWorkspace on the Log Analytics workspace: AppMetrics,
 *                  AppEvents, AppRequests, … (TimeGenerated, Name, Properties, Sum, ItemCount, …);
 * - 'appInsights': a query scoped to the Application Insights component: customMetrics,
 *                  customEvents, requests, … (timestamp, name, customDimensions, value, …).
 */
export type KqlScope = 'workspace' | 'appInsights';

export interface KqlQuery {
  scope: KqlScope;
  text: string;
}

/**
 * GET /api/status: the newest `psi` (per feature) and `auc_recent` the drift check emitted, over the
 * last two days. A trackMetric call is one AppMetrics row whose value is Sum / ItemCount (ItemCount 1
 * for a single measurement; Sum, Min, Max and ItemCount when the SDK pre-aggregated several).
 * Result columns: TimeGenerated, Name, feature, value.
 */
export const LATEST_DRIFT: KqlQuery = {
  scope: 'workspace',
  text: `AppMetrics
| where TimeGenerated > ago(2d) and Name in ('psi', 'auc_recent')
| extend feature = tostring(Properties.feature), value = Sum / ItemCount
| summarize arg_max(TimeGenerated, value) by Name, feature
| project TimeGenerated, Name, feature, value`,
};

/** What the check reads: every query of the app, by name. */
export const KQL_QUERIES = { latestDrift: LATEST_DRIFT } satisfies Record<string, KqlQuery>;

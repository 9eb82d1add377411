import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KQL_QUERIES } from '../../shared/adapters/monitor/queries';

/**
 * The KQL step of `npm run check:infra` (tools/kql-check) must be able to fail: a misspelt table or
 * column in the workbook, a workspace query on a classic table, a query whose scope cannot be told,
 * a warning of the language service. Real Kusto language service, on copies of the real files
 * written to a temp folder; the real files pass.
 */

const repo = path.resolve(__dirname, '..', '..');
const workbookFile = path.join(repo, 'infra', 'monitoring', 'workbook.json');
const workbookText = readFileSync(workbookFile, 'utf8');

interface Run {
  status: number | null;
  output: string;
}

function run(command: string, args: string[]): Run {
  const r = spawnSync(command, args, { cwd: repo, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The checker itself, on the Node that runs the tests (Node 22 from node_modules). */
const kqlCheck = (...args: string[]): Run => run(process.execPath, [path.join(repo, 'tools', 'kql-check', 'check.js'), ...args]);
/** The whole script, as `npm run check:infra PATH…` runs it. */
const checkInfra = (...args: string[]): Run => run('bash', [path.join(repo, 'scripts', 'check-infra.sh'), ...args]);

interface WorkbookItem {
  name?: string;
  content: Record<string, unknown> & { query?: string };
}
interface Workbook {
  items: WorkbookItem[];
}

/** Line and column (1-based) of the first `needle` in `text` at or after `from`. */
function position(text: string, needle: string, from = 0): string {
  const at = text.indexOf(needle, from);
  if (at < 0) throw new Error(`${needle} not in the text`);
  const before = text.slice(0, at);
  return `${before.split('\n').length}:${at - before.lastIndexOf('\n')}`;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('KQL check', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kql-check-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function write(name: string, content: string): string {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  /** A copy of the real workbook with one item's query changed, formatted as the real file is. */
  function workbookWith(name: string, change: (wb: Workbook) => void): string {
    const wb = JSON.parse(workbookText) as Workbook;
    change(wb);
    return write(name, `${JSON.stringify(wb, null, 2)}\n`);
  }

  function item(wb: Workbook, name: string): WorkbookItem {
    const found = wb.items.find((i) => i.name === name);
    if (!found) throw new Error(`no workbook item ${name}`);
    return found;
  }

  const queriesJson = (queries: unknown): string => write(`queries-${Math.random().toString(36).slice(2)}.json`, JSON.stringify(queries));
  /** The module the queries are reported in; its text does not hold them, so locations are relative to each query. */
  const stub = (): string => write('stub/queries.ts', '// KQL_QUERIES of a test\n');

  test('the real workbook, alert rules and app queries pass', () => {
    const modules = queriesJson(KQL_QUERIES);
    const { status, output } = kqlCheck(
      'infra/monitoring/workbook.json',
      'infra/modules/alerts.bicep',
      '--queries',
      modules,
      'shared/adapters/monitor/queries.ts',
    );
    const items = (JSON.parse(workbookText) as Workbook).items.filter((i) => typeof i.content.query === 'string');
    expect(items.length).toBeGreaterThanOrEqual(8);
    for (const i of items) expect(output).toContain(`ok   infra/monitoring/workbook.json#${i.name} (appInsights)`);
    for (const rule of ['psiAlert', 'aucDropAlert', 'gateAlert', 'scoringAlert'])
      expect(output).toContain(`ok   infra/modules/alerts.bicep#${rule} (appInsights)`);
    expect(output).toContain('ok   shared/adapters/monitor/queries.ts#latestDrift (workspace)');
    expect(output).not.toMatch(/^FAIL|: (error|warning|info) /m);
    expect(output).toMatch(/KQL summary: \d+ query\(ies\) .*, 0 error\(s\) or warning\(s\)/);
    expect(status).toBe(0);
  });

  test('check-infra.sh fails on a misspelt table in a copy of the workbook, at its line and column', () => {
    const file = workbookWith('misspelt-table/workbook.json', (wb) => {
      const c = item(wb, 'auc').content;
      c.query = c.query!.replace(/^customMetrics\n/, 'customMetric\n');
    });
    const { status, output } = checkInfra(file);
    const text = readFileSync(file, 'utf8');
    const at = position(text, 'customMetric\\n| where name == \\"auc_recent\\"');
    expect(output).toContain(`FAIL ${file}#auc (appInsights)`);
    expect(output).toContain(`${file}:${at}: error KS204: The name 'customMetric' does not refer to any known table, tabular variable or function.`);
    // The other items are still checked, and pass.
    expect(output).toContain(`ok   ${file}#rows (appInsights)`);
    expect(output).toMatch(/KQL summary: .*, 1 error\(s\) or warning\(s\)/);
    expect(output).toContain('check-infra: FAILED');
    expect(status).toBe(1);
  }, 300_000);

  test('check-infra.sh fails on a misspelt column in a copy of the workbook, at its line and column', () => {
    const file = workbookWith('misspelt-column/workbook.json', (wb) => {
      const c = item(wb, 'rows').content;
      c.query = c.query!.replace('sum(valueSum)', 'sum(valuSum)');
    });
    const { status, output } = checkInfra(file);
    const text = readFileSync(file, 'utf8');
    const at = position(text, 'valuSum');
    expect(output).toContain(`FAIL ${file}#rows (appInsights)`);
    expect(output).toContain(`${file}:${at}: error KS142: The name 'valuSum' does not refer to any known column, table, variable or function.`);
    expect(output).toContain('check-infra: FAILED');
    expect(status).toBe(1);
  }, 300_000);

  test('a workspace query on a classic table fails; the same query scoped to Application Insights passes', () => {
    const src = stub();
    const modules = queriesJson({
      classicOnWorkspace: { scope: 'workspace', text: 'customMetrics\n| where name == "psi"\n| project timestamp, value' },
      classicOnAppInsights: { scope: 'appInsights', text: 'customMetrics\n| where name == "psi"\n| project timestamp, value' },
      workspaceOnAppInsights: { scope: 'appInsights', text: 'AppMetrics\n| project TimeGenerated, Sum' },
    });
    const { status, output } = kqlCheck('--queries', modules, src);
    expect(output).toContain(`FAIL ${src}#classicOnWorkspace (workspace)`);
    expect(output).toContain(`${src}#classicOnWorkspace:1:1: error KS204: The name 'customMetrics' does not refer to any known table`);
    expect(output).toContain(`ok   ${src}#classicOnAppInsights (appInsights)`);
    expect(output).toContain(`FAIL ${src}#workspaceOnAppInsights (appInsights)`);
    expect(output).toContain("error KS204: The name 'AppMetrics' does not refer to any known table");
    expect(status).toBe(1);
  });

  const RULE = (scopeResource: string, query: string): string => `param location string = resourceGroup().location

${scopeResource}

var ruleQuery = '''
${query}
'''

resource rule 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: 'test-rule'
  location: location
  properties: {
    severity: 2
    enabled: true
    scopes: [target.id]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: ruleQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
  }
}
`;
  const WORKSPACE = `resource target 'Microsoft.OperationalInsights/workspaces@2025-02-01' existing = {\n  name: 'log-test'\n}`;
  const COMPONENT = `resource target 'Microsoft.Insights/components@2020-02-02' existing = {\n  name: 'appi-test'\n}`;

  test('a scheduled query rule scoped to a workspace is checked against the workspace tables', () => {
    const classic = write('rules/classic-on-workspace.bicep', RULE(WORKSPACE, 'customEvents\n| where name == "GateFailed"'));
    const workspace = write('rules/workspace-on-workspace.bicep', RULE(WORKSPACE, 'AppEvents\n| where Name == "GateFailed"'));
    const component = write('rules/classic-on-component.bicep', RULE(COMPONENT, 'customEvents\n| where name == "GateFailed"'));
    const { status, output } = kqlCheck(classic, workspace, component);
    expect(output).toContain(`FAIL ${classic}#rule (workspace)`);
    // The query starts on the line after `var ruleQuery = '''` (line 7 of the file).
    expect(output).toContain(`${classic}:${position(readFileSync(classic, 'utf8'), 'customEvents')}: error KS204: The name 'customEvents'`);
    expect(output).toContain(`ok   ${workspace}#rule (workspace)`);
    expect(output).toContain(`ok   ${component}#rule (appInsights)`);
    expect(status).toBe(1);
  });

  test('a query whose scope or text cannot be determined is a failure, not a skip', () => {
    const src = stub();
    const noScope = queriesJson({ unscoped: { text: 'AppMetrics | take 1' }, wrongScope: { scope: 'cluster', text: 'AppMetrics | take 1' } });
    const byParam = write(
      'rules/scope-from-param.bicep',
      RULE(COMPONENT, 'customEvents').replace('scopes: [target.id]', 'scopes: [targetId]').replace('param location', 'param targetId string\nparam location'),
    );
    const inline = write(
      'rules/inline-interpolated.bicep',
      RULE(COMPONENT, 'customEvents')
        .replace('query: ruleQuery', 'query: \'customEvents | where name == "${eventName}"\'')
        .replace('param location', 'param eventName string\nparam location'),
    );
    const dynamicQuery = write(
      'rules/dynamic.bicep',
      RULE(COMPONENT, 'customEvents').replace(
        "var ruleQuery = '''\ncustomEvents\n'''",
        'param eventName string\nvar ruleQuery = \'customEvents | where name == "${eventName}"\'',
      ),
    );
    const noResourceType = workbookWith('no-resource-type/workbook.json', (wb) => {
      delete item(wb, 'rows').content.resourceType;
      // The parameters item declares one too: take it away so nothing encloses the item with a scope.
      delete item(wb, 'parameters').content.resourceType;
    });
    const { status, output } = kqlCheck('--queries', noScope, src, byParam, inline, dynamicQuery, noResourceType);
    expect(output).toContain(`${src}#unscoped:1:1: error KQL: cannot determine the query's scope (scope undefined; expected 'workspace' or 'appInsights')`);
    expect(output).toContain(`${src}#wrongScope:1:1: error KQL: cannot determine the query's scope (scope "cluster"`);
    expect(output).toMatch(new RegExp(`${escape(byParam)}:\\d+:\\d+: error KQL: rule rule: cannot determine its scope: an entry is not symbol\\.id`));
    expect(output).toMatch(new RegExp(`${escape(inline)}:\\d+:\\d+: error KQL: rule rule: the query is not a plain string literal or a variable holding one`));
    expect(output).toMatch(new RegExp(`${escape(dynamicQuery)}:\\d+:\\d+: error KQL: rule rule: variable ruleQuery is not a plain string`));
    expect(output).toMatch(
      new RegExp(`${escape(noResourceType)}:\\d+:\\d+: error KQL: rows: cannot determine the query's scope from resourceType \\(missing\\)`),
    );
    expect(output).not.toContain(`${noResourceType}#rows`);
    expect(status).toBe(1);
  });

  test('workbook parameters are substituted as the portal does; an undeclared one or a bad format fails', () => {
    const file = workbookWith('parameters/workbook.json', (wb) => {
      item(wb, 'rows').content.query =
        'customMetrics\n| where timestamp {TimeRange}\n| summarize rows = sum(valueSum) by name, bin(timestamp, {TimeRange:grain})';
      item(wb, 'auc').content.query =
        'customMetrics\n| where timestamp between ({TimeRange:start} .. {TimeRange:end})\n| extend range = "{TimeRange:label}"\n| summarize count() by range';
      item(wb, 'psi-latest').content.query = 'customMetrics\n| where timestamp {TimeRang}';
      item(wb, 'psi-over-time').content.query = 'customMetrics\n| where timestamp > {TimeRange:bogus}';
      item(wb, 'failures-daily').content.timeContextFromParameter = 'Window';
    });
    const { status, output } = kqlCheck(file);
    const text = readFileSync(file, 'utf8');
    expect(output).toContain(`ok   ${file}#rows (appInsights)`);
    expect(output).toContain(`ok   ${file}#auc (appInsights)`);
    // Not a parameter of this workbook: left as is, and the language service rejects it where it stands.
    expect(output).toContain(`FAIL ${file}#psi-latest (appInsights)`);
    expect(output).toContain(`${file}:${position(text, '{TimeRang}')}: error KS`);
    expect(output).toContain(
      `${file}:${position(text, '{TimeRange:bogus}')}: error KQL: psi-over-time: unknown format ":bogus" of time range parameter TimeRange`,
    );
    expect(output).toMatch(
      new RegExp(`${escape(file)}:\\d+:\\d+: error KQL: timeContextFromParameter "Window" names no time range parameter of this workbook`),
    );
    expect(status).toBe(1);
  });

  test('a warning of the language service fails; a suggestion is printed and passes', () => {
    const src = stub();
    const modules = queriesJson({
      joinWithoutKind: { scope: 'appInsights', text: 'customEvents\n| join (requests) on operation_Id' },
      contains: { scope: 'appInsights', text: 'customEvents\n| where name contains "Gate"' },
    });
    const { status, output } = kqlCheck('--queries', modules, src);
    expect(output).toContain(`FAIL ${src}#joinWithoutKind (appInsights)`);
    expect(output).toMatch(new RegExp(`${escape(src)}#joinWithoutKind:2:\\d+: warning KS508: `));
    expect(output).toContain(`ok   ${src}#contains (appInsights)`);
    expect(output).toMatch(new RegExp(`${escape(src)}#contains:2:\\d+: info KS500: `));
    expect(output).toMatch(/KQL summary: 2 query\(ies\) .*, 1 error\(s\) or warning\(s\)/);
    expect(status).toBe(1);
  });

  test('reports a module query at its line in the source when the text is there verbatim', () => {
    const source = write('src/queries.ts', "export const Q = {\n  scope: 'workspace',\n  text: `AppEvents\n| where Nam == 'x'`,\n};\n");
    const modules = queriesJson({ q: { scope: 'workspace', text: "AppEvents\n| where Nam == 'x'" } });
    const { status, output } = kqlCheck('--queries', modules, source);
    expect(output).toContain(`${source}:4:9: error KS142: The name 'Nam' does not refer to any known column`);
    expect(status).toBe(1);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../shared/app/config';
import { checkDrift, type DriftDeps } from '../../shared/app/drift';
import { retrain } from '../../shared/app/retrain';
import { analyze } from '../../tools/kql-check/kusto';
import { buildLake, LAST_DAY, openEnv, type Env } from '../app/retrain/fixture';
import { silentLog } from '../../shared/ports/log';
import { addDays } from '../../shared/domain/calendar';
import { DEFAULT_FRESHNESS } from '../../shared/domain/gates';

/**
 * The performance trigger in Azure (DRIFT_RETRAIN=alert): the drift check only emits telemetry, and
 * the AUC-drop rule of infra/modules/alerts.bicep decides. So the rule must read what the drift check
 * sends (auc_recent with the active version's validation AUC as `baseline`), compute the drop the app
 * computes, and compare it with the threshold the app uses (one Bicep parameter for both).
 */

const repo = path.resolve(__dirname, '..', '..');
const read = (file: string): string => fs.readFileSync(path.join(repo, file), 'utf8');
const alerts = read('infra/modules/alerts.bicep');
const aucDropQuery = /^var aucDropQuery = '''\n([\s\S]*?)'''/m.exec(alerts)?.[1];
const dataAgeQuery = /^var dataAgeQuery = '''\n([\s\S]*?)'''/m.exec(alerts)?.[1];

interface Line {
  type: string;
  name: string;
  value?: number;
  dimensions?: Record<string, string>;
}

let template: string;
let env: Env;

beforeAll(async () => {
  template = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-lake-'));
  await buildLake(template);
  env = await openEnv(template);
}, 240_000);
afterAll(async () => {
  await env?.close();
  fs.rmSync(template, { recursive: true, force: true });
});

describe('AUC-drop alert', () => {
  test('the drift check sends auc_recent with the baseline and threshold the rule reads; the rule computes the app’s relative drop', async () => {
    const { deps, telemetryFile } = env;
    const run = await retrain(deps, { trigger: 'manual', reason: 'first model', asOf: LAST_DAY });
    expect(run.details.outcome).toBe('deployed');
    const drift: DriftDeps = {
      lake: deps.lake,
      warehouse: deps.warehouse,
      ledger: deps.ledger,
      telemetry: deps.telemetry,
      log: silentLog,
      psiThreshold: 0.2,
      aucDropThreshold: 0.05,
      recentDays: 7,
      performanceBaseline: 'validation',
      freshness: DEFAULT_FRESHNESS,
    };

    const report = await checkDrift(drift, LAST_DAY);

    expect(report.auc_recent).not.toBeNull();
    const lines = fs
      .readFileSync(telemetryFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    const auc = lines.filter((l) => l.type === 'metric' && l.name === 'auc_recent');
    expect(auc).toHaveLength(1);
    expect(auc[0]!.value).toBe(report.auc_recent);
    expect(report.auc_baseline).toEqual({ kind: 'validation', value: report.auc_validation });
    expect(auc[0]!.dimensions).toEqual({ modelVersion: '1', baseline: String(report.auc_validation), baselineKind: 'validation', threshold: '0.05' });
    // The existing dimensions stay as the workbook and the PSI rule read them.
    for (const l of lines.filter((x) => x.name === 'psi')) expect(Object.keys(l.dimensions!).sort()).toEqual(['feature', 'modelVersion']);

    // The rule's arithmetic on these values is the app's drop.
    const baseline = Number(auc[0]!.dimensions!.baseline);
    expect((baseline - auc[0]!.value!) / baseline).toBeCloseTo(report.auc_relative_drop!, 12);

    // Every dimension the rule reads is one the drift check sends, on the metric it sends.
    expect(aucDropQuery).toBeDefined();
    expect(aucDropQuery).toContain('| where name == "auc_recent"');
    const read = [...aucDropQuery!.matchAll(/customDimensions\.(\w+)/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(0);
    for (const d of read) expect(Object.keys(auc[0]!.dimensions!)).toContain(d);

    // PERFORMANCE_BASELINE=training: the recent AUC is compared with the version's AUC on the rows its weights were fitted on.
    const version = (await deps.warehouse.getVersion(1))!;
    expect(version.metrics.auc_train).toBe(run.details.fittedOn!.auc);
    const training = await checkDrift({ ...drift, performanceBaseline: 'training' }, LAST_DAY);
    expect(training.auc_baseline).toEqual({ kind: 'training', value: run.details.fittedOn!.auc });
    expect(training.auc_relative_drop).toBeCloseTo((run.details.fittedOn!.auc - training.auc_recent!) / run.details.fittedOn!.auc, 12);
    const sent = fs
      .readFileSync(telemetryFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line)
      .filter((l) => l.name === 'auc_recent');
    expect(sent[1]!.dimensions).toMatchObject({ baseline: String(run.details.fittedOn!.auc), baselineKind: 'training' });

    // The freshness signal: the ages of the partition and labels the check used, with the limits the data-age rule reads.
    expect(report.freshness).toEqual({
      features_partition: LAST_DAY,
      features_age_days: 0,
      labels_newest: addDays(LAST_DAY, -7),
      labels_age_days: 7,
      stale: [],
    });
    const ages = lines.filter((l) => l.name === 'data_age_days');
    expect(ages.map((l) => [l.dimensions, l.value])).toEqual([
      [{ data: 'features', limit: '2' }, 0],
      [{ data: 'labels', limit: '10' }, 7],
    ]);
    const readByAgeRule = [...dataAgeQuery!.matchAll(/customDimensions\.(\w+)/g)].map((m) => m[1]);
    expect(readByAgeRule.sort()).toEqual(['data', 'limit']);
    // A check as of a later day finds both older than their limits, says so and raises the alert event.
    const late = await checkDrift(drift, addDays(LAST_DAY, 11));
    expect(late.freshness).toMatchObject({ features_age_days: 11, labels_age_days: 18, stale: ['features', 'labels'] });
  }, 240_000);

  test('the data-age rule measures daysOverLimit per kind of data, and the language service accepts its query', () => {
    const { diagnostics, columns } = analyze(dataAgeQuery!, 'appInsights');
    expect(diagnostics).toEqual([]);
    expect(columns).toEqual([
      { name: 'data', type: 'string' },
      { name: 'daysOverLimit', type: 'real' },
    ]);
    const rule = /resource dataStaleAlert [^\n]*\n([\s\S]*?)\n}\n/.exec(alerts)?.[1] ?? '';
    expect(rule).toContain('query: dataAgeQuery');
    expect(rule).toContain("metricMeasureColumn: 'daysOverLimit'");
    expect(rule).toContain("operator: 'GreaterThan'");
    expect(rule).toContain('threshold: 0');
    expect(rule).toContain('actionGroups: [emailGroup.id]');
  });

  test('the rule measures relativeDrop per modelVersion, and the language service accepts its query', () => {
    const { diagnostics, columns } = analyze(aucDropQuery!, 'appInsights');
    expect(diagnostics).toEqual([]);
    expect(columns).toEqual([
      { name: 'modelVersion', type: 'string' },
      { name: 'relativeDrop', type: 'real' },
    ]);
    const rule = /resource aucDropAlert [^\n]*\n([\s\S]*?)\n}\n/.exec(alerts)?.[1] ?? '';
    expect(rule).toContain('query: aucDropQuery');
    expect(rule).toContain("metricMeasureColumn: 'relativeDrop'");
    expect(rule).toContain("dimensions: [{ name: 'modelVersion', operator: 'Include', values: ['*'] }]");
    expect(rule).toContain("operator: 'GreaterThan'");
    expect(rule).toContain('threshold: json(aucDropThreshold)');
    // The same action groups as the PSI rule: the retrain webhook (once it exists) and the e-mail group.
    const psiRule = /resource psiAlert [^\n]*\n([\s\S]*?)\n}\n/.exec(alerts)?.[1] ?? '';
    const actions = (r: string): string | undefined => /actions: \{[\s\S]*?\n {4}\}/.exec(r)?.[0];
    expect(actions(rule)).toBeDefined();
    expect(actions(rule)).toBe(actions(psiRule));
    expect(actions(rule)).toContain('[retrainGroup.id, emailGroup.id]');
  });

  test('its threshold and the app setting AUC_DROP_THRESHOLD are one parameter of main.bicep, defaulting to the app’s default', () => {
    const main = read('infra/main.bicep');
    const value = /^param aucDropThreshold string = '([0-9.]+)'$/m.exec(main)?.[1];
    expect(Number(value)).toBe(loadConfig({}).AUC_DROP_THRESHOLD);
    expect(Number(value)).toBe(0.05);
    // Passed to the Function App's settings and to the alert rules.
    expect(main.match(/^ {4}aucDropThreshold: aucDropThreshold$/gm)).toHaveLength(2);
    expect(read('infra/modules/functionapp.bicep')).toContain("{ name: 'AUC_DROP_THRESHOLD', value: aucDropThreshold }");
    expect(alerts).toMatch(/^param aucDropThreshold string$/m);
  });
});

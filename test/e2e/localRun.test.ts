import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runLocalPipeline, type LocalRunPlan } from '../../cli/localRun';
import { openContainer, type Container } from '../../shared/app/container';
import { silentLog } from '../../shared/ports/log';
import { addDays } from '../../shared/domain/calendar';

/**
 * The end-to-end path of `npm start` on the embedded default (local lake folder, SQLite warehouse and
 * ledger, JSON-lines telemetry), on a smaller simulation than the real run so CI stays quick.
 */
const PLAN: LocalRunPlan = { start: '2025-10-07', seed: 7, contacts: 1500, days: 135, warmupDays: 90, drift: null };
let home: string;
let s: Container;
const progress: string[] = [];

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-e2e-'));
  s = await openContainer({ env: { LEADSCORE_HOME: home }, log: silentLog });
}, 60_000);
afterAll(async () => {
  await s.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('npm start on the embedded default', () => {
  test('first run: v1 deployed, drift detected, drift retrain deploys v2, rollback and forward again', async () => {
    const sum = await runLocalPipeline(s, (m) => progress.push(m), { firstPlan: PLAN, phaseDays: 14, challengerTrainDays: 21 });
    expect(sum.plan.days).toBe(149);
    expect(sum.versions.map((v) => [v.version, v.trigger, v.status])).toEqual([
      [1, 'manual', 'retired'],
      [2, 'drift', 'active'],
      [3, 'manual', 'staged'],
    ]);
    expect(sum.activeVersion).toBe(2);
    expect(sum.drift?.drifted).toContain('sentiment_score');
    expect(sum.drift!.psi.sentiment_score).toBeGreaterThan(0.2);
    // AUTO_DEPLOY is false by default: each version is staged, then approved by the local operator.
    expect(sum.runs.map((r) => [r.trigger, r.details.outcome])).toEqual([
      ['manual', 'staged'],
      ['drift', 'staged'],
      ['manual', 'challenger'],
    ]);
    // The experiment the next run judges: a 60-day window as the challenger, from tomorrow on.
    expect(await s.warehouse.challenger()).toMatchObject({ version: 3, from: addDays(sum.drift!.date, 1) });
    expect(sum.challenger).toBeNull();
    const log = await s.warehouse.listDeployments(10);
    expect(log.map((d) => [d.action, d.fromVersion, d.toVersion]).reverse()).toEqual([
      ['deploy', null, 1],
      ['deploy', 1, 2],
      ['rollback', 2, 1],
      ['deploy', 1, 2],
    ]);
    expect(sum.rowsScored).toBeGreaterThan(500);
    expect(sum.reportPath && fs.existsSync(sum.reportPath)).toBeTruthy();
    expect(await s.lake.exists(`monitoring/drift/${sum.drift!.date.replaceAll('-', '/')}/drift.json`)).toBe(true);
    // Every score row was produced by the active version after the final roll-forward.
    const someScore = await s.warehouse.getLeadScore((await s.warehouse.runSeedScoringSelect())[0]!.contactId);
    expect(someScore?.modelVersion).toBe(2);
    expect(progress.some((m) => m.startsWith('▸ drift check'))).toBe(true);
    // Telemetry, as JSON lines locally: what App Insights receives in Azure.
    const lines = fs
      .readFileSync(path.join(home, 'telemetry.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; name: string; dimensions?: Record<string, string> });
    const events = new Set(lines.filter((l) => l.type === 'event').map((l) => l.name));
    for (const name of ['RetrainRun', 'Deploy', 'Rollback', 'PartitionScored', 'DriftChecked']) expect(events).toContain(name);
    const psiFeatures = new Set(lines.filter((l) => l.name === 'psi').map((l) => l.dimensions?.feature));
    expect(psiFeatures).toEqual(new Set([...Object.keys(sum.drift!.psi)]));
    expect(lines.some((l) => l.type === 'metric' && l.name === 'rows_scored')).toBe(true);
    expect(lines.some((l) => l.type === 'metric' && l.name === 'auc_recent')).toBe(true);
  }, 600_000);

  test('a second run continues from the current state: the drift-triggered version learnt the drift', async () => {
    const sum = await runLocalPipeline(s, () => undefined, { firstPlan: PLAN, phaseDays: 14, challengerTrainDays: 21 });
    expect(sum.plan.days).toBe(163);
    // v2 was fitted on days of the drifted regime and carries a baseline of the population it scores:
    // two weeks on, the check against it finds no drift on the feature that drifted, and no retrain.
    expect(sum.drift).toMatchObject({ model_version: 2, action: 'none', drifted: [] });
    expect(sum.drift!.psi.sentiment_score).toBeLessThan(0.2);
    expect(sum.runs).toEqual([]);
    expect(sum.versions.length).toBe(3);
    // The drift check judged the challenger on the sends that matured since it was set.
    expect(sum.challenger).toMatchObject({ champion: 2, challenger: 3, from: addDays(sum.drift!.date, -13) });
    expect(sum.challenger!.n).toBeGreaterThan(1000);
    expect(['promote', 'retire', 'continue']).toContain(sum.challenger!.decision);
    expect(sum.challenger!.auc_diff).toBeCloseTo(sum.challenger!.auc_challenger! - sum.challenger!.auc_champion!, 12);
    expect(await s.lake.exists(`monitoring/challenger/${sum.drift!.date.replaceAll('-', '/')}/challenger.json`)).toBe(true);
    // On the newest matured labels, v2 ranks at least as well as v1, which it replaced, on the same rows.
    expect(sum.drift!.previous?.version).toBe(1);
    expect(sum.drift!.auc_recent).toBeGreaterThanOrEqual(sum.drift!.previous!.auc_recent!);
    expect(sum.drift!.freshness).toMatchObject({ features_age_days: 0, labels_age_days: 7, stale: [] });
  }, 600_000);
});

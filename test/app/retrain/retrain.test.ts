import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_GATES } from '../../../shared/domain/gates';
import { partitionPath } from '../../../shared/domain/lakeLayout';
import { addDays, dayRange } from '../../../shared/domain/calendar';
import { featurePopulation } from '../../../shared/app/population';
import { psiBaseline } from '../../../shared/domain/model/psi';
import { retrain } from '../../../shared/app/retrain';
import * as logistic from '../../../shared/domain/model/logistic';
import { deployVersion } from '../../../shared/app/versions';
import { WarehouseNotFoundError } from '../../../shared/ports/warehouse';
import { buildLake, LAST_DAY, openEnv, telemetryLines, type Env } from './fixture';

let template: string;
const open: Env[] = [];

beforeAll(async () => {
  template = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-lake-'));
  await buildLake(template);
}, 240_000);
afterAll(() => fs.rmSync(template, { recursive: true, force: true }));
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function env(settings: Parameters<typeof openEnv>[1] = {}): Promise<Env> {
  const e = await openEnv(template, settings);
  open.push(e);
  return e;
}

describe('retrain', () => {
  test('trains, passes every gate, registers and deploys v1, and records the run', async () => {
    const { deps, telemetryFile } = await env();
    const run = await retrain(deps, { trigger: 'manual', reason: 'first model', asOf: LAST_DAY });
    expect(run.reason).toBe('v1 deployed');
    expect(run.status).toBe('succeeded');
    expect(run.details.outcome).toBe('deployed');
    expect(run.details.version).toBe(1);
    expect(run.details.gates.map((g) => [g.name, g.passed])).toEqual([
      ['data_freshness', true],
      ['data_sufficiency', true],
      ['data_quality', true],
      ['learns_something', true],
      ['safety', true],
      ['approval', true],
    ]);
    expect(run.details.partitions.length).toBeGreaterThan(10);
    expect(run.details.partitions.every((p) => /^[0-9a-f]{64}$/.test(p.contentHash))).toBe(true);
    expect(run.details.codeVersion).toMatch(/^leadscore@/);
    expect(run.details.metrics!.auc_roc).toBeGreaterThan(0.75);
    expect((await deps.warehouse.getActiveWeights())?.version).toBe(1);
    expect(await deps.ledger.getRun(run.id)).toMatchObject({ id: run.id, status: 'succeeded' });
    const model = JSON.parse((await deps.lake.read('models/v1/model.json')).toString());
    expect(model.run).toMatchObject({ id: run.id, trigger: 'manual', codeVersion: run.details.codeVersion });
    expect(model.run.partitions).toEqual(run.details.partitions);
    expect(model.run.metrics.auc_roc).toBe(run.details.metrics!.auc_roc);
    expect(model.run.durationMs).toBeGreaterThan(0);
    expect(model.run.gates.map((g: { name: string }) => g.name)).toEqual([
      'data_freshness',
      'data_sufficiency',
      'data_quality',
      'learns_something',
      'safety',
      'approval',
    ]);
    expect(run.details.durationMs).toBeGreaterThanOrEqual(model.run.durationMs);
    // The PSI baseline describes every eligible contact of the newest 7 features partitions (the population
    // the version will score), not the sends.
    const population = (await featurePopulation(deps.lake, dayRange(addDays(LAST_DAY, -6), LAST_DAY)))!;
    const recency = Float64Array.from({ length: population.n }, (_, i) => population.x[i * 7]!);
    expect(model.psi_baseline.recency_days).toEqual(psiBaseline(recency));
    expect(model.psi_baseline_population).toBe(
      `every eligible contact in the features partitions ${addDays(LAST_DAY, -6)}..${LAST_DAY} (${population.n} rows)`,
    );
    // The version's weights: the same recipe on every labelled day of the window, validation days included.
    expect(run.details.fittedOn).toEqual({
      from: run.details.window!.trainFrom,
      to: run.details.window!.validTo,
      rows: run.details.metrics!.n_train + run.details.metrics!.n_valid,
      auc: expect.any(Number),
    });
    expect(model.weights_fitted_on).toEqual(run.details.fittedOn);
    expect(population.n).not.toBe(run.details.metrics!.n_train);
    const report = (await deps.lake.read('models/v1/report.html')).toString();
    expect(report).toContain('<svg');
    // The calibration checks reach the run record, the version's metrics.json and the report.
    const calibration = run.details.metrics!.calibration;
    expect(Object.keys(calibration.before).sort()).toEqual(['brier', 'ece', 'intercept', 'log_loss', 'slope']);
    expect(calibration.thresholds).toEqual({ max_ece: 0.01, max_slope_deviation: 0.2, max_intercept: 0.2, max_brier: 0.2 });
    expect(JSON.parse((await deps.lake.read('models/v1/metrics.json')).toString()).calibration).toEqual(calibration);
    expect(report).toContain('<h2>Calibration</h2>');
    expect(report).toContain(
      calibration.applied ? 'Platt scaling applied' : calibration.after ? 'Platt scaling tried and rejected' : 'Platt scaling not needed',
    );
    const events = telemetryLines(telemetryFile).map((l) => l.name);
    expect(events).toEqual(expect.arrayContaining(['RetrainRun', 'Deploy']));
  });

  test('the same data and code give identical weights', async () => {
    // Two warehouses over copies of the same lake: each registers its v1, bit for bit the same.
    const a = (await env({ autoDeploy: false })).deps;
    const b = (await env({ autoDeploy: false })).deps;
    await retrain(a, { trigger: 'manual', reason: 'a', asOf: LAST_DAY });
    await retrain(b, { trigger: 'manual', reason: 'b', asOf: LAST_DAY });
    const w1 = await a.warehouse.getWeights(1);
    const w2 = await b.warehouse.getWeights(1);
    expect(w2!.weights).toEqual(w1!.weights);
    expect(w2!.offset).toBe(w1!.offset);
  });

  test('no duplicate versions: a retrain that learns the weights of the active or a staged version registers nothing and names it', async () => {
    const { deps } = await env({ autoDeploy: false });
    await retrain(deps, { trigger: 'manual', reason: 'a', asOf: LAST_DAY });
    const again = await retrain(deps, { trigger: 'manual', reason: 'b', asOf: LAST_DAY });
    expect(again.details).toMatchObject({ outcome: 'duplicate', duplicateOf: 1, version: null });
    expect(again.status).toBe('succeeded');
    expect(again.reason).toMatch(/nothing registered: the weights and offset equal v1's \(staged\)/);
    expect((await deps.warehouse.listVersions()).map((v) => v.version)).toEqual([1]);
    expect(await deps.lake.exists('models/v2/model.json')).toBe(false);
    // An incomplete version (a retrain killed after registering it) is no match: the next one registers a whole v2.
    const { deps: other } = await env({ autoDeploy: false });
    const learnt = (await deps.warehouse.getWeights(1))!;
    await other.warehouse.insertVersion({
      version: 1,
      status: 'staged',
      trigger: 'manual',
      artifactPath: 'models/v1/',
      metrics: { auc: null, pr_auc: null, brier: null },
      windowStart: null,
      windowEnd: null,
      weights: learnt.weights,
      offset: learnt.offset,
      trainingMean: Array<number>(learnt.weights.length).fill(0),
      complete: false,
    });
    expect((await retrain(other, { trigger: 'manual', reason: 'b', asOf: LAST_DAY })).details).toMatchObject({ outcome: 'staged', version: 2 });
    // Once v1 is active the same holds; a version that was retired is not a match (deploying it again is a rollback).
    await deployVersion(deps, 1, { by: 't' });
    expect((await retrain(deps, { trigger: 'manual', reason: 'c', asOf: LAST_DAY })).details).toMatchObject({ outcome: 'duplicate', duplicateOf: 1 });
  });

  test('approval: without AUTO_DEPLOY the version waits as staged and production is unchanged', async () => {
    const { deps } = await env({ autoDeploy: false });
    const run = await retrain(deps, { trigger: 'schedule', asOf: LAST_DAY });
    expect(run.details.outcome).toBe('staged');
    expect((await deps.warehouse.getVersion(1))?.status).toBe('staged');
    expect(await deps.warehouse.getActiveWeights()).toBeUndefined();
    expect(run.details.gates.find((g) => g.name === 'approval')).toMatchObject({ passed: false, pending: true });
  });

  test('data sufficiency: too few rows block the run before training and nothing is registered', async () => {
    const { deps, telemetryFile } = await env({ gates: { ...DEFAULT_GATES, minTrainRows: 10_000_000 } });
    const run = await retrain(deps, { trigger: 'schedule', asOf: LAST_DAY });
    expect(run.status).toBe('failed');
    expect(run.details.outcome).toBe('blocked');
    expect(run.reason).toMatch(/gate data_sufficiency failed: \d+ training rows < 10000000/);
    expect(await deps.warehouse.listVersions()).toEqual([]);
    expect(
      telemetryLines(telemetryFile)
        .filter((l) => l.name === 'GateFailed')
        .map((l) => l.properties?.gate),
    ).toEqual(['data_sufficiency']);
  });

  test('data freshness: labels or features older than the limits block the run before anything is read; every gate is listed', async () => {
    const { deps, telemetryFile } = await env();
    // As of 11 days after the lake's last day: the newest features partition is 11 days old (limit 2),
    // the newest labelled send day 18 (limit 10).
    const asOf = addDays(LAST_DAY, 11);
    const run = await retrain(deps, { trigger: 'schedule', asOf });
    expect(run.details.outcome).toBe('blocked');
    expect(run.reason).toBe(
      `gate data_freshness failed: the newest labelled send day ${addDays(LAST_DAY, -7)} is 18 days older than ${asOf} (limit 10); ` +
        `the newest features partition ${LAST_DAY} is 11 days older than ${asOf} (limit 2)`,
    );
    expect(run.details.window).toBeNull();
    expect(run.details.partitions).toEqual([]);
    expect(await deps.warehouse.listVersions()).toEqual([]);
    expect(run.details.gates.map((g) => [g.name, g.outcome])).toEqual([
      ['data_freshness', 'failed'],
      ['data_sufficiency', 'not evaluated'],
      ['data_quality', 'not evaluated'],
      ['learns_something', 'not evaluated'],
      ['safety', 'not evaluated'],
      ['approval', 'not evaluated'],
    ]);
    expect((await deps.ledger.getRun(run.id))?.details).toMatchObject({ gates: run.details.gates });
    expect(
      telemetryLines(telemetryFile)
        .filter((l) => l.name === 'GateFailed')
        .map((l) => l.properties?.gate),
    ).toEqual(['data_freshness']);
    // Within the limits (features one day old, labels eight) the same lake trains.
    expect((await retrain(deps, { trigger: 'schedule', asOf: addDays(LAST_DAY, 1) })).details.outcome).toBe('deployed');
    // Only the features partition too old: that alone is named.
    const features = await retrain(
      { ...deps, settings: { ...deps.settings, freshness: { maxLabelAgeDays: 30, maxFeaturesAgeDays: 2 } } },
      { trigger: 'manual', asOf },
    );
    expect(features.reason).toBe(`gate data_freshness failed: the newest features partition ${LAST_DAY} is 11 days older than ${asOf} (limit 2)`);
  });

  test('data quality: a corrupted features partition blocks the run', async () => {
    const { deps } = await env();
    const day = '2026-01-20';
    const file = partitionPath('features', day);
    const text = (await deps.lake.read(file)).toString().split('\n');
    const cells = text[1]!.split(',');
    cells[3] = '5'; // fatigue_score outside [0, 1]
    text[1] = cells.join(',');
    await deps.lake.write(file, text.join('\n'));
    const run = await retrain(deps, { trigger: 'schedule', asOf: LAST_DAY });
    expect(run.details.outcome).toBe('blocked');
    expect(run.reason).toMatch(/gate data_quality failed: 1 of \d+ partitions failed validation: .*2026\/01\/20/);
    expect(await deps.warehouse.listVersions()).toEqual([]);
  });

  test('learns something: PR-AUC not far enough above the baseline rejects the version', async () => {
    const { deps } = await env({ gates: { ...DEFAULT_GATES, prAucLift: 100 } });
    const run = await retrain(deps, { trigger: 'schedule', asOf: LAST_DAY });
    expect(run.details.outcome).toBe('rejected');
    expect(run.reason).toMatch(/v1 rejected: gate learns_something failed: PR-AUC 0\.\d{4} vs 100 × baseline/);
    expect((await deps.warehouse.getVersion(1))?.status).toBe('rejected');
    expect(await deps.warehouse.getActiveWeights()).toBeUndefined();
  });

  test('safety: a version worse than production on the same rows is rejected and production stays', async () => {
    const { deps } = await env();
    await retrain(deps, { trigger: 'manual', reason: 'v1', asOf: LAST_DAY });
    // Demand an AUC one whole point above production: impossible, so the gate must fail. (A different
    // C, so that the new weights are not v1's again, which would register nothing at all.)
    deps.settings = { ...deps.settings, C: 0.5, gates: { ...DEFAULT_GATES, maxAucDrop: -1 } };
    const run = await retrain(deps, { trigger: 'schedule', asOf: LAST_DAY });
    expect(run.details.outcome).toBe('rejected');
    expect(run.details.production).toMatchObject({ version: 1 });
    expect(run.reason).toMatch(/gate safety failed: AUC 0\.\d{4} vs production v1 0\.\d{4} − -1 on the same validation rows/);
    expect((await deps.warehouse.getActiveWeights())?.version).toBe(1);
  });

  test('single flight: a trigger that finds the lease held is suppressed and recorded', async () => {
    const { deps } = await env();
    expect(await deps.ledger.acquireLock('retrain', 'another-instance', 60_000)).toBe(true);
    const run = await retrain(deps, { trigger: 'schedule', asOf: LAST_DAY });
    expect(run.status).toBe('suppressed');
    expect(run.reason).toMatch(/another retrain is running/);
    expect(await deps.ledger.getRun(run.id)).toMatchObject({ status: 'suppressed' });
    expect(await deps.warehouse.listVersions()).toEqual([]);
  });

  test('a lock whose holder died is taken over; its run is abandoned and the version it registered is incomplete', async () => {
    const { deps } = await env({ autoDeploy: false });
    // A retrain killed after registering v1: its run is still "running", its lock still held by a
    // process of this machine that no longer exists, v1 incomplete.
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    const first = await retrain(deps, { trigger: 'manual', reason: 'first', asOf: LAST_DAY });
    expect(first.details.outcome).toBe('staged');
    await deps.ledger.putRun({ ...first, id: 'killed-run', status: 'running', finishedAt: undefined, details: { ...first.details, version: 1 } });
    await deps.warehouse.insertVersion({
      version: 2,
      status: 'staged',
      trigger: 'manual',
      artifactPath: 'models/v2/',
      metrics: { auc: 0.7, pr_auc: 0.3, brier: 0.1 },
      windowStart: null,
      windowEnd: null,
      weights: [0, 0, 0, 0, 0, 0, 0],
      offset: 0,
      trainingMean: [0, 0, 0, 0, 0, 0, 0],
      complete: false,
    });
    expect(await deps.ledger.acquireLock('retrain', `${hostname()}/${dead}/killed-run`, 3_600_000)).toBe(true);
    const next = await retrain(deps, { trigger: 'manual', reason: 'after the crash', asOf: LAST_DAY });
    expect(next.status).toBe('succeeded');
    expect(await deps.ledger.getRun('killed-run')).toMatchObject({ status: 'abandoned', reason: expect.stringMatching(/stopped before it finished; v1/) });
    // A live holder is never taken over.
    expect(await deps.ledger.acquireLock('retrain', `${hostname()}/${process.pid}/live-run`, 3_600_000)).toBe(true);
    expect((await retrain(deps, { trigger: 'manual', reason: 'while it runs', asOf: LAST_DAY })).status).toBe('suppressed');
    // The incomplete version is refused, unless forced.
    await expect(deployVersion(deps, 2, { by: 't' })).rejects.toThrow(/incomplete: the run that registered it stopped before it finished/);
    await deployVersion(deps, 2, { by: 't', force: true });
    expect(await deps.warehouse.activeVersion()).toBe(2);
  });

  test('single flight: overlapping timer, alert and manual triggers train once', async () => {
    const { deps } = await env();
    const runs = await Promise.all([
      retrain(deps, { trigger: 'schedule', asOf: LAST_DAY }),
      retrain(deps, { trigger: 'alert', reason: 'psi', asOf: LAST_DAY }),
      retrain(deps, { trigger: 'manual', reason: 'now', asOf: LAST_DAY }),
    ]);
    expect(runs.filter((r) => r.status === 'succeeded')).toHaveLength(1);
    expect(runs.filter((r) => r.status === 'suppressed')).toHaveLength(2);
    expect(await deps.warehouse.listVersions()).toHaveLength(1);
  });

  test('rate limit: one monitoring-triggered retrain per cooldown; manual requests still run', async () => {
    const { deps } = await env({ autoDeploy: false });
    const first = await retrain(deps, { trigger: 'alert', reason: 'psi > 0.2', asOf: LAST_DAY });
    const second = await retrain(deps, { trigger: 'drift', reason: 'psi > 0.2 again', asOf: LAST_DAY });
    const manual = await retrain(deps, { trigger: 'manual', reason: 'operator', asOf: LAST_DAY });
    expect(first.status).toBe('succeeded');
    expect(second.status).toBe('suppressed');
    expect(second.reason).toMatch(/rate-limited/);
    expect(manual.status).toBe('succeeded');
    expect((await deps.ledger.listRuns(10)).map((r) => r.status).sort()).toEqual(['succeeded', 'succeeded', 'suppressed']);
    // The cooldown runs on the data's clock: as of the next day (24 hours of data later) a trigger runs again.
    const nextDay = await retrain(deps, { trigger: 'drift', reason: 'psi > 0.2 the next day', asOf: addDays(LAST_DAY, 1) });
    expect(nextDay.status).toBe('succeeded');
    // An as-of that is no day has no clock: the run fails, and is recorded, with its reason.
    const bad = await retrain(deps, { trigger: 'manual', reason: 'typo', asOf: '2026-02-30' });
    expect(bad.status).toBe('failed');
    expect(bad.reason).toMatch(/2026-02-30/);
    expect(await deps.ledger.getRun(bad.id)).toMatchObject({ status: 'failed' });
  });

  test('a fit that did not converge fails the run and registers nothing: no version to deploy, production unchanged', async () => {
    const { deps, telemetryFile } = await env();
    expect((await retrain(deps, { trigger: 'manual', reason: 'v1', asOf: LAST_DAY })).details.outcome).toBe('deployed');
    const real = logistic.fitLogistic;
    const spy = jest
      .spyOn(logistic, 'fitLogistic')
      .mockImplementation((...args) => ({ ...real(...args), converged: false, iterations: 1000, gradMax: 0.0123 }));
    try {
      const run = await retrain(deps, { trigger: 'schedule', asOf: LAST_DAY });
      expect(run.status).toBe('failed');
      expect(run.details.outcome).toBe('error');
      expect(run.reason).toBe(
        'no version registered: the logistic regression did not converge: L-BFGS stopped after 1000 iterations with final gradient max-norm 1.230e-2 ' +
          '(tolerance 1e-10); a fit that did not converge is never written or registered',
      );
      expect(run.details.version).toBeNull();
      expect(run.details.metrics).toBeNull();
      expect(await deps.ledger.getRun(run.id)).toMatchObject({ status: 'failed', reason: run.reason });
      expect((await deps.warehouse.listVersions()).map((v) => [v.version, v.status])).toEqual([[1, 'active']]);
      expect(await deps.lake.list('models/v2/')).toEqual([]);
      await expect(deployVersion(deps, 2, { by: 'test' })).rejects.toBeInstanceOf(WarehouseNotFoundError);
      expect((await deps.warehouse.getActiveWeights())?.version).toBe(1);
      const events = telemetryLines(telemetryFile).filter((l) => l.name === 'RetrainRun');
      expect(events.at(-1)?.properties).toMatchObject({ status: 'failed', outcome: 'error' });
    } finally {
      spy.mockRestore();
    }
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { N_FEATURES } from '../../../shared/domain/features/schema';
import type { Dataset } from '../../../shared/domain/model/dataset';
import { trainModel, type TrainResult } from '../../../shared/domain/model/train';
import { leadScore } from '../../../shared/domain/model/score';
import { weightsCsv } from '../../../shared/domain/model/outputs';
import { deployVersion, registerVersion } from '../../../shared/app/versions';
import { loadSeed } from '../../support/seed';
import { openEnv, type Env } from './fixture';

/**
 * Issue 14.2 on the seed's data: a version's grade thresholds come from its own training rows under its
 * final weights, travel with it into model.json and SQL, and its validation rows are counted per grade.
 * The expected values are computed here a second way: every training row scored, sorted best first,
 * and read at the ranks ceil(share·n/100).
 */
const { train, valid } = loadSeed();
let empty: string;
let e: Env;

function scores(d: Dataset, r: TrainResult): number[] {
  return Array.from({ length: d.n }, (_, i) => leadScore(r.artifact.raw_weights, r.artifact.offset, d.x, i * N_FEATURES));
}

function bySort(z: number[], shares: number[]): number[] {
  const best = [...z].sort((a, b) => b - a);
  let sum = 0;
  return shares.map((s) => best[Math.ceil(((sum += s) * z.length) / 100) - 1]!);
}

beforeAll(() => {
  empty = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-empty-lake-'));
});
afterAll(() => fs.rmSync(empty, { recursive: true, force: true }));
afterEach(async () => {
  await e?.close();
});

test.each([
  [undefined, [5, 15, 30]],
  [[10, 20, 30] as const, [10, 20, 30]],
])('shares %j: thresholds from the training rows, stored in model.json and SQL, validation counted per grade', async (given, shares) => {
  const r = await trainModel(train, valid, { C: 1, ...(given ? { gradeShares: given } : {}) });
  const z = scores(train, r);
  const g = r.artifact.grades!;
  expect(g.shares).toEqual(shares);
  expect(g.min_lead_score).toEqual(bySort(z, shares));
  expect(g.training_rows).toEqual(
    [0, 1, 2, 3].map((k) => z.filter((s) => (k === 0 || s < g.min_lead_score[k - 1]!) && (k === 3 || s >= g.min_lead_score[k]!)).length),
  );

  // Validation: each grade's rows and positives, counted from the scores directly.
  const zv = scores(valid, r);
  const lower = [...g.min_lead_score, -Infinity];
  const upper = [Infinity, ...g.min_lead_score];
  r.metrics.grades.forEach((row, k) => {
    const inGrade = zv.map((s, i) => [s, valid.y[i]!] as const).filter(([s]) => s >= lower[k]! && s < upper[k]!);
    expect(row).toEqual({
      grade: 'ABCD'[k],
      rows: inGrade.length,
      positives: inGrade.filter(([, y]) => y === 1).length,
      positive_rate: inGrade.length ? inGrade.filter(([, y]) => y === 1).length / inGrade.length : null,
    });
  });

  e = await openEnv(empty);
  const v = await registerVersion(e.deps, {
    artifact: r.artifact,
    metrics: { ...r.metrics },
    weightsCsv: (n) => weightsCsv(r.artifact, n),
    trigger: 'manual',
    window: null,
  });
  const modelJson = JSON.parse((await e.deps.lake.read(`${v.artifactPath}model.json`)).toString()) as { grades: unknown };
  expect(modelJson.grades).toEqual(g);
  await deployVersion(e.deps, v.version, { by: 'test', export: false });
  expect((await e.deps.warehouse.activeModel())!.gradeMin).toEqual(g.min_lead_score);
});

test('on the seed, an A is worth more than a D: the observed positive rate falls from A to D', async () => {
  const r = await trainModel(train, valid, { C: 1 });
  const rates = r.metrics.grades.map((row) => row.positive_rate!);
  expect(rates[0]!).toBeGreaterThan(r.metrics.positive_rate);
  expect(rates[0]!).toBeGreaterThan(rates[3]!);
  expect(rates[3]!).toBeLessThan(r.metrics.positive_rate);
});

test('registration refuses grade thresholds out of order', async () => {
  const r = await trainModel(train, valid, { C: 1 });
  e = await openEnv(empty);
  const artifact = { ...r.artifact, grades: { ...r.artifact.grades!, min_lead_score: [0, 1, 2] } };
  await expect(
    registerVersion(e.deps, { artifact, metrics: { ...r.metrics }, weightsCsv: (n) => weightsCsv(artifact, n), trigger: 'manual', window: null }),
  ).rejects.toThrow(/artifact.grades.min_lead_score must be 3 finite numbers, A's ≥ B's ≥ C's; got \[0,1,2\]/);
  expect(await e.deps.warehouse.listVersions()).toEqual([]);
});

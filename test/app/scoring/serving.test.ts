import { DatabaseSync } from 'node:sqlite';
import * as path from 'node:path';
import { leadScore } from '../../../shared/domain/model/score';
import { scorePartition, type ScoringDeps } from '../../../shared/app/scoring';
import { exportIsCurrent, exportServedScores, readManifest, startExport } from '../../../shared/app/scoresExport';
import { backfillTrainingMeans, deployVersion, rollback } from '../../../shared/app/versions';
import { SqliteWarehouse } from '../../../shared/adapters/warehouse/sqlite';
import { WarehouseConflictError } from '../../../shared/ports/warehouse';
import type { Lake } from '../../../shared/ports/lake';
import { ActiveModelCache } from '../../../shared/app/activeModel';
import { RowBuffer } from '../../../shared/fast/featureRows';
import { env, featureRows, FEATURES_HEADER, register, W1, W2, W3, type Env } from '../../support/fixtures';
import { silentLog } from '../../../shared/ports/log';

/**
 * What lead_scores serves follows the active version and the served population by construction:
 * it is a view, so a deploy or rollback is the flip of is_active and nothing else, and no reader can
 * see scores of a version that is not active, or of a contact that is not in the population.
 */
let e: Env;
afterEach(async () => e && (await e.close()));

const FOLDER = 'processed/features/2026/05/04';
const DAY = '2026-05-04';

function deps(extra: Partial<ScoringDeps> = {}): ScoringDeps {
  return { lake: e.lake, warehouse: e.warehouse, ledger: e.ledger, chunkRows: 50, log: silentLog, ...extra };
}

async function serve(rows: string[]): Promise<void> {
  await e.lake.write(`${FOLDER}/part-0.csv`, `${FEATURES_HEADER}\n${rows.join('\n')}\n`);
  await e.lake.write(`${FOLDER}/_SUCCESS`, '');
  await scorePartition(deps(), FOLDER);
}

function all(sql: string): Record<string, unknown>[] {
  const d = new DatabaseSync(path.join(e.home, 'warehouse.db'));
  try {
    return d.prepare(sql).all();
  } finally {
    d.close();
  }
}

/** Every served row carries the active version and equals its weighted sum on the contact's features. */
function expectServedBy(weights: number[], offset: number, version: number): void {
  const rows = all(
    'SELECT s.*, f.recency_days, f.fatigue_score, f.sentiment_score, f.engagement_rate_30d, f.reply_rate_90d, f.opt_out_risk, f.mms_affinity FROM lead_scores s JOIN contact_features f USING (contact_id)',
  );
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) {
    expect(r.model_version).toBe(version);
    const x = [r.recency_days, r.fatigue_score, r.sentiment_score, r.engagement_rate_30d, r.reply_rate_90d, r.opt_out_risk, r.mms_affinity] as number[];
    expect(Math.abs((r.lead_score as number) - leadScore(weights, offset, x))).toBeLessThanOrEqual(1e-12);
  }
  expect(all('SELECT COUNT(DISTINCT model_version) AS n FROM lead_scores')[0]!.n).toBe(1);
}

/** A lake that refuses to read any features partition: deploys and rollbacks must not need one. */
function noPartitionReads(lake: Lake): Lake {
  const guarded: Lake = Object.create(lake) as Lake;
  const refuse = (p: string): void => {
    if (p.startsWith('processed/')) throw new Error(`read of ${p} during a version change`);
  };
  guarded.read = async (p) => (refuse(p), lake.read(p));
  guarded.readStream = (p) => (refuse(p), lake.readStream(p));
  guarded.list = async (f) => (refuse(f), lake.list(f));
  return guarded;
}

beforeEach(async () => {
  e = await env();
  await register(e, W1, -0.3);
  await register(e, W2, 0.25);
  await register(e, W3, 0.1);
  await deployVersion(e, 1, { by: 't' });
});

describe('deploy and rollback are the flip of is_active', () => {
  test('every served score follows at once, for every contact; the export is rewritten from SQL; no partition is read', async () => {
    await serve(featureRows(120));
    expectServedBy(W1, -0.3, 1);
    const lake = noPartitionReads(e.lake);
    const d = await deployVersion({ lake, warehouse: e.warehouse, exportChunkRows: 50, log: silentLog }, 2, { by: 't' });
    expectServedBy(W2, 0.25, 2);
    expect(d.export).toMatchObject({ status: 'published', modelVersion: 2, contacts: 120 });
    expect(await readManifest(e.lake, DAY)).toMatchObject({ model_version: 2, contacts: 120 });
    expect(await exportIsCurrent(e.lake, await e.warehouse.servedState())).toBe(true);
    const lines = (
      await Promise.all((d.export as { files: string[] }).files.map(async (f) => (await e.lake.read(f)).toString().trim().split('\n').slice(1)))
    ).flat();
    expect(lines).toHaveLength(120);
    expect(new Set(lines.map((l) => l.split(',')[2]))).toEqual(new Set(['2']));
    // The export holds the view's numbers.
    for (const l of lines.slice(0, 20)) {
      const [id, , , z] = l.split(',');
      expect(Number(z)).toBe((await e.warehouse.getLeadScore(id!))!.leadScore);
    }
    const r = await rollback({ lake, warehouse: e.warehouse, log: silentLog }, { by: 't' });
    expect(r.deployment).toMatchObject({ fromVersion: 2, toVersion: 1 });
    expectServedBy(W1, -0.3, 1);
    expect(await readManifest(e.lake, DAY)).toMatchObject({ model_version: 1 });
    // Only the files of the current export remain.
    const m = (await readManifest(e.lake, DAY))!;
    expect((await e.lake.list('scores')).map((x) => path.posix.basename(x.path)).sort()).toEqual([...m.files, '_SUCCESS'].sort());
  });

  test('an export whose served state moved on publishes nothing and leaves no file behind', async () => {
    await serve(featureRows(30));
    const state = await e.warehouse.servedState();
    const model = (await e.warehouse.activeModel())!;
    const stale = startExport(e.lake, model, state.population!.asOf, 50, 'race');
    const rows = new RowBuffer(1);
    rows.x.set([1, 0, 0, 0, 0, 0, 0.5]);
    rows.pushString('c0000000');
    await stale.add(rows.rows());
    await deployVersion({ lake: e.lake, warehouse: e.warehouse, log: silentLog }, 2, { by: 't' });
    const before = await e.lake.list('scores');
    expect(await stale.publish(e.warehouse, state.population!.contentHash)).toMatchObject({ status: 'superseded', reason: 'the active version is now v2' });
    expect(await e.lake.list('scores')).toEqual(before);
    expect(await readManifest(e.lake, DAY)).toMatchObject({ model_version: 2 });
  });

  test('exportServedScores mends an export a crash left stale', async () => {
    await serve(featureRows(30));
    await deployVersion(e, 2, { by: 't', export: false });
    expect(await exportIsCurrent(e.lake, await e.warehouse.servedState())).toBe(false);
    expect(await exportServedScores({ lake: e.lake, warehouse: e.warehouse, chunkRows: 1000, runId: 'fix' })).toMatchObject({
      status: 'published',
      modelVersion: 2,
    });
    expect(await exportIsCurrent(e.lake, await e.warehouse.servedState())).toBe(true);
  });

  test('the same partition delivered again mends an export its first load left unpublished', async () => {
    await serve(featureRows(30));
    await deployVersion(e, 2, { by: 't', export: false }); // as if the export after the change had died
    expect(await exportIsCurrent(e.lake, await e.warehouse.servedState())).toBe(false);
    const r = await scorePartition(deps(), FOLDER);
    expect(r).toMatchObject({ status: 'unchanged', reason: expect.stringMatching(/export was not current: rewritten from SQL/) });
    expect(await exportIsCurrent(e.lake, await e.warehouse.servedState())).toBe(true);
  });

  test('a version without training means in SQL cannot be activated until migrate copies them from its model.json', async () => {
    const db = new DatabaseSync(path.join(e.home, 'warehouse.db'));
    db.exec('DELETE FROM version_feature_means WHERE model_version = 3');
    db.close();
    expect(await e.warehouse.versionsWithoutMeans()).toEqual([3]);
    await expect(deployVersion(e, 3, { by: 't' })).rejects.toThrow(WarehouseConflictError);
    expect(await backfillTrainingMeans(e)).toEqual([3]);
    await deployVersion(e, 3, { by: 't' });
    expect(await e.warehouse.activeVersion()).toBe(3);
  });

  test('the ranked campaign query returns the best scored contacts first', async () => {
    await serve(featureRows(200));
    const top = await e.warehouse.topLeadScores(10);
    expect(top).toHaveLength(10);
    const best = all('SELECT lead_score FROM lead_scores ORDER BY lead_score DESC LIMIT 10').map((r) => r.lead_score);
    expect(top.map((t) => t.leadScore)).toEqual(best);
  });
});

describe('the real-time path checks the version stamp', () => {
  test('another instance picks a deploy up within the stamp interval, and every answer names its version', async () => {
    // Two instances: two connections to one warehouse, one cache each, one clock.
    let now = 0;
    const other = new SqliteWarehouse(path.join(e.home, 'warehouse.db'));
    try {
      const cache = new ActiveModelCache(other, 1_000, () => now);
      expect((await cache.get()).version).toBe(1);
      await deployVersion(e, 2, { by: 't', export: false });
      now = 999;
      expect((await cache.get()).version).toBe(1); // within the interval: may still answer v1
      now = 1_000;
      const m = await cache.get();
      expect(m).toMatchObject({ version: 2, weights: W2, offset: 0.25 });
      expect(m.trainingMean).toHaveLength(7);
      // Concurrent requests after the interval share one stamp read.
      now = 5_000;
      let reads = 0;
      const counting = {
        activeVersion: async () => (reads++, other.activeVersion()),
        activeModel: () => other.activeModel(),
        challenger: () => other.challenger(),
      };
      const c2 = new ActiveModelCache(counting, 1_000, () => now);
      await Promise.all(Array.from({ length: 20 }, () => c2.get()));
      expect(reads).toBe(1);
    } finally {
      await other.close();
    }
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import * as path from 'node:path';
import { abArm, abBucket } from '../../../shared/domain/abSplit';
import { FEATURES, N_FEATURES } from '../../../shared/domain/features/schema';
import { RowBuffer } from '../../../shared/fast/featureRows';
import { leadScore } from '../../../shared/domain/model/score';
import { WarehouseConflictError, WarehouseNotFoundError } from '../../../shared/ports/warehouse';
import { SqliteWarehouse } from '../../../shared/adapters/warehouse/sqlite';
import { deployVersion, listVersions, rollback } from '../../../shared/app/versions';
import { env, register, W1, W2, W3, type Env } from '../../support/fixtures';

let e: Env;
afterEach(async () => e && (await e.close()));

function raw(e: Env): DatabaseSync {
  return new DatabaseSync(path.join(e.home, 'warehouse.db'));
}

describe('SQLite warehouse schema', () => {
  test('migrate is idempotent and records each migration once', async () => {
    e = await env();
    expect(await e.warehouse.migrate()).toEqual([]);
    const db = raw(e);
    expect(
      db
        .prepare('SELECT id FROM schema_migrations')
        .all()
        .map((r) => r.id),
    ).toEqual(['001_schema', '002_served_by_sql', '003_version_complete', '004_grades', '005_challenger', '006_ab_test']);
    db.close();
  });

  test('the database itself holds at most one challenger, and only a complete staged inactive one', async () => {
    e = await env();
    for (let v = 1; v <= 3; v++) await register(e, W1, -0.1 * v);
    await deployVersion(e, 1, { by: 't' });
    const db = raw(e);
    const set = (v: number): void => {
      db.prepare(
        `UPDATE model_versions SET is_challenger = 1, challenger_set_at = '2026-05-01T00:00:00.000Z', challenger_from = '2026-05-01' WHERE model_version = ?`,
      ).run(v);
    };
    set(2);
    // Bypassing the adapter: a second challenger breaks the unique index, the active one the CHECK.
    expect(() => set(3)).toThrow(/UNIQUE constraint failed/);
    db.prepare('UPDATE model_versions SET is_challenger = 0, challenger_set_at = NULL, challenger_from = NULL').run();
    expect(() => set(1)).toThrow(/CHECK constraint failed/);
    expect(() => db.prepare(`UPDATE model_versions SET is_challenger = 1 WHERE model_version = 3`).run()).toThrow(/CHECK constraint failed/);
    db.close();
  });

  test("the database holds one running A/B test; the buckets it stores are domain/abSplit's; ab_scores has each served contact once", async () => {
    e = await env();
    for (let v = 1; v <= 2; v++) await register(e, v === 1 ? W1 : W2, -0.1 * v);
    await deployVersion(e, 1, { by: 't' });
    await e.warehouse.setChallenger({ version: 2, from: '2026-05-01', by: 't' });
    const buffer = new RowBuffer(1000);
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      ids.push(`contact-${i}`);
      buffer.x.set([i % 60, 0.5, 0, 0.3, 0.2, (i % 97) / 97, 0.5], i * N_FEATURES);
      buffer.pushString(ids[i]!);
    }
    const l = await e.warehouse.openPopulationLoad({ asOf: '2026-05-01', path: 'processed/features/2026/05/01' });
    await l.write(buffer.rows());
    await l.commit('h'.repeat(64));
    const t = await e.warehouse.startAbTest({ salt: 'exp-7', treatmentPercent: 25.5, from: '2026-05-02', by: 't' });
    const db = raw(e);
    const stored = new Map(
      (db.prepare('SELECT contact_id, bucket FROM ab_arms WHERE ab_test_id = ?').all(t.id) as { contact_id: string; bucket: number }[]).map((r) => [
        r.contact_id,
        r.bucket,
      ]),
    );
    expect(stored.size).toBe(1000);
    for (const id of ids) expect(stored.get(id)).toBe(abBucket('exp-7', id));
    const view = db.prepare('SELECT arm, COUNT(*) AS n, COUNT(DISTINCT contact_id) AS d FROM ab_scores GROUP BY arm ORDER BY arm').all() as {
      arm: string;
      n: number;
      d: number;
    }[];
    const treated = ids.filter((id) => abArm('exp-7', id, 25.5) === 'treatment').length;
    expect(view).toEqual([
      { arm: 'control', n: 1000 - treated, d: 1000 - treated },
      { arm: 'treatment', n: treated, d: treated },
    ]);
    // Bypassing the adapter: a second running test breaks the unique index; a stopped one needs its time; buckets stay in 0..9999.
    const insert = db.prepare(
      `INSERT INTO ab_tests (salt, treatment_buckets, champion_version, challenger_version, from_date, started_at, started_by, is_running, stopped_at) VALUES ('x', 5000, 1, 2, '2026-05-01', '2026-05-01T00:00:00Z', 't', ?, ?)`,
    );
    expect(() => insert.run(1, null)).toThrow(/UNIQUE constraint failed/);
    expect(() => insert.run(0, null)).toThrow(/CHECK constraint failed/);
    expect(() => db.prepare(`UPDATE ab_arms SET bucket = 10000 WHERE contact_id = 'contact-1'`).run()).toThrow(/CHECK constraint failed/);
    expect(() => db.prepare(`UPDATE ab_tests SET challenger_version = 1`).run()).toThrow(/CHECK constraint failed/);
    db.close();
  });

  test('scoring_weights has the seed columns, in order', async () => {
    e = await env();
    const db = raw(e);
    const cols = db
      .prepare('PRAGMA table_info(scoring_weights)')
      .all()
      .map((r) => r.name);
    expect(cols).toEqual(['model_version', 'feature', 'weight', 'offset', 'is_active', 'created_at']);
    const ls = db
      .prepare('PRAGMA table_info(lead_scores)')
      .all()
      .map((r) => r.name);
    expect(ls).toEqual(['contact_id', 'model_version', 'lead_score', 'probability', 'score_100', 'band', 'top_factors', 'as_of', 'scored_at', 'grade']);
    db.close();
  });

  test('the database itself refuses a second active version', async () => {
    e = await env();
    await register(e, W1, 0.1);
    await register(e, W2, 0.2);
    await deployVersion(e, 1, { by: 'test' });
    const db = raw(e);
    expect(() => db.prepare(`UPDATE model_versions SET status = 'active', is_active = 1 WHERE model_version = 2`).run()).toThrow(/UNIQUE constraint failed/);
    expect(() => db.prepare(`UPDATE scoring_weights SET is_active = 1 WHERE model_version = 2`).run()).toThrow(/UNIQUE constraint failed/);
    db.close();
  });
});

describe('version lifecycle', () => {
  test('register stores the lake artifacts and an inactive staged version with its weights', async () => {
    e = await env();
    const v = await register(e, W1, -0.7);
    expect(v).toBe(1);
    for (const f of ['model.json', 'weights.csv', 'metrics.json']) expect(await e.lake.exists(`models/v1/${f}`)).toBe(true);
    expect(JSON.parse((await e.lake.read('models/v1/model.json')).toString()).model_version).toBe(1);
    const [mv] = await listVersions(e);
    expect(mv).toMatchObject({
      version: 1,
      status: 'staged',
      trigger: 'manual',
      artifactPath: 'models/v1/',
      windowStart: '2026-01-01',
      windowEnd: '2026-04-30',
      activatedAt: null,
    });
    expect(mv!.metrics).toMatchObject({ auc: 0.7, pr_auc: 0.3, brier: 0.15 });
    expect(await e.warehouse.getWeights(1)).toEqual({ version: 1, weights: W1, offset: -0.7 });
    expect(await e.warehouse.getActiveWeights()).toBeUndefined();
  });

  test('deploy activates, retires the previous one, and logs who, from, to and why', async () => {
    e = await env();
    await register(e, W1, 0.1);
    await register(e, W2, 0.2);
    await deployVersion(e, 1, { by: 'alice', reason: 'first' });
    const r = await deployVersion(e, 2, { by: 'bob', reason: 'better PR-AUC' });
    expect(r.deployment).toMatchObject({ action: 'deploy', fromVersion: 1, toVersion: 2, by: 'bob', reason: 'better PR-AUC' });
    expect(await e.warehouse.getActiveWeights()).toEqual({ version: 2, weights: W2, offset: 0.2 });
    const vs = await listVersions(e);
    expect(vs.map((v) => [v.version, v.status, v.activatedBy])).toEqual([
      [1, 'retired', 'alice'],
      [2, 'active', 'bob'],
    ]);
    const log = await e.warehouse.listDeployments(10);
    expect(log.map((d) => [d.action, d.fromVersion, d.toVersion, d.by])).toEqual([
      ['deploy', 1, 2, 'bob'],
      ['deploy', null, 1, 'alice'],
    ]);
  });

  test('rollback walks back through deploy history, and --to names a version', async () => {
    e = await env();
    for (const w of [W1, W2, W3]) await register(e, w, 0);
    await deployVersion(e, 1, { by: 't' });
    await deployVersion(e, 2, { by: 't' });
    await deployVersion(e, 3, { by: 't' });
    expect((await rollback(e, { by: 't', reason: 'AUC dropped' })).deployment).toMatchObject({
      action: 'rollback',
      fromVersion: 3,
      toVersion: 2,
      reason: 'AUC dropped',
    });
    expect((await rollback(e, { by: 't' })).deployment).toMatchObject({ fromVersion: 2, toVersion: 1 });
    await expect(rollback(e, { by: 't' })).rejects.toThrow(/no previous version/);
    expect((await rollback(e, { by: 't', toVersion: 3 })).deployment).toMatchObject({ fromVersion: 1, toVersion: 3 });
    expect((await e.warehouse.getActiveWeights())!.version).toBe(3);
  });

  test('unknown, already active and rejected versions are refused with nothing changed', async () => {
    e = await env();
    await register(e, W1, 0);
    await deployVersion(e, 1, { by: 't' });
    await expect(deployVersion(e, 9, { by: 't' })).rejects.toBeInstanceOf(WarehouseNotFoundError);
    await expect(deployVersion(e, 1, { by: 't' })).rejects.toThrow(/already active/);
    await expect(rollback(e, { by: 't', toVersion: 9 })).rejects.toBeInstanceOf(WarehouseNotFoundError);
    expect(await e.warehouse.listDeployments(10)).toHaveLength(1);
  });

  test.each(['read-active', 'retire-version', 'deactivate-weights', 'activate-version', 'activate-weights', 'log'])(
    'a failure at step %s leaves the previous state whole',
    async (step) => {
      let armed = false;
      e = await env({
        failpoint: (s) => {
          if (armed && s === step) throw new Error(`injected failure at ${s}`);
        },
      });
      await register(e, W1, 0.1);
      await register(e, W2, 0.2);
      await deployVersion(e, 1, { by: 't' });
      const before = { versions: await listVersions(e), log: await e.warehouse.listDeployments(10), active: await e.warehouse.getActiveWeights() };
      armed = true;
      await expect(deployVersion(e, 2, { by: 't' })).rejects.toThrow(/injected failure/);
      await expect(rollback(e, { by: 't', toVersion: 2 })).rejects.toThrow(); // staged: refused before the transaction
      armed = false;
      expect({ versions: await listVersions(e), log: await e.warehouse.listDeployments(10), active: await e.warehouse.getActiveWeights() }).toEqual(before);
      const db = raw(e);
      expect(db.prepare('SELECT model_version, COUNT(*) AS n FROM scoring_weights WHERE is_active = 1 GROUP BY model_version').all()).toEqual([
        { model_version: 1, n: N_FEATURES },
      ]);
      db.close();
    },
  );

  test('concurrent deploys serialize: one wins, the other gets a conflict', async () => {
    e = await env();
    for (const w of [W1, W2, W3]) await register(e, w, 0);
    await deployVersion(e, 1, { by: 't' });
    const results = await Promise.allSettled([deployVersion(e, 2, { by: 'a' }), deployVersion(e, 3, { by: 'b' })]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toBeInstanceOf(WarehouseConflictError);
    expect(failed[0]!.reason.message).toMatch(/active version changed/);
    expect(await e.warehouse.listDeployments(10)).toHaveLength(2);
  });

  test('a second connection to the same file waits for the write lock, then sees the conflict', async () => {
    e = await env();
    for (const w of [W1, W2]) await register(e, w, 0);
    const other = new SqliteWarehouse(path.join(e.home, 'warehouse.db'));
    // Both saw "nothing active"; the first commits, the second must not clobber it.
    await other.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
    await expect(e.warehouse.activate({ action: 'deploy', toVersion: 2, expectedActive: null, by: 'b', reason: null })).rejects.toBeInstanceOf(
      WarehouseConflictError,
    );
    await other.close();
    expect((await e.warehouse.getActiveWeights())!.version).toBe(1);
  });
});

describe("the seed's scoring SELECT", () => {
  test('runs as written against the pivot view and equals leadScore within 1e-12', async () => {
    e = await env();
    await register(e, W1, -0.37);
    await deployVersion(e, 1, { by: 't' });
    const db = raw(e);
    // A population, as a load leaves it: its contacts, and its row in served_population.
    db.prepare(`INSERT INTO served_population VALUES (1, '2026-05-04', 'h', 'processed/features/2026/05/04', 3, 'now')`).run();
    const ins = db.prepare(`INSERT INTO served_contacts (contact_id, ${FEATURES.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const xs: number[][] = [
      [0, 0, 0, 0, 0, 0, 0.5],
      [60, 0.999, -2, 1, 1, 1, 0.01],
      [7, 0.3934693402873666, 1.25, 0.3333333333333333, 0.1, 0.42, 2 / 3],
    ];
    xs.forEach((x, i) => ins.run(`c${i}`, ...x));
    db.close();
    const got = await e.warehouse.runSeedScoringSelect();
    expect(got).toHaveLength(3);
    for (const r of got) {
      const x = xs[Number(r.contactId.slice(1))]!;
      expect(Math.abs(r.leadScore - leadScore(W1, -0.37, x))).toBeLessThanOrEqual(1e-12);
    }
    // Hand-computed for the first row: 0.5·0.9 + (−0.37) = 0.08.
    expect(got.find((r) => r.contactId === 'c0')!.leadScore).toBeCloseTo(0.08, 12);
    // The statement exactly as written (no contact column) gives the same multiset.
    const asWritten = e.warehouse.seedScoringSelectAsWritten().sort((a, b) => a - b);
    expect(asWritten).toEqual(xs.map((x) => leadScore(W1, -0.37, x)).sort((a, b) => a - b));
  });

  test('returns no rows while no version is active', async () => {
    e = await env();
    await register(e, W1, 0);
    expect(e.warehouse.seedScoringSelectAsWritten()).toEqual([]);
  });
});

describe('a registered artifact is never overwritten', () => {
  test('a lost warehouse is reported naming its file; numbers stay above the lake’s; an existing folder is an error', async () => {
    e = await env();
    await register(e, W1, 0.1);
    const before = (await e.lake.read('models/v1/model.json')).toString();
    // The warehouse file is lost (or truncated): a fresh, empty one in its place.
    await e.warehouse.close();
    for (const s of ['', '-wal', '-shm']) rmSync(path.join(e.home, `warehouse.db${s}`), { force: true });
    writeFileSync(path.join(e.home, 'warehouse.db'), '');
    e.warehouse = new SqliteWarehouse(path.join(e.home, 'warehouse.db'));
    await e.warehouse.migrate();
    await expect(register(e, W2, 0.2)).rejects.toThrow(
      new RegExp(
        `the warehouse ${path.join(e.home, 'warehouse.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds no model versions, but the lake holds models/v1..v1`,
      ),
    );
    await expect(deployVersion(e, 1, { by: 't' })).rejects.toThrow(/holds no model versions, but the lake holds/);
    expect((await e.lake.read('models/v1/model.json')).toString()).toBe(before);
    // A warehouse that knows fewer versions than the lake numbers above the lake's highest.
    await e.warehouse.insertVersion({
      version: 1,
      status: 'staged',
      trigger: 'manual',
      artifactPath: 'models/v1/',
      metrics: { auc: 0.7, pr_auc: 0.3, brier: 0.1 },
      windowStart: null,
      windowEnd: null,
      weights: W1,
      offset: 0.1,
      trainingMean: [0, 0, 0, 0, 0, 0, 0],
    });
    await e.lake.write('models/v2/model.json', '{}\n');
    expect(await register(e, W2, 0.2)).toBe(3);
    expect((await e.lake.read('models/v2/model.json')).toString()).toBe('{}\n');
  });

  test('a damaged warehouse file is an error naming it', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wh-bad-')), 'warehouse.db');
    writeFileSync(file, 'this is not a database, but it is long enough to be read as one: '.repeat(200));
    expect(() => new SqliteWarehouse(file)).toThrow(
      new RegExp(`the warehouse ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be opened: .*not a database`),
    );
  });
});

describe('errors', () => {
  test('the first error is the one reported: a failure that already ended the transaction (a full disk does) is not hidden by the ROLLBACK', async () => {
    e = await env({
      failpoint: (step) => {
        if (step !== 'retire-version') return;
        // What SQLITE_FULL does to a transaction: SQLite rolls it back itself, then the statement fails.
        (e.warehouse as unknown as { db: DatabaseSync }).db.exec('ROLLBACK');
        throw new Error('database or disk is full');
      },
    });
    await register(e, W1, 0.1);
    await register(e, W2, 0.2);
    await deployVersion(e, 1, { by: 't' });
    await expect(deployVersion(e, 2, { by: 't' })).rejects.toThrow('database or disk is full');
    expect(await e.warehouse.activeVersion()).toBe(1);
  });
});

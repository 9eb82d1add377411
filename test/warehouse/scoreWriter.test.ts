import { DatabaseSync } from 'node:sqlite';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { N_FEATURES } from '../../shared/features/schema';
import type { ScoredChunk } from '../../shared/ports/warehouse';
import { env, type Env } from '../scoring/fixtures';

/**
 * The SQLite score writer runs its transaction on a second thread and sends rows in messages of a
 * few thousand, with per-run constants as SQL literals: these tests pin what that must not change.
 */
let e: Env;
afterEach(async () => e && (await e.close()));

function chunk(n: number, asOf: (i: number) => string, opts: Partial<ScoredChunk> = {}): ScoredChunk {
  const x = new Float64Array(n * N_FEATURES);
  for (let i = 0; i < x.length; i++) x[i] = (i % 97) / 97;
  return {
    n,
    contactId: Array.from({ length: n }, (_, i) => `c${String(i).padStart(6, '0')}`),
    asOf: Array.from({ length: n }, (_, i) => asOf(i)),
    x,
    leadScore: Float64Array.from({ length: n }, (_, i) => i / 7 - 3),
    probability: Float64Array.from({ length: n }, (_, i) => (i % 1000) / 1000),
    score100: Uint8Array.from({ length: n }, (_, i) => i % 101),
    band: Array.from({ length: n }, (_, i) => ['High', 'Medium', 'Low', 'Very low'][i % 4]!),
    topFactors: (i) => `[["row",${i}]]`,
    modelVersion: 3,
    scoredAt: "2026-05-05T01:02:03.456Z",
    ...opts,
  };
}

function rows(sql: string): Record<string, unknown>[] {
  const db = new DatabaseSync(path.join(e.home, 'warehouse.db'));
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

test('every row of a large chunk lands with its own values (several messages, batch remainders, mixed as_of)', async () => {
  e = await env();
  const n = 20_011; // > 2 messages of 8192 rows, not a multiple of the 256-row batch
  const c = chunk(n, (i) => (i < 5000 ? '2026-05-04' : i < 5001 ? "2026-05-03" : '2026-05-04'));
  const w = await e.warehouse.openScoreWriter();
  await w.write(c);
  await w.commit();
  const s = rows('SELECT * FROM lead_scores ORDER BY contact_id');
  const f = rows('SELECT * FROM contact_features ORDER BY contact_id');
  expect(s).toHaveLength(n);
  expect(f).toHaveLength(n);
  for (const i of [0, 255, 256, 4999, 5000, 5001, 8191, 8192, 16384, n - 1]) {
    expect(s[i]).toEqual({
      contact_id: c.contactId[i],
      model_version: 3,
      lead_score: c.leadScore[i],
      probability: c.probability[i],
      score_100: c.score100[i],
      band: c.band[i],
      top_factors: `[["row",${i}]]`,
      as_of: c.asOf[i],
      scored_at: c.scoredAt,
    });
    expect(f[i]).toMatchObject({ contact_id: c.contactId[i], as_of: c.asOf[i], updated_at: c.scoredAt, recency_days: c.x[i * N_FEATURES], mms_affinity: c.x[i * N_FEATURES + 6] });
  }
});

test('constants with a quote are data, not SQL', async () => {
  e = await env();
  const w = await e.warehouse.openScoreWriter();
  await w.write(chunk(3, () => "2026-05-04'; DROP TABLE lead_scores; --", { scoredAt: "it's" }));
  await w.commit();
  expect(rows('SELECT DISTINCT as_of, scored_at FROM lead_scores')).toEqual([{ as_of: "2026-05-04'; DROP TABLE lead_scores; --", scored_at: "it's" }]);
});

test('a failing statement on the writer thread fails commit; rollback leaves nothing and releases the lock', async () => {
  e = await env();
  const w = await e.warehouse.openScoreWriter();
  await w.write(chunk(300, () => '2026-05-04'));
  // band must be one of the four: the CHECK constraint fails inside the thread.
  await w.write(chunk(300, () => '2026-05-04', { band: Array.from({ length: 300 }, () => 'Bogus') }));
  await expect(w.commit()).rejects.toThrow(/CHECK constraint failed/);
  await w.rollback();
  expect(rows('SELECT COUNT(*) AS n FROM lead_scores')[0]!.n).toBe(0);
  expect(rows('SELECT COUNT(*) AS n FROM contact_features')[0]!.n).toBe(0);
  // The write lock is free again: a new writer commits.
  const again = await e.warehouse.openScoreWriter();
  await again.write(chunk(10, () => '2026-05-04'));
  await again.commit();
  expect(rows('SELECT COUNT(*) AS n FROM lead_scores')[0]!.n).toBe(10);
});

test('only rows with as_of >= the stored as_of win', async () => {
  e = await env();
  let w = await e.warehouse.openScoreWriter();
  await w.write(chunk(4, () => '2026-05-04'));
  await w.commit();
  w = await e.warehouse.openScoreWriter();
  await w.write(chunk(4, (i) => (i % 2 === 0 ? '2026-05-01' : '2026-05-06'), { modelVersion: 4 }));
  await w.commit();
  expect(rows('SELECT contact_id, as_of, model_version FROM lead_scores ORDER BY contact_id')).toEqual([
    { contact_id: 'c000000', as_of: '2026-05-04', model_version: 3 },
    { contact_id: 'c000001', as_of: '2026-05-06', model_version: 4 },
    { contact_id: 'c000002', as_of: '2026-05-04', model_version: 3 },
    { contact_id: 'c000003', as_of: '2026-05-06', model_version: 4 },
  ]);
  expect(rows('SELECT contact_id, as_of FROM contact_features ORDER BY contact_id').map((r) => r.as_of)).toEqual(['2026-05-04', '2026-05-06', '2026-05-04', '2026-05-06']);
});

test('the commit is reported first; the writer thread then copies the WAL into the database file', async () => {
  e = await env();
  const file = path.join(e.home, 'warehouse.db');
  const before = statSync(file).size;
  const w = await e.warehouse.openScoreWriter();
  await w.write(chunk(5000, () => '2026-05-04'));
  await w.commit();
  // Committed: a new connection sees every row at once, whether or not the checkpoint has run.
  expect(rows('SELECT COUNT(*) AS n FROM lead_scores')[0]!.n).toBe(5000);
  const checkpoints = await e.warehouse.settled();
  expect(checkpoints).toHaveLength(1);
  expect(checkpoints[0]).toBeGreaterThan(0);
  // The pages are now in the database file itself (COMMIT alone only appends them to the WAL).
  expect(statSync(file).size - before).toBeGreaterThan(5000 * 100);
  expect(await e.warehouse.settled()).toEqual([]);
});

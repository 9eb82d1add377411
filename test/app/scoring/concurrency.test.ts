import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { FEATURES, N_FEATURES } from '../../../shared/domain/features/schema';
import { leadScore } from '../../../shared/domain/model/score';
import { scorePartition } from '../../../shared/app/scoring';
import { exportIsCurrent } from '../../../shared/app/scoresExport';
import { deployVersion } from '../../../shared/app/versions';
import { env, featureRows, FEATURES_HEADER, register, W1, W2, W3, type Env } from '../../support/fixtures';
import { silentLog } from '../../../shared/ports/log';
import { warehouseChildScript } from '../../support/warehouseChild';

/**
 * Real processes racing on one SQLite file: in every round one process deploys, one rolls back and
 * one loads a new population (each with its export), released together. After every round — and
 * continuously while it runs, from this process — every served score comes from the active version
 * and equals its weighted sum, the served contacts are exactly the loaded population, and the lake
 * export is the one of what is served, with no file left behind.
 */
const ROUNDS = 100;

const CHILD = warehouseChildScript(`
    if (m.op === 'deploy') out = (await deployVersion(deps, m.version, { by: 'child' })).deployment.toVersion;
    else if (m.op === 'rollback') out = (await rollback(deps, { by: 'child', toVersion: m.version })).deployment.toVersion;
    else out = (await scorePartition({ lake, warehouse, ledger, log, chunkRows: 64 }, m.path)).status;`);

let e: Env;
let children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  children = [];
  if (e) await e.close();
});

function ask(child: ChildProcess, m: Record<string, unknown>): Promise<{ ok?: unknown; error?: string }> {
  const reply = new Promise<{ ok?: unknown; error?: string }>((resolve) => child.once('message', resolve as never));
  child.send(m);
  return reply;
}

/** The whole served state read in one snapshot (one read transaction), as any reader sees it. */
function snapshot(file: string): {
  active: number | null;
  rows: Record<string, unknown>[];
  features: number;
  weights: Map<number, { w: number[]; offset: number }>;
} {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    db.exec('BEGIN');
    const a = db.prepare('SELECT model_version FROM model_versions WHERE is_active = 1').get() as { model_version: number } | undefined;
    const rows = db
      .prepare(
        `SELECT s.contact_id, s.model_version, s.lead_score, ${FEATURES.map((f) => `f.${f}`).join(', ')} FROM lead_scores s JOIN contact_features f USING (contact_id)`,
      )
      .all() as Record<string, unknown>[];
    const features = (db.prepare('SELECT COUNT(*) AS n FROM contact_features').get() as { n: number }).n;
    const weights = new Map<number, { w: number[]; offset: number }>();
    for (const r of db.prepare('SELECT model_version, feature, weight, "offset" AS o FROM scoring_weights').all() as {
      model_version: number;
      feature: string;
      weight: number;
      o: number;
    }[]) {
      const v = weights.get(r.model_version) ?? { w: Array<number>(N_FEATURES).fill(NaN), offset: r.o };
      v.w[FEATURES.indexOf(r.feature as never)] = r.weight;
      weights.set(r.model_version, v);
    }
    db.exec('COMMIT');
    return { active: a?.model_version ?? null, rows, features, weights };
  } finally {
    db.close();
  }
}

function checkSnapshot(file: string): void {
  const s = snapshot(file);
  expect(s.rows).toHaveLength(s.active === null ? 0 : s.features);
  for (const r of s.rows) {
    if (r.model_version !== s.active) throw new Error(`contact ${String(r.contact_id)} served by v${String(r.model_version)} while v${s.active} is active`);
    const { w, offset } = s.weights.get(r.model_version as number)!;
    const x = FEATURES.map((f) => r[f] as number);
    if (Math.abs((r.lead_score as number) - leadScore(w, offset, x)) > 1e-12)
      throw new Error(`contact ${String(r.contact_id)}: lead_score is not v${s.active}'s weighted sum`);
  }
}

test(`${ROUNDS} rounds of concurrent deploy, rollback and population loads from separate processes`, async () => {
  e = await env();
  for (const [w, o] of [
    [W1, -0.3],
    [W2, 0.25],
    [W3, 0.1],
  ] as const)
    await register(e, w, o);
  await deployVersion(e, 1, { by: 't' });
  // Two populations of different contacts on two dates, alternately re-landed with new content.
  const folders = ['processed/features/2026/05/04', 'processed/features/2026/05/05'];
  const land = async (k: number): Promise<string> => {
    const folder = folders[k % 2]!;
    const asOf = folder.slice(-10).replaceAll('/', '-');
    const rows = featureRows(150 + (k % 7) * 10, k + 1, asOf).map((l, i) => (k % 3 === 0 ? l : l.replace(/^c/, i % 2 ? 'd' : 'c')));
    await e.lake.write(`${folder}/part-0.csv`, `${FEATURES_HEADER}\n${rows.join('\n')}\n`);
    await e.lake.write(`${folder}/_SUCCESS`, '');
    return folder;
  };
  await scorePartition({ lake: e.lake, warehouse: e.warehouse, ledger: e.ledger, log: silentLog }, await land(1));

  const script = path.join(e.home, 'child.js');
  fs.writeFileSync(script, CHILD);
  children = [0, 1, 2].map(() => fork(script, [e.home], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }));
  // A child that cannot start (a module moved, say) fails the test at once instead of leaving it waiting.
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve, reject) => {
          c.once('message', resolve);
          c.once('exit', (code) => reject(new Error(`a child exited with ${String(code)} before it was ready`)));
        }),
    ),
  );

  const db = path.join(e.home, 'warehouse.db');
  let checks = 0;
  let stop = false;
  let readerError: unknown;
  // A reader racing every round: whatever it reads in one statement is one version's scores.
  const reader = (async () => {
    while (!stop) {
      try {
        checkSnapshot(db);
        checks++;
      } catch (err) {
        readerError ??= err;
      }
      await new Promise((r) => setImmediate(r));
    }
  })();

  const outcomes = { deploy: 0, rollback: 0, load: 0, conflicts: 0 };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Dates stay 2026-05-04/05; the newer date is never replaced by the older one (superseded).
      const path2 = await land(round + 2);
      const ops = [
        { op: 'deploy', version: 1 + (round % 3) },
        { op: 'rollback', version: 1 + ((round + 1) % 3) },
        { op: 'load', path: path2 },
      ];
      const replies = await Promise.all(children.map((c, i) => ask(c, ops[i]!)));
      replies.forEach((r, i) => {
        if (r.error) {
          // A deploy or rollback that lost the race is refused as a conflict, with nothing changed.
          if (!/WarehouseConflictError/.test(r.error)) throw new Error(`round ${round}, ${ops[i]!.op}: ${r.error}`);
          outcomes.conflicts++;
        } else outcomes[ops[i]!.op as 'deploy' | 'rollback' | 'load']++;
      });
      checkSnapshot(db);
      const state = await e.warehouse.servedState();
      expect([round, await exportIsCurrent(e.lake, state)]).toEqual([round, true]);
      const files = (await e.lake.list('scores')).map((f) => f.path);
      expect([round, files.filter((f) => path.posix.basename(f).startsWith('_tmp'))]).toEqual([round, []]);
    }
  } finally {
    stop = true;
    await reader;
    for (const c of children) c.send({ op: 'exit' });
  }
  if (readerError) throw readerError instanceof Error ? readerError : new Error(String(readerError));
  expect(checks).toBeGreaterThan(ROUNDS);
  // The race was real: both kinds of version change won some rounds and lost others.
  expect(outcomes.deploy + outcomes.rollback).toBeGreaterThan(ROUNDS / 2);
  expect(outcomes.conflicts).toBeGreaterThan(0);
  expect(outcomes.load).toBe(ROUNDS);
}, 300_000);

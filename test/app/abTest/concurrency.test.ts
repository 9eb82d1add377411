import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { abBucket, armOfBucket } from '../../../shared/domain/abSplit';
import { scorePartition } from '../../../shared/app/scoring';
import { deployVersion } from '../../../shared/app/versions';
import { silentLog } from '../../../shared/ports/log';
import { env, featureRows, FEATURES_HEADER, register, W1, W2, W3, type Env } from '../../support/fixtures';
import { lcg, warehouseChildScript } from '../../support/warehouseChild';

/**
 * The A/B split's invariant, held by construction, with real processes racing on one SQLite file and
 * killed with SIGKILL at random moments: in every round one process loads a new population, one
 * starts or stops an A/B test, one sets or ends the challenger, and one deploys or rolls back. In any
 * snapshot — read continuously from this process, and after every round — at most one test runs; while
 * one runs, its champion and challenger are the active version and the challenger, and ab_scores has
 * every served contact exactly once, in the arm of its stored bucket, which is domain/abSplit.ts's hash
 * of the test's salt and its id, scored by that arm's version; with none running, ab_scores is
 * lead_scores with no arm.
 */
const ROUNDS = 60;

const CHILD = warehouseChildScript(`
    if (m.op === 'deploy') out = (await deployVersion(deps, m.version, { by: 'child' })).deployment.toVersion;
    else if (m.op === 'rollback') out = (await rollback(deps, { by: 'child', toVersion: m.version })).deployment.toVersion;
    else if (m.op === 'load') out = (await scorePartition({ lake, warehouse, ledger, log, chunkRows: 64 }, m.path)).status;
    else if (m.op === 'ab-start') out = (await warehouse.startAbTest({ salt: m.salt, treatmentPercent: m.pct, from: '2026-05-05', by: 'child' })).id;
    else if (m.op === 'ab-stop') out = (await warehouse.stopAbTest('child', 'stopped')) !== null;
    else if (m.op === 'challenger') out = (await warehouse.setChallenger({ version: m.version, from: '2026-05-05', by: 'child' })).previous;
    else out = await warehouse.clearChallenger('child');`);

let e: Env;
let children: (ChildProcess | null)[] = [];

afterEach(async () => {
  for (const c of children) c?.kill('SIGKILL');
  children = [];
  if (e) await e.close();
});

type Row = Record<string, unknown>;

/** The invariant, on one read transaction's snapshot. */
function checkSnapshot(file: string): 'running' | 'none' {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    db.exec('BEGIN');
    const running = db.prepare('SELECT * FROM ab_tests WHERE is_running = 1').all() as Row[];
    const active = (db.prepare('SELECT model_version FROM model_versions WHERE is_active = 1').get() as Row | undefined)?.model_version;
    const challenger = (db.prepare('SELECT model_version FROM model_versions WHERE is_challenger = 1').get() as Row | undefined)?.model_version;
    const served = (db.prepare('SELECT contact_id FROM served_contacts').all() as Row[]).map((r) => String(r.contact_id));
    const rows = db.prepare('SELECT contact_id, ab_test_id, arm, model_version FROM ab_scores').all() as Row[];
    const buckets = new Map(
      (db.prepare('SELECT contact_id, bucket FROM ab_arms AS a JOIN ab_tests AS t USING (ab_test_id) WHERE t.is_running = 1').all() as Row[]).map((r) => [
        String(r.contact_id),
        Number(r.bucket),
      ]),
    );
    db.exec('COMMIT');
    if (running.length > 1) throw new Error(`${running.length} A/B tests running`);
    if (new Set(rows.map((r) => r.contact_id)).size !== rows.length || rows.length !== served.length) {
      throw new Error(`ab_scores has ${rows.length} rows for ${served.length} served contacts`);
    }
    const t = running[0];
    if (!t) {
      for (const r of rows)
        if (r.arm !== null || r.model_version !== active)
          throw new Error(`no test runs, yet ${String(r.contact_id)} is served ${String(r.arm)} by v${String(r.model_version)}`);
      return 'none';
    }
    if (t.champion_version !== active || t.challenger_version !== challenger) {
      throw new Error(
        `test ${String(t.ab_test_id)} compares v${String(t.champion_version)}/v${String(t.challenger_version)}, but v${String(active)} is active and v${String(challenger)} the challenger`,
      );
    }
    for (const r of rows) {
      const id = String(r.contact_id);
      const bucket = abBucket(String(t.salt), id);
      if (buckets.get(id) !== bucket) throw new Error(`${id}: stored bucket ${String(buckets.get(id))}, the hash gives ${bucket}`);
      const arm = armOfBucket(bucket, Number(t.treatment_buckets));
      if (r.arm !== arm || r.model_version !== (arm === 'treatment' ? challenger : active) || r.ab_test_id !== t.ab_test_id) {
        throw new Error(`${id} is served ${String(r.arm)} by v${String(r.model_version)}; its arm is ${arm}`);
      }
    }
    return 'running';
  } finally {
    db.close();
  }
}

test(`${ROUNDS} rounds of loads, A/B starts and stops, challenger changes and deploys from separate processes, killed at random`, async () => {
  e = await env();
  for (const [w, o] of [
    [W1, -0.3],
    [W2, 0.25],
    [W3, 0.1],
  ] as const)
    await register(e, w, o);
  await deployVersion(e, 1, { by: 't' });
  await e.warehouse.setChallenger({ version: 2, from: '2026-05-05', by: 't' });
  let latest = 3;
  const folders = ['processed/features/2026/05/04', 'processed/features/2026/05/05'];
  const land = async (k: number): Promise<string> => {
    const folder = folders[k % 2]!;
    const asOf = folder.slice(-10).replaceAll('/', '-');
    const rows = featureRows(120 + (k % 5) * 20, k + 1, asOf).map((l, i) => (k % 3 === 0 ? l : l.replace(/^c/, i % 2 ? 'd' : 'c')));
    await e.lake.write(`${folder}/part-0.csv`, `${FEATURES_HEADER}\n${rows.join('\n')}\n`);
    await e.lake.write(`${folder}/_SUCCESS`, '');
    return folder;
  };
  await scorePartition({ lake: e.lake, warehouse: e.warehouse, ledger: e.ledger, log: silentLog }, await land(1));

  const script = path.join(e.home, 'child.js');
  fs.writeFileSync(script, CHILD);
  const spawnChild = (): Promise<ChildProcess> => {
    const c = fork(script, [e.home], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    return new Promise((resolve, reject) => {
      c.once('message', () => resolve(c));
      c.once('exit', (code) => reject(new Error(`a child exited with ${String(code)} before it was ready`)));
    });
  };
  children = await Promise.all([0, 1, 2, 3].map(spawnChild));

  const db = path.join(e.home, 'warehouse.db');
  const seen = { running: 0, none: 0 };
  let stop = false;
  let readerError: unknown;
  const reader = (async () => {
    while (!stop) {
      try {
        seen[checkSnapshot(db)]++;
      } catch (err) {
        readerError ??= err;
      }
      await new Promise((r) => setImmediate(r));
    }
  })();

  const rnd = lcg(2026);
  const outcomes = { ok: 0, refused: 0, killed: 0 };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const loadPath = await land(round + 2);
      // New staged versions keep arriving (a challenger must be staged; deployed ones are retired later).
      if (round % 3 === 0) latest = await register(e, [W1, W2, W3][round % 3]!, round / 100);
      const v = 1 + Math.floor(rnd() * latest);
      const ops = [
        { op: 'load', path: loadPath },
        round % 4 === 3 ? { op: 'ab-stop' } : { op: 'ab-start', salt: `exp-${round}`, pct: [50, 10, 90, 33.33][round % 4] },
        round % 5 === 4 ? { op: 'clear' } : { op: 'challenger', version: latest - (round % 2) },
        round % 2 ? { op: 'deploy', version: v } : { op: 'rollback', version: v },
      ];
      // One child in two rounds is killed while its operation runs (SIGKILL, 0-40 ms in), and replaced.
      const victim = rnd() < 0.5 ? Math.floor(rnd() * 4) : -1;
      const killAfter = Math.floor(rnd() * 40);
      const replies = await Promise.all(
        children.map(
          (c, i) =>
            new Promise<{ ok?: unknown; error?: string; killed?: boolean }>((resolve) => {
              // A kill that comes after the reply is not made: the child lives on to the next round.
              const timer = i === victim ? setTimeout(() => c!.kill('SIGKILL'), killAfter) : undefined;
              c!.once('message', (m) => {
                clearTimeout(timer);
                resolve(m as never);
              });
              c!.once('exit', () => resolve({ killed: true }));
              c!.send(ops[i]!);
            }),
        ),
      );
      for (const [i, r] of replies.entries()) {
        const c = children[i]!;
        c.removeAllListeners('message').removeAllListeners('exit');
        // Killed, even if its reply got out first: replaced.
        if (r.killed || c.killed || c.exitCode !== null) {
          outcomes.killed++;
          children[i] = await spawnChild();
        } else if (r.error) {
          // Refusals the rules give (a second running test, a challenger that is the active version, a lost race): nothing changed.
          if (!/WarehouseConflictError|WarehouseNotFoundError/.test(r.error)) throw new Error(`round ${round}, ${ops[i]!.op}: ${r.error}`);
          outcomes.refused++;
        } else outcomes.ok++;
      }
      checkSnapshot(db);
    }
  } finally {
    stop = true;
    await reader;
  }
  if (readerError) throw readerError instanceof Error ? readerError : new Error(String(readerError));
  // The race was real: tests ran and did not, kills happened, and rules refused some operations.
  expect(seen.running).toBeGreaterThan(0);
  expect(seen.none).toBeGreaterThan(0);
  expect(outcomes.killed).toBeGreaterThan(10);
  expect(outcomes.refused).toBeGreaterThan(0);
}, 300_000);

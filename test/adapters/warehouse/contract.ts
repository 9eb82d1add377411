import { abArm } from '../../../shared/domain/abSplit';
import { N_FEATURES } from '../../../shared/domain/features/schema';
import type { FeatureRows } from '../../../shared/domain/features/rows';
import { leadScore } from '../../../shared/domain/model/score';
import { gradeCounts, gradeOf, gradeThresholds } from '../../../shared/domain/model/grades';
import { RowBuffer } from '../../../shared/fast/featureRows';
import { type NewVersion, type Warehouse, WarehouseConflictError, WarehouseNotFoundError } from '../../../shared/ports/warehouse';
import { W1, W2 } from '../../support/fixtures';

/**
 * The Warehouse port's contract, through the port alone: what every adapter must do, whatever its
 * engine. Run against SQLite (sqlite-contract.test.ts); Azure SQL has no engine on these machines, so
 * its adapter is held to the same statements by check:infra instead (parsed and compiled by DacFx).
 */
const MEANS = [30, 0.5, 0, 0.3, 0.2, 0.3, 0.5];

function version(n: number, weights: number[], offset: number, extra: Partial<NewVersion> = {}): NewVersion {
  return {
    version: n,
    status: 'staged',
    trigger: 'manual',
    artifactPath: `models/v${n}/`,
    metrics: { auc: 0.7 + n / 100, pr_auc: 0.2, brier: 0.05 },
    windowStart: '2026-01-01',
    windowEnd: '2026-04-30',
    weights,
    offset,
    trainingMean: MEANS,
    ...extra,
  };
}

/** Contacts `prefix0..prefix{n-1}` with features spread over their ranges (a deterministic recipe). */
function rows(n: number, prefix: string, seed = 1): { rows: FeatureRows; byId: Map<string, number[]> } {
  const buffer = new RowBuffer(n);
  const byId = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const id = `${prefix}${i}`;
    const v = [
      (i * 7 + seed) % 61,
      ((i * 13 + seed) % 100) / 101,
      (((i * 17 + seed) % 81) - 40) / 20,
      ((i * 19) % 50) / 50,
      ((i * 23) % 40) / 40,
      ((i * 29 + seed) % 97) / 97,
      (((i * 31) % 90) + 1) / 92,
    ];
    buffer.x.set(v, i * N_FEATURES);
    buffer.pushString(id);
    byId.set(id, v);
  }
  return { rows: buffer.rows(), byId };
}

async function load(w: Warehouse, asOf: string, data: FeatureRows, hash = `h-${asOf}`): Promise<void> {
  const l = await w.openPopulationLoad({ asOf, path: `processed/features/${asOf.replaceAll('-', '/')}` });
  try {
    await l.write(data);
    await l.commit(hash.padEnd(64, '0'));
  } catch (err) {
    await l.rollback();
    throw err;
  }
  l.release?.();
}

export function warehouseContract(name: string, make: () => Promise<{ warehouse: Warehouse; cleanup: () => Promise<void> | void }>): void {
  describe(`Warehouse contract: ${name}`, () => {
    let w: Warehouse;
    let cleanup: () => Promise<void> | void;
    beforeEach(async () => {
      ({ warehouse: w, cleanup } = await make());
      await w.migrate();
    });
    afterEach(async () => {
      await w.close();
      await cleanup();
    });

    test('migrate twice applies nothing the second time', async () => {
      expect(await w.migrate()).toEqual([]);
    });

    test('versions: numbered from 1, stored with their weights in canonical order, listed', async () => {
      expect(await w.nextVersion()).toBe(1);
      await w.insertVersion(version(1, W1, -0.3));
      await w.insertVersion(version(2, W2, 0.25, { status: 'rejected' }));
      expect(await w.nextVersion()).toBe(3);
      expect(await w.getVersion(1)).toMatchObject({
        version: 1,
        status: 'staged',
        trigger: 'manual',
        artifactPath: 'models/v1/',
        windowStart: '2026-01-01',
        windowEnd: '2026-04-30',
        activatedAt: null,
        complete: true,
      });
      expect((await w.getVersion(1))!.metrics.auc).toBeCloseTo(0.71, 12);
      expect(await w.getVersion(9)).toBeUndefined();
      expect((await w.listVersions()).map((v) => [v.version, v.status])).toEqual([
        [1, 'staged'],
        [2, 'rejected'],
      ]);
      expect(await w.getWeights(2)).toEqual({ version: 2, weights: W2, offset: 0.25 });
      expect(await w.getWeights(9)).toBeUndefined();
      expect(await w.getActiveWeights()).toBeUndefined();
      expect(await w.activeVersion()).toBeNull();
    });

    test('activation: one active version, the previous retired, conflicts refused, every change logged', async () => {
      await w.insertVersion(version(1, W1, -0.3));
      await w.insertVersion(version(2, W2, 0.25));
      const d1 = await w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
      expect(d1).toMatchObject({ action: 'deploy', fromVersion: null, toVersion: 1, by: 'a' });
      await expect(w.activate({ action: 'deploy', toVersion: 2, expectedActive: null, by: 'b', reason: null })).rejects.toThrow(WarehouseConflictError);
      await w.activate({ action: 'deploy', toVersion: 2, expectedActive: 1, by: 'b', reason: 'better' });
      expect(await w.activeVersion()).toBe(2);
      expect((await w.getVersion(1))!.status).toBe('retired');
      expect(await w.getActiveWeights()).toEqual({ version: 2, weights: W2, offset: 0.25 });
      expect(await w.activeModel()).toMatchObject({ version: 2, weights: W2, offset: 0.25, trainingMean: MEANS });
      await w.activate({ action: 'rollback', toVersion: 1, expectedActive: 2, by: 'c', reason: 'worse' });
      expect((await w.listDeployments(10)).map((d) => [d.action, d.fromVersion, d.toVersion, d.by])).toEqual([
        ['rollback', 2, 1, 'c'],
        ['deploy', 1, 2, 'b'],
        ['deploy', null, 1, 'a'],
      ]);
      expect((await w.listVersions()).filter((v) => v.status === 'active').map((v) => v.version)).toEqual([1]);
      await expect(w.activate({ action: 'deploy', toVersion: 9, expectedActive: 1, by: 'd', reason: null })).rejects.toThrow(WarehouseNotFoundError);
    });

    test('a rejected version is never activated; an incomplete one only when forced', async () => {
      await w.insertVersion(version(1, W1, -0.3, { status: 'rejected' }));
      await w.insertVersion(version(2, W2, 0.25, { complete: false }));
      await expect(w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null })).rejects.toThrow(WarehouseConflictError);
      await expect(w.activate({ action: 'deploy', toVersion: 2, expectedActive: null, by: 'a', reason: null })).rejects.toThrow(WarehouseConflictError);
      expect(await w.activeVersion()).toBeNull();
      await w.completeVersion(2);
      expect((await w.getVersion(2))!.complete).toBe(true);
      await w.activate({ action: 'deploy', toVersion: 2, expectedActive: null, by: 'a', reason: null });
      expect(await w.activeVersion()).toBe(2);
    });

    test('deleteVersion undoes a staged version and refuses one that was ever active', async () => {
      await w.insertVersion(version(1, W1, -0.3));
      await w.insertVersion(version(2, W2, 0.25));
      await w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
      await w.deleteVersion(2);
      expect(await w.getVersion(2)).toBeUndefined();
      expect(await w.getWeights(2)).toBeUndefined();
      await expect(w.deleteVersion(1)).rejects.toThrow();
      expect(await w.getVersion(1)).toBeDefined();
    });

    test('training means: versions without them are listed until they are stored', async () => {
      await w.insertVersion(version(1, W1, -0.3));
      expect(await w.versionsWithoutMeans()).toEqual([]);
      await w.putTrainingMeans(1, [1, 2, 3, 4, 5, 6, 7]);
      await w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
      expect((await w.activeModel())!.trainingMean).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    test('a population load serves exactly its contacts, each scored by the active version to 1e-12', async () => {
      await w.insertVersion(version(1, W1, -0.3));
      await w.insertVersion(version(2, W2, 0.25));
      await w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
      expect(await w.servedState()).toEqual({ population: null, activeVersion: 1 });
      const a = rows(300, 'c');
      await load(w, '2026-05-04', a.rows);
      const state = await w.servedState();
      expect(state).toMatchObject({ activeVersion: 1, population: { asOf: '2026-05-04', contacts: 300, path: 'processed/features/2026/05/04' } });
      expect(await w.countLeadScores()).toBe(300);
      for (const version of [1, 2]) {
        if (version === 2) await w.activate({ action: 'deploy', toVersion: 2, expectedActive: 1, by: 'a', reason: null });
        const [weights, offset] = version === 1 ? [W1, -0.3] : [W2, 0.25];
        for (const id of ['c0', 'c17', 'c299']) {
          const s = (await w.getLeadScore(id))!;
          expect(s).toMatchObject({ contactId: id, modelVersion: version, asOf: '2026-05-04' });
          expect(Math.abs(s.leadScore - leadScore(weights, offset, a.byId.get(id)!))).toBeLessThanOrEqual(1e-12);
          expect(s.probability).toBeCloseTo(1 / (1 + Math.exp(-s.leadScore)), 12);
          expect(s.score100).toBe(Math.floor(100 * s.probability + 0.5));
        }
        const seed = await w.runSeedScoringSelect();
        expect(seed).toHaveLength(300);
        for (const r of seed) expect(Math.abs(r.leadScore - leadScore(weights, offset, a.byId.get(r.contactId)!))).toBeLessThanOrEqual(1e-12);
      }
      const top = await w.topLeadScores(10);
      expect(top).toHaveLength(10);
      for (let i = 1; i < top.length; i++) expect(top[i - 1]!.leadScore).toBeGreaterThanOrEqual(top[i]!.leadScore);
      const best = Math.max(...[...a.byId.values()].map((x) => leadScore(W2, 0.25, x)));
      expect(Math.abs(top[0]!.leadScore - best)).toBeLessThanOrEqual(1e-12);
    });

    test('grades: thresholds stored with the version, served by active_model, graded in the lead_scores SELECT; none = NULL', async () => {
      // v1 has no thresholds; v2, the same weights, has them from v1's served scores (5/15/30 % of 300
      // contacts: ranks 15, 60 and 150), so the contacts at those ranks sit exactly on a threshold.
      const a = rows(300, 'c');
      await w.insertVersion(version(1, W1, -0.3));
      await w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
      await load(w, '2026-05-04', a.rows);
      expect((await w.activeModel())!.gradeMin).toBeNull();
      const before = await w.topLeadScores(300);
      expect(before.every((s) => s.grade === null)).toBe(true);
      const min = gradeThresholds(
        before.map((s) => s.leadScore),
        [5, 15, 30],
      );
      expect(min).toEqual([before[14]!.leadScore, before[59]!.leadScore, before[149]!.leadScore]);
      await w.insertVersion(version(2, W1, -0.3, { gradeMin: min }));
      await w.activate({ action: 'deploy', toVersion: 2, expectedActive: 1, by: 'a', reason: null });
      expect((await w.activeModel())!.gradeMin).toEqual(min);
      const after = await w.topLeadScores(300);
      // Each contact's grade is its own lead_score against the thresholds (ties on a threshold get its grade).
      for (const s of after) expect(s.grade).toBe(gradeOf(s.leadScore, min));
      expect(after.map((s) => s.leadScore)).toEqual(before.map((s) => s.leadScore));
      expect([after[14]!.grade, after[59]!.grade, after[149]!.grade]).toEqual(['A', 'B', 'C']);
      const counts = ['A', 'B', 'C', 'D'].map((g) => after.filter((s) => s.grade === g).length);
      expect(counts).toEqual(
        gradeCounts(
          after.map((s) => s.leadScore),
          min,
        ),
      );
      expect(counts.every((c) => c > 0)).toBe(true);
      expect((await w.getLeadScore('c17'))!.grade).toBe(gradeOf(leadScore(W1, -0.3, a.byId.get('c17')!), min));
      // Back to v1: no thresholds, no grades.
      await w.activate({ action: 'rollback', toVersion: 1, expectedActive: 2, by: 'a', reason: null });
      expect((await w.getLeadScore('c17'))!.grade).toBeNull();
      // Thresholds out of order are refused, and nothing of that version is kept.
      await expect(w.insertVersion(version(3, W2, 0.25, { gradeMin: [0, 1, 2] }))).rejects.toThrow();
      expect(await w.getVersion(3)).toBeUndefined();
    });

    test('challenger: at most one, a complete staged version, scored by challenger_scores for the same population; cleared when deployed', async () => {
      const min = [1, 0, -1];
      await w.insertVersion(version(1, W1, -0.3));
      await w.insertVersion(version(2, W2, 0.25, { gradeMin: min }));
      await w.insertVersion(version(3, W2, 0.5));
      await w.insertVersion(version(4, W1, 0.1, { status: 'rejected' }));
      await w.insertVersion(version(5, W1, 0.2, { complete: false }));
      await w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
      const a = rows(120, 'c');
      await load(w, '2026-05-04', a.rows);
      expect(await w.challenger()).toBeUndefined();
      expect(await w.getChallengerScore('c7')).toBeUndefined();
      expect(await w.setChallenger({ version: 2, from: '2026-05-05', by: 'op' })).toEqual({ previous: null });
      const c = (await w.challenger())!;
      expect(c).toMatchObject({ version: 2, weights: W2, offset: 0.25, from: '2026-05-05', gradeMin: min });
      expect(Date.parse(c.setAt)).toBeGreaterThan(0);
      // The same columns as lead_scores, for the same contacts, by the challenger's weights and thresholds.
      for (const id of ['c0', 'c7', 'c119']) {
        const champion = (await w.getLeadScore(id))!;
        const challenger = (await w.getChallengerScore(id))!;
        expect(Object.keys(challenger).sort()).toEqual(Object.keys(champion).sort());
        expect(champion.modelVersion).toBe(1);
        expect(challenger).toMatchObject({ contactId: id, modelVersion: 2, asOf: '2026-05-04' });
        expect(Math.abs(challenger.leadScore - leadScore(W2, 0.25, a.byId.get(id)!))).toBeLessThanOrEqual(1e-12);
        expect(challenger.grade).toBe(gradeOf(challenger.leadScore, min));
      }
      expect(await w.countLeadScores()).toBe(120);
      // Only a complete, staged version; another replaces it (one at a time, by the database).
      await expect(w.setChallenger({ version: 1, from: '2026-05-05', by: 'op' })).rejects.toThrow(WarehouseConflictError);
      await expect(w.setChallenger({ version: 4, from: '2026-05-05', by: 'op' })).rejects.toThrow(/rejected/);
      await expect(w.setChallenger({ version: 5, from: '2026-05-05', by: 'op' })).rejects.toThrow(/incomplete/);
      await expect(w.setChallenger({ version: 9, from: '2026-05-05', by: 'op' })).rejects.toThrow(WarehouseNotFoundError);
      expect((await w.challenger())!.version).toBe(2);
      expect(await w.setChallenger({ version: 3, from: '2026-05-06', by: 'op' })).toEqual({ previous: 2 });
      expect((await w.challenger())!).toMatchObject({ version: 3, from: '2026-05-06' });
      // Deploying the challenger makes it the champion and ends it as challenger, in the same transaction.
      await w.activate({ action: 'deploy', toVersion: 3, expectedActive: 1, by: 'a', reason: null });
      expect(await w.challenger()).toBeUndefined();
      expect((await w.getLeadScore('c7'))!.modelVersion).toBe(3);
      await w.setChallenger({ version: 2, from: '2026-05-07', by: 'op' });
      expect(await w.clearChallenger()).toBe(2);
      expect(await w.clearChallenger()).toBeNull();
      expect(await w.getChallengerScore('c7')).toBeUndefined();
    });

    test("A/B test: one at a time; every served contact in the arm of its hash, ab_scores serving its arm's version; a load stores new contacts' arms; a deploy or a challenger change stops it", async () => {
      await w.insertVersion(version(1, W1, -0.3));
      await w.insertVersion(version(2, W2, 0.25));
      await w.insertVersion(version(3, W2, 0.5));
      await w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
      const a = rows(400, 'c');
      await load(w, '2026-05-04', a.rows);
      // No test: ab_scores is lead_scores, with no arm.
      expect(await w.abTest()).toBeUndefined();
      expect(await w.getAbScore('c7')).toMatchObject({ contactId: 'c7', arm: null, abTestId: null, modelVersion: 1 });
      const start = { salt: 'spring', treatmentPercent: 30, from: '2026-05-05', by: 'op' };
      await expect(w.startAbTest(start)).rejects.toThrow(/challenger/);
      await w.setChallenger({ version: 2, from: '2026-05-05', by: 'op' });
      const t = await w.startAbTest(start);
      expect(t).toMatchObject({ running: true, champion: 1, challenger: 2, treatmentPercent: 30, salt: 'spring', from: '2026-05-05', startedBy: 'op' });
      const arms = (ids: Iterable<string>, salt: string, pct: number): Map<string, string> => new Map([...ids].map((id) => [id, abArm(salt, id, pct)]));
      const expected = arms(a.byId.keys(), 'spring', 30);
      const treated = [...expected.values()].filter((x) => x === 'treatment').length;
      expect(t.arms).toEqual({ control: 400 - treated, treatment: treated });
      expect(treated).toBeGreaterThan(80);
      expect(treated).toBeLessThan(160);
      for (const [id, arm] of expected) {
        const s = (await w.getAbScore(id))!;
        const v = arm === 'treatment' ? { n: 2, w: W2, o: 0.25 } : { n: 1, w: W1, o: -0.3 };
        expect(s).toMatchObject({ arm, abTestId: t.id, modelVersion: v.n });
        expect(Math.abs(s.leadScore - leadScore(v.w, v.o, a.byId.get(id)!))).toBeLessThanOrEqual(1e-12);
      }
      // One running test, by the database.
      await expect(w.startAbTest({ ...start, salt: 'other' })).rejects.toThrow(WarehouseConflictError);
      // The next population's contacts get their arms in the load's own transaction.
      const b = rows(300, 'd', 2);
      await load(w, '2026-05-05', b.rows);
      for (const [id, arm] of arms(b.byId.keys(), 'spring', 30)) expect((await w.getAbScore(id))!.arm).toBe(arm);
      expect(await w.getAbScore('c7')).toBeUndefined();
      // A new challenger stops the test in its transaction: everyone has the champion's score again.
      await w.setChallenger({ version: 3, from: '2026-05-06', by: 'op2' });
      expect(await w.abTest()).toMatchObject({ id: t.id, running: false, stoppedBy: 'op2', stopReason: expect.stringMatching(/challenger/) });
      expect(await w.getAbScore('d1')).toMatchObject({ arm: null, modelVersion: 1 });
      // A fresh salt is a fresh split, over the population served now; a deploy stops it.
      const t2 = await w.startAbTest({ ...start, salt: 'summer', treatmentPercent: 100 });
      expect(t2.id).toBeGreaterThan(t.id);
      expect(t2.arms).toEqual({ control: 0, treatment: 300 });
      expect((await w.getAbScore('d1'))!).toMatchObject({ arm: 'treatment', modelVersion: 3 });
      await w.activate({ action: 'deploy', toVersion: 3, expectedActive: 1, by: 'a', reason: null });
      expect(await w.abTest()).toMatchObject({ id: t2.id, running: false, stopReason: expect.stringMatching(/deployed/) });
      expect((await w.getAbScore('d1'))!).toMatchObject({ arm: null, modelVersion: 3 });
      // The operator's stop, and ending the challenger, stop it as well.
      await w.setChallenger({ version: 2, from: '2026-05-07', by: 'op' });
      const t3 = await w.startAbTest({ ...start, salt: 'autumn', treatmentPercent: 0 });
      expect(t3.arms).toEqual({ control: 300, treatment: 0 });
      expect(await w.stopAbTest('op', 'done')).toMatchObject({ id: t3.id, running: false, stopReason: 'done', arms: { control: 0, treatment: 0 } });
      expect(await w.stopAbTest('op', 'again')).toBeNull();
      await w.startAbTest({ ...start, salt: 'winter' });
      expect(await w.clearChallenger('op')).toBe(2);
      expect(await w.abTest()).toMatchObject({ salt: 'winter', running: false, stopReason: expect.stringMatching(/no longer the challenger/) });
    });

    test('the next population replaces the served one: a contact absent from it is no longer served', async () => {
      await w.insertVersion(version(1, W1, -0.3));
      await w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
      await load(w, '2026-05-04', rows(50, 'c').rows);
      await load(w, '2026-05-05', rows(20, 'd', 2).rows);
      expect(await w.countLeadScores()).toBe(20);
      expect(await w.getLeadScore('c3')).toBeUndefined();
      expect((await w.getLeadScore('d3'))!.asOf).toBe('2026-05-05');
      expect((await w.servedState()).population).toMatchObject({ asOf: '2026-05-05', contacts: 20 });
    });

    test('a load rolled back leaves the served state exactly as it was', async () => {
      await w.insertVersion(version(1, W1, -0.3));
      await w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
      await load(w, '2026-05-04', rows(50, 'c').rows);
      const before = await w.servedState();
      const l = await w.openPopulationLoad({ asOf: '2026-05-05', path: 'processed/features/2026/05/05' });
      expect(l.before).toEqual(before);
      expect(l.model).toMatchObject({ version: 1 });
      await l.write(rows(10, 'z').rows);
      await l.rollback();
      expect(await w.servedState()).toEqual(before);
      expect(await w.countLeadScores()).toBe(50);
      expect(await w.getLeadScore('z1')).toBeUndefined();
    });

    test('readServed gives one snapshot, then every contact in contact_id order, chunk by chunk', async () => {
      await w.insertVersion(version(1, W1, -0.3));
      await w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
      const a = rows(45, 'c');
      await load(w, '2026-05-04', a.rows);
      const seen: string[] = [];
      const chunks: number[] = [];
      let snapshots = 0;
      await w.readServed(16, {
        snapshot: async ({ state, model }) => {
          snapshots++;
          expect(state.activeVersion).toBe(1);
          expect(model).toMatchObject({ version: 1 });
          return true;
        },
        rows: async (r) => {
          chunks.push(r.n);
          for (let i = 0; i < r.n; i++) {
            const id = Buffer.from(r.ids.subarray(i === 0 ? 0 : r.idEnds[i - 1]!, r.idEnds[i])).toString('latin1');
            seen.push(id);
            expect(Array.from(r.x.subarray(i * N_FEATURES, (i + 1) * N_FEATURES))).toEqual(a.byId.get(id));
          }
        },
      });
      expect(snapshots).toBe(1);
      expect(chunks.every((n) => n <= 16)).toBe(true);
      expect(seen).toEqual([...a.byId.keys()].sort());
      let stopped = 0;
      await w.readServed(16, { snapshot: async () => false, rows: async () => void stopped++ });
      expect(stopped).toBe(0);
    });

    test('withServingLock passes the served state and returns what fn returns', async () => {
      await w.insertVersion(version(1, W1, -0.3));
      await w.activate({ action: 'deploy', toVersion: 1, expectedActive: null, by: 'a', reason: null });
      expect(await w.withServingLock(async (s) => s.activeVersion)).toBe(1);
      await expect(w.withServingLock(async () => Promise.reject(new Error('inside')))).rejects.toThrow('inside');
      expect(await w.activeVersion()).toBe(1);
    });
  });
}

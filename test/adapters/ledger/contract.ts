import type { DriftRecord, Ledger, PartitionRecord, RunRecord } from '../../../shared/ports/ledger';

/**
 * The behaviour every Ledger adapter must show. A store is one empty ledger (an SQLite file, an Azure
 * table); `open` gives another client on it, as another Functions instance would have.
 */
export interface LedgerStore {
  open(now: () => number): Ledger;
  dispose(): Promise<void>;
}
export type LedgerStoreFactory = () => Promise<LedgerStore>;

const T0 = Date.parse('2025-06-01T02:00:00.000Z');

export function ledgerContract(adapter: string, createStore: LedgerStoreFactory): void {
  describe(`Ledger contract: ${adapter}`, () => {
    let store: LedgerStore;
    let clock: number;
    const now = () => clock;
    const opened: Ledger[] = [];
    const open = () => {
      const l = store.open(now);
      opened.push(l);
      return l;
    };

    beforeEach(async () => {
      clock = T0;
      store = await createStore();
    });
    afterEach(async () => {
      for (const l of opened.splice(0)) await l.close?.();
      await store.dispose();
    });

    describe('partition ledger', () => {
      const record: PartitionRecord = {
        contentHash: 'a'.repeat(64),
        path: 'processed/features/2025/06/01',
        asOf: '2025-06-01',
        status: 'loaded',
        contacts: 4_999,
        rowsRejected: 1,
        modelVersion: 3,
        at: '2025-06-01T03:00:00.000Z',
      };

      it('remembers what became of a partition content, by its hash', async () => {
        const l = open();
        expect(await l.getPartition(record.contentHash)).toBeUndefined();
        await l.putPartition(record);
        expect(await l.getPartition(record.contentHash)).toEqual(record);
        expect(await l.getPartition('b'.repeat(64))).toBeUndefined();
        expect(await open().getPartition(record.contentHash)).toEqual(record);
      });

      it('keeps keys that differ only in characters a key may not hold apart', async () => {
        const l = open();
        await l.putPartition({ ...record, contentHash: 'a/b', path: 'slash' });
        await l.putPartition({ ...record, contentHash: 'a%2Fb', path: 'percent' });
        await l.putPartition({ ...record, contentHash: 'a~2Fb', path: 'tilde' });
        expect((await l.getPartition('a/b'))?.path).toBe('slash');
        expect((await l.getPartition('a%2Fb'))?.path).toBe('percent');
        expect((await l.getPartition('a~2Fb'))?.path).toBe('tilde');
      });

      it('replaces a record written again', async () => {
        const l = open();
        await l.putPartition(record);
        await l.putPartition({ ...record, status: 'rejected', contacts: 0 });
        expect(await l.getPartition(record.contentHash)).toMatchObject({ status: 'rejected', contacts: 0 });
      });
    });

    describe('takeover of a lock whose holder is gone', () => {
      it('is taken from the named holder only, and lockHolder says who holds it', async () => {
        const l = open();
        expect(await l.lockHolder('retrain')).toBeUndefined();
        expect(await l.acquireLock('retrain', 'host/1/a', 60_000)).toBe(true);
        expect(await l.lockHolder('retrain')).toMatchObject({ owner: 'host/1/a' });
        expect(await l.acquireLock('retrain', 'host/2/b', 60_000)).toBe(false);
        // Naming another holder takes nothing.
        expect(await l.acquireLock('retrain', 'host/2/b', 60_000, { takeOverFrom: 'host/9/z' })).toBe(false);
        expect(await l.acquireLock('retrain', 'host/2/b', 60_000, { takeOverFrom: 'host/1/a' })).toBe(true);
        expect(await l.lockHolder('retrain')).toMatchObject({ owner: 'host/2/b' });
        // The old holder cannot free the new one's lock.
        await l.releaseLock('retrain', 'host/1/a');
        expect(await l.lockHolder('retrain')).toMatchObject({ owner: 'host/2/b' });
      });
    });

    describe('runs', () => {
      const run = (id: string, startedAt: string, extra: Partial<RunRecord> = {}): RunRecord => ({
        id,
        trigger: 'timer',
        status: 'running',
        startedAt,
        ...extra,
      });

      it('stores, updates and reads a run by id', async () => {
        const l = open();
        expect(await l.getRun('r1')).toBeUndefined();
        await l.putRun(run('r1', '2025-06-01T02:00:00.000Z'));
        await l.putRun(run('r1', '2025-06-01T02:00:00.000Z', { status: 'succeeded', finishedAt: '2025-06-01T02:01:00.000Z' }));
        expect(await open().getRun('r1')).toEqual(run('r1', '2025-06-01T02:00:00.000Z', { status: 'succeeded', finishedAt: '2025-06-01T02:01:00.000Z' }));
      });

      it('lists the newest runs first, up to the limit', async () => {
        const l = open();
        await l.putRun(run('b', '2025-06-02T02:00:00.000Z'));
        await l.putRun(run('a', '2025-06-03T02:00:00.000Z'));
        await l.putRun(run('c', '2025-06-01T02:00:00.000Z', { status: 'suppressed', reason: 'cooldown' }));
        expect((await l.listRuns(10)).map((r) => r.id)).toEqual(['a', 'b', 'c']);
        expect((await l.listRuns(2)).map((r) => r.id)).toEqual(['a', 'b']);
        await expect(l.listRuns(0)).rejects.toThrow(/positive integer/);
      });

      it('keeps large details intact (partitions with hashes, metrics, gates)', async () => {
        const l = open();
        const partitions = Array.from({ length: 1_500 }, (_, i) => ({ path: `processed/features/p${i}.csv`, hash: 'f'.repeat(64) }));
        const details = { partitions, metrics: { auc: 0.71234 }, note: 'ünïcödé ✓' };
        await l.putRun(run('big', '2025-06-01T02:00:00.000Z', { details }));
        expect(JSON.stringify(details).length).toBeGreaterThan(100_000);
        expect((await l.getRun('big'))?.details).toEqual(details);
      });
    });

    describe('locks (single flight)', () => {
      it('lets one owner hold a lock until it releases it', async () => {
        const a = open();
        const b = open();
        expect(await a.acquireLock('retrain', 'run-a', 60_000)).toBe(true);
        expect(await b.acquireLock('retrain', 'run-b', 60_000)).toBe(false);
        expect(await b.acquireLock('drift', 'run-b', 60_000)).toBe(true);
        await b.releaseLock('retrain', 'run-b'); // not the holder: changes nothing
        expect(await b.acquireLock('retrain', 'run-b', 60_000)).toBe(false);
        await a.releaseLock('retrain', 'run-a');
        expect(await b.acquireLock('retrain', 'run-b', 60_000)).toBe(true);
      });

      it('lets the holder renew its lease', async () => {
        const a = open();
        expect(await a.acquireLock('retrain', 'run-a', 60_000)).toBe(true);
        clock += 50_000;
        expect(await a.acquireLock('retrain', 'run-a', 60_000)).toBe(true);
        clock += 50_000; // past the first lease, within the renewed one
        expect(await open().acquireLock('retrain', 'run-b', 60_000)).toBe(false);
      });

      it('hands an expired lease to the next owner, and the old holder cannot release it', async () => {
        const a = open();
        const b = open();
        expect(await a.acquireLock('retrain', 'run-a', 60_000)).toBe(true);
        clock += 59_999;
        expect(await b.acquireLock('retrain', 'run-b', 60_000)).toBe(false);
        clock += 1;
        expect(await b.acquireLock('retrain', 'run-b', 60_000)).toBe(true);
        await a.releaseLock('retrain', 'run-a');
        expect(await a.acquireLock('retrain', 'run-a', 60_000)).toBe(false);
      });

      it('gives a free lock to exactly one of many concurrent callers', async () => {
        const callers = Array.from({ length: 12 }, () => open());
        const won = await Promise.all(callers.map((l, i) => l.acquireLock('retrain', `run-${i}`, 60_000)));
        expect(won.filter(Boolean)).toHaveLength(1);
      });

      it('gives an expired lease to exactly one of many concurrent callers', async () => {
        expect(await open().acquireLock('retrain', 'stale', 1_000)).toBe(true);
        clock += 1_000;
        const callers = Array.from({ length: 12 }, () => open());
        const won = await Promise.all(callers.map((l, i) => l.acquireLock('retrain', `run-${i}`, 60_000)));
        expect(won.filter(Boolean)).toHaveLength(1);
      });

      it('rejects an empty owner or a non-positive lease', async () => {
        const l = open();
        await expect(l.acquireLock('retrain', '', 1_000)).rejects.toThrow(/non-empty/);
        await expect(l.acquireLock('retrain', 'a', 0)).rejects.toThrow(/ttlMs/);
      });
    });

    describe('cooldowns (rate limits)', () => {
      it('reports the time a cooldown was set to, passed or not (the caller compares it with its own clock)', async () => {
        const l = open();
        expect(await l.getCooldown('retrain:alert')).toBeUndefined();
        const until = new Date(T0 + 24 * 3_600_000).toISOString();
        await l.setCooldown('retrain:alert', until);
        expect(await open().getCooldown('retrain:alert')).toBe(until);
        expect(await l.getCooldown('retrain:manual')).toBeUndefined();
        clock = T0 + 48 * 3_600_000;
        expect(await l.getCooldown('retrain:alert')).toBe(until);
      });

      it('rejects a time that is not ISO', async () => {
        await expect(open().setCooldown('retrain:alert', 'tomorrow')).rejects.toThrow(/not an ISO date-time/);
      });
    });

    describe('drift history', () => {
      const drift = (date: string, psiScore: number): DriftRecord => ({
        date,
        psi: { recency_days: 0.01, score: psiScore },
        aucRecent: 0.7,
        drifted: psiScore > 0.2 ? ['score'] : [],
        action: psiScore > 0.2 ? 'retrain' : 'none',
      });

      it('keeps one record per date, newest first', async () => {
        const l = open();
        await l.putDrift(drift('2025-06-01', 0.05));
        await l.putDrift(drift('2025-06-03', 0.3));
        await l.putDrift(drift('2025-06-02', 0.1));
        await l.putDrift(drift('2025-06-02', 0.12)); // a re-run of the same day replaces it
        expect(await l.listDrift(10)).toEqual([drift('2025-06-03', 0.3), drift('2025-06-02', 0.12), drift('2025-06-01', 0.05)]);
        expect((await l.listDrift(1)).map((d) => d.date)).toEqual(['2025-06-03']);
      });
    });
  });
}

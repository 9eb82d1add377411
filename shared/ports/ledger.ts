/**
 * The ledger: runs, the partition ledger, locks, cooldowns and drift history (ARCHITECTURE.md 9).
 * Azure: @azure/data-tables; locally: the same SDK against Azurite, or the SQLite file.
 */

/** One scored partition: the same path + content hash + model version is never scored twice. */
export interface PartitionRecord {
  path: string;
  contentHash: string;
  modelVersion: number;
  rowsScored: number;
  rowsRejected: number;
  scoredAt: string;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'suppressed';

export interface RunRecord {
  id: string;
  trigger: string;
  status: RunStatus;
  reason?: string;
  startedAt: string;
  finishedAt?: string;
  /** Free-form JSON: data window, partitions with hashes, code version, metrics, gates, duration. */
  details?: unknown;
}

export interface DriftRecord {
  date: string;
  psi: Record<string, number>;
  aucRecent: number | null;
  drifted: string[];
  action: string;
}

export interface Ledger {
  getPartition(path: string, modelVersion: number): Promise<PartitionRecord | undefined>;
  putPartition(record: PartitionRecord): Promise<void>;

  /** Inserts or replaces the run with this id (a run is written when queued and again as it progresses). */
  putRun(run: RunRecord): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Newest `startedAt` first. */
  listRuns(limit: number): Promise<RunRecord[]>;

  /**
   * Single flight across instances: true when `owner` now holds `name` until now + ttlMs. A free or
   * expired lock goes to exactly one of any number of concurrent callers; the holder may call again to
   * renew. A lease that expires is lost: a long run renews before ttlMs passes.
   */
  acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Frees the lock only if `owner` still holds it (a lease taken over after expiry stays with the new holder). */
  releaseLock(name: string, owner: string): Promise<void>;

  /** Rate limits: the ISO time until which `name` is cooling down, or undefined once that time has passed. */
  getCooldown(name: string): Promise<string | undefined>;
  setCooldown(name: string, untilIso: string): Promise<void>;

  /** One record per date: a second check of the same date replaces the first. */
  putDrift(record: DriftRecord): Promise<void>;
  /** Newest date first. */
  listDrift(limit: number): Promise<DriftRecord[]>;

  close?(): Promise<void>;
}

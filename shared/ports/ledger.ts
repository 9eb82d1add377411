/**
 * The ledger: runs, the partition ledger, locks, cooldowns and drift history (docs/architecture.md, "Layers").
 * Azure: @azure/data-tables; locally: the same SDK against Azurite, or the SQLite file.
 */

/**
 * The partition ledger: what became of each partition content that was offered to the scorer, keyed
 * by the content's hash (partitionHash). The warehouse's served population is what decides; this is
 * the record of every outcome, and it keeps rejected content from being read again and again.
 */
export interface PartitionRecord {
  contentHash: string;
  /** The partition's folder. */
  path: string;
  asOf: string;
  /** loaded: became the served population; rejected: too many invalid rows; superseded: older than the served one. */
  status: 'loaded' | 'rejected' | 'superseded';
  contacts: number;
  rowsRejected: number;
  /** The version active when it was loaded (null when none was). */
  modelVersion: number | null;
  at: string;
  /** Its data files' names and sizes: a partition landing again with the same ones is hashed before it is read. */
  files?: { name: string; size: number }[];
}

/** abandoned: the process running it stopped before it finished (found when the next run took the lock). */
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'suppressed' | 'abandoned';

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
  /** The check's champion/challenger evaluation, when a challenger was set. */
  challenger?: {
    date: string;
    champion: number;
    challenger: number;
    n: number;
    auc_champion: number | null;
    auc_challenger: number | null;
    auc_diff: number | null;
    p_value: number | null;
    decision: string;
    ready: boolean;
    action: string;
  };
}

export interface Ledger {
  getPartition(contentHash: string): Promise<PartitionRecord | undefined>;
  putPartition(record: PartitionRecord): Promise<void>;

  /** Inserts or replaces the run with this id (a run is written when queued and again as it progresses). */
  putRun(run: RunRecord): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Newest `startedAt` first. */
  listRuns(limit: number): Promise<RunRecord[]>;

  /**
   * Single flight across instances: true when `owner` now holds `name` until now + ttlMs. A free or
   * expired lock goes to exactly one of any number of concurrent callers; the holder may call again to
   * renew. A lease that expires is lost: a long run renews before ttlMs passes. `takeOverFrom` names a
   * holder known to be gone (its process no longer exists): the lock is taken from it, and only from it.
   */
  acquireLock(name: string, owner: string, ttlMs: number, options?: { takeOverFrom?: string }): Promise<boolean>;
  /** Who holds `name` now (an expired lease included), or undefined. */
  lockHolder(name: string): Promise<{ owner: string; expiresAt: string } | undefined>;
  /** Frees the lock only if `owner` still holds it (a lease taken over after expiry stays with the new holder). */
  releaseLock(name: string, owner: string): Promise<void>;

  /**
   * Rate limits: the ISO time until which `name` cools down, as last set (passed or not), or undefined.
   * The caller compares it with its own clock: the retrain's is the data's (retrain.ts, dataClock).
   */
  getCooldown(name: string): Promise<string | undefined>;
  setCooldown(name: string, untilIso: string): Promise<void>;

  /** One record per date: a second check of the same date replaces the first. */
  putDrift(record: DriftRecord): Promise<void>;
  /** Newest date first. */
  listDrift(limit: number): Promise<DriftRecord[]>;

  close?(): Promise<void>;
}

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

  putRun(run: RunRecord): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(limit: number): Promise<RunRecord[]>;

  /** Single flight across instances: true when `owner` now holds `name` until now + ttlMs. */
  acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLock(name: string, owner: string): Promise<void>;

  /** Rate limits: the ISO time until which `name` is cooling down, if any. */
  getCooldown(name: string): Promise<string | undefined>;
  setCooldown(name: string, untilIso: string): Promise<void>;

  putDrift(record: DriftRecord): Promise<void>;
  listDrift(limit: number): Promise<DriftRecord[]>;

  close?(): Promise<void>;
}

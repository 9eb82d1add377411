import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { DriftRecord, Ledger, PartitionRecord, RunRecord } from '../../ports/ledger';
import { checkIso, checkLease, checkLimit } from './checks';

/**
 * The ledger in one SQLite file (`$LEADSCORE_HOME/ledger.db`), the local default. Every process that
 * opens the same file shares locks and cooldowns: a lock is taken inside BEGIN IMMEDIATE, which holds
 * SQLite's write lock from the read to the write, so two processes can never both see a free lease.
 *
 * Keep its value imports to ./checks: the cross-process lock test transpiles these two files on their
 * own and loads them in worker threads.
 */
export interface SqliteLedgerOptions {
  /** Clock in epoch ms; tests move it to expire leases and cooldowns without sleeping. */
  now?: () => number;
  /** How long a writer waits for another process's write lock before failing (default 10 s). */
  busyTimeoutMs?: number;
}

const SCHEMA = `
DROP TABLE IF EXISTS partitions;
CREATE TABLE IF NOT EXISTS partition_contents (content_hash TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started_at);
CREATE TABLE IF NOT EXISTS locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cooldowns (name TEXT PRIMARY KEY, until TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS drift (date TEXT PRIMARY KEY, record TEXT NOT NULL);
`;

export class SqliteLedger implements Ledger {
  private readonly db: DatabaseSync;
  private readonly now: () => number;

  constructor(file: string, options: SqliteLedgerOptions = {}) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new DatabaseSync(file);
    this.now = options.now ?? Date.now;
    const busyTimeoutMs = Math.round(options.busyTimeoutMs ?? 10_000);
    this.db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    // WAL commits need no fsync of their own (a power loss may lose the last ones, never corrupt the file).
    this.db.exec('PRAGMA synchronous = NORMAL');
    // Switching a new file to WAL takes an exclusive lock and answers SQLITE_BUSY at once, without the busy
    // handler, when several processes open a fresh ledger together: retry that step until the timeout.
    const deadline = Date.now() + busyTimeoutMs;
    for (;;) {
      try {
        // WAL lets readers (status, listRuns) proceed while another process holds the write lock.
        this.db.exec('PRAGMA journal_mode = WAL');
        this.db.exec(SCHEMA);
        break;
      } catch (e) {
        if (/not a database|malformed/i.test(String(e))) {
          throw new Error(
            `the ledger ${file} cannot be opened: ${e instanceof Error ? e.message : String(e)} (a damaged or foreign file: move it aside; the ledger holds run records, locks and cooldowns, and starts empty)`,
          );
        }
        if (!/database is locked|SQLITE_BUSY/i.test(String(e)) || Date.now() > deadline) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
  }

  async getPartition(contentHash: string): Promise<PartitionRecord | undefined> {
    const row = this.db.prepare('SELECT record FROM partition_contents WHERE content_hash = ?').get(contentHash) as { record: string } | undefined;
    return row && (JSON.parse(row.record) as PartitionRecord);
  }

  async putPartition(record: PartitionRecord): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO partition_contents (content_hash, record) VALUES (?, ?)').run(record.contentHash, JSON.stringify(record));
  }

  async putRun(run: RunRecord): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO runs (id, started_at, record) VALUES (?, ?, ?)').run(run.id, run.startedAt, JSON.stringify(run));
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = this.db.prepare('SELECT record FROM runs WHERE id = ?').get(id) as { record: string } | undefined;
    return row && (JSON.parse(row.record) as RunRecord);
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    const rows = this.db.prepare('SELECT record FROM runs ORDER BY started_at DESC, id DESC LIMIT ?').all(checkLimit(limit)) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as RunRecord);
  }

  async acquireLock(name: string, owner: string, ttlMs: number, options: { takeOverFrom?: string } = {}): Promise<boolean> {
    checkLease(name, owner, ttlMs);
    const now = this.now();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const held = this.db.prepare('SELECT owner, expires_at_ms FROM locks WHERE name = ?').get(name) as { owner: string; expires_at_ms: number } | undefined;
      // The holder may renew its own lease; anyone may take an expired one, or one whose holder is gone.
      const free =
        held === undefined || held.owner === owner || held.expires_at_ms <= now || (options.takeOverFrom !== undefined && held.owner === options.takeOverFrom);
      if (free) {
        this.db.prepare('INSERT OR REPLACE INTO locks (name, owner, expires_at_ms) VALUES (?, ?, ?)').run(name, owner, now + ttlMs);
      }
      this.db.exec('COMMIT');
      return free;
    } catch (e) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
  }

  async lockHolder(name: string): Promise<{ owner: string; expiresAt: string } | undefined> {
    const held = this.db.prepare('SELECT owner, expires_at_ms FROM locks WHERE name = ?').get(name) as { owner: string; expires_at_ms: number } | undefined;
    return held && { owner: held.owner, expiresAt: new Date(held.expires_at_ms).toISOString() };
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    // Only the holder releases: a run whose lease expired and was taken over must not free the new holder's.
    this.db.prepare('DELETE FROM locks WHERE name = ? AND owner = ?').run(name, owner);
  }

  async getCooldown(name: string): Promise<string | undefined> {
    const row = this.db.prepare('SELECT until FROM cooldowns WHERE name = ?').get(name) as { until: string } | undefined;
    return row?.until;
  }

  async setCooldown(name: string, untilIso: string): Promise<void> {
    checkIso(untilIso, 'setCooldown');
    this.db.prepare('INSERT OR REPLACE INTO cooldowns (name, until) VALUES (?, ?)').run(name, untilIso);
  }

  async putDrift(record: DriftRecord): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO drift (date, record) VALUES (?, ?)').run(record.date, JSON.stringify(record));
  }

  async listDrift(limit: number): Promise<DriftRecord[]> {
    const rows = this.db.prepare('SELECT record FROM drift ORDER BY date DESC LIMIT ?').all(checkLimit(limit)) as {
      record: string;
    }[];
    return rows.map((r) => JSON.parse(r.record) as DriftRecord);
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}

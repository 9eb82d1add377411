import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { FEATURES, N_FEATURES } from '../../domain/features/schema';
import type { RequestHandler } from '../../fast/channel';
import type { Row } from './rows';
import { assignArms, registerAbBucket } from './sqliteAbTest';

/**
 * The SQLite side of a population load: one connection, one transaction (BEGIN IMMEDIATE, so the
 * write lock — SQLite's serving lock — is held from the first read to the commit), served_contacts
 * emptied and refilled, served_population recorded. It runs on the loader's own thread
 * (sqlitePopulationThread.ts), or in the calling thread where no compiled thread file exists (under
 * ts-jest); the requests, through fast/channel.ts, are the same either way.
 */

/** What the load reads when its transaction begins. */
export interface LoadOpened {
  population: Row | null;
  model: Row | null;
}

/** Rows of one message: contact ids as UTF-8 bytes (idEnds[i] = where id i ends), features row-major. */
export interface RowsMessage {
  n: number;
  ids: Uint8Array;
  idEnds: Uint32Array;
  x: Float64Array;
}

export interface LoadCommit {
  asOf: string;
  contentHash: string;
  path: string;
  contacts: number;
  loadedAt: string;
}

/** Rows per multi-row INSERT (each row binds 8 values: the id and the 7 features). */
export const INSERT_BATCH = 256;
const BOUND = 1 + N_FEATURES;

/** An INSERT of `rows` rows (binding is the per-value cost across the JS/C boundary). */
function insertSql(rows: number): string {
  const row = `(?, ${FEATURES.map(() => '?').join(', ')})`;
  return `INSERT INTO served_contacts (contact_id, ${FEATURES.join(', ')}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}`;
}

export class PopulationLoaderCore {
  private db: DatabaseSync | undefined;
  private batch: StatementSync | undefined;
  private one: StatementSync | undefined;
  private readonly many = new Array<string | number>(BOUND * INSERT_BATCH);
  private readonly single = new Array<string | number>(BOUND);

  open(file: string, setup: string): LoadOpened {
    const db = new DatabaseSync(file);
    this.db = db;
    db.exec(setup);
    registerAbBucket(db);
    db.exec('BEGIN IMMEDIATE');
    const population = (db.prepare('SELECT * FROM served_population WHERE id = 1').get() as Row | undefined) ?? null;
    const model = (db.prepare('SELECT * FROM active_model').get() as Row | undefined) ?? null;
    return { population, model };
  }

  /** Empties served_contacts (inside the transaction: readers still see the old population). */
  begin(): void {
    const db = this.need();
    db.exec('DELETE FROM served_contacts');
    this.batch = db.prepare(insertSql(INSERT_BATCH));
    this.one = db.prepare(insertSql(1));
  }

  write(m: RowsMessage): void {
    const batch = this.batch;
    const one = this.one;
    if (!batch || !one) throw new Error('population load: write before begin');
    const ids = Buffer.from(m.ids.buffer, m.ids.byteOffset, m.ids.byteLength);
    const put = (args: (string | number)[], i: number, k: number): void => {
      let o = k * BOUND;
      args[o++] = ids.toString('utf8', i === 0 ? 0 : m.idEnds[i - 1], m.idEnds[i]);
      const at = i * N_FEATURES;
      for (let j = 0; j < N_FEATURES; j++) args[o++] = m.x[at + j]!;
    };
    let i = 0;
    for (; i + INSERT_BATCH <= m.n; i += INSERT_BATCH) {
      for (let k = 0; k < INSERT_BATCH; k++) put(this.many, i + k, k);
      batch.run(...this.many);
    }
    for (; i < m.n; i++) {
      put(this.single, i, 0);
      one.run(...this.single);
    }
  }

  commit(c: LoadCommit): void {
    const db = this.need();
    db.prepare(
      `INSERT INTO served_population (id, as_of, content_hash, partition_path, contacts, loaded_at) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET as_of = excluded.as_of, content_hash = excluded.content_hash,
         partition_path = excluded.partition_path, contacts = excluded.contacts, loaded_at = excluded.loaded_at`,
    ).run(c.asOf, c.contentHash, c.path, c.contacts, c.loadedAt);
    // A running A/B test: the new population's contacts get their arms in this transaction.
    assignArms(db);
    db.exec('COMMIT');
  }

  /**
   * Copies the commit's WAL pages into the database file (storage upkeep, done after the commit is
   * reported: a passive checkpoint blocks neither readers nor the next writer), then closes.
   * Returns its milliseconds; a checkpoint that fails runs at a later commit or close instead.
   */
  checkpointAndClose(): number {
    const t0 = performance.now();
    try {
      this.db?.exec('PRAGMA wal_checkpoint(PASSIVE)');
    } catch {
      // nothing is lost: the pages stay in the WAL until the next checkpoint
    }
    this.close();
    return performance.now() - t0;
  }

  /** Undoes everything; never throws (the caller reports the error that made it roll back). */
  rollback(): void {
    try {
      if (this.db?.isOpen && this.db.isTransaction) this.db.exec('ROLLBACK');
    } catch {
      // SQLite rolls back by itself when the connection closes
    }
    this.close();
  }

  private close(): void {
    try {
      if (this.db?.isOpen) this.db.close();
    } catch {
      // closing a broken connection cannot lose anything more
    }
    this.db = undefined;
  }

  private need(): DatabaseSync {
    if (!this.db) throw new Error('population load: connection not open');
    return this.db;
  }
}

export type LoaderRequest =
  | { op: 'open'; file: string; setup: string }
  | { op: 'begin' }
  | ({ op: 'write' } & RowsMessage)
  | ({ op: 'commit' } & LoadCommit)
  | { op: 'checkpoint' }
  | { op: 'rollback' };

/** Runs one request on a core; the thread and the in-thread mode share it. */
export function runLoaderRequest(core: PopulationLoaderCore, m: LoaderRequest): unknown {
  switch (m.op) {
    case 'open':
      return core.open(m.file, m.setup);
    case 'begin':
      return core.begin();
    case 'write':
      return core.write(m);
    case 'commit':
      return core.commit(m);
    case 'checkpoint':
      return core.checkpointAndClose();
    case 'rollback':
      return core.rollback();
  }
}

/**
 * The loader's work, on its thread or this one: a failed step fails every later request, until the
 * rollback (which always runs), so nothing of a broken load is ever committed.
 */
export function loaderHandler(): RequestHandler<LoaderRequest, unknown> {
  const core = new PopulationLoaderCore();
  let failed: string | undefined;
  return (m) => {
    if (m.op === 'rollback') {
      failed = undefined;
      return { value: core.rollback() };
    }
    if (failed !== undefined) throw new Error(failed);
    try {
      return { value: runLoaderRequest(core, m) };
    } catch (err) {
      failed = err instanceof Error ? err.message : String(err);
      throw err;
    }
  };
}

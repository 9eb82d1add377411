import * as path from 'node:path';
import { N_FEATURES } from '../../domain/features/schema';
import type { FeatureRows, PopulationLoad, PopulationTarget, ServedPopulation, ServedState, ServingModel } from '../../ports/warehouse';
import { Channel, WORKER_LIMITS } from '../../fast/channel';
import { isShared } from '../../fast/featureRows';
import { populationFromRow, servingModelFromRow } from './rows';
import { type LoadCommit, type LoadOpened, type LoaderRequest, loaderHandler, type RowsMessage } from './sqlitePopulation';

/** Rows per message to the loader thread, and messages not yet written (memory stays about a chunk). */
const MESSAGE_ROWS = 8192;
const MAX_IN_FLIGHT = 8;

/**
 * A population load driven from this thread: SQLite binds and steps on the loader's thread while
 * this one reads the next chunk (from dist/, where the thread file is compiled); under ts-jest the
 * same handler runs here. write() returns once the rows are written; a failed step fails the write
 * and every later request; rollback() undoes everything in any state.
 */
export class SqlitePopulationLoad implements PopulationLoad {
  private done = false;
  private committed = false;
  private readonly loadedAt = new Date().toISOString();
  private contacts = 0;
  private queue: Promise<void> = Promise.resolve();
  before: ServedState = { population: null, activeVersion: null };
  model: ServingModel | null = null;
  /** Resolves when the loader has ended: after the commit's checkpoint (its ms), or 0 when there was none. */
  readonly finished: Promise<number>;
  private end!: (ms: number) => void;

  private constructor(
    private readonly target: PopulationTarget,
    private readonly channel: Channel<LoaderRequest, unknown>,
  ) {
    this.finished = new Promise((resolve) => (this.end = resolve));
  }

  static async open(file: string, setup: string, target: PopulationTarget, threaded: boolean): Promise<SqlitePopulationLoad> {
    const channel = Channel.open<LoaderRequest, unknown>(path.join(__dirname, 'sqlitePopulationThread.js'), loaderHandler, {
      maxInFlight: MAX_IN_FLIGHT,
      threaded,
      resourceLimits: WORKER_LIMITS,
      failFast: false,
    });
    const load = new SqlitePopulationLoad(target, channel);
    try {
      const opened = (await channel.call({ op: 'open', file, setup })) as LoadOpened;
      load.model = opened.model ? servingModelFromRow(opened.model) : null;
      load.before = { population: opened.population ? populationFromRow(opened.population) : null, activeVersion: load.model?.version ?? null };
      await channel.call({ op: 'begin' });
    } catch (err) {
      await load.rollback();
      throw err;
    }
    return load;
  }

  /** Resolves once the rows are inserted (the caller may then reuse their memory). */
  write(rows: FeatureRows): Promise<void> {
    // One at a time, in order (the caller does not wait for one chunk before handing the next).
    const done = this.queue.then(() => this.writeNow(rows));
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async writeNow(rows: FeatureRows): Promise<void> {
    if (this.done) throw new Error('population load already finished');
    const shared = isShared(rows);
    const sent: Promise<unknown>[] = [];
    for (let from = 0; from < rows.n; from += MESSAGE_ROWS) {
      const to = Math.min(rows.n, from + MESSAGE_ROWS);
      const n = to - from;
      const base = from === 0 ? 0 : rows.idEnds[from - 1]!;
      const end = rows.idEnds[to - 1]!;
      let msg: RowsMessage;
      let transfer: ArrayBuffer[] = [];
      if (shared && from === 0 && to === rows.n) {
        // Shared memory: the thread reads these rows in place.
        msg = { n, ids: rows.ids, idEnds: rows.idEnds, x: rows.x };
      } else {
        // Copies handed over by transfer (or, on this thread, kept): the caller may reuse its buffers.
        const idEnds = new Uint32Array(n);
        for (let i = 0; i < n; i++) idEnds[i] = rows.idEnds[from + i]! - base;
        msg = { n, ids: new Uint8Array(rows.ids.subarray(base, end)), idEnds, x: rows.x.slice(from * N_FEATURES, to * N_FEATURES) };
        if (this.channel.threaded) transfer = [msg.x.buffer, msg.idEnds.buffer, msg.ids.buffer] as ArrayBuffer[];
      }
      sent.push((await this.channel.send({ op: 'write', ...msg }, transfer)).answer);
      this.contacts += n;
    }
    await Promise.all(sent);
  }

  async commit(contentHash: string): Promise<ServedPopulation> {
    if (this.done) throw new Error('population load already finished');
    // A failure here leaves the transaction open: the caller rolls back, which ends the loader.
    await this.queue;
    await this.channel.drain();
    const c: LoadCommit = { asOf: this.target.asOf, contentHash, path: this.target.path, contacts: this.contacts, loadedAt: this.loadedAt };
    await this.channel.call({ op: 'commit', ...c });
    this.done = true;
    this.committed = true;
    return { asOf: c.asOf, contentHash: c.contentHash, path: c.path, contacts: c.contacts, loadedAt: c.loadedAt };
  }

  /**
   * The WAL checkpoint of the commit: it copies about as many bytes again into the database file and
   * fsyncs it, which makes other file-system work (the export's renames) wait on the disk; so it runs
   * once the caller's follow-up is done (release), on the loader's thread, blocking neither readers nor
   * the next writer.
   */
  release(): void {
    if (!this.committed) return;
    this.committed = false;
    void this.channel
      .call({ op: 'checkpoint' })
      .then(
        (ms) => ms as number,
        () => 0,
      )
      .then(async (ms) => {
        await this.channel.close();
        this.end(ms);
      });
  }

  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await this.queue;
      await this.channel.call({ op: 'rollback' }).catch(() => undefined);
    } finally {
      await this.channel.terminate();
      this.end(0);
    }
  }
}

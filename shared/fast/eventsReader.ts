import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Lake } from '../ports/lake';
import type { FeatureAccumulator } from './featureAccumulator';
import { ByteLineSplitter, EventLineReader } from './rawRecords';
import { dayContext, RejectLog } from '../domain/raw';

/**
 * The events files of an ingest, scanned on a second thread while this one accumulates.
 *
 * Scanning the JSON lines needs nothing of the accumulator, so the parsing thread runs the byte-level
 * reader's scan (eventsFast.ts) and records, per line, the event's kind, time, channel and where its
 * ids lie in the chunk; lines the fast path declines are recorded as such. The chunk comes back
 * with its records, and this thread replays them in file order through the same reader's emit — and
 * its general path (validation, quarantine) for declined lines — so features, counts and rejects are
 * the ones a single-threaded read gives.
 *
 * The events files of the whole plan are read ahead (at most MAX_AHEAD chunks not yet replayed), so
 * the parsing thread works on the next days while this one handles sentiment and CRM files. Memory is
 * bounded by those chunks, not by the days read.
 *
 * From TypeScript sources (jest) there is no compiled worker script: the same scan, records and replay
 * then run on this thread, chunk by chunk.
 */

/** Tag bits: the kind (EV_*, or SLOW for a declined line), MMS, and IN_TAIL when the ranges are in `tail`. */
const SLOW = 7;
const MMS = 8;
const IN_TAIL = 16;
/** Ints per record: tag, line number, then the event's ranges (EventLineReader.ranges; a declined line: its own range). */
const INTS = 8;
const MAX_AHEAD = 8;

/**
 * What a chunk of an events file scans into. `chunk` is the chunk itself; `tail` holds the lines that
 * are not inside it (the one cut by the previous chunk's end, the file's unterminated last line).
 */
export interface EventBatch {
  n: number;
  ints: Int32Array;
  ts: Float64Array;
  chunk: Uint8Array;
  tail: Uint8Array;
}

/** The parsing thread's reader: scans each line and records the outcome instead of accumulating. */
class RecordingLineReader extends EventLineReader {
  private n = 0;
  private ints = new Int32Array(INTS * 8192);
  private tsOut = new Float64Array(8192);
  private tail: number[] = [];
  chunk: Uint8Array = new Uint8Array(0);

  private record(tag: number, lineNo: number): number {
    if (this.n === this.tsOut.length) {
      const ints = new Int32Array(this.ints.length * 2);
      ints.set(this.ints);
      this.ints = ints;
      const t = new Float64Array(this.tsOut.length * 2);
      t.set(this.tsOut);
      this.tsOut = t;
    }
    const at = this.n * INTS;
    this.ints[at] = tag;
    this.ints[at + 1] = lineNo;
    this.tsOut[this.n++] = this.ts;
    return at;
  }

  /** Copies b[s..e) to the tail; returns where it starts there. */
  private toTail(b: Uint8Array, s: number, e: number): number {
    const at = this.tail.length;
    for (let k = s; k < e; k++) this.tail.push(b[k]!);
    return at;
  }

  override line(b: Uint8Array, s: number, e: number, lineNo: number): void {
    const kind = this.scan(b, s, e);
    // A line outside the chunk (cut by a chunk boundary) is copied to the tail, its ranges shifted.
    const inChunk = b === this.chunk;
    const shift = inChunk ? 0 : this.toTail(b, s, e) - s;
    const flag = inChunk ? 0 : IN_TAIL;
    if (kind < 0) {
      const at = this.record(SLOW | flag, lineNo);
      this.ints[at + 2] = s + shift;
      this.ints[at + 3] = e + shift;
      return;
    }
    const at = this.record(kind | (this.mms ? MMS : 0) | flag, lineNo);
    const ints = this.ints;
    this.ranges(ints, at + 2, kind);
    // An unused range is empty, and stays empty shifted.
    if (shift !== 0) for (let k = at + 2; k < at + 8; k++) ints[k] = ints[k]! + shift;
  }

  override slow(line: string, lineNo: number): void {
    const bytes = Buffer.from(line, 'utf8');
    const at = this.record(SLOW | IN_TAIL, lineNo);
    this.ints[at + 2] = this.tail.length;
    for (const x of bytes) this.tail.push(x);
    this.ints[at + 3] = this.tail.length;
  }

  take(chunk: Uint8Array): EventBatch {
    const out: EventBatch = { n: this.n, ints: this.ints.slice(0, this.n * INTS), ts: this.tsOut.slice(0, this.n), chunk, tail: Uint8Array.from(this.tail) };
    this.n = 0;
    this.tail = [];
    return out;
  }
}

/** The parsing thread's side of one events file: chunks in, batches of records out. */
export class EventsFileParser {
  private readonly reader: RecordingLineReader;
  private readonly lines: ByteLineSplitter;

  constructor(filePath: string, day: string) {
    this.reader = new RecordingLineReader(null, filePath, dayContext(day), new RejectLog());
    this.lines = new ByteLineSplitter(this.reader);
  }

  push(chunk: Buffer): EventBatch {
    this.reader.chunk = chunk;
    this.lines.push(chunk);
    return this.reader.take(chunk);
  }

  end(): EventBatch {
    this.reader.chunk = new Uint8Array(0);
    this.lines.end();
    return this.reader.take(new Uint8Array(0));
  }
}

/**
 * Replays a batch through `reader` (which accumulates): each scanned event is emitted from its
 * recorded ranges, each declined line goes through the general path. In record order, which is line order.
 */
export function replayEvents(batch: EventBatch, reader: EventLineReader): void {
  const { ints, ts, chunk, tail } = batch;
  for (let r = 0; r < batch.n; r++) {
    const at = r * INTS;
    const tag = ints[at]!;
    const b = tag & IN_TAIL ? tail : chunk;
    const kind = tag & 7;
    if (kind === SLOW) {
      const s = ints[at + 2]!;
      reader.slow(Buffer.from(b.buffer, b.byteOffset + s, ints[at + 3]! - s).toString('utf8'), ints[at + 1]!);
    } else reader.emit(b, kind, ts[r]!, (tag & MMS) !== 0, ints, at + 2);
  }
}

/** One events file of the plan. */
export interface EventsFile {
  path: string;
  day: string;
}

/**
 * The parsing thread's messages: either it reads the plan's files itself from a local lake folder
 * ('read', then one 'consumed' per batch replayed, which keeps it at most maxAhead batches ahead), or
 * this thread sends it the chunks ('chunk', 'end').
 */
export type ParserRequest =
  | { op: 'read'; root: string; files: EventsFile[]; maxAhead: number }
  | { op: 'consumed' }
  | { op: 'chunk'; file: number; path: string; day: string; chunk: Uint8Array }
  | { op: 'end'; file: number; path: string; day: string };
export type ParserReply = { file: number; last: boolean; batch: EventBatch } | { file: number; error: string };

/**
 * The events files of a plan, read in plan order. readInto must be called for the files in that order
 * (ingest's day loop does); anything else is an internal error, not a silent misread.
 */
export interface EventsReader {
  readInto(file: EventsFile, acc: FeatureAccumulator, rejects: RejectLog): Promise<number>;
  close(): Promise<void>;
}

/** On this thread (no compiled worker script): the recorder and replay, chunk by chunk. */
class InThreadEventsReader implements EventsReader {
  constructor(private readonly lake: Lake) {}

  async readInto(file: EventsFile, acc: FeatureAccumulator, rejects: RejectLog): Promise<number> {
    const reader = new EventLineReader(acc, file.path, dayContext(file.day), rejects);
    const parser = new EventsFileParser(file.path, file.day);
    for await (const chunk of this.lake.readStream(file.path)) replayEvents(parser.push(chunk), reader);
    replayEvents(parser.end(), reader);
    return reader.count;
  }

  async close(): Promise<void> {}
}

/** The parsing thread, reading the plan's files (or fed their chunks) ahead of the replay. */
class WorkerEventsReader implements EventsReader {
  private readonly worker: Worker;
  private readonly replies: ParserReply[] = [];
  private wake: (() => void) | null = null;
  private room: (() => void) | null = null;
  /** The parsing thread reads the lake folder itself (and keeps its own count of batches ahead). */
  private readonly readsItself: boolean;
  /** When this thread sends the chunks: chunks (and file ends) sent whose batch is not replayed yet. */
  private ahead = 0;
  private next = 0;
  private closed = false;
  private dead: Error | null = null;

  constructor(
    private readonly lake: Lake,
    private readonly files: EventsFile[],
    script: string,
  ) {
    this.worker = new Worker(script);
    this.worker.unref();
    this.worker.on('message', (m: ParserReply) => this.push(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`events parsing thread exited (code ${code})`));
    });
    this.readsItself = lake.localRoot !== undefined;
    if (lake.localRoot !== undefined) this.worker.postMessage({ op: 'read', root: lake.localRoot, files, maxAhead: MAX_AHEAD } satisfies ParserRequest);
    else void this.produce();
  }

  private push(m: ParserReply): void {
    this.replies.push(m);
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private fail(err: Error): void {
    this.dead ??= err;
    const w = this.wake;
    this.wake = null;
    w?.();
    const r = this.room;
    this.room = null;
    r?.();
  }

  private async produce(): Promise<void> {
    for (let k = 0; k < this.files.length && !this.closed && !this.dead; k++) {
      const f = this.files[k]!;
      try {
        for await (const chunk of this.lake.readStream(f.path)) {
          while (this.ahead >= MAX_AHEAD && !this.closed && !this.dead) await new Promise<void>((resolve) => (this.room = resolve));
          if (this.closed || this.dead) return;
          // The chunk's memory moves to the parsing thread when it is the chunk's own; else a copy does.
          const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && !(chunk.buffer instanceof SharedArrayBuffer);
          const data = own ? new Uint8Array(chunk.buffer, 0, chunk.byteLength) : new Uint8Array(chunk);
          this.ahead++;
          this.worker.postMessage({ op: 'chunk', file: k, path: f.path, day: f.day, chunk: data } satisfies ParserRequest, [data.buffer as ArrayBuffer]);
        }
        this.ahead++;
        this.worker.postMessage({ op: 'end', file: k, path: f.path, day: f.day } satisfies ParserRequest);
      } catch (err) {
        // Surfaces when the replay reaches this file, as a read error would on one thread.
        this.push({ file: k, error: err instanceof Error ? err.message : String(err) });
        return;
      }
    }
  }

  private async reply(): Promise<ParserReply> {
    for (;;) {
      const m = this.replies.shift();
      if (m) return m;
      if (this.dead) throw this.dead;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async readInto(file: EventsFile, acc: FeatureAccumulator, rejects: RejectLog): Promise<number> {
    const k = this.next++;
    if (this.files[k]?.path !== file.path) throw new Error(`internal: events file ${file.path} read out of plan order (expected ${this.files[k]?.path ?? 'none'})`);
    const reader = new EventLineReader(acc, file.path, dayContext(file.day), rejects);
    for (;;) {
      const m = await this.reply();
      if (m.file !== k) throw new Error(`internal: events parsing thread answered for file ${m.file} while file ${k} was read`);
      if ('error' in m) throw new Error(m.error);
      replayEvents(m.batch, reader);
      if (this.readsItself) this.worker.postMessage({ op: 'consumed' } satisfies ParserRequest);
      else {
        this.ahead--;
        const r = this.room;
        this.room = null;
        r?.();
      }
      if (m.last) break;
    }
    return reader.count;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.room?.();
    await this.worker.terminate();
  }
}

/**
 * A reader for the plan's events files: on a second thread when running compiled (the worker script
 * sits next to this file), else on this thread. `thread` and `workerScript` override that (tests run
 * the compiled script from TypeScript). Close it when done (also after a failure).
 */
export function openEventsReader(lake: Lake, files: EventsFile[], options: { thread?: boolean; workerScript?: string } = {}): EventsReader {
  const useThread = options.thread ?? __filename.endsWith('.js');
  if (!useThread || files.length === 0) return new InThreadEventsReader(lake);
  return new WorkerEventsReader(lake, files, options.workerScript ?? path.join(__dirname, 'eventsThread.js'));
}

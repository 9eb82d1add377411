import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { dayContext, RejectLog } from '../domain/raw';
import { ByteLineSplitter, GrowableBytes } from './bytes';
import { Channel, type RequestHandler } from './channel';
import type { FeatureAccumulator } from './featureAccumulator';
import { EventLineReader } from './rawRecords';

/**
 * The events files of an ingest, scanned on a second thread while this one accumulates.
 *
 * Justified by bench:ingest (the events files are most of raw/). Scanning the JSON lines needs nothing
 * of the accumulator, so the parsing thread runs the byte-level reader's scan (rawRecords.ts) and records, per line, the event's kind, time, channel and where its
 * ids lie in the chunk; lines the fast path declines are recorded as such. The chunk comes back
 * with its records, and this thread replays them in file order through the same reader's emit — and
 * its general path (validation, quarantine) for declined lines — so features, counts and rejects are
 * the ones a single-threaded read gives.
 *
 * The events files of the whole plan are read ahead (at most MAX_AHEAD chunks not yet replayed), so
 * the parsing thread works on the next days while this one handles sentiment and CRM files. Memory is
 * bounded by those chunks, not by the days read. From a local lake the thread reads the files itself
 * (their verified paths from Lake.localFile), so its reads do not wait on this thread's event loop;
 * otherwise this thread reads them and sends the chunks.
 *
 * From TypeScript sources (jest) there is no compiled thread: the same scan, records and replay then
 * run on this thread, chunk by chunk (channel.ts).
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
  private readonly tail = new GrowableBytes(1 << 12);
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
    return this.tail.append(b, s, e);
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

  override textLine(line: string, lineNo: number): void {
    const bytes = Buffer.from(line, 'utf8');
    const at = this.record(SLOW | IN_TAIL, lineNo);
    this.ints[at + 2] = this.tail.append(bytes, 0, bytes.length);
    this.ints[at + 3] = this.tail.length;
  }

  take(chunk: Uint8Array): EventBatch {
    const out: EventBatch = { n: this.n, ints: this.ints.slice(0, this.n * INTS), ts: this.tsOut.slice(0, this.n), chunk, tail: this.tail.copy() };
    this.n = 0;
    this.tail.clear();
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
      reader.textLine(Buffer.from(b.buffer, b.byteOffset + s, ints[at + 3]! - s).toString('utf8'), ints[at + 1]!);
    } else reader.emit(b, kind, ts[r]!, (tag & MMS) !== 0, ints, at + 2);
  }
}

/** One events file of the plan. */
export interface EventsFile {
  path: string;
  day: string;
}

/** Where the events files come from: a Lake fits (localFile only for a local one). */
export interface EventsSource {
  readStream(path: string): AsyncIterable<Buffer>;
  localFile?(path: string, purpose: 'read'): Promise<string>;
}

/**
 * What the parsing thread is asked: to read the plan's files itself ('plan', its verified local
 * paths; then one 'next' per batch), or to scan the chunks this thread sends ('chunk', then 'end'
 * per file). Each 'next', 'chunk' and 'end' is answered by one batch.
 */
export type EventsRequest =
  | { op: 'plan'; files: (EventsFile & { local: string })[] }
  | { op: 'next' }
  | { op: 'chunk'; file: number; path: string; day: string; chunk: Uint8Array }
  | { op: 'end'; file: number; path: string; day: string };
export type EventsAnswer = { file: number; last: boolean; batch: EventBatch } | { done: true };

function batchBuffers(b: EventBatch): ArrayBuffer[] {
  return [b.ints.buffer, b.ts.buffer, b.chunk.buffer, b.tail.buffer] as ArrayBuffer[];
}

/** The plan's files read from their local paths, in order, as batches. */
async function* readPlan(files: (EventsFile & { local: string })[]): AsyncGenerator<{ file: number; last: boolean; batch: EventBatch }> {
  for (let k = 0; k < files.length; k++) {
    const f = files[k]!;
    const parser = new EventsFileParser(f.path, f.day);
    // The path was checked by the lake (Lake.localFile); a link put there since is still not followed.
    const fh = await open(f.local, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    for await (const chunk of fh.createReadStream({ highWaterMark: 1 << 20 })) yield { file: k, last: false, batch: parser.push(chunk as Buffer) };
    yield { file: k, last: true, batch: parser.end() };
  }
}

/** The parsing thread's work (eventsThread.ts), or the same on this thread. */
export function eventsHandler(): RequestHandler<EventsRequest, EventsAnswer> {
  let plan: AsyncGenerator<{ file: number; last: boolean; batch: EventBatch }> | null = null;
  let current: { file: number; parser: EventsFileParser } | null = null;
  return async (req) => {
    if (req.op === 'plan') {
      plan = readPlan(req.files);
      return { value: { done: true } };
    }
    if (req.op === 'next') {
      const r = await plan!.next();
      if (r.done) return { value: { done: true } };
      return { value: r.value, transfer: batchBuffers(r.value.batch) };
    }
    if (current?.file !== req.file) current = { file: req.file, parser: new EventsFileParser(req.path, req.day) };
    const batch = req.op === 'chunk' ? current.parser.push(Buffer.from(req.chunk.buffer, req.chunk.byteOffset, req.chunk.byteLength)) : current.parser.end();
    if (req.op === 'end') current = null;
    return { value: { file: req.file, last: req.op === 'end', batch }, transfer: batchBuffers(batch) };
  };
}

/**
 * The events files of a plan, read in plan order. readInto must be called for the files in that order
 * (ingest's day loop does); anything else is an internal error, not a silent misread.
 */
export interface EventsReader {
  readInto(file: EventsFile, acc: FeatureAccumulator, rejects: RejectLog): Promise<number>;
  close(): Promise<void>;
}

type Pending = Promise<EventsAnswer | { file: number; error: string }>;

/** The plan's batches, MAX_AHEAD at most not yet replayed, from the parsing thread (or this one). */
class ChannelEventsReader implements EventsReader {
  private readonly channel: Channel<EventsRequest, EventsAnswer>;
  private readonly queue: Pending[] = [];
  private wake: (() => void) | null = null;
  private room: (() => void) | null = null;
  private readsItself = false;
  private next = 0;
  private closed = false;
  private readonly started: Promise<void>;

  constructor(
    private readonly source: EventsSource,
    private readonly files: EventsFile[],
    script: string,
    thread: boolean | undefined,
  ) {
    this.channel = Channel.open(script, eventsHandler, {
      maxInFlight: MAX_AHEAD,
      threaded: thread !== false && files.length > 0,
      forceThread: thread === true,
    });
    this.started = this.start();
    this.started.catch(() => undefined); // observed by readInto
  }

  private async start(): Promise<void> {
    if (this.channel.threaded && this.source.localFile) {
      const local = await Promise.all(this.files.map(async (f) => ({ ...f, local: await this.source.localFile!(f.path, 'read') })));
      await this.channel.call({ op: 'plan', files: local });
      this.readsItself = true;
      for (let k = 0; k < MAX_AHEAD; k++) await this.ask();
    } else void this.produce();
  }

  private push(p: Pending): void {
    this.queue.push(p);
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async ask(): Promise<void> {
    const { answer } = await this.channel.send({ op: 'next' });
    this.push(answer);
  }

  /** Reads the plan's files here and sends their chunks, at most MAX_AHEAD batches not replayed. */
  private async produce(): Promise<void> {
    for (let k = 0; k < this.files.length && !this.closed; k++) {
      const f = this.files[k]!;
      try {
        for await (const chunk of this.source.readStream(f.path)) {
          while (this.queue.length >= MAX_AHEAD && !this.closed) await new Promise<void>((resolve) => (this.room = resolve));
          if (this.closed) return;
          // The chunk's memory moves to the parsing thread when it is the chunk's own; else a copy does.
          const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && !(chunk.buffer instanceof SharedArrayBuffer);
          const data = own ? new Uint8Array(chunk.buffer, 0, chunk.byteLength) : new Uint8Array(chunk);
          const moved = this.channel.threaded ? [data.buffer] : [];
          this.push((await this.channel.send({ op: 'chunk', file: k, path: f.path, day: f.day, chunk: data }, moved)).answer);
        }
        this.push((await this.channel.send({ op: 'end', file: k, path: f.path, day: f.day })).answer);
      } catch (err) {
        // Surfaces when the replay reaches this file, as a read error would on one thread.
        this.push(Promise.resolve({ file: k, error: err instanceof Error ? err.message : String(err) }));
        return;
      }
    }
  }

  private async take(): Promise<EventsAnswer | { file: number; error: string }> {
    for (;;) {
      const p = this.queue.shift();
      if (p) {
        const r = this.room;
        this.room = null;
        r?.();
        if (this.readsItself) void this.ask().catch(() => undefined);
        return p;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async readInto(file: EventsFile, acc: FeatureAccumulator, rejects: RejectLog): Promise<number> {
    await this.started;
    const k = this.next++;
    if (this.files[k]?.path !== file.path)
      throw new Error(`internal: events file ${file.path} read out of plan order (expected ${this.files[k]?.path ?? 'none'})`);
    const reader = new EventLineReader(acc, file.path, dayContext(file.day), rejects);
    for (;;) {
      const m = await this.take();
      if ('error' in m) throw new Error(m.error);
      if ('done' in m || m.file !== k)
        throw new Error(`internal: the events parsing thread answered ${'done' in m ? 'the end of the plan' : `for file ${m.file}`} while file ${k} was read`);
      replayEvents(m.batch, reader);
      if (m.last) break;
    }
    return reader.count;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.room?.();
    await this.channel.terminate();
  }
}

/**
 * A reader for the plan's events files, on the parsing thread when running compiled (eventsThread.ts
 * beside this file), else on this thread. `thread` and `script` override that (tests run the compiled
 * thread from TypeScript). Close it when done (also after a failure).
 */
export function openEventsReader(source: EventsSource, files: EventsFile[], options: { thread?: boolean; script?: string } = {}): EventsReader {
  return new ChannelEventsReader(source, files, options.script ?? path.join(__dirname, 'eventsThread.js'), options.thread);
}

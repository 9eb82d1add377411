import { parentPort, Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * The one worker-thread channel: requests to a thread, answered in order, with back-pressure — at
 * most `maxInFlight` unanswered, so memory is bounded by that many messages whatever the producer's
 * speed. Every thread of the product talks through it: the ingest's events parser, the training
 * helper, the export's formatter and the SQLite warehouse's population loader. Each thread's entry
 * point is a .ts file that calls serve() with its handler; where that file is not compiled (the
 * TypeScript sources under ts-jest) the same handler runs on this thread, so both paths compute the
 * same thing.
 */

/**
 * The worker threads that stream rows make only short-lived garbage (a string or two per row): a
 * 4 MiB young generation (V8 sizes it at up to 16 MiB a semi-space by default) collects it as well
 * and keeps its memory out of the process's peak (bench:score).
 */
export const WORKER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 4 };

export interface Answer<Res> {
  value: Res;
  /** Buffers of `value` that move to the asking thread instead of being copied. */
  transfer?: ArrayBuffer[];
}

export type RequestHandler<Req, Res> = (req: Req) => Answer<Res> | Promise<Answer<Res>>;

export interface ChannelOptions {
  /** Requests sent and not yet answered before send() waits. */
  maxInFlight: number;
  /** False: run the handler on this thread even where the thread file is compiled. */
  threaded?: boolean;
  /** Start the thread even from TypeScript sources (a test that runs a compiled entry point). */
  forceThread?: boolean;
  resourceLimits?: ResourceLimits;
  /**
   * True (the default): a failed request fails every later one, so a stream of requests stops at its
   * first error. False: each request fails alone (a thread that keeps its own failure state and must
   * still be asked to roll back).
   */
  failFast?: boolean;
}

/** Whether this module runs compiled (beside the compiled thread files) or from TypeScript sources. */
export const COMPILED = __filename.endsWith('.js');

export class Channel<Req, Res> {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: Res) => void; reject: (e: Error) => void }>();
  private readonly inFlight: Promise<unknown>[] = [];
  private failed: Error | undefined;
  private dead: Error | undefined;
  private closed = false;
  /** Settles when the thread has exited (at once for a channel without one). */
  readonly exited: Promise<void>;

  private constructor(
    private readonly worker: Worker | undefined,
    private readonly handler: RequestHandler<Req, Res> | undefined,
    private readonly options: ChannelOptions,
  ) {
    if (!worker) {
      this.exited = Promise.resolve();
      return;
    }
    // Never keeps the process alive: close() ends the thread, and an error exit must not hang a command.
    worker.unref();
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (m: { seq: number; value?: Res; error?: string }) => {
      const p = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.value as Res);
    });
    const fail = (err: Error): void => {
      this.dead ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker thread ${worker.threadId} exited (code ${code})`)));
  }

  /**
   * A channel to the compiled thread `script` (an entry point that calls serve()), or to the handler
   * `local()` makes, on this thread, when the script is not compiled or `threaded` is false.
   */
  static open<Req, Res>(script: string, local: () => RequestHandler<Req, Res>, options: ChannelOptions): Channel<Req, Res> {
    if ((options.threaded ?? true) && (COMPILED || options.forceThread)) {
      const worker = new Worker(script, options.resourceLimits ? { resourceLimits: options.resourceLimits } : {});
      return new Channel<Req, Res>(worker, undefined, options);
    }
    return new Channel<Req, Res>(undefined, local(), options);
  }

  /** True when the requests go to another thread (false: answered on this one). */
  get threaded(): boolean {
    return this.worker !== undefined;
  }

  /**
   * Sends a request once fewer than maxInFlight are unanswered, and returns as soon as it is sent
   * (`answer` settles when it is answered; a promise inside an object, as an async function cannot
   * return a promise without waiting for it). A request's buffers may be reused once it is sent.
   */
  async send(req: Req, transfer: ArrayBuffer[] = []): Promise<{ answer: Promise<Res> }> {
    while (this.inFlight.length >= this.options.maxInFlight) await this.inFlight.shift()!.catch(() => undefined);
    const stop = this.dead ?? this.failed;
    if (stop) throw stop;
    const answer = this.request(req, transfer);
    const settled = answer.then(
      () => undefined,
      (err: unknown) => {
        if (this.options.failFast ?? true) this.failed ??= err instanceof Error ? err : new Error(String(err));
      },
    );
    this.inFlight.push(settled);
    void settled.finally(() => {
      const i = this.inFlight.indexOf(settled);
      if (i >= 0) void this.inFlight.splice(i, 1); // the removed promise is settled
    });
    answer.catch(() => undefined); // observed by the caller, or by drain
    return { answer };
  }

  /** Sends a request and waits for its answer. */
  async call(req: Req, transfer: ArrayBuffer[] = []): Promise<Res> {
    return (await this.send(req, transfer)).answer;
  }

  private request(req: Req, transfer: ArrayBuffer[]): Promise<Res> {
    if (this.handler) {
      // Synchronously up to the handler's first await (every handler does its part of the order
      // there), so the request's buffers may be reused once send returns.
      try {
        return Promise.resolve(this.handler(req)).then((a) => a.value);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    const seq = ++this.seq;
    const p = new Promise<Res>((resolve, reject) => this.pending.set(seq, { resolve, reject }));
    this.worker!.postMessage({ seq, req }, transfer);
    return p;
  }

  /** Waits for every request sent; throws the first failure. */
  async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift();
    const stop = this.dead ?? this.failed;
    if (stop) throw stop;
  }

  /** Waits for the requests sent, then ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.inFlight);
    await this.worker?.terminate();
  }

  /** Ends the thread now, whatever it is doing. */
  async terminate(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }
}

/** The thread side: answers each request with `handler`, in order. A thread's entry point calls it. */
export function serve<Req, Res>(handler: RequestHandler<Req, Res>): void {
  const port = parentPort;
  // Only as a worker thread: loading an entry point elsewhere (the package test does) starts nothing.
  if (!port) return;
  let chain = Promise.resolve();
  port.on('message', (m: { seq: number; req: Req }) => {
    chain = chain.then(async () => {
      try {
        const a = await handler(m.req);
        port.postMessage({ seq: m.seq, value: a.value }, a.transfer ?? []);
      } catch (err) {
        port.postMessage({ seq: m.seq, error: err instanceof Error ? err.message : String(err) });
      }
    });
  });
}

import { parentPort, Worker } from 'node:worker_threads';

/**
 * Requests to a worker thread, answered in order, with back-pressure: at most `maxInFlight`
 * unanswered, so memory is bounded by that many messages whatever the producer's speed. Where the
 * thread's compiled script does not exist (the TypeScript sources under ts-jest), the same handler
 * runs in this thread, so both paths compute the same thing. A failed request fails every later one.
 */
/**
 * The worker threads that stream rows make only short-lived garbage (a string or two per row): a
 * 4 MiB young generation (V8 sizes it at up to 16 MiB a semi-space by default) collects it as well
 * and keeps about 10 MiB per thread out of the process's peak memory (bench:score).
 */
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };

export interface Answer<Res> {
  value: Res;
  transfer?: ArrayBuffer[];
}

export type RequestHandler<Req, Res> = (req: Req) => Answer<Res> | Promise<Answer<Res>>;

export class RequestChannel<Req, Res> {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: Res) => void; reject: (e: Error) => void }>();
  private readonly inFlight: Promise<unknown>[] = [];
  private failed: Error | undefined;

  private constructor(
    private readonly worker: Worker | undefined,
    private readonly handler: RequestHandler<Req, Res> | undefined,
    private readonly maxInFlight: number,
  ) {
    if (!worker) return;
    worker.on('message', (m: { seq: number; value?: Res; error?: string }) => {
      const p = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.value as Res);
    });
    const fail = (err: Error): void => {
      this.failed ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker thread exited (code ${code})`)));
  }

  /** A channel to the compiled thread `script` (a .js file beside this module's), or to `handler` in this thread. */
  static open<Req, Res>(script: string, handler: RequestHandler<Req, Res>, maxInFlight: number, threaded = true): RequestChannel<Req, Res> {
    if (threaded && __filename.endsWith('.js')) return new RequestChannel<Req, Res>(new Worker(script, { resourceLimits: WORKER_LIMITS }), undefined, maxInFlight);
    return new RequestChannel<Req, Res>(undefined, handler, maxInFlight);
  }

  /**
   * Sends a request once fewer than maxInFlight are unanswered, and returns as soon as it is sent
   * (`answer` settles when it is answered; a promise inside an object, as an async function cannot
   * return a promise without waiting for it).
   */
  async send(req: Req, transfer: ArrayBuffer[] = []): Promise<{ answer: Promise<Res> }> {
    while (this.inFlight.length >= this.maxInFlight) await this.inFlight.shift()!.catch(() => undefined);
    if (this.failed) throw this.failed;
    const answer = this.request(req, transfer);
    const settled = answer.then(
      () => undefined,
      (err: unknown) => {
        this.failed ??= err instanceof Error ? err : new Error(String(err));
      },
    );
    this.inFlight.push(settled);
    void settled.finally(() => {
      const i = this.inFlight.indexOf(settled);
      if (i >= 0) this.inFlight.splice(i, 1);
    });
    answer.catch(() => undefined); // observed by drain
    return { answer };
  }

  private request(req: Req, transfer: ArrayBuffer[]): Promise<Res> {
    if (this.handler) {
      // Synchronously up to the handler's first await: the request's buffers may be reused once send returns.
      try {
        return Promise.resolve(this.handler(req)).then((a) => a.value);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    const seq = ++this.seq;
    const p = new Promise<Res>((resolve, reject) => this.pending.set(seq, { resolve, reject }));
    this.worker!.postMessage({ seq, req }, transfer as never);
    return p;
  }

  /** True when the requests go to another thread (false: answered in this one). */
  get threaded(): boolean {
    return this.worker !== undefined;
  }

  /** Waits for every request sent; throws the first failure. */
  async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift();
    if (this.failed) throw this.failed;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    await this.worker?.terminate();
  }
}

/** The thread side: answers each request with `handler`, in order (a thread's entry point calls it). */
export function serveRequests<Req, Res>(handler: RequestHandler<Req, Res>): void {
  const port = parentPort;
  if (!port) throw new Error('serveRequests runs in a worker thread');
  let chain = Promise.resolve();
  port.on('message', (m: { seq: number; req: Req }) => {
    chain = chain.then(async () => {
      try {
        const a = await handler(m.req);
        port.postMessage({ seq: m.seq, value: a.value }, (a.transfer ?? []) as never);
      } catch (err) {
        port.postMessage({ seq: m.seq, error: err instanceof Error ? err.message : String(err) });
      }
    });
  });
}

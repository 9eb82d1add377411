import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CsvInputError, type CsvLayout, type ParsedRows } from './numericCsv';
import type { PsiBaseline } from '../domain/model/artifact';
import type { Dataset } from '../domain/model/dataset';
import type { LogisticFit } from '../domain/model/logistic';
import type { Scaler } from '../domain/model/scaler';
import type { TrainOffload } from '../domain/model/train';
import type { BaselineEvaluation } from '../domain/model/trainJobs';
import type { Job, Reply } from './trainHelperJobs';

/**
 * A second thread for `leadscore train` on these 2-core machines: it parses part of the training
 * file while this thread parses the rest, then computes the feature PSI baselines, the equal-weights
 * baseline and the coefficient covariance while this thread fits and evaluates. Only whole jobs move
 * between threads, so every number is computed by the same code in the same order as on one thread.
 *
 * Joins block (Atomics.wait) rather than await, so trainModel stays a synchronous function.
 */
export class TrainWorker implements TrainOffload {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** [0]: replies posted so far; [1]: 1 once the worker has ended. */
  private readonly done = new Int32Array(new SharedArrayBuffer(8));
  private submitted = 0;
  private received = 0;
  private readonly replies = new Map<number, Reply>();

  private constructor(script: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(script, { workerData: { port: port2, done: this.done }, transferList: [port2] });
    // Never keeps the process alive: close() ends it, and an error exit must not hang the CLI.
    this.worker.unref();
  }

  /** Null when the compiled worker script is not there (e.g. running from TypeScript sources under jest). */
  static start(): TrainWorker | null {
    if (!__filename.endsWith('.js')) return null;
    return new TrainWorker(path.join(__dirname, 'trainHelperThread.js'));
  }

  private submit<T>(job: Job): () => T {
    this.port.postMessage(job);
    const ticket = ++this.submitted;
    return () => this.join(ticket) as T;
  }

  private join(ticket: number): unknown {
    while (!this.replies.has(ticket)) {
      const seen = Atomics.load(this.done, 0);
      if (seen > this.received) {
        const message = receiveMessageOnPort(this.port);
        if (message) this.replies.set(++this.received, message.message as Reply);
        continue;
      }
      if (Atomics.load(this.done, 1) === 1) throw new Error('the training worker thread stopped before answering');
      Atomics.wait(this.done, 0, seen, 1000);
    }
    const reply = this.replies.get(ticket)!;
    this.replies.delete(ticket);
    if ('ok' in reply) return reply.ok;
    if ('csv' in reply) throw new CsvInputError(reply.csv.file, reply.csv.line, reply.csv.column, reply.csv.detail);
    throw new Error(reply.error);
  }

  /**
   * Parses the lines in bytes [from, to) of `file` into rows rowOffset… of x and y (views of
   * SharedArrayBuffers). A CSV error is rethrown with its line number: the range's first line is
   * `firstLine`, known only once the part before it is parsed, hence a parameter of the join.
   */
  parseRange(file: string, from: number, to: number, layout: CsvLayout, x: Float64Array, y: Uint8Array, rowOffset: number): (firstLine: number) => ParsedRows {
    const join = this.submit<ParsedRows>({ kind: 'parse', from, to, layout, file, x, y, rowOffset });
    return (firstLine) => {
      try {
        return join();
      } catch (err) {
        if (err instanceof CsvInputError) throw new CsvInputError(err.file, firstLine + err.line, err.column, err.detail);
        throw err;
      }
    };
  }

  featurePsi(train: Dataset): () => PsiBaseline[] {
    return this.submit({ kind: 'featurePsi', train });
  }

  baseline(train: Dataset, valid: Dataset): () => BaselineEvaluation {
    return this.submit({ kind: 'baseline', train, valid });
  }

  covariance(x: Float64Array, n: number, scaler: Scaler, fit: LogisticFit, C: number): () => number[][] {
    return this.submit({ kind: 'covariance', x, n, scaler, fit, C });
  }

  async close(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }
}

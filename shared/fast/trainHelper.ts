import { closeSync } from 'node:fs';
import * as path from 'node:path';
import type { PsiBaseline } from '../domain/model/artifact';
import type { Dataset } from '../domain/model/dataset';
import type { LogisticFit } from '../domain/model/logistic';
import type { Scaler } from '../domain/model/scaler';
import type { TrainOffload } from '../domain/model/train';
import { selectQuantiles } from './quantiles';
import { covarianceOfRaw, equalWeightsBaseline, featurePsiBaselines, type BaselineEvaluation } from '../domain/model/trainJobs';
import { Channel, COMPILED, type RequestHandler } from './channel';
import { CsvInputError, type CsvLayout, type ParsedRows } from './numericCsv';
import { openCsv, parseFileRows } from './numericCsvFile';

/**
 * A second thread for `leadscore train` on these 2-core machines: it parses part of the training
 * file while this thread parses the rest, then computes the feature PSI baselines, the equal-weights
 * baseline and the coefficient covariance while this thread fits and evaluates. Only whole jobs move
 * between threads, so every number is computed by the same code in the same order as on one thread
 * (the inline offload of domain/model/train.ts is its plain twin). Justified by bench:train.
 * Arrays travel as views of SharedArrayBuffers: nothing big is copied.
 */

export type TrainJob =
  | {
      kind: 'parse';
      /** The file's bytes [from, to), read by the helper. */
      from: number;
      to: number;
      layout: CsvLayout;
      file: string;
      x: Float64Array;
      y: Uint8Array;
      rowOffset: number;
    }
  | { kind: 'featurePsi'; train: Dataset }
  | { kind: 'baseline'; train: Dataset; valid: Dataset }
  | { kind: 'covariance'; x: Float64Array; n: number; scaler: Scaler; fit: LogisticFit; C: number };

/** A job's result, or a CSV error with its parts (`line` counts from 0 at the range's first line). */
export type TrainReply = { ok: unknown } | { csv: { file: string; line: number; column: string | null; detail: string } };

function run(job: TrainJob): unknown {
  switch (job.kind) {
    case 'parse': {
      const { fd } = openCsv(job.file);
      try {
        return parseFileRows(fd, job.from, job.to, job.layout, job.file, 0, job.x, job.y, job.rowOffset);
      } finally {
        closeSync(fd);
      }
    }
    case 'featurePsi':
      return featurePsiBaselines(job.train, selectQuantiles);
    case 'baseline':
      return equalWeightsBaseline(job.train, job.valid);
    case 'covariance':
      return covarianceOfRaw(job.x, job.n, job.scaler, job.fit, job.C);
  }
}

/** The helper thread's work (trainHelperThread.ts). A CSV error keeps its parts, to be renumbered here. */
export function trainJobHandler(): RequestHandler<TrainJob, TrainReply> {
  return (job) => {
    try {
      return { value: { ok: run(job) } };
    } catch (err) {
      if (err instanceof CsvInputError) return { value: { csv: { file: err.file, line: err.line, column: err.column, detail: err.detail } } };
      throw err;
    }
  };
}

export class TrainHelper implements TrainOffload {
  private constructor(private readonly channel: Channel<TrainJob, TrainReply>) {}

  /** Null where the helper thread cannot run (the TypeScript sources under jest): one thread does it all. */
  static start(): TrainHelper | null {
    if (!COMPILED) return null;
    return new TrainHelper(Channel.open(path.join(__dirname, 'trainHelperThread.js'), trainJobHandler, { maxInFlight: 8 }));
  }

  private async submit<T>(job: TrainJob): Promise<T> {
    const reply = await this.channel.call(job);
    if ('csv' in reply) throw new CsvInputError(reply.csv.file, reply.csv.line, reply.csv.column, reply.csv.detail);
    return reply.ok as T;
  }

  /**
   * Parses the lines in bytes [from, to) of `file` into rows rowOffset… of x and y (views of
   * SharedArrayBuffers). A CSV error is rethrown with its line number: the range's first line is
   * `firstLine`, known only once the part before it is parsed, hence a parameter of the join.
   */
  parseRange(
    file: string,
    from: number,
    to: number,
    layout: CsvLayout,
    x: Float64Array,
    y: Uint8Array,
    rowOffset: number,
  ): (firstLine: number) => Promise<ParsedRows> {
    const parsed = this.submit<ParsedRows>({ kind: 'parse', from, to, layout, file, x, y, rowOffset });
    parsed.catch(() => undefined); // observed by the join
    return async (firstLine) => {
      try {
        return await parsed;
      } catch (err) {
        if (err instanceof CsvInputError) throw new CsvInputError(err.file, firstLine + err.line, err.column, err.detail);
        throw err;
      }
    };
  }

  featurePsi(train: Dataset): Promise<PsiBaseline[]> {
    return this.submit({ kind: 'featurePsi', train });
  }

  baseline(train: Dataset, valid: Dataset): Promise<BaselineEvaluation> {
    return this.submit({ kind: 'baseline', train, valid });
  }

  covariance(x: Float64Array, n: number, scaler: Scaler, fit: LogisticFit, C: number): Promise<number[][]> {
    return this.submit({ kind: 'covariance', x, n, scaler, fit, C });
  }

  async close(): Promise<void> {
    await this.channel.terminate();
  }
}

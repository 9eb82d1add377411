import { closeSync } from 'node:fs';
import { CsvInputError, type CsvLayout } from './numericCsv';
import { openCsv, parseFileRows } from './numericCsvFile';
import type { Dataset } from '../domain/model/dataset';
import type { LogisticFit } from '../domain/model/logistic';
import type { Scaler } from '../domain/model/scaler';
import { covarianceOfRaw, equalWeightsBaseline, featurePsiBaselines } from '../domain/model/trainJobs';

/** The jobs the training worker (trainWorker.ts) runs, and their replies. */
export type Job =
  | {
      kind: 'parse';
      /** The file's bytes [from, to), read by this thread. */
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

export type Reply =
  | { ok: unknown }
  /** A CSV error: `line` counts from 0 at the chunk's first line. */
  | { csv: { file: string; line: number; column: string | null; detail: string } }
  | { error: string };

function run(job: Job): unknown {
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
      return featurePsiBaselines(job.train);
    case 'baseline':
      return equalWeightsBaseline(job.train, job.valid);
    case 'covariance':
      return covarianceOfRaw(job.x, job.n, job.scaler, job.fit, job.C);
  }
}

/** Runs one job; a CSV error keeps its parts so the main thread can renumber its line. */
export function runJob(job: Job): Reply {
  try {
    return { ok: run(job) };
  } catch (err) {
    return err instanceof CsvInputError
      ? { csv: { file: err.file, line: err.line, column: err.column, detail: err.detail } }
      : { error: err instanceof Error ? err.message : String(err) };
  }
}

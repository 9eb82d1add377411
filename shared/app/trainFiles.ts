import * as fs from 'node:fs/promises';
import { closeSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { N_FEATURES } from '../domain/features/schema';
import { CsvInputError, parseNumericCsv, rowCapacity } from '../fast/numericCsv';
import { lineStartAtOrAfter, openCsv, parseFileRows, readCsvLayout } from '../fast/numericCsvFile';
import type { Dataset } from '../domain/model/dataset';
import { checkTwoClasses, trainModel, type TrainOptions, type TrainResult } from '../domain/model/train';
import { TrainHelper } from '../fast/trainHelper';
import { renderTrainingFiles, type TrainingFiles } from '../domain/model/outputs';
import { selectQuantiles } from '../fast/quantiles';

/** Reads a labelled feature CSV; errors name the file, line and column. */
export async function readLabelledCsv(file: string): Promise<Dataset> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseNumericCsv(buf, { file, labelled: true });
}

/**
 * Writes the files so that either all of them appear or none: each goes to a temp name first and
 * the renames happen only after every write succeeded.
 */
export async function writeFilesAtomically(dir: string, files: Record<string, string>): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const suffix = `.${randomBytes(6).toString('hex')}.tmp`;
  const names = Object.keys(files);
  try {
    for (const name of names) await fs.writeFile(path.join(dir, name + suffix), files[name]!);
    for (const name of names) await fs.rename(path.join(dir, name + suffix), path.join(dir, name));
  } finally {
    for (const name of names) await fs.rm(path.join(dir, name + suffix), { force: true });
  }
}

export interface FileTrainingRun {
  result: TrainResult;
  files: TrainingFiles;
}

/** Below this many bytes of data a second parsing thread does not pay for itself. */
const SPLIT_MIN_BYTES = 256 * 1024;
/** Share of the training file this thread parses; it also parses the validation file. */
const MAIN_SHARE = 0.45;

/**
 * Parses a labelled CSV, read in blocks, into SharedArrayBuffer-backed arrays (the worker reads
 * them in place). With a worker, the lines from a line start near the middle on go to it: it
 * writes its rows from a row past any the first part can produce (a byte bound), and they are moved
 * down afterwards, so the Dataset is the one a single pass would give. Errors in the second part get
 * their line numbers once the first part's line count is known.
 */
async function parseLabelled(file: string, worker: TrainHelper | null): Promise<Dataset> {
  const { fd, size } = openCsv(file);
  try {
    const layout = readCsvLayout(fd, size, { file, labelled: true });
    const start = Math.min(layout.dataStart, size);
    let split = size;
    if (worker && size - start >= SPLIT_MIN_BYTES) split = lineStartAtOrAfter(fd, file, size, start + Math.floor((size - start) * MAIN_SHARE)) ?? size;
    const firstCapacity = rowCapacity(split - start, layout);
    const capacity = firstCapacity + (split < size ? rowCapacity(size - split, layout) : 0);
    const x = new Float64Array(new SharedArrayBuffer(capacity * N_FEATURES * 8));
    const y = new Uint8Array(new SharedArrayBuffer(capacity));
    const second = split < size ? worker!.parseRange(file, split, size, layout, x, y, firstCapacity) : null;
    const first = parseFileRows(fd, start, split, layout, file, 2, x, y, 0);
    let n = first.n;
    if (second) {
      const rest = await second(2 + first.lines);
      x.copyWithin(n * N_FEATURES, firstCapacity * N_FEATURES, (firstCapacity + rest.n) * N_FEATURES);
      y.copyWithin(n, firstCapacity, firstCapacity + rest.n);
      n += rest.n;
    }
    if (n === 0) throw new CsvInputError(file, 2, null, 'no data rows after the header');
    return { n, x: x.subarray(0, n * N_FEATURES), y: y.subarray(0, n) };
  } finally {
    closeSync(fd);
  }
}

/**
 * `leadscore train --train --valid --out`: parse, fit, evaluate, write (model_version 0). A worker
 * thread takes half the parsing and the jobs trainModel can hand off; the result is the same as on
 * one thread (and is computed on one when the worker script is not available).
 */
export async function trainFromFiles(trainFile: string, validFile: string, outDir: string, options: TrainOptions): Promise<FileTrainingRun> {
  const worker = TrainHelper.start();
  try {
    const train = await parseLabelled(trainFile, worker);
    const valid = await parseLabelled(validFile, null);
    checkTwoClasses(train, trainFile);
    checkTwoClasses(valid, validFile);
    const result = await trainModel(train, valid, { quantiles: selectQuantiles, ...options }, worker ?? undefined);
    const files = renderTrainingFiles(result, 0);
    await writeFilesAtomically(outDir, files);
    return { result, files };
  } finally {
    await worker?.close();
  }
}

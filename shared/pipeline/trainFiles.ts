import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseNumericCsv } from '../io/numericCsv';
import type { Dataset } from '../model/dataset';
import { checkTwoClasses, trainModel, type TrainOptions, type TrainResult } from '../model/train';
import { renderTrainingFiles, type TrainingFiles } from './trainingOutputs';

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

/** `leadscore train --train --valid --out`: parse, fit, evaluate, write (model_version 0). */
export async function trainFromFiles(trainFile: string, validFile: string, outDir: string, options: TrainOptions): Promise<FileTrainingRun> {
  const [train, valid] = await Promise.all([readLabelledCsv(trainFile), readLabelledCsv(validFile)]);
  checkTwoClasses(train, trainFile);
  checkTwoClasses(valid, validFile);
  const result = trainModel(train, valid, options);
  const files = renderTrainingFiles(result, 0);
  await writeFilesAtomically(outDir, files);
  return { result, files };
}

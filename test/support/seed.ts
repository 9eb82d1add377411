import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseNumericCsv } from '../../shared/fast/numericCsv';
import type { Dataset } from '../../shared/domain/model/dataset';

/** The seed's reference data lives outside the repo (../shared/data/seed-reference) and is never copied in. */
export const SEED_DIR = path.resolve(__dirname, '../../../shared/data/seed-reference');
export const SEED_TRAIN = path.join(SEED_DIR, 'train.csv');
export const SEED_VALID = path.join(SEED_DIR, 'valid.csv');

export function loadSeed(): { train: Dataset; valid: Dataset } {
  return {
    train: parseNumericCsv(fs.readFileSync(SEED_TRAIN), { file: SEED_TRAIN, labelled: true }),
    valid: parseNumericCsv(fs.readFileSync(SEED_VALID), { file: SEED_VALID, labelled: true }),
  };
}

/** Relative difference, safe at zero. */
export function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../../shared/config';
import { trainFromFiles } from '../../shared/pipeline/trainFiles';
import { formatMetricsTable } from '../../shared/pipeline/trainingOutputs';

function positiveNumber(value: string): number {
  const v = Number(value);
  if (!Number.isFinite(v) || v <= 0) throw new InvalidArgumentError('must be a positive number');
  return v;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Fit lead-scoring weights: writes weights.csv, metrics.json and model.json')
    .option('--train <csv>', 'training CSV: the 7 feature columns (any order) and label')
    .option('--valid <csv>', 'validation CSV, same columns')
    .option('--out <dir>', 'folder for weights.csv, metrics.json and model.json')
    .option('--C <float>', 'inverse L2 regularisation strength', positiveNumber)
    .action(async (opts: { train?: string; valid?: string; out?: string; C?: number }) => {
      const config = loadConfig();
      const options = { C: opts.C ?? config.TRAIN_C, brierThreshold: config.CALIBRATION_BRIER_THRESHOLD };
      if (!opts.train || !opts.valid || !opts.out) {
        throw new Error('file mode needs --train, --valid and --out');
      }
      const run = await trainFromFiles(opts.train, opts.valid, opts.out, options);
      process.stdout.write(formatMetricsTable(run.result));
      process.stdout.write(`wrote ${opts.out}/weights.csv, metrics.json, model.json\n`);
    });
}

import type { Command } from 'commander';
import { trainFiles } from '../../shared/app/container';
import { writeFilesAtomically } from '../../shared/app/trainFiles';
import type { TrainResult } from '../../shared/domain/model/train';
import { formatMetricsTable, renderTrainingFiles, weightsCsv } from '../../shared/domain/model/outputs';
import { dayArg, positiveNumberArg, withContainer } from '../options';

interface TrainOpts {
  train?: string;
  valid?: string;
  out?: string;
  C?: number;
  asOf?: string;
  register?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Fit lead-scoring weights from CSV files (--train/--valid) or from the lake; writes weights.csv, metrics.json, model.json')
    .option('--train <csv>', 'training CSV: the 7 feature columns (any order) and label')
    .option('--valid <csv>', 'validation CSV, same columns')
    .option('--out <dir>', 'folder for weights.csv, metrics.json and model.json (required with --train/--valid)')
    .option('--C <float>', 'inverse L2 regularisation strength', positiveNumberArg)
    .option('--as-of <date>', 'lake mode: use labelled send dates up to this day (default today, UTC)', dayArg)
    .option('--register', 'store the result as the next model version: models/v{N}/ in the lake and model_versions + scoring_weights in SQL, inactive (staged)')
    .action(async (opts: TrainOpts) => {
      if (Boolean(opts.train) !== Boolean(opts.valid)) throw new Error('give both --train and --valid, or neither (lake mode)');
      let result: TrainResult;
      let window: { start: string; end: string } | null = null;
      let extra: Record<string, unknown> = {};
      if (opts.train && opts.valid) {
        if (!opts.out) throw new Error('file mode needs --out <dir>');
        result = (await trainFiles(opts.train, opts.valid, opts.out, opts.C !== undefined ? { C: opts.C } : {})).result;
        process.stdout.write(formatMetricsTable(result));
        process.stdout.write(`wrote ${opts.out}/weights.csv, metrics.json, model.json\n`);
      } else {
        const trained = await withContainer(
          async ({ useCases, lake }) => {
            const run = await useCases.trainFromLake({ ...(opts.C !== undefined ? { C: opts.C } : {}), ...(opts.asOf ? { asOf: opts.asOf } : {}) });
            const w = run.trainingSet.window;
            process.stdout.write(`lake ${lake.location}: training ${w.trainFrom}..${w.trainTo}, validation ${w.validFrom}..${w.validTo}\n`);
            return run;
          },
          { quiet: true, migrate: false },
        );
        result = trained.result;
        const w = trained.trainingSet.window;
        window = { start: w.trainFrom, end: w.validTo };
        extra = { training_window: w, partitions: trained.trainingSet.partitions.map(({ path, contentHash, rows }) => ({ path, contentHash, rows })) };
        process.stdout.write(formatMetricsTable(result));
        if (opts.out) {
          await writeFilesAtomically(opts.out, renderTrainingFiles(result, 0, extra));
          process.stdout.write(`wrote ${opts.out}/weights.csv, metrics.json, model.json\n`);
        }
      }
      if (opts.register) {
        const trained = result;
        const version = await withContainer(({ useCases }) =>
          useCases.registerVersion({
            artifact: trained.artifact,
            metrics: { ...trained.metrics },
            weightsCsv: (v) => weightsCsv(trained.artifact, v),
            trigger: 'manual',
            window,
            modelJsonExtra: extra,
          }),
        );
        process.stdout.write(
          `registered model version ${version.version} (staged) → ${version.artifactPath}; activate it with: leadscore deploy ${version.version}\n`,
        );
      }
    });
}

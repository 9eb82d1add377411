import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { FEATURES } from '../shared/domain/features/schema';
import { measureCli, measureCliStartup, report } from './measure';

/**
 * npm run bench:train — 1,000,000 training and 200,000 validation rows (seeded), then
 * `leadscore train` end to end: parse, fit, evaluate, write. The peer is pandas + scikit-learn on
 * the same files on these 2-core machines: about 1.7 s wall and 380 MiB peak.
 */
const TRAIN_ROWS = Number(process.env.BENCH_TRAIN_ROWS ?? 1_000_000);
const VALID_ROWS = Number(process.env.BENCH_VALID_ROWS ?? 200_000);
const SEED = 42;
/** Best of this many runs: other work on a shared machine only ever makes a run slower. */
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PEER = { seconds: 1.7, peakRssMiB: 380 };

function generate(file: string, rows: number, seed: number): void {
  const rng = xoroshiro128plus(seed);
  const u = (): number => uniformFloat64(rng);
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  // Feature distributions shaped like the seed's; the label follows a logistic model of them.
  const trueWeights = [-0.045, -1.2, 0.95, 2.5, 1.1, -2.2, 1.05];
  const out = fs.openSync(file, 'w');
  const chunk: string[] = [`${FEATURES.join(',')},label`];
  for (let i = 0; i < rows; i++) {
    const f = [
      Math.floor(u() * 61),
      clamp(0.39 + 0.2 * normal(), 0, 0.999999),
      clamp(0.03 + 0.8 * normal(), -2, 2),
      clamp(0.45 + 0.2 * normal(), 0, 1),
      clamp(0.28 + 0.17 * normal(), 0, 1),
      clamp(0.19 + 0.13 * normal(), 0, 1),
      clamp(0.44 + 0.2 * normal(), 0.000001, 0.999999),
    ];
    let z = -0.15;
    for (let j = 0; j < 7; j++) z += trueWeights[j]! * f[j]!;
    const label = u() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    chunk.push(
      `${f[0]},${f
        .slice(1)
        .map((v) => v.toFixed(6))
        .join(',')},${label}`,
    );
    if (chunk.length >= 50_000) {
      fs.writeSync(out, `${chunk.join('\n')}\n`);
      chunk.length = 0;
    }
  }
  if (chunk.length) fs.writeSync(out, `${chunk.join('\n')}\n`);
  fs.closeSync(out);
}

async function main(): Promise<void> {
  const dir = path.resolve('bench/.data');
  fs.mkdirSync(dir, { recursive: true });
  const trainFile = path.join(dir, `train-${TRAIN_ROWS}-${SEED}.csv`);
  const validFile = path.join(dir, `valid-${VALID_ROWS}-${SEED + 1}.csv`);
  if (!fs.existsSync(trainFile)) generate(trainFile, TRAIN_ROWS, SEED);
  if (!fs.existsSync(validFile)) generate(validFile, VALID_ROWS, SEED + 1);
  const outDir = path.join(dir, 'train-out');

  const loadBefore = os.loadavg()[0]!;
  const runs = [];
  const startups = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(await measureCli(['train', '--train', trainFile, '--valid', validFile, '--out', outDir]));
    startups.push(await measureCliStartup());
  }
  const best = runs.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
  const rows = TRAIN_ROWS + VALID_ROWS;
  process.stdout.write(best.stdout);
  report([
    ['bench:train', `${TRAIN_ROWS} training + ${VALID_ROWS} validation rows, best of ${runs.length} runs`],
    ['wall seconds', `${best.seconds.toFixed(3)}   (peer pandas + scikit-learn: ~${PEER.seconds} s)`],
    ['rows/s', `${Math.round(rows / best.seconds).toLocaleString('en-US')}   (peer: ~${Math.round(rows / PEER.seconds).toLocaleString('en-US')})`],
    ['peak RSS MiB', `${best.peakRssMiB.toFixed(0)}   (peer: ~${PEER.peakRssMiB}; target < 400)`],
    ['CPU seconds', `${best.cpuSeconds.toFixed(3)}   (both threads)`],
    ['CLI start-up s', `${Math.min(...startups).toFixed(3)}   (loading the CLI's modules, best of ${startups.length}; included in wall)`],
    ['all runs (s)', runs.map((m) => m.seconds.toFixed(3)).join(', ')],
    ['load average', `${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after (${os.cpus().length} CPUs)`],
  ]);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});

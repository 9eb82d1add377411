import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { FEATURES } from '../shared/domain/features/schema';
import { measureCli, measureCliStartup, report } from './measure';

/**
 * npm run bench:train — 1,000,000 training and 200,000 validation rows (seeded), then
 * `leadscore train` end to end: parse, fit, evaluate, write. The peer, pandas + scikit-learn (Debian's
 * python3-pandas and python3-sklearn), does the same job on the same files in the same run, rounds
 * alternating: read both CSVs, standardize, LogisticRegression(C=1, lbfgs), AUC-ROC / PR-AUC / Brier on
 * validation, raw-space weights written to a CSV. Without them, only our figures are printed.
 */
const TRAIN_ROWS = Number(process.env.BENCH_TRAIN_ROWS ?? 1_000_000);
const VALID_ROWS = Number(process.env.BENCH_VALID_ROWS ?? 200_000);
const SEED = 42;
/** Best of this many runs: other work on a shared machine only ever makes a run slower. */
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** The peer's job, timed by itself (wall from the first import to the written weights) with its peak RSS. */
const PEER_SCRIPT = `
import sys, time, resource
t0 = time.perf_counter()
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import roc_auc_score, average_precision_score, brier_score_loss
train, valid, out = sys.argv[1:4]
features = ${JSON.stringify([...FEATURES])}
tr = pd.read_csv(train); va = pd.read_csv(valid)
scaler = StandardScaler().fit(tr[features].to_numpy())
model = LogisticRegression(C=1.0, solver='lbfgs', max_iter=1000).fit(scaler.transform(tr[features].to_numpy()), tr['label'].to_numpy())
p = model.predict_proba(scaler.transform(va[features].to_numpy()))[:, 1]
y = va['label'].to_numpy()
auc, ap, brier = roc_auc_score(y, p), average_precision_score(y, p), brier_score_loss(y, p)
w = model.coef_[0] / scaler.scale_
offset = model.intercept_[0] - float(np.sum(model.coef_[0] * scaler.mean_ / scaler.scale_))
pd.DataFrame({'feature': features + ['offset'], 'raw_weight': list(w) + [offset]}).to_csv(out, index=False)
print('{"seconds": %.6f, "peakMiB": %.1f, "auc": %.6f}' % (time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, auc))
`;

function peerPython(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-c', 'import pandas, sklearn'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

function runPeer(py: string, trainFile: string, validFile: string, out: string): { seconds: number; peakMiB: number; auc: number } {
  const r = spawnSync(py, ['-c', PEER_SCRIPT, trainFile, validFile, out], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`the pandas + scikit-learn peer failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; peakMiB: number; auc: number };
}

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
  const py = peerPython();
  const runs = [];
  const startups = [];
  const peer: { seconds: number; peakMiB: number; auc: number }[] = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(await measureCli(['train', '--train', trainFile, '--valid', validFile, '--out', outDir]));
    startups.push(await measureCliStartup());
    if (py) peer.push(runPeer(py, trainFile, validFile, path.join(dir, 'train-out-peer.csv')));
  }
  const best = runs.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
  const peerBest = peer.length ? peer.reduce((a, b) => (a.seconds <= b.seconds ? a : b)) : null;
  const rows = TRAIN_ROWS + VALID_ROWS;
  process.stdout.write(best.stdout);
  const vsPeer = (ours: string, theirs: string): string =>
    peerBest ? `${ours}   (peer pandas + scikit-learn: ${theirs})` : `${ours}   (peer not installed: apt-get install python3-pandas python3-sklearn)`;
  report([
    ['bench:train', `${TRAIN_ROWS} training + ${VALID_ROWS} validation rows, best of ${runs.length} runs${peerBest ? ', alternating with the peer' : ''}`],
    [
      'wall seconds',
      vsPeer(best.seconds.toFixed(3), peerBest ? `${peerBest.seconds.toFixed(3)}; ours / peer ${(best.seconds / peerBest.seconds).toFixed(2)}×` : ''),
    ],
    ['rows/s', vsPeer(Math.round(rows / best.seconds).toLocaleString('en-US'), Math.round(rows / (peerBest?.seconds ?? 1)).toLocaleString('en-US'))],
    ['peak RSS MiB', vsPeer(`${best.peakRssMiB.toFixed(0)} (target < 400)`, `${peerBest?.peakMiB.toFixed(0)}`)],
    ...(peerBest
      ? [['peer runs (s)', `${peer.map((m) => m.seconds.toFixed(3)).join(', ')}; its validation AUC ${peerBest.auc.toFixed(4)}`] as [string, string]]
      : []),
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

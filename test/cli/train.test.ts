import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../cli/main';
import { FEATURES } from '../../shared/features/schema';
import { SEED_TRAIN, SEED_VALID } from '../support/seed';

let dir: string;
let stderr: string;
let stdout: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-train-'));
  stderr = '';
  stdout = '';
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const header = `${FEATURES.join(',')},label`;
const good = ['5,0.4,1.2,0.5,0.3,0.1,0.4,1', '40,0.2,-0.5,0.2,0.1,0.4,0.5,0', '12,0.6,0.3,0.7,0.6,0.2,0.7,1', '55,0.1,-1.5,0.1,0.0,0.6,0.3,0'];

function csv(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + (lines.length ? '\n' : ''));
  return file;
}

async function train(trainFile: string, validFile: string): Promise<number> {
  return main(['node', 'leadscore', 'train', '--train', trainFile, '--valid', validFile, '--out', path.join(dir, 'out')]);
}

describe('leadscore train (file mode)', () => {
  test('writes weights.csv, metrics.json and model.json and prints the table', async () => {
    expect(await train(SEED_TRAIN, SEED_VALID)).toBe(0);
    const out = path.join(dir, 'out');
    const weights = fs.readFileSync(path.join(out, 'weights.csv'), 'utf8').trim().split('\n');
    expect(weights[0]).toBe('feature,raw_weight,offset,model_version');
    expect(weights.slice(1).map((l) => l.split(',')[0])).toEqual([...FEATURES]);
    expect(weights.slice(1).every((l) => l.endsWith(',0'))).toBe(true);
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    for (const key of ['auc_roc', 'pr_auc', 'brier', 'precision_at_100', 'precision_at_200', 'lift_at_10pct', 'calibrated', 'n_train', 'n_valid', 'positive_rate']) {
      expect(metrics).toHaveProperty(key);
    }
    expect(Object.keys(metrics.baseline).sort()).toEqual(['auc_roc', 'brier', 'lift_at_10pct', 'pr_auc', 'precision_at_100', 'precision_at_200']);
    expect(metrics.calibration_curve).toHaveLength(10);
    const model = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    for (const key of ['features', 'scaler', 'coef', 'intercept', 'raw_weights', 'offset', 'calibration', 'C', 'iterations', 'converged', 'standard_errors', 'psi_baseline']) {
      expect(model).toHaveProperty(key);
    }
    expect(Object.keys(model.psi_baseline).sort()).toEqual([...FEATURES, 'score'].sort());
    expect(stdout).toMatch(/Logistic regression\s+0\.8244\s+0\.7472\s+0\.1664\s+0\.8600\s+0\.8350/);
    expect(stdout).toMatch(/Equal weights\s+0\.7964\s+0\.7193\s+0\.2193\s+0\.8500\s+0\.8150/);
  });

  test('columns in any order and extra columns are accepted', async () => {
    const shuffled = ['contact_id', 'label', ...[...FEATURES].reverse(), 'note'];
    const rows = good.map((l, i) => {
      const v = l.split(',');
      return [`c${i}`, v[7], ...v.slice(0, 7).reverse(), '"a, quoted note"'].join(',');
    });
    const t = csv('t.csv', [shuffled.join(','), ...rows, ...rows]);
    expect(await train(t, t)).toBe(0);
    expect(fs.existsSync(path.join(dir, 'out', 'weights.csv'))).toBe(true);
  });

  const bad: [string, string[], RegExp][] = [
    ['a missing column', [FEATURES.slice(1).join(',') + ',label', '0.4,1.2,0.5,0.3,0.1,0.4,1'], /bad\.csv:1 column 'recency_days': missing column/],
    ['a non-numeric value', [header, good[0]!, '5,abc,1.2,0.5,0.3,0.1,0.4,0'], /bad\.csv:3 column 'fatigue_score': value 'abc' is not a number/],
    ['a NaN', [header, good[0]!, '5,0.4,NaN,0.5,0.3,0.1,0.4,0'], /bad\.csv:3 column 'sentiment_score': value 'NaN' is NaN or missing/],
    ['an infinite value', [header, good[0]!, '5,0.4,1,inf,0.3,0.1,0.4,0'], /bad\.csv:3 column 'engagement_rate_30d': value 'inf' is infinite/],
    ['an empty value', [header, good[0]!, '5,0.4,1,0.5,,0.1,0.4,0'], /bad\.csv:3 column 'reply_rate_90d': empty value/],
    ['a label other than 0/1', [header, good[0]!, '5,0.4,1,0.5,0.3,0.1,0.4,2'], /bad\.csv:3 column 'label': label must be 0 or 1, got '2'/],
    ['a short row', [header, good[0]!, '5,0.4,1'], /bad\.csv:3 column 'engagement_rate_30d': only 3 of the header's 8 fields/],
    ['a single class', [header, '5,0.4,1.2,0.5,0.3,0.1,0.4,1', '6,0.4,1.2,0.5,0.3,0.1,0.4,1'], /bad\.csv: all 2 labels are 1; both classes are needed/],
    ['an empty file', [], /bad\.csv:1: the file is empty/],
    ['a header without rows', [header], /bad\.csv:2: no data rows after the header/],
  ];
  test.each(bad)('%s gets a clear error naming file, line and column, and writes nothing', async (_what, lines, message) => {
    const b = csv('bad.csv', lines);
    const ok = csv('ok.csv', [header, ...good]);
    expect(await train(b, ok)).toBe(1);
    expect(stderr).toMatch(message);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  test('a missing file is named', async () => {
    expect(await train(path.join(dir, 'nope.csv'), SEED_VALID)).toBe(1);
    expect(stderr).toMatch(/cannot read .*nope\.csv: ENOENT/);
  });

  test('fewer validation rows than K gives null precision@K, not a crash', async () => {
    const v = csv('small.csv', [header, ...good]);
    expect(await train(SEED_TRAIN, v)).toBe(0);
    const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'metrics.json'), 'utf8'));
    expect(metrics.precision_at_100).toBeNull();
    expect(metrics.precision_at_200).toBeNull();
    expect(metrics.baseline.precision_at_100).toBeNull();
  });

  test('a bad --C is refused', async () => {
    const code = await main(['node', 'leadscore', 'train', '--train', SEED_TRAIN, '--valid', SEED_VALID, '--out', dir, '--C', '-1']);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/--C.*must be a positive number/);
  });
});

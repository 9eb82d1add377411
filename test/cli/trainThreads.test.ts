import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { FEATURES } from '../../shared/domain/features/schema';

/**
 * The range checks on the two-thread path of `leadscore train`, which runs only from compiled code
 * (under jest the TypeScript sources parse on one thread): the compiled trainFromFiles, on a file
 * big enough to be split, with a bad value in the part each thread parses. `npm test` builds first.
 */
type TrainFiles = typeof import('../../shared/app/trainFiles');
const COMPILED = path.resolve(__dirname, '../../dist/shared/app/trainFiles.js');
const { trainFromFiles } = createRequire(__filename)(COMPILED) as TrainFiles;

const ROWS = 8000; // ~440 KB: above the 256 KiB from which the second thread takes a share
let dir: string;
let lines: string[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-train-threads-'));
  let s = 12345;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  lines = [`${FEATURES.join(',')},label`];
  for (let i = 0; i < ROWS; i++) {
    const recency = Math.floor(u() * 61);
    const f = [u(), u() * 4 - 2, u(), u(), u(), u()];
    const z = 1.5 - 0.05 * recency + f[1]! + 2 * f[2]! - 2 * f[4]!;
    const label = u() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    lines.push(`${recency},${f.map((v) => v.toFixed(6)).join(',')},${label}`);
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function withLine(name: string, at: number, edit: (cells: string[]) => void): string {
  const copy = [...lines];
  const cells = copy[at - 1]!.split(',');
  edit(cells);
  copy[at - 1] = cells.join(',');
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${copy.join('\n')}\n`);
  return file;
}

test('the file is big enough to be split, and trains on two threads', async () => {
  const file = withLine('ok.csv', 2, () => undefined);
  expect(fs.statSync(file).size).toBeGreaterThan(256 * 1024);
  const out = path.join(dir, 'out-ok');
  const run = await trainFromFiles(file, file, out, { C: 1 });
  expect(run.result.metrics.n_train).toBe(ROWS);
  expect(run.result.artifact.converged).toBe(true);
  expect(fs.readdirSync(out).sort()).toEqual(['metrics.json', 'model.json', 'weights.csv']);
});

test.each([
  ['first thread', 100],
  ['second thread', ROWS - 100],
])('a value out of range in the part the %s parses is named by line and column, and nothing is written', async (_what, at) => {
  for (const [column, value, detail] of [
    [3, '1.000001', '1.000001 outside [0, 1]'], // plain decimal: the byte loop's check
    [0, '1e200', '1e200 outside [0, 60]'], // exponent: the general code's check
    [0, '17.5', '17.5 is not a whole number of days'],
  ] as const) {
    const file = withLine(`bad-${at}-${column}.csv`, at, (cells) => (cells[column] = value));
    const out = path.join(dir, `out-${at}-${column}`);
    await expect(trainFromFiles(file, file, out, { C: 1 })).rejects.toThrow(`${file}:${at} column '${FEATURES[column]}': ${detail}`);
    expect(fs.existsSync(out)).toBe(false);
  }
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as ts from 'typescript';

/**
 * The in-process contract test cannot overlap two SQLite calls (node:sqlite is synchronous), so this one
 * runs the adapter in worker threads, each with its own connection to the same file, released at the
 * same instant: real concurrent writers, as separate processes on one machine would be.
 */
const WORKERS = 8;

function buildAdapter(into: string): string {
  const src = path.resolve(__dirname, '../../../shared/adapters/ledger');
  for (const name of ['sqlite', 'checks']) {
    const out = ts.transpileModule(fs.readFileSync(path.join(src, `${name}.ts`), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    });
    fs.writeFileSync(path.join(into, `${name}.js`), out.outputText);
  }
  return path.join(into, 'sqlite.js');
}

const WORKER = `
  const { workerData, parentPort } = require('node:worker_threads');
  const { SqliteLedger } = require(workerData.module);
  const ledger = new SqliteLedger(workerData.file, { now: () => workerData.now });
  const gate = new Int32Array(workerData.gate);
  Atomics.add(gate, 1, 1);
  Atomics.wait(gate, 0, 0);
  ledger.acquireLock('retrain', 'worker-' + workerData.index, 60000).then(
    (won) => { ledger.close(); parentPort.postMessage({ won }); },
    (e) => parentPort.postMessage({ error: String(e) }));
`;

async function race(module: string, file: string, now: number): Promise<{ won?: boolean; error?: string }[]> {
  const gate = new Int32Array(new SharedArrayBuffer(8));
  const results = Array.from({ length: WORKERS }, (_, index) => {
    const w = new Worker(WORKER, { eval: true, workerData: { module, file, now, index, gate: gate.buffer } });
    return new Promise<{ won?: boolean; error?: string }>((resolve, reject) => {
      w.once('message', (m: { won?: boolean; error?: string }) => {
        resolve(m);
        void w.terminate();
      });
      w.once('error', reject);
    });
  });
  // A worker that fails before it reaches the gate must fail the test, not leave it waiting.
  let failed: unknown;
  for (const r of results) r.catch((e: unknown) => (failed = e));
  while (Atomics.load(gate, 1) < WORKERS && failed === undefined) await new Promise((r) => setTimeout(r, 5));
  if (failed !== undefined) throw failed instanceof Error ? failed : new Error(String(failed));
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  return Promise.all(results);
}

describe('SQLite ledger locks across connections', () => {
  let dir: string;
  let module: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-workers-'));
    module = buildAdapter(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives a free lock, and then an expired lease, to exactly one of many simultaneous writers', async () => {
    const file = path.join(dir, 'ledger.db');
    const t0 = Date.parse('2025-06-01T02:00:00Z');
    const first = await race(module, file, t0);
    expect(first.filter((r) => r.error)).toEqual([]);
    expect(first.filter((r) => r.won)).toHaveLength(1);
    // Every lease above ends at t0 + 60 s; at that instant it is free to take again, by one writer only.
    const second = await race(module, file, t0 + 60_000);
    expect(second.filter((r) => r.error)).toEqual([]);
    expect(second.filter((r) => r.won)).toHaveLength(1);
  });
});

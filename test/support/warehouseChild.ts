import * as path from 'node:path';

/**
 * The script of a child process that races others on one home (the concurrency tests): the compiled
 * adapters and use cases over `home` (its first argument), answering each message `m` with
 * { ok: out } or { error }, where `ops` is the body that sets `out` from `m` (deployVersion, rollback,
 * scorePartition, lake, warehouse, ledger, log and deps are in scope). `{ op: 'exit' }` closes and exits.
 */
const DIST = path.resolve(__dirname, '../../dist/shared');

export function warehouseChildScript(ops: string): string {
  return `
const { SqliteWarehouse } = require(${JSON.stringify(`${DIST}/adapters/warehouse/sqlite.js`)});
const { SqliteLedger } = require(${JSON.stringify(`${DIST}/adapters/ledger/sqlite.js`)});
const { LocalLake } = require(${JSON.stringify(`${DIST}/adapters/lake/local.js`)});
const { deployVersion, rollback } = require(${JSON.stringify(`${DIST}/app/versions.js`)});
const { scorePartition } = require(${JSON.stringify(`${DIST}/app/scoring.js`)});
const { silentLog: log } = require(${JSON.stringify(`${DIST}/ports/log.js`)});
const [home] = process.argv.slice(2);
const lake = new LocalLake(home + '/lake');
const warehouse = new SqliteWarehouse(home + '/warehouse.db');
const ledger = new SqliteLedger(home + '/ledger.db');
const deps = { lake, warehouse, log, exportChunkRows: 64 };
process.on('message', async (m) => {
  if (m.op === 'exit') { await warehouse.close(); await ledger.close(); process.exit(0); }
  try {
    let out;
    ${ops}
    process.send({ ok: out ?? null });
  } catch (e) {
    process.send({ error: e.name + ': ' + e.message });
  }
});
process.send({ ready: true });
`;
}

/** A pseudo-random sequence (kills and choices are random but the test is repeatable). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

import { parentPort } from 'node:worker_threads';
import './sqliteQuiet';
import { PopulationLoaderCore, runLoaderRequest, type LoaderRequest } from './sqlitePopulation';

/**
 * The population loader's thread: binds and steps the load's INSERTs while the main thread reads and
 * validates the next chunk. A failed step fails every later request, until the rollback. After the
 * commit, the checkpoint request (sent once the caller's own follow-up is done) copies the WAL into
 * the database file, and the thread ends.
 */
const core = new PopulationLoaderCore();
let failed: string | undefined;

// Only as a worker thread (loading the module elsewhere, as the package test does, starts nothing).
parentPort?.on('message', (m: LoaderRequest & { seq: number }) => {
  const port = parentPort!;
  if (m.op === 'rollback') {
    core.rollback();
    port.postMessage({ seq: m.seq });
    port.close();
    return;
  }
  if (failed !== undefined) {
    port.postMessage({ seq: m.seq, error: failed });
    return;
  }
  try {
    const result = runLoaderRequest(core, m);
    if (m.op === 'checkpoint') {
      port.postMessage({ checkpointMs: result });
      port.close();
      return;
    }
    port.postMessage({ seq: m.seq, result });
  } catch (err) {
    failed = err instanceof Error ? err.message : String(err);
    port.postMessage({ seq: m.seq, error: failed });
  }
});

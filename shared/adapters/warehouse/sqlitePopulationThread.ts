import { parentPort } from 'node:worker_threads';
import './sqliteQuiet';
import { PopulationLoaderCore, runLoaderRequest, type LoaderRequest } from './sqlitePopulation';

/**
 * The population loader's thread: binds and steps the load's INSERTs while the main thread reads and
 * validates the next chunk. A failed step fails every later request, until the rollback. After the
 * commit is reported it checkpoints the WAL and ends.
 */
const port = parentPort;
if (!port) throw new Error('sqlitePopulationThread runs as a worker thread');
const core = new PopulationLoaderCore();
let failed: string | undefined;

port.on('message', (m: LoaderRequest & { seq: number }) => {
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
    port.postMessage({ seq: m.seq, result });
    if (m.op === 'commit') {
      port.postMessage({ checkpointMs: core.checkpointAndClose() });
      port.close();
    }
  } catch (err) {
    failed = err instanceof Error ? err.message : String(err);
    port.postMessage({ seq: m.seq, error: failed });
  }
});

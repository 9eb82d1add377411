import { workerData, type MessagePort } from 'node:worker_threads';
import type { Job, Reply } from './trainHelperJobs';

/**
 * The second thread of `leadscore train` (started by TrainWorker in trainHelper.ts). Jobs arrive in
 * order on a MessagePort; each reply is posted, then `done[0]` is bumped and notified, so the main
 * thread can block on it with Atomics.wait and take the reply with receiveMessageOnPort without going
 * back to its event loop. Arrays come as views of SharedArrayBuffers: nothing big is copied.
 *
 * `done[1]` is set when this thread ends, so a main thread blocked on a reply that will never come
 * fails instead of hanging. The handler is registered before the job code loads (dynamically) for
 * the same reason: a failure to load becomes an error reply.
 */
const { port, done } = workerData as { port: MessagePort; done: Int32Array };
process.on('exit', () => {
  Atomics.store(done, 1, 1);
  Atomics.notify(done, 0);
});

const jobs = import('./trainHelperJobs.js');
jobs.catch(() => undefined); // reported to the main thread by the first job, not as an unhandled rejection
let queue: Promise<void> = Promise.resolve();
port.on('message', (job: Job) => {
  // Chained, so replies keep the order of the jobs.
  queue = queue.then(async () => {
    let reply: Reply;
    try {
      reply = (await jobs).runJob(job);
    } catch (err) {
      reply = { error: `training worker: ${err instanceof Error ? err.message : String(err)}` };
    }
    port.postMessage(reply);
    Atomics.add(done, 0, 1);
    Atomics.notify(done, 0);
  });
});

import { app, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { workerContainer } from '../shared/app/container';
import { invocationLog } from '../shared/http/handler';
import { RETRAIN_QUEUE } from './retrain';

const message = z.object({
  runId: z.uuid(),
  trigger: z.enum(['schedule', 'alert', 'drift', 'performance', 'manual']),
  reason: z.string(),
  requestedBy: z.string(),
});

/**
 * Does the work POST /api/retrain queued. A malformed message is logged and dropped (a retry cannot
 * fix it); the retrain step records its own failures, so the host only retries on a crash.
 */
export async function retrainWorker(queueItem: unknown, context: InvocationContext): Promise<void> {
  const parsed = message.safeParse(queueItem);
  if (!parsed.success) {
    context.error(`retrainWorker: ignoring a malformed message: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return;
  }
  const { useCases } = (await workerContainer()).withLog(invocationLog(context));
  const run = await useCases.retrain(parsed.data);
  context.log(`retrainWorker: run ${run.id} ${run.status}${run.reason ? ` — ${run.reason}` : ''}`);
}

app.storageQueue('retrainWorker', { queueName: RETRAIN_QUEUE, connection: 'AzureWebJobsStorage', handler: retrainWorker });

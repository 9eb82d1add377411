import { app, output, type InvocationContext } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { retrainRequestHandler, type RetrainMessage } from '../shared/http/ops';
import { workerContainer } from '../shared/app/container';

/** The queue the retrain worker listens on; the HTTP request only records and enqueues. */
export const RETRAIN_QUEUE = 'retrain-requests';
const queueOutput = output.storageQueue({ queueName: RETRAIN_QUEUE, connection: 'AzureWebJobsStorage' });

/**
 * POST /api/retrain (admin): a manual `{ "reason": "…" }` or an Azure Monitor common-alert-schema
 * payload (the PSI alert's webhook). Answers 202 with the run id; the worker does the training.
 */
export const retrainRequest = retrainRequestHandler(workerContainer, (context: InvocationContext, message: RetrainMessage) =>
  context.extraOutputs.set(queueOutput, message),
);
app.http('retrain', { ...httpTrigger('retrain'), extraOutputs: [queueOutput], handler: retrainRequest });

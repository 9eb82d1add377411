import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { listWeightsHandler } from '../shared/http/weights';
import { workerContainer } from '../shared/app/container';

/** GET /api/weights: every version with status and metrics, the active one, the deployment log. */
export const listWeights = listWeightsHandler(workerContainer);
app.http('weights', { ...httpTrigger('weights'), handler: listWeights });

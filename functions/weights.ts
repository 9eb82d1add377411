import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { listWeightsHandler } from '../shared/http/handlers';
import { runtimeDeps } from '../shared/app/runtime';

/** GET /api/weights: every version with status and metrics, the active one, the deployment log. */
export const listWeights = listWeightsHandler(runtimeDeps);
app.http('weights', { ...httpTrigger('weights'), handler: listWeights });

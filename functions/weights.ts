import { app } from '@azure/functions';
import { listWeightsHandler } from '../shared/http/handlers';
import { runtimeDeps } from '../shared/scoring/runtime';

/** GET /api/weights: every version with status and metrics, the active one, the deployment log. */
export const listWeights = listWeightsHandler(runtimeDeps);
app.http('weights', { methods: ['GET'], route: 'weights', authLevel: 'function', handler: listWeights });

import { app } from '@azure/functions';
import { activeWeightsHandler } from '../shared/http/handlers';
import { runtimeDeps } from '../shared/scoring/runtime';

/** GET /api/weights/active: the active weights and the ready-to-run scoring SQL. */
export const activeWeights = activeWeightsHandler(runtimeDeps);
app.http('weightsActive', { methods: ['GET'], route: 'weights/active', authLevel: 'function', handler: activeWeights });

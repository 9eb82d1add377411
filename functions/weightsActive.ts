import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { activeWeightsHandler } from '../shared/http/handlers';
import { runtimeDeps } from '../shared/app/runtime';

/** GET /api/weights/active: the active weights and the ready-to-run scoring SQL. */
export const activeWeights = activeWeightsHandler(runtimeDeps);
app.http('weightsActive', { ...httpTrigger('weightsActive'), handler: activeWeights });

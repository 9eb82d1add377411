import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { activeWeightsHandler } from '../shared/http/weights';
import { workerContainer } from '../shared/app/container';

/** GET /api/weights/active: the active weights and the ready-to-run scoring SQL. */
export const activeWeights = activeWeightsHandler(workerContainer);
app.http('weightsActive', { ...httpTrigger('weightsActive'), handler: activeWeights });

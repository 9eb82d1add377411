import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { statusHandler } from '../shared/http/ops';
import { workerContainer } from '../shared/app/container';

/** GET /api/status: the active version, the last runs, the latest PSI and recent AUC. */
export const status = statusHandler(workerContainer);
app.http('status', { ...httpTrigger('status'), handler: status });

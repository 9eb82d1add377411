import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { statusHandler } from '../shared/http/ops';
import { sharedServices } from '../shared/app/services';

/** GET /api/status: the active version, the last runs, the latest PSI and recent AUC. */
export const status = statusHandler(sharedServices);
app.http('status', { ...httpTrigger('status'), handler: status });

import { app } from '@azure/functions';
import { statusHandler } from '../shared/http/ops';
import { sharedServices } from '../shared/services';

/** GET /api/status: the active version, the last runs, the latest PSI and recent AUC. */
export const status = statusHandler(sharedServices);
app.http('status', { methods: ['GET'], route: 'status', authLevel: 'function', handler: status });

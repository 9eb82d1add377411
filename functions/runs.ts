import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { runStatusHandler } from '../shared/http/ops';
import { sharedServices } from '../shared/app/services';

/** GET /api/runs/{id}: a retrain run's record (trigger, window, partitions, metrics, gates, duration). */
export const getRun = runStatusHandler(sharedServices);
app.http('runs', { ...httpTrigger('runs'), handler: getRun });

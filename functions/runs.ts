import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { runStatusHandler } from '../shared/http/ops';
import { workerContainer } from '../shared/app/container';

/** GET /api/runs/{id}: a retrain run's record (trigger, window, partitions, metrics, gates, duration). */
export const getRun = runStatusHandler(workerContainer);
app.http('runs', { ...httpTrigger('runs'), handler: getRun });

import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { rollbackHandler } from '../shared/http/weights';
import { workerContainer } from '../shared/app/container';

/** POST /api/weights/rollback (admin), body { toVersion?, reason? }: back to the previous or a named version. */
export const rollbackWeights = rollbackHandler(workerContainer);
app.http('rollbackWeights', { ...httpTrigger('rollbackWeights'), handler: rollbackWeights });

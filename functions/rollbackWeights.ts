import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { rollbackHandler } from '../shared/http/handlers';
import { runtimeDeps } from '../shared/app/runtime';

/** POST /api/weights/rollback (admin), body { toVersion?, reason? }: back to the previous or a named version. */
export const rollbackWeights = rollbackHandler(runtimeDeps);
app.http('rollbackWeights', { ...httpTrigger('rollbackWeights'), handler: rollbackWeights });

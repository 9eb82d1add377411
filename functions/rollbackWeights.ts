import { app } from '@azure/functions';
import { rollbackHandler } from '../shared/http/handlers';
import { runtimeDeps } from '../shared/scoring/runtime';

/** POST /api/weights/rollback (admin), body { toVersion?, reason? }: back to the previous or a named version. */
export const rollbackWeights = rollbackHandler(runtimeDeps);
app.http('rollbackWeights', { methods: ['POST'], route: 'weights/rollback', authLevel: 'function', handler: rollbackWeights });

import { app } from '@azure/functions';
import { deployHandler } from '../shared/http/handlers';
import { runtimeDeps } from '../shared/scoring/runtime';

/** POST /api/weights/{version}/deploy (admin): activates a staged or retired version, then rescores. */
export const deployWeights = deployHandler(runtimeDeps);
app.http('deployWeights', { methods: ['POST'], route: 'weights/{version}/deploy', authLevel: 'function', handler: deployWeights });

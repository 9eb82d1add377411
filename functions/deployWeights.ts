import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { deployHandler } from '../shared/http/handlers';
import { runtimeDeps } from '../shared/app/runtime';

/** POST /api/weights/{version}/deploy (admin): activates a staged or retired version, then rescores. */
export const deployWeights = deployHandler(runtimeDeps);
app.http('deployWeights', { ...httpTrigger('deployWeights'), handler: deployWeights });

import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { deployHandler } from '../shared/http/weights';
import { workerContainer } from '../shared/app/container';

/** POST /api/weights/{version}/deploy (admin): activates a staged or retired version, then rescores. */
export const deployWeights = deployHandler(workerContainer);
app.http('deployWeights', { ...httpTrigger('deployWeights'), handler: deployWeights });

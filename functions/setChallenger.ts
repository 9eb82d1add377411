import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { challengerHandler } from '../shared/http/weights';
import { workerContainer } from '../shared/app/container';

/** POST /api/weights/{version}/challenger (admin): a staged version becomes the challenger. */
export const setChallenger = challengerHandler(workerContainer);
app.http('setChallenger', { ...httpTrigger('setChallenger'), handler: setChallenger });

import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { clearChallengerHandler } from '../shared/http/weights';
import { workerContainer } from '../shared/app/container';

/** POST /api/weights/challenger/clear (admin): the challenger ends. */
export const clearChallenger = clearChallengerHandler(workerContainer);
app.http('clearChallenger', { ...httpTrigger('clearChallenger'), handler: clearChallenger });

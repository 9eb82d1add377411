import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { scoreContactHandler } from '../shared/http/weights';
import { workerContainer } from '../shared/app/container';

/** POST /api/score: one contact's 7 features → lead_score, probability, score_100, band, top factors. */
export const scoreContact = scoreContactHandler(workerContainer);
app.http('scoreContact', { ...httpTrigger('scoreContact'), handler: scoreContact });

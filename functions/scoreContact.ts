import { app } from '@azure/functions';
import { httpTrigger } from '../shared/http/api';
import { scoreContactHandler } from '../shared/http/handlers';
import { runtimeDeps } from '../shared/app/runtime';

/** POST /api/score: one contact's 7 features → lead_score, probability, score_100, band, top factors. */
export const scoreContact = scoreContactHandler(runtimeDeps);
app.http('scoreContact', { ...httpTrigger('scoreContact'), handler: scoreContact });

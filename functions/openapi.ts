import { app } from '@azure/functions';
import { httpTrigger, openApiHandler } from '../shared/http/api';

/** GET /api/openapi.json: the OpenAPI 3.1 document of every endpoint (openapi.json in the repository). */
export const openapi = openApiHandler();
app.http('openapi', { ...httpTrigger('openapi'), handler: openapi });

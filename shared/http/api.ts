import { z } from 'zod';
import { codeVersion } from '../app/codeVersion';
import { BODIES, type BodySpec } from './body';
import type { Handler } from './handler';
import { alertBody, manualBody } from './ops';
import { challengerBody, deployBody, rollbackBody, scoreBody, VERSION_PATTERN } from './schemas';

/**
 * Every HTTP endpoint, once: its function name, method and route (the registrations in functions/
 * read them from here), whether it is an admin operation, its body's schema and limit, and the
 * answers it can give. The OpenAPI document (GET /api/openapi.json, openapi.json in the repository)
 * is generated from this table and the zod schemas, so the two cannot drift apart.
 */
export interface Endpoint {
  /** The Functions function name (app.http's first argument). */
  name: string;
  method: 'GET' | 'POST';
  /** The route below /api, with {parameters}. */
  route: string;
  admin: boolean;
  summary: string;
  params?: Record<string, { description: string; pattern?: string; format?: string }>;
  body?: { schema: z.ZodType; spec: BodySpec; description: string };
  /** Status → when; every problem status is answered as application/problem+json. */
  responses: Record<number, string>;
}

const versionParam = { description: 'a model version: a positive integer written plainly', pattern: VERSION_PATTERN.source };

export const ENDPOINTS: readonly Endpoint[] = [
  {
    name: 'scoreContact',
    method: 'POST',
    route: 'score',
    admin: false,
    summary:
      "One contact's seven features scored by the active version: lead_score, probability, score_100, band, top factors, grade (A-D by the version's thresholds; null for a version without them), and the version used",
    body: { schema: scoreBody, spec: BODIES.score, description: 'the features, each in its documented range' },
    responses: { 200: 'the score', 400: 'a field is missing, unknown or out of range', 409: 'no version is active', 413: 'the body is over its limit' },
  },
  {
    name: 'weights',
    method: 'GET',
    route: 'weights',
    admin: false,
    summary: 'Every version with its status and metrics, the active one, the deployment log',
    responses: { 200: 'the versions' },
  },
  {
    name: 'weightsActive',
    method: 'GET',
    route: 'weights/active',
    admin: false,
    summary: "The active version's weights and the ready-to-run scoring SQL",
    responses: { 200: 'the active weights', 404: 'no version is active' },
  },
  {
    name: 'deployWeights',
    method: 'POST',
    route: 'weights/{version}/deploy',
    admin: true,
    summary: 'Activates a staged or retired version in one transaction (the flip of is_active), then rewrites the lake export from SQL',
    params: { version: versionParam },
    body: { schema: deployBody, spec: BODIES.deploy, description: 'why, for the deployment log; force: activate an incomplete version' },
    responses: {
      200: 'deployed',
      400: 'the version or the body is invalid',
      401: 'ADMIN_AUTH=entra: no valid principal',
      403: 'ADMIN_AUTH=entra: the principal lacks LeadScore.Admin',
      404: 'no such version',
      409: 'the version cannot be activated (already active, rejected, incomplete) or another change won the race',
      413: 'the body is over its limit',
    },
  },
  {
    name: 'setChallenger',
    method: 'POST',
    route: 'weights/{version}/challenger',
    admin: true,
    summary:
      "Makes a staged version the challenger (replacing any other; the database holds at most one): challenger_scores serves its scores for the same population, POST /api/score answers with them beside the champion's, and every drift check judges it on the sends from `from` on",
    params: { version: versionParam },
    body: { schema: challengerBody, spec: BODIES.challenger, description: 'from: the first send day it is judged on (default tomorrow, UTC)' },
    responses: {
      200: 'the challenger is set',
      400: 'the version or the body is invalid',
      401: 'ADMIN_AUTH=entra: no valid principal',
      403: 'ADMIN_AUTH=entra: the principal lacks LeadScore.Admin',
      404: 'no such version',
      409: 'the version cannot be the challenger (not a complete, staged version)',
      413: 'the body is over its limit',
    },
  },
  {
    name: 'clearChallenger',
    method: 'POST',
    route: 'weights/challenger/clear',
    admin: true,
    summary: 'Ends the challenger (the version stays staged); nothing campaign targeting reads changes',
    responses: {
      200: 'cleared (the version that was the challenger, or null)',
      401: 'ADMIN_AUTH=entra: no valid principal',
      403: 'ADMIN_AUTH=entra: the principal lacks LeadScore.Admin',
    },
  },
  {
    name: 'rollbackWeights',
    method: 'POST',
    route: 'weights/rollback',
    admin: true,
    summary: 'Returns to the previously active version (or toVersion) in one transaction, then rewrites the lake export from SQL',
    body: { schema: rollbackBody, spec: BODIES.rollback, description: 'toVersion (optional), why, force' },
    responses: {
      200: 'rolled back',
      400: 'the body is invalid',
      401: 'ADMIN_AUTH=entra: no valid principal',
      403: 'ADMIN_AUTH=entra: the principal lacks LeadScore.Admin',
      404: 'no such version',
      409: 'nothing to roll back to, or the version cannot be activated',
      413: 'the body is over its limit',
    },
  },
  {
    name: 'retrain',
    method: 'POST',
    route: 'retrain',
    admin: true,
    summary: 'Queues a retrain: a manual { "reason" } or an Azure Monitor common-alert-schema payload; answers 202 with the run id',
    body: { schema: z.union([manualBody, alertBody]), spec: BODIES.retrain, description: 'a reason, or the alert' },
    responses: {
      200: 'a resolved alert: nothing to do',
      202: 'queued',
      400: 'the body is empty or invalid',
      401: 'ADMIN_AUTH=entra: no valid principal',
      403: 'ADMIN_AUTH=entra: the principal lacks LeadScore.Admin',
      413: 'the body is over its limit',
    },
  },
  {
    name: 'runs',
    method: 'GET',
    route: 'runs/{id}',
    admin: false,
    summary: "A retrain run's record: trigger, window, partitions with hashes, code version, metrics, gates, duration",
    params: { id: { description: 'the run id', format: 'uuid' } },
    responses: { 200: 'the run', 400: 'the id is not a UUID', 404: 'no such run' },
  },
  {
    name: 'status',
    method: 'GET',
    route: 'status',
    admin: false,
    summary: 'What is served (active version, population, whether the lake export is current), the last runs, the latest drift',
    responses: { 200: 'the status' },
  },
  {
    name: 'openapi',
    method: 'GET',
    route: 'openapi.json',
    admin: false,
    summary: 'This document',
    responses: { 200: 'the OpenAPI 3.1 document' },
  },
];

export function endpoint(name: string): Endpoint {
  const e = ENDPOINTS.find((x) => x.name === name);
  if (!e) throw new Error(`no HTTP endpoint named ${name} in ENDPOINTS`);
  return e;
}

/** The part of an app.http registration ENDPOINTS decides: methods, route, and the function key. */
export function httpTrigger(name: string): { methods: ['GET' | 'POST']; route: string; authLevel: 'function' } {
  const e = endpoint(name);
  return { methods: [e.method], route: e.route, authLevel: 'function' };
}

/** The JSON Schema of a body, as a client sends it (before any transform). */
export function bodySchema(schema: z.ZodType): Record<string, unknown> {
  // $schema is left out: an OpenAPI 3.1 schema object is already JSON Schema 2020-12.
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      // A version in a body is a JSON number written as a plain positive integer (WrittenNumber).
      if ((ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def?.type === 'custom')
        Object.assign(ctx.jsonSchema, { type: 'integer', minimum: 1, maximum: 999_999_999 });
    },
  });
  return json;
}

const PROBLEM = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', required: ['field', 'detail'], properties: { field: { type: 'string' }, detail: { type: 'string' } } } },
  },
};

/** The OpenAPI 3.1 document of ENDPOINTS; `version` is the code version (the package's, or the build's commit). */
export function openApiDocument(version: string = codeVersion()): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of ENDPOINTS) {
    const responses: Record<string, unknown> = {};
    for (const [status, when] of Object.entries({ ...e.responses, 500: 'an unexpected failure (nothing was changed)' })) {
      const code = Number(status);
      const detail = code === 413 && e.body ? `${when} (${e.body.spec.limit} bytes)` : when;
      responses[status] =
        code >= 400
          ? { description: detail, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } }
          : { description: detail, content: { 'application/json': {} } };
    }
    const op: Record<string, unknown> = {
      operationId: e.name,
      summary: e.summary,
      security: e.admin ? [{ functionKey: [], entra: [] }] : [{ functionKey: [] }],
      responses,
    };
    if (e.params) {
      op.parameters = Object.entries(e.params).map(([name, p]) => ({
        name,
        in: 'path',
        required: true,
        description: p.description,
        schema: { type: 'string', ...(p.pattern ? { pattern: p.pattern } : {}), ...(p.format ? { format: p.format } : {}) },
      }));
    }
    if (e.body) {
      op.requestBody = {
        required: e.body.spec.required !== undefined,
        description: `${e.body.description}; at most ${e.body.spec.limit} bytes`,
        content: { 'application/json': { schema: bodySchema(e.body.schema) } },
      };
      op['x-body-limit-bytes'] = e.body.spec.limit;
    }
    if (e.admin) op['x-admin'] = true;
    (paths[`/api/${e.route}`] ??= {})[e.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'leadscore',
      version,
      description:
        'Lead-scoring weights learnt from SMS/MMS campaign outcomes, served to Azure SQL. Every call needs the function key (x-functions-key); admin operations (x-admin) also need an Entra access token with the LeadScore.Admin app role when ADMIN_AUTH=entra. Errors are RFC 9457 problem details.',
    },
    paths,
    components: {
      schemas: { Problem: PROBLEM },
      securitySchemes: {
        functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        entra: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
}

let document: Record<string, unknown> | undefined;

/** GET /api/openapi.json: the document, built once per process. */
export function openApiHandler(): Handler {
  return async () => ({ status: 200, jsonBody: (document ??= openApiDocument()) });
}

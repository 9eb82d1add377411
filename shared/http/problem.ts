import type { HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { WarehouseConflictError, WarehouseNotFoundError } from '../ports/warehouse';
import { NoActiveVersionError } from '../app/activeModel';

/** RFC 9457 problem details. `errors` names each offending field as a dotted path (e.g. features.recency_days). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; detail: string }[];
}

export function problem(status: number, title: string, detail: string, errors?: Problem['errors'], headers: Record<string, string> = {}): HttpResponseInit {
  const body: Problem = { type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) };
  return { status, headers: { 'content-type': 'application/problem+json', ...headers }, body: JSON.stringify(body) };
}

export class BadRequestError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'BadRequestError';
  }
}

/** No usable identity: the request carries no valid principal, or one that names nobody (401). */
export class UnauthorizedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

/** An identity without the right to do this (403). */
export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/** A body over its endpoint's limit (413), refused before it is read further. */
export class PayloadTooLargeError extends Error {
  constructor(
    readonly route: string,
    readonly limit: number,
  ) {
    super(`the body of ${route} is limited to ${limit} bytes (${limit / 1024} KiB)`);
    this.name = 'PayloadTooLargeError';
  }
}

function fieldOf(path: readonly PropertyKey[], root: string): string {
  return [root, ...path.map(String)].filter((s) => s.length > 0).join('.');
}

/** Maps a failure to its problem response; unexpected errors become a 500 without internals. */
export function toProblem(err: unknown, log: (message: string) => void, root = 'body'): HttpResponseInit {
  if (err instanceof z.ZodError) {
    const errors = err.issues.map((i) => ({ field: fieldOf(i.path, root), detail: i.message }));
    return problem(400, 'Invalid request', errors.map((e) => `${e.field}: ${e.detail}`).join('; '), errors);
  }
  if (err instanceof BadRequestError) return problem(400, 'Invalid request', err.message, [{ field: err.field, detail: err.message }]);
  // A 401 names the scheme to authenticate with (RFC 9110): an Entra bearer token, which App Service checks.
  if (err instanceof UnauthorizedError) return problem(401, 'Unauthorized', err.message, undefined, { 'www-authenticate': 'Bearer' });
  if (err instanceof ForbiddenError) return problem(403, 'Forbidden', err.message);
  if (err instanceof PayloadTooLargeError)
    return problem(413, 'Content too large', err.message, [{ field: 'body', detail: `is larger than ${err.limit} bytes` }]);
  if (err instanceof WarehouseNotFoundError) return problem(404, 'Not found', err.message);
  if (err instanceof WarehouseConflictError) return problem(409, 'Conflict', err.message);
  if (err instanceof NoActiveVersionError) return problem(409, 'No active version', err.message);
  log(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return problem(500, 'Internal error', 'the request failed; see the function logs');
}

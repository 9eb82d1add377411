import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Container } from '../app/container';
import type { Log } from '../ports/log';
import { toProblem } from './problem';

/** The one handler type of the HTTP API: every function in functions/ registers one. */
export type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** Where a handler gets the app: the worker's container (workerContainer), or a test's. */
export type GetApp = () => Promise<Container>;

/** An invocation's log: its lines go to the invocation's context (and so to App Insights' traces). */
export function invocationLog(context: InvocationContext): Log {
  return { info: (m) => context.log(m), warn: (m) => context.warn(m), error: (m) => context.error(m) };
}

export function json(status: number, body: unknown): HttpResponseInit {
  return { status, jsonBody: body };
}

/**
 * A handler around `fn`: the app logging to this invocation, and every failure answered as its
 * problem details (`root` names where a validation error's field is: the body or the route).
 */
export function handle(
  getApp: GetApp,
  fn: (app: Container, request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
  root = 'body',
): Handler {
  return async (request, context) => {
    try {
      return await fn((await getApp()).withLog(invocationLog(context)), request, context);
    } catch (err) {
      return toProblem(err, (m) => context.error(m), root);
    }
  };
}

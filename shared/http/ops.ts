import { randomUUID } from 'node:crypto';
import type { InvocationContext } from '@azure/functions';
import { z } from 'zod';
import type { RetrainRequest } from '../app/retrain';
import type { RunRecord } from '../ports/ledger';
import { requireAdmin } from './auth';
import { BODIES, readJson } from './body';
import { handle, json, type GetApp, type Handler } from './handler';
import { BadRequestError, problem } from './problem';

/**
 * The operations endpoints: POST /api/retrain (a person, or an Azure Monitor alert in the common
 * alert schema), GET /api/runs/{id} and GET /api/status. Retraining takes longer than an HTTP request
 * may, so the request is recorded as a queued run and handed to a queue-triggered worker.
 */

/** What the worker receives on the queue. */
export interface RetrainMessage {
  runId: string;
  trigger: RetrainRequest['trigger'];
  reason: string;
  requestedBy: string;
}

export const manualBody = z.strictObject({
  reason: z.string().trim().min(1, 'must say why').max(1000),
});

/**
 * Azure Monitor's common alert schema: only the fields we use are required, and every string is
 * capped. alertRule, firedDateTime and severity become the run's reason (the ledger's run record and
 * the queue message), so that reason stays under 400 characters; alertId and description are neither
 * stored nor echoed but capped all the same. An alert rule's name is an Azure resource name, at most
 * 260 characters. Fields not listed (alertContext's contents, alertTargetIDs, …) are dropped unread;
 * the body limit (BODIES.retrain) bounds them.
 */
export const ALERT_FIELD_LIMITS = { alertRule: 260, severity: 16, firedDateTime: 64, alertId: 1024, description: 4096 } as const;

export const alertBody = z.object({
  schemaId: z.literal('azureMonitorCommonAlertSchema'),
  data: z.object({
    essentials: z.object({
      alertRule: z.string().min(1).max(ALERT_FIELD_LIMITS.alertRule),
      monitorCondition: z.enum(['Fired', 'Resolved']),
      severity: z.string().max(ALERT_FIELD_LIMITS.severity).optional(),
      firedDateTime: z.string().max(ALERT_FIELD_LIMITS.firedDateTime).optional(),
      alertId: z.string().max(ALERT_FIELD_LIMITS.alertId).optional(),
      description: z.string().max(ALERT_FIELD_LIMITS.description).nullish(),
    }),
    alertContext: z.unknown().optional(),
  }),
});

/** Turns a body into a retrain request, or null for a resolved alert (nothing to do). */
export function parseRetrainBody(body: unknown): Omit<RetrainMessage, 'runId' | 'requestedBy'> | null {
  if (body && typeof body === 'object' && 'schemaId' in body) {
    const alert = alertBody.parse(body);
    const e = alert.data.essentials;
    if (e.monitorCondition === 'Resolved') return null;
    return {
      trigger: 'alert',
      reason: `alert "${e.alertRule}" fired${e.firedDateTime ? ` at ${e.firedDateTime}` : ''}${e.severity ? ` (${e.severity})` : ''}`,
    };
  }
  return { trigger: 'manual', reason: manualBody.parse(body).reason };
}

/**
 * POST /api/retrain → 202 { runId, statusUrl } once the run is recorded as queued and the message
 * is handed to `enqueue` (the queue output binding). Nothing is recorded for a bad body.
 */
export function retrainRequestHandler(getApp: GetApp, enqueue: (context: InvocationContext, message: RetrainMessage) => void): Handler {
  return handle(getApp, async (app, request, context) => {
    const admin = requireAdmin(request, app.config.ADMIN_AUTH);
    const parsed = parseRetrainBody(await readJson(request, BODIES.retrain));
    if (!parsed) return json(200, { status: 'ignored', detail: 'the alert is resolved: nothing to retrain' });
    const message: RetrainMessage = { runId: randomUUID(), ...parsed, requestedBy: admin.actor };
    const run: RunRecord = { id: message.runId, trigger: message.trigger, status: 'queued', reason: message.reason, startedAt: new Date().toISOString() };
    await app.useCases.queueRun(run);
    enqueue(context, message);
    return {
      status: 202,
      headers: { location: `/api/runs/${message.runId}` },
      jsonBody: { runId: message.runId, status: 'queued', trigger: message.trigger, statusUrl: `/api/runs/${message.runId}` },
    };
  });
}

const runId = z.uuid({ error: 'must be a run id (UUID)' });

/** GET /api/runs/{id} */
export function runStatusHandler(getApp: GetApp): Handler {
  return handle(
    getApp,
    async (app, request) => {
      const id = runId.safeParse(request.params.id);
      if (!id.success) throw new BadRequestError('id', id.error.issues[0]?.message ?? 'invalid');
      const run = await app.useCases.getRun(id.data);
      if (!run) return problem(404, 'Not found', `no retrain run ${id.data}`);
      return json(200, run);
    },
    'params',
  );
}

/** GET /api/status: the active version, the served population, the last runs, the latest drift. */
export function statusHandler(getApp: GetApp): Handler {
  return handle(getApp, async (app) => json(200, await app.useCases.status()));
}

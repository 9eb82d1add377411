import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import type { Lake } from '../ports/lake';
import type { Ledger, RunRecord } from '../ports/ledger';
import type { MonitorQueries } from '../ports/monitor';
import type { Warehouse } from '../ports/warehouse';
import type { RetrainRequest } from '../app/retrain';
import { statusSnapshot } from '../app/status';
import { requireAdmin, type AdminDeps } from './auth';
import { BODIES, readJson } from './body';
import { BadRequestError, problem, toProblem } from './problem';

/**
 * The operations endpoints of issue 5: POST /api/retrain (a person, or an Azure Monitor alert in
 * the common alert schema), GET /api/runs/{id} and GET /api/status. Retraining takes longer than an
 * HTTP request may, so the request is recorded as a queued run and handed to a queue-triggered worker.
 */
export interface OpsDeps {
  lake: Lake;
  ledger: Ledger;
  warehouse: Warehouse;
  monitor: MonitorQueries;
}

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

export type OpsHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** Turns a body into a retrain request, or null for a resolved alert (nothing to do). */
export function parseRetrainBody(body: unknown): Omit<RetrainMessage, 'runId' | 'requestedBy'> | null {
  if (body && typeof body === 'object' && 'schemaId' in body) {
    const alert = alertBody.parse(body);
    const e = alert.data.essentials;
    if (e.monitorCondition === 'Resolved') return null;
    return { trigger: 'alert', reason: `alert "${e.alertRule}" fired${e.firedDateTime ? ` at ${e.firedDateTime}` : ''}${e.severity ? ` (${e.severity})` : ''}` };
  }
  return { trigger: 'manual', reason: manualBody.parse(body).reason };
}

/**
 * POST /api/retrain → 202 { runId, statusUrl } once the run is recorded as queued and the message
 * is handed to `enqueue` (the queue output binding). Nothing is recorded for a bad body.
 */
export function retrainRequestHandler(
  getDeps: () => Promise<Pick<OpsDeps, 'ledger'> & AdminDeps>,
  enqueue: (context: InvocationContext, message: RetrainMessage) => void,
): OpsHandler {
  return async (request, context) => {
    try {
      const { ledger, config } = await getDeps();
      const admin = requireAdmin(request, config.ADMIN_AUTH);
      const parsed = parseRetrainBody(await readJson(request, BODIES.retrain));
      if (!parsed) return { status: 200, jsonBody: { status: 'ignored', detail: 'the alert is resolved: nothing to retrain' } };
      const message: RetrainMessage = { runId: randomUUID(), ...parsed, requestedBy: admin.actor };
      const run: RunRecord = { id: message.runId, trigger: message.trigger, status: 'queued', reason: message.reason, startedAt: new Date().toISOString() };
      await ledger.putRun(run);
      enqueue(context, message);
      return {
        status: 202,
        headers: { location: `/api/runs/${message.runId}` },
        jsonBody: { runId: message.runId, status: 'queued', trigger: message.trigger, statusUrl: `/api/runs/${message.runId}` },
      };
    } catch (err) {
      return toProblem(err, (m) => context.error(m));
    }
  };
}

const runId = z.uuid({ error: 'must be a run id (UUID)' });

export function runStatusHandler(getDeps: () => Promise<Pick<OpsDeps, 'ledger'>>): OpsHandler {
  return async (request, context) => {
    try {
      const id = runId.safeParse(request.params.id);
      if (!id.success) throw new BadRequestError('id', id.error.issues[0]?.message ?? 'invalid');
      const run = await (await getDeps()).ledger.getRun(id.data);
      if (!run) return problem(404, 'Not found', `no retrain run ${id.data}`);
      return { status: 200, jsonBody: run };
    } catch (err) {
      return toProblem(err, (m) => context.error(m), 'params');
    }
  };
}

/** GET /api/status: the active version, the last runs, the latest PSI and recent AUC. */
export function statusHandler(getDeps: () => Promise<OpsDeps>): OpsHandler {
  return async (_request, context) => {
    try {
      return { status: 200, jsonBody: await statusSnapshot(await getDeps()) };
    } catch (err) {
      return toProblem(err, (m) => context.error(m));
    }
  };
}

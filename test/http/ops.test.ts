import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HttpRequest, InvocationContext, output } from '@azure/functions';
import { SqliteLedger } from '../../shared/adapters/ledger/sqlite';
import { SqliteWarehouse } from '../../shared/adapters/warehouse/sqlite';
import { parseRetrainBody, retrainRequestHandler, runStatusHandler, statusHandler, type RetrainMessage } from '../../shared/http/ops';
import { openContainer, type Container } from '../../shared/app/container';
import { silentLog } from '../../shared/ports/log';

let dir: string;
let ledger: SqliteLedger;
let warehouse: SqliteWarehouse;
let queued: RetrainMessage[];
let apps: Container[];

/** The app over this test's folder (its ledger.db, warehouse.db and lake), as a worker has it. */
async function app(adminAuth: 'key' | 'entra' = 'key'): Promise<Container> {
  const c = await openContainer({ env: { LEADSCORE_HOME: dir, ADMIN_AUTH: adminAuth }, log: silentLog });
  apps.push(c);
  return c;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-ops-'));
  ledger = new SqliteLedger(path.join(dir, 'ledger.db'));
  warehouse = new SqliteWarehouse(path.join(dir, 'warehouse.db'));
  await warehouse.migrate();
  queued = [];
  apps = [];
});
afterEach(async () => {
  for (const c of apps) await c.close();
  await ledger.close();
  await warehouse.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ctx = (): InvocationContext => new InvocationContext({ functionName: 'test', logHandler: () => undefined });
const post = (body: unknown, headers: Record<string, string> = {}): HttpRequest =>
  new HttpRequest({ method: 'POST', url: 'http://localhost/api/retrain', body: { string: typeof body === 'string' ? body : JSON.stringify(body) }, headers });
const queue = output.storageQueue({ queueName: 'retrain-requests', connection: 'AzureWebJobsStorage' });
const handler = (adminAuth: 'key' | 'entra' = 'key') =>
  retrainRequestHandler(
    () => app(adminAuth),
    (context, message) => {
      context.extraOutputs.set(queue, message);
      queued.push(message);
    },
  );

/** The common alert schema as Azure Monitor posts it (trimmed to the documented essentials). */
const alert = (condition: 'Fired' | 'Resolved') => ({
  schemaId: 'azureMonitorCommonAlertSchema',
  data: {
    essentials: {
      alertId: '/subscriptions/0000/providers/Microsoft.AlertsManagement/alerts/abc',
      alertRule: 'leadscore-psi-drift',
      severity: 'Sev2',
      signalType: 'Metric',
      monitorCondition: condition,
      firedDateTime: '2026-11-23T03:05:00.000Z',
      alertTargetIDs: ['/subscriptions/0000/resourceGroups/rg/providers/microsoft.insights/components/appi'],
    },
    alertContext: { condition: { allOf: [{ metricName: 'psi', operator: 'GreaterThan', threshold: '0.2' }] } },
  },
});

describe('POST /api/retrain', () => {
  test('a manual request is recorded as a queued run and handed to the worker: 202 with the run id', async () => {
    const res = await handler()(post({ reason: 'new campaign type' }), ctx());
    expect(res.status).toBe(202);
    const body = res.jsonBody as { runId: string; statusUrl: string };
    expect(body.statusUrl).toBe(`/api/runs/${body.runId}`);
    expect(queued).toEqual([{ runId: body.runId, trigger: 'manual', reason: 'new campaign type', requestedBy: expect.any(String) }]);
    expect(await ledger.getRun(body.runId)).toMatchObject({ status: 'queued', trigger: 'manual' });
  });

  test('an Azure Monitor alert (common alert schema) becomes an alert-triggered run', async () => {
    const res = await handler()(post(alert('Fired')), ctx());
    expect(res.status).toBe(202);
    expect(queued[0]).toMatchObject({ trigger: 'alert', reason: 'alert "leadscore-psi-drift" fired at 2026-11-23T03:05:00.000Z (Sev2)' });
  });

  test('a resolved alert needs no retrain and records nothing', async () => {
    const res = await handler()(post(alert('Resolved')), ctx());
    expect(res.status).toBe(200);
    expect(queued).toEqual([]);
    expect(await ledger.listRuns(10)).toEqual([]);
  });

  test.each([
    ['not JSON', '{nope', 'body'],
    ['an empty body', '', 'body'],
    ['a manual body without a reason', { because: 'x' }, 'body'],
    ['an alert without essentials', { schemaId: 'azureMonitorCommonAlertSchema', data: {} }, 'body.data.essentials'],
    [
      'an alert with an unknown condition',
      { ...alert('Fired'), data: { essentials: { ...alert('Fired').data.essentials, monitorCondition: 'Maybe' } } },
      'body.data.essentials.monitorCondition',
    ],
  ])('%s answers 400 with a problem naming the field, and nothing is recorded', async (_what, body, field) => {
    const res = await handler()(post(body), ctx());
    expect(res.status).toBe(400);
    expect(res.headers).toMatchObject({ 'content-type': 'application/problem+json' });
    const problem = JSON.parse(String(res.body)) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field)).toContain(field);
    expect(queued).toEqual([]);
    expect(await ledger.listRuns(10)).toEqual([]);
  });

  test('under Entra auth a caller without the admin role is refused', async () => {
    const principal = Buffer.from(JSON.stringify({ claims: [{ typ: 'roles', val: 'LeadScore.Reader' }] })).toString('base64');
    const res = await handler('entra')(post({ reason: 'x' }, { 'x-ms-client-principal': principal }), ctx());
    expect(res.status).toBe(403);
    expect(queued).toEqual([]);
  });
});

describe('parseRetrainBody', () => {
  test('tells manual requests from alerts', () => {
    expect(parseRetrainBody({ reason: ' seasonal shift ' })).toEqual({ trigger: 'manual', reason: 'seasonal shift' });
    expect(parseRetrainBody(alert('Resolved'))).toBeNull();
  });
});

describe('GET /api/runs/{id} and /api/status', () => {
  test('a run is found by id; an unknown id is 404; a malformed id is 400', async () => {
    const id = '7d0c6a52-8d4e-4a53-9a44-2b1f0f3a9e11';
    await ledger.putRun({ id, trigger: 'manual', status: 'succeeded', startedAt: '2026-11-23T00:00:00.000Z' });
    const get = runStatusHandler(() => app());
    const req = (runId: string) => new HttpRequest({ method: 'GET', url: `http://localhost/api/runs/${runId}`, params: { id: runId } });
    expect((await get(req(id), ctx())).jsonBody).toMatchObject({ id, status: 'succeeded' });
    expect((await get(req('9d0c6a52-8d4e-4a53-9a44-2b1f0f3a9e11'), ctx())).status).toBe(404);
    const bad = await get(req('42'), ctx());
    expect(bad.status).toBe(400);
    expect(JSON.parse(String(bad.body)).errors[0].field).toBe('id');
  });

  test('status summarises the active version, the last runs and the latest drift from the ledger', async () => {
    await ledger.putRun({ id: 'r1', trigger: 'schedule', status: 'suppressed', reason: 'single flight', startedAt: '2026-11-22T02:00:00.000Z' });
    await ledger.putDrift({ date: '2026-11-23', psi: { recency_days: 0.01, score: 0.3 }, aucRecent: 0.77, drifted: ['score'], action: 'retrain' });
    const res = await statusHandler(() => app())(new HttpRequest({ method: 'GET', url: 'http://localhost/api/status' }), ctx());
    expect(res.status).toBe(200);
    expect(res.jsonBody).toMatchObject({
      active: null,
      population: null,
      exportCurrent: null,
      runs: [{ id: 'r1', status: 'suppressed' }],
      drift: { at: '2026-11-23', psi: { recency_days: 0.01, score: 0.3 }, aucRecent: 0.77, drifted: ['score'], source: 'ledger' },
      challenger: null,
      abTest: null,
    });
  });
});

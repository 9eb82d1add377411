import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HttpRequest, InvocationContext, type HttpHandler, type HttpFunctionOptions, type HttpResponseInit } from '@azure/functions';
import { endpoint, ENDPOINTS, openApiDocument, type Endpoint } from '../../shared/http/api';
import { BODIES } from '../../shared/http/body';
import { ADMIN_ROLE } from '../../shared/http/auth';
import { FUNCTIONS } from '../support/functions';
import type { Container } from '../../shared/app/container';
import { W1, W2, register } from '../support/fixtures';

/**
 * openapi.json, the endpoint table it is generated from, and the handlers the functions/ doors
 * register are kept in step: every route and method, every body's schema and size limit, and every
 * problem response the document promises is one a real handler gives.
 */
const repo = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { name: string; version: string };

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        responses: Record<string, { content?: Record<string, unknown> }>;
        'x-body-limit-bytes'?: number;
      }
    >
  >;
};
type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; additionalProperties?: boolean; anyOf?: JsonSchema[] };

test('openapi.json is the document the code generates (npm run openapi rewrites it)', () => {
  const file = JSON.parse(fs.readFileSync(path.join(repo, 'openapi.json'), 'utf8')) as unknown;
  expect(file).toEqual(openApiDocument(`${pkg.name}@${pkg.version}`));
});

test('the document has one operation per endpoint, with its method, route and limit', () => {
  const doc = openApiDocument() as unknown as Doc;
  const ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
  expect(ops.sort()).toEqual(ENDPOINTS.map((e) => `${e.method} /api/${e.route}`).sort());
  for (const e of ENDPOINTS) {
    const op = doc.paths[`/api/${e.route}`]![e.method.toLowerCase()]!;
    expect(op['x-body-limit-bytes']).toBe(e.body?.spec.limit);
    for (const [status, r] of Object.entries(op.responses)) {
      if (Number(status) >= 400) expect(Object.keys(r.content ?? {})).toEqual(['application/problem+json']);
    }
  }
  // Each body's limit names its own route in the 413's detail.
  for (const e of ENDPOINTS) if (e.body) expect(e.body.spec.route).toBe(`${e.method} /api/${e.route}`);
  expect(Object.values(BODIES).sort((a, b) => a.route.localeCompare(b.route))).toEqual(
    ENDPOINTS.flatMap((e) => (e.body ? [e.body.spec] : [])).sort((a, b) => a.route.localeCompare(b.route)),
  );
});

test('the host-facing table of functions (checked against the loaded app in test/infra/host.test.ts) has exactly these HTTP routes', () => {
  const http = Object.entries(FUNCTIONS).filter(([, f]) => f.trigger === 'httpTrigger');
  expect(Object.fromEntries(http.map(([name, f]) => [name, { route: f.route, methods: f.methods, admin: f.admin }]))).toEqual(
    Object.fromEntries(ENDPOINTS.map((e) => [e.name, { route: e.route, methods: [e.method], admin: e.admin }])),
  );
});

/** The app as the host loads it: every functions/ file, each HTTP registration captured, over a fresh home. */
interface LoadedApp {
  registered: Map<string, HttpFunctionOptions>;
  services: Container;
  close(): Promise<void>;
}

async function loadApp(): Promise<LoadedApp> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-openapi-'));
  process.env.LEADSCORE_HOME = home;
  process.env.ADMIN_AUTH = 'entra';
  const registered = new Map<string, HttpFunctionOptions>();
  let opened!: Promise<Container>;
  jest.isolateModules(() => {
    const functions = jest.requireActual<typeof import('@azure/functions')>('@azure/functions');
    jest.spyOn(functions.app, 'http').mockImplementation((name: string, options: HttpFunctionOptions) => void registered.set(name, options));
    for (const f of fs.readdirSync(path.join(repo, 'functions'))) if (f.endsWith('.ts')) jest.requireActual(path.join(repo, 'functions', f));
    // Opened inside: the adapters compose.ts requires on first use must come from this registry too.
    opened = jest.requireActual<typeof import('../../shared/app/container')>('../../shared/app/container').workerContainer();
  });
  const s = await opened;
  return {
    registered,
    services: s,
    close: async () => {
      await s.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

describe('the registered handlers answer as the document says', () => {
  beforeAll(() => jest.spyOn(console, 'log').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  test('every door registers its endpoint: name, method, route, key level', async () => {
    const a = await loadApp();
    try {
      expect([...a.registered.keys()].sort()).toEqual(ENDPOINTS.map((e) => e.name).sort());
      for (const e of ENDPOINTS) expect(a.registered.get(e.name)).toMatchObject({ methods: [e.method], route: e.route, authLevel: 'function' });
    } finally {
      await a.close();
    }
  });

  const principal = (roles: string[]): string =>
    Buffer.from(
      JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'name', val: 'ops@contoso.com' }, ...roles.map((val) => ({ typ: 'roles', val }))] }),
    ).toString('base64');
  const admin = principal([ADMIN_ROLE]);
  const reader = principal([]);
  const features = {
    recency_days: 3,
    fatigue_score: 0.2,
    sentiment_score: 1.5,
    engagement_rate_30d: 0.5,
    reply_rate_90d: 0.25,
    opt_out_risk: 0.1,
    mms_affinity: 0.6,
  };
  const resolved = { schemaId: 'azureMonitorCommonAlertSchema', data: { essentials: { alertRule: 'leadscore-psi-drift', monitorCondition: 'Resolved' } } };

  interface Call {
    params?: Record<string, string>;
    body?: unknown;
    /** The caller's x-ms-client-principal; null: none. Default: an admin. */
    principal?: string | null;
    /** Versions registered first (1, 2, …), and how many of them were deployed in turn. */
    versions?: number;
    deployed?: number;
    /** Queue a retrain first and ask for its run. */
    run?: boolean;
  }

  /** One request per status each endpoint documents (500 is the catch-all every handler shares). */
  const CASES: Record<string, Record<number, Call>> = {
    scoreContact: {
      200: { body: { features }, versions: 1, deployed: 1 },
      400: { body: { features: { ...features, opt_out_risk: 2 } } },
      409: { body: { features }, versions: 1 },
      413: { body: 'x'.repeat(BODIES.score.limit + 1) },
    },
    weights: { 200: {} },
    weightsActive: { 200: { versions: 1, deployed: 1 }, 404: {} },
    deployWeights: {
      200: { params: { version: '1' }, versions: 1 },
      400: { params: { version: '01' } },
      401: { params: { version: '1' }, principal: null, versions: 1 },
      403: { params: { version: '1' }, principal: reader, versions: 1 },
      404: { params: { version: '7' }, versions: 1 },
      409: { params: { version: '1' }, versions: 1, deployed: 1 },
      413: { params: { version: '1' }, body: 'x'.repeat(BODIES.deploy.limit + 1) },
    },
    setChallenger: {
      200: { params: { version: '2' }, versions: 2, deployed: 1 },
      400: { params: { version: '01' } },
      401: { params: { version: '2' }, principal: null, versions: 2, deployed: 1 },
      403: { params: { version: '2' }, principal: reader, versions: 2, deployed: 1 },
      404: { params: { version: '7' }, versions: 1 },
      409: { params: { version: '1' }, versions: 1, deployed: 1 },
      413: { params: { version: '2' }, body: 'x'.repeat(BODIES.challenger.limit + 1) },
    },
    clearChallenger: { 200: {}, 401: { principal: null }, 403: { principal: reader } },
    rollbackWeights: {
      200: { versions: 2, deployed: 2 },
      400: { body: { toVersion: '1' } },
      401: { principal: null },
      403: { principal: reader },
      404: { body: { toVersion: 9 }, versions: 1, deployed: 1 },
      409: { versions: 1, deployed: 1 },
      413: { body: 'x'.repeat(BODIES.rollback.limit + 1) },
    },
    retrain: {
      200: { body: resolved },
      202: { body: { reason: 'new campaign' } },
      400: { body: { reason: '' } },
      401: { principal: null, body: { reason: 'x' } },
      403: { principal: reader, body: { reason: 'x' } },
      413: { body: 'x'.repeat(BODIES.retrain.limit + 1) },
    },
    runs: { 200: { run: true }, 400: { params: { id: 'run-1' } }, 404: { params: { id: '00000000-0000-4000-8000-000000000000' } } },
    status: { 200: {} },
    openapi: { 200: {} },
  };

  test('every documented status has a case here, and nothing else does', () => {
    for (const e of ENDPOINTS) expect(Object.keys(CASES[e.name] ?? {}).sort()).toEqual(Object.keys(e.responses).sort());
  });

  const ctx = (): InvocationContext => new InvocationContext({ functionName: 'openapi-test', logHandler: () => undefined });
  function request(e: Endpoint, params: Record<string, string>, body: unknown, caller: string | null): HttpRequest {
    return new HttpRequest({
      method: e.method,
      url: `http://localhost/api/${e.route}`,
      params,
      headers: caller ? { 'x-ms-client-principal': caller } : {},
      ...(body === undefined ? {} : { body: { string: typeof body === 'string' ? body : JSON.stringify(body) } }),
    });
  }

  async function call(name: string, c: Call): Promise<HttpResponseInit> {
    const a = await loadApp();
    try {
      const { lake, warehouse } = a.services;
      for (let i = 0; i < (c.versions ?? 0); i++) await register({ lake, warehouse }, i % 2 ? W2 : W1, 0.1 * i);
      for (let v = 1; v <= (c.deployed ?? 0); v++)
        await warehouse.activate({ action: 'deploy', toVersion: v, expectedActive: v > 1 ? v - 1 : null, by: 'test', reason: null });
      const handler = (n: string): HttpHandler => a.registered.get(n)!.handler;
      let params = c.params ?? {};
      if (c.run) {
        const queued = await handler('retrain')(request(endpoint('retrain'), {}, { reason: 'for the runs case' }, admin), ctx());
        params = { id: ((queued as HttpResponseInit).jsonBody as { runId: string }).runId };
      }
      return await handler(name)(request(endpoint(name), params, c.body, c.principal === undefined ? admin : c.principal), ctx());
    } finally {
      await a.close();
    }
  }

  const cases = Object.entries(CASES).flatMap(([name, statuses]) => Object.entries(statuses).map(([status, c]) => [name, Number(status), c] as const));
  test.each(cases)('%s answers %d', async (name, status, c) => {
    const r = await call(name, c);
    expect(r.status).toBe(status);
    if (status >= 400) {
      expect(r.headers).toMatchObject({ 'content-type': 'application/problem+json' });
      expect(JSON.parse(String(r.body))).toMatchObject({ status });
    }
  });

  test('each body property the document lists is one the handler reads; any other property is refused', async () => {
    const doc = openApiDocument() as unknown as Doc;
    for (const e of ENDPOINTS.filter((x) => x.body)) {
      const schema = doc.paths[`/api/${e.route}`]![e.method.toLowerCase()]!.requestBody!.content['application/json']!.schema;
      const base = e.name === 'scoreContact' ? { features } : {};
      const params: Record<string, string> = e.params ? { version: '1' } : {};
      // The manual retrain body is the strict one; the alert payload (the second) is Azure's and open.
      const objects = schema.anyOf ? schema.anyOf.slice(0, 1) : [schema];
      for (const object of objects) {
        expect([e.name, object.additionalProperties]).toEqual([e.name, false]);
        for (const [field, s] of Object.entries(object.properties ?? {})) {
          const wrong = s.type === 'string' ? 12 : 'text';
          const r = await call(e.name, { params, body: { ...base, [field]: wrong }, versions: 1 });
          expect([e.name, field, r.status]).toEqual([e.name, field, 400]);
          expect(String(r.body)).toContain(field);
        }
        const r = await call(e.name, { params, body: { ...base, ...(e.name === 'retrain' ? { reason: 'x' } : {}), surplus: 1 }, versions: 1 });
        expect([e.name, r.status]).toEqual([e.name, 400]);
        expect(String(r.body)).toContain('surplus');
      }
    }
  });
});

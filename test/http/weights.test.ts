import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { FEATURES } from '../../shared/domain/features/schema';
import { leadScore, sigmoid } from '../../shared/domain/model/score';
import { activeWeightsHandler, deployHandler, listWeightsHandler, rollbackHandler, scoreContactHandler } from '../../shared/http/weights';
import type { Container } from '../../shared/app/container';
import { ADMIN_ROLE, KEY_ACTOR } from '../../shared/http/auth';
import { MSSQL_STATEMENTS } from '../../shared/adapters/warehouse/mssql-statements';
import { appOf, env, register, W1, W2, type Env } from '../support/fixtures';

let e: Env;
let app: Container;
const logs: string[] = [];
const ctx = (): InvocationContext => new InvocationContext({ functionName: 'test', logHandler: (_level, ...args) => logs.push(args.join(' ')) });

beforeEach(async () => {
  e = await env();
  app = await appOf(e, { ADMIN_AUTH: 'key' });
});
afterEach(async () => e.close());

const get = async (): Promise<Container> => app;

function req(init: { method?: string; body?: unknown; params?: Record<string, string>; headers?: Record<string, string> }): HttpRequest {
  const body = init.body === undefined ? undefined : { string: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) };
  return new HttpRequest({
    method: init.method ?? 'POST',
    url: 'http://localhost/api/x',
    ...(body ? { body } : {}),
    params: init.params ?? {},
    headers: init.headers ?? {},
  });
}

function bodyOf(r: HttpResponseInit): Record<string, unknown> {
  if (r.jsonBody !== undefined) return r.jsonBody as Record<string, unknown>;
  return JSON.parse(String(r.body)) as Record<string, unknown>;
}

function principal(roles: string[]): string {
  return Buffer.from(
    JSON.stringify({
      auth_typ: 'aad',
      role_typ: 'roles',
      name_typ: 'name',
      claims: [{ typ: 'name', val: 'ops@contoso.com' }, ...roles.map((r) => ({ typ: 'roles', val: r }))],
    }),
  ).toString('base64');
}

async function snapshot(): Promise<unknown> {
  return { versions: await e.warehouse.listVersions(), log: await e.warehouse.listDeployments(100), active: await e.warehouse.getActiveWeights() };
}

const x0 = { recency_days: 3, fatigue_score: 0.2, sentiment_score: 1.5, engagement_rate_30d: 0.5, reply_rate_90d: 0.25, opt_out_risk: 0.1, mms_affinity: 0.6 };

describe('POST /api/weights/{version}/deploy', () => {
  test('deploys, logs the caller and the reason', async () => {
    await register(e, W1, 0.1);
    // ADMIN_AUTH=key: the function key is all that identifies the caller; an unauthenticated name header is not recorded.
    const r = await deployHandler(get)(
      req({ params: { version: '1' }, body: { reason: 'weekly' }, headers: { 'x-ms-client-principal-name': 'ops@contoso.com' } }),
      ctx(),
    );
    expect(r.status).toBe(200);
    expect(bodyOf(r).deployment).toMatchObject({ action: 'deploy', fromVersion: null, toVersion: 1, by: KEY_ACTOR, reason: 'weekly' });
    expect((await e.warehouse.getActiveWeights())!.version).toBe(1);
  });

  test.each([
    ['abc', 'version'],
    ['0', 'version'],
    ['1.5', 'version'],
  ])('version %s → 400 naming %s', async (v, field) => {
    await register(e, W1, 0.1);
    const before = await snapshot();
    const r = await deployHandler(get)(req({ params: { version: v } }), ctx());
    expect(r.status).toBe(400);
    expect(r.headers).toMatchObject({ 'content-type': 'application/problem+json' });
    expect(bodyOf(r)).toMatchObject({ status: 400, errors: [{ field }] });
    expect(await snapshot()).toEqual(before);
  });

  test('unknown field in the body → 400 naming the body; broken JSON → 400', async () => {
    await register(e, W1, 0.1);
    const r = await deployHandler(get)(req({ params: { version: '1' }, body: { reason: 'x', now: true } }), ctx());
    expect(r.status).toBe(400);
    expect(JSON.stringify(bodyOf(r).errors)).toMatch(/body/);
    const r2 = await deployHandler(get)(req({ params: { version: '1' }, body: '{"reason":' }), ctx());
    expect(r2.status).toBe(400);
    expect(bodyOf(r2).errors).toEqual([{ field: 'body', detail: 'body: is not valid JSON' }]);
    expect(await e.warehouse.getActiveWeights()).toBeUndefined();
  });

  test('unknown version → 404, already active → 409, nothing changes', async () => {
    await register(e, W1, 0.1);
    await deployHandler(get)(req({ params: { version: '1' } }), ctx());
    const before = await snapshot();
    expect((await deployHandler(get)(req({ params: { version: '7' } }), ctx())).status).toBe(404);
    const c = await deployHandler(get)(req({ params: { version: '1' } }), ctx());
    expect(c.status).toBe(409);
    expect(bodyOf(c).detail).toMatch(/already active/);
    expect(await snapshot()).toEqual(before);
  });

  test('with Entra auth configured, the admin role is required', async () => {
    app = await appOf(e, { ADMIN_AUTH: 'entra' });
    await register(e, W1, 0.1);
    const denied = await deployHandler(get)(req({ params: { version: '1' }, headers: { 'x-ms-client-principal': principal(['LeadScore.Reader']) } }), ctx());
    expect(denied.status).toBe(403);
    expect(bodyOf(denied).detail).toContain(ADMIN_ROLE);
    expect(await e.warehouse.getActiveWeights()).toBeUndefined();
    const ok = await deployHandler(get)(req({ params: { version: '1' }, headers: { 'x-ms-client-principal': principal([ADMIN_ROLE]) } }), ctx());
    expect(ok.status).toBe(200);
    expect(bodyOf(ok).deployment).toMatchObject({ by: 'ops@contoso.com' });
  });
});

describe('POST /api/weights/rollback', () => {
  beforeEach(async () => {
    await register(e, W1, 0.1);
    await register(e, W2, 0.2);
    await deployHandler(get)(req({ params: { version: '1' } }), ctx());
    await deployHandler(get)(req({ params: { version: '2' } }), ctx());
  });

  test('without a body returns to the previous version', async () => {
    const r = await rollbackHandler(get)(req({}), ctx());
    expect(r.status).toBe(200);
    expect(bodyOf(r).deployment).toMatchObject({ action: 'rollback', fromVersion: 2, toVersion: 1 });
  });

  test('with { toVersion, reason }', async () => {
    const r = await rollbackHandler(get)(req({ body: { toVersion: 1, reason: 'precision fell' } }), ctx());
    expect(bodyOf(r).deployment).toMatchObject({ toVersion: 1, reason: 'precision fell' });
  });

  test('a bad toVersion → 400 naming body.toVersion; unknown → 404; nothing changes', async () => {
    const before = await snapshot();
    const r = await rollbackHandler(get)(req({ body: { toVersion: 'one' } }), ctx());
    expect(r.status).toBe(400);
    expect(bodyOf(r).errors).toEqual([expect.objectContaining({ field: 'body.toVersion' })]);
    expect((await rollbackHandler(get)(req({ body: { toVersion: 42 } }), ctx())).status).toBe(404);
    expect(await snapshot()).toEqual(before);
  });
});

/** Issue 12, item 6: every way `Number` reads a number that is not a plain positive integer. */
const LOOSE_VERSIONS = ['0x2', '0b10', ' 3 ', '+1e0', '1.0', '01', '0', '-1', '1e3', '1234567890'];

describe('version numbers: only a plain positive integer of at most nine digits', () => {
  beforeEach(async () => {
    await register(e, W1, 0.1);
    await register(e, W2, 0.2);
  });

  test.each(LOOSE_VERSIONS)('route version %j → 400 naming version, nothing activated', async (v) => {
    const before = await snapshot();
    const r = await deployHandler(get)(req({ params: { version: v } }), ctx());
    expect(r.status).toBe(400);
    expect(bodyOf(r)).toMatchObject({ status: 400, errors: [{ field: 'version' }] });
    expect(await snapshot()).toEqual(before);
  });

  test.each([
    ['1', 200],
    ['42', 404],
    ['999999999', 404],
  ])('route version %s is read as that number (answer %i)', async (v, status) => {
    const r = await deployHandler(get)(req({ params: { version: v } }), ctx());
    expect(r.status).toBe(status);
    if (status === 404) expect(bodyOf(r).detail).toContain(v);
  });

  describe('rollback body toVersion', () => {
    beforeEach(async () => {
      await deployHandler(get)(req({ params: { version: '1' } }), ctx());
      await deployHandler(get)(req({ params: { version: '2' } }), ctx());
    });

    // Written into the JSON text as they are: four are not JSON at all, the rest are JSON numbers that
    // are not a plain positive integer (' 3 ' is left out here: in JSON text it is 3 with whitespace).
    test.each([
      ['0x2', 'body'],
      ['0b10', 'body'],
      ['+1e0', 'body'],
      ['01', 'body'],
      ['1.0', 'body.toVersion'],
      ['0', 'body.toVersion'],
      ['-1', 'body.toVersion'],
      ['1e3', 'body.toVersion'],
      ['1234567890', 'body.toVersion'],
    ])('{ "toVersion": %s } → 400 naming %s, nothing changes', async (v, field) => {
      const before = await snapshot();
      const r = await rollbackHandler(get)(req({ body: `{ "toVersion": ${v} }` }), ctx());
      expect(r.status).toBe(400);
      expect((bodyOf(r).errors as { field: string }[]).map((x) => x.field)).toEqual([field]);
      expect(await snapshot()).toEqual(before);
    });

    test.each(LOOSE_VERSIONS.map((v) => [v]).concat([['1'], ['2']]))('toVersion as the JSON string %j → 400 naming body.toVersion', async (v) => {
      const before = await snapshot();
      const r = await rollbackHandler(get)(req({ body: { toVersion: v } }), ctx());
      expect(r.status).toBe(400);
      expect(bodyOf(r).errors).toEqual([expect.objectContaining({ field: 'body.toVersion' })]);
      expect(await snapshot()).toEqual(before);
    });

    test.each([
      ['1', 200],
      ['42', 404],
      ['999999999', 404],
    ])('toVersion %s is read as that number (answer %i)', async (v, status) => {
      const r = await rollbackHandler(get)(req({ body: `{"toVersion":${v},"reason":"x"}` }), ctx());
      expect(r.status).toBe(status);
      if (status === 200) expect(bodyOf(r).deployment).toMatchObject({ action: 'rollback', fromVersion: 2, toVersion: 1 });
      else expect(bodyOf(r).detail).toContain(v);
    });
  });
});

describe('GET /api/weights and /api/weights/active', () => {
  test('lists versions; active gives the weights and the ready-to-run SQL', async () => {
    await register(e, W1, 0.1);
    expect((await activeWeightsHandler(get)(req({ method: 'GET' }), ctx())).status).toBe(404);
    await deployHandler(get)(req({ params: { version: '1' } }), ctx());
    const list = bodyOf(await listWeightsHandler(get)(req({ method: 'GET' }), ctx()));
    expect(list.active_version).toBe(1);
    expect((list.versions as unknown[]).length).toBe(1);
    const a = bodyOf(await activeWeightsHandler(get)(req({ method: 'GET' }), ctx()));
    expect(a).toMatchObject({ model_version: 1, offset: 0.1, sql: MSSQL_STATEMENTS.seedScoringSelectByContact });
    expect(a.columns).toEqual({ w_recency: W1[0], w_fatigue: W1[1], w_sentiment: W1[2], w_engagement: W1[3], w_reply: W1[4], w_optout: W1[5], w_mms: W1[6] });
  });
});

describe('POST /api/score', () => {
  test('scores one contact with the active weights', async () => {
    await register(e, W1, -0.2);
    await deployHandler(get)(req({ params: { version: '1' } }), ctx());
    const r = await scoreContactHandler(get)(req({ body: { contact_id: 'c1', features: x0 } }), ctx());
    expect(r.status).toBe(200);
    const b = bodyOf(r);
    const x = FEATURES.map((f) => x0[f]);
    const z = leadScore(W1, -0.2, x);
    expect(b.lead_score).toBe(z);
    expect(b.probability).toBe(sigmoid(z));
    // Hand check: z = 3·-0.05 + 0.2·-1.2 + 1.5·0.4 + 0.5·2.1 + 0.25·1.7 + 0.1·-2.5 + 0.6·0.9 − 0.2 = 1.775.
    expect(z).toBeCloseTo(1.775, 12);
    // sigmoid(1.775) = 0.85507… → 86 → High
    // The fixture version's grade thresholds are [1.5, 0, -1.5]: 1.775 ≥ 1.5 → A.
    expect(b).toMatchObject({ contact_id: 'c1', model_version: 1, score_100: 86, band: 'High', grade: 'A' });
    // Contributions against the training mean [30, .5, 0, .3, .2, .3, .5]: recency 1.35, sentiment 0.6, opt_out 0.5.
    expect((b.top_factors as { feature: string }[]).map((f) => f.feature)).toEqual(['recency_days', 'sentiment_score', 'opt_out_risk']);
  });

  test("grades by the active version's thresholds, and null under a version that has none", async () => {
    const x = FEATURES.map((f) => x0[f]);
    // z = 1.975 + offset (1.775 at offset -0.2, above): 0.975 is a B, -0.525 a C, -2.025 a D under the fixture thresholds [1.5, 0, -1.5].
    const cases: [number, string | null][] = [
      [-1, 'B'],
      [-2.5, 'C'],
      [-4, 'D'],
    ];
    for (const [offset, grade] of cases) {
      const v = await register(e, W1, offset);
      await deployHandler(get)(req({ params: { version: String(v) } }), ctx());
      const b = bodyOf(await scoreContactHandler(get)(req({ body: { features: x0 } }), ctx()));
      expect([b.lead_score, b.grade]).toEqual([leadScore(W1, offset, x), grade]);
    }
    const none = await register(e, W1, -0.2, 0.7, null);
    await deployHandler(get)(req({ params: { version: String(none) } }), ctx());
    expect(bodyOf(await scoreContactHandler(get)(req({ body: { features: x0 } }), ctx())).grade).toBeNull();
  });

  test('the cache follows a deploy made through the API', async () => {
    await register(e, W1, -0.2);
    await register(e, W2, 0.3);
    await deployHandler(get)(req({ params: { version: '1' } }), ctx());
    await scoreContactHandler(get)(req({ body: { features: x0 } }), ctx());
    await deployHandler(get)(req({ params: { version: '2' } }), ctx());
    const b = bodyOf(await scoreContactHandler(get)(req({ body: { features: x0 } }), ctx()));
    expect(b.model_version).toBe(2);
  });

  test.each([
    [{ features: { ...x0, recency_days: 61 } }, 'body.features.recency_days'],
    [{ features: { ...x0, opt_out_risk: '0.3' } }, 'body.features.opt_out_risk'],
    [{ features: { ...x0, mms_affinity: undefined } }, 'body.features.mms_affinity'],
    [{ features: { ...x0, extra: 1 } }, 'body.features'],
    [{}, 'body.features'],
  ])('bad input %j → 400 naming %s', async (body, field) => {
    await register(e, W1, -0.2);
    await deployHandler(get)(req({ params: { version: '1' } }), ctx());
    const r = await scoreContactHandler(get)(req({ body }), ctx());
    expect(r.status).toBe(400);
    expect((bodyOf(r).errors as { field: string }[]).map((x) => x.field)).toContain(field);
  });

  test('no active version → 409 with a clear message', async () => {
    const r = await scoreContactHandler(get)(req({ body: { features: x0 } }), ctx());
    expect(r.status).toBe(409);
    expect(bodyOf(r).detail).toMatch(/no model version is active/);
  });
});

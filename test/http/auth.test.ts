import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { SqliteLedger } from '../../shared/adapters/ledger/sqlite';
import { ADMIN_ROLE, KEY_ACTOR, actor, requireAdmin, type AdminAuth } from '../../shared/http/auth';
import { deployHandler, rollbackHandler } from '../../shared/http/weights';
import type { Container } from '../../shared/app/container';
import { retrainRequestHandler, type RetrainMessage } from '../../shared/http/ops';
import { ForbiddenError, UnauthorizedError } from '../../shared/http/problem';
import { loadConfig } from '../../shared/app/config';
import { appOf, env, register, W1, W2, type Env } from '../support/fixtures';

/**
 * Issue 12, item 10: ADMIN_AUTH decides who may run the admin operations and who is recorded.
 * `key`: the function key is the gate; principal headers mean nothing. `entra`: App Service
 * authentication is in front, and only a valid principal with LeadScore.Admin gets through (401 or
 * 403 as a problem body otherwise, never 500); the actor is that principal, never the name header.
 */

const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64');
const json64 = (v: unknown): string => b64(JSON.stringify(v));

const OID = '5b5450db-eb26-4c1a-981c-ba1d25f0483d';
const OID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const ROLE_TYP = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';

/** A principal as App Service passes it for an Entra access token (trimmed). */
function entraPrincipal(roles: string[], claims: { typ: string; val: string }[] = [{ typ: 'preferred_username', val: 'ops@contoso.com' }]): string {
  return json64({
    auth_typ: 'aad',
    name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
    role_typ: ROLE_TYP,
    claims: [{ typ: OID_CLAIM, val: OID }, ...claims, ...roles.map((r) => ({ typ: 'roles', val: r }))],
  });
}

/** Headers that are not a client principal: each must be 401 under entra (and ignored under key). */
const NOT_A_PRINCIPAL: [string, string][] = [
  ['an empty header', ''],
  ['null', json64(null)],
  ['false', json64(false)],
  ['""', json64('')],
  ['[]', json64([])],
  ['{}', json64({})],
  ['0', json64(0)],
  ['a string', json64('LeadScore.Admin')],
  ['claims that are not an array', json64({ claims: { typ: 'roles', val: ADMIN_ROLE } })],
  ['a claim whose value is not a string', json64({ claims: [{ typ: 'roles', val: 1 }] })],
  ['a null claim', json64({ claims: [null] })],
  ['not base64', '{"claims":[{"typ":"roles","val":"LeadScore.Admin"}]}'],
  ['base64 with junk in it', `${json64({ claims: [] }).slice(0, 8)}!*${json64({ claims: [] }).slice(8)}`],
  ['base64 of something not JSON', b64('roles=LeadScore.Admin')],
  ['base64 of bytes that are not UTF-8', b64(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))],
];

function req(headers: Record<string, string>, init: { params?: Record<string, string>; body?: string } = {}): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/x',
    headers,
    params: init.params ?? {},
    ...(init.body !== undefined ? { body: { string: init.body } } : {}),
  });
}

function problemOf(r: HttpResponseInit): { status: number; title: string; detail: string } {
  expect(r.headers).toMatchObject({ 'content-type': 'application/problem+json' });
  return JSON.parse(String(r.body)) as { status: number; title: string; detail: string };
}

describe('the setting', () => {
  test('ADMIN_AUTH is key by default, entra when set, and nothing else', () => {
    expect(loadConfig({}).ADMIN_AUTH).toBe('key');
    expect(loadConfig({ ADMIN_AUTH: 'entra' }).ADMIN_AUTH).toBe('entra');
    expect(() => loadConfig({ ADMIN_AUTH: 'none' })).toThrow(/ADMIN_AUTH/);
  });
});

describe('requireAdmin / actor', () => {
  describe('ADMIN_AUTH=key: the function key is the gate', () => {
    test.each<[string, Record<string, string>]>([
      ['no principal', {}],
      ['an admin principal', { 'x-ms-client-principal': entraPrincipal([ADMIN_ROLE]) }],
      ['a principal without the role', { 'x-ms-client-principal': entraPrincipal(['LeadScore.Reader']) }],
      ...NOT_A_PRINCIPAL.map(([what, h]): [string, Record<string, string>] => [what, { 'x-ms-client-principal': h }]),
      ['a name header', { 'x-ms-client-principal-name': 'mallory@example.com' }],
    ])('%s: allowed, recorded as the function key', (_what, headers) => {
      expect(requireAdmin(req(headers), 'key')).toEqual({ actor: KEY_ACTOR });
      expect(actor(req(headers), 'key')).toBe('function key');
    });
  });

  describe('ADMIN_AUTH=entra: a valid platform principal with LeadScore.Admin', () => {
    test('no principal → 401', () => {
      expect(() => requireAdmin(req({ 'x-ms-client-principal-name': 'ops@contoso.com' }), 'entra')).toThrow(UnauthorizedError);
    });

    test.each(NOT_A_PRINCIPAL)('%s → 401', (_what, header) => {
      expect(() => requireAdmin(req({ 'x-ms-client-principal': header }), 'entra')).toThrow(UnauthorizedError);
      expect(() => actor(req({ 'x-ms-client-principal': header }), 'entra')).toThrow(UnauthorizedError);
    });

    test.each([
      ['no claims at all', json64({ auth_typ: 'aad', claims: [] })],
      ['another role', entraPrincipal(['LeadScore.Reader'])],
      [
        'the role name as some other claim',
        entraPrincipal(
          [],
          [
            { typ: 'name', val: ADMIN_ROLE },
            { typ: 'groups', val: ADMIN_ROLE },
          ],
        ),
      ],
      ['the role in another letter case', entraPrincipal(['leadscore.admin'])],
    ])('%s → 403', (_what, header) => {
      expect(() => requireAdmin(req({ 'x-ms-client-principal': header }), 'entra')).toThrow(ForbiddenError);
    });

    test('the admin is recorded by the principal, never by x-ms-client-principal-name', () => {
      const r = req({ 'x-ms-client-principal': entraPrincipal([ADMIN_ROLE]), 'x-ms-client-principal-name': 'mallory@example.com' });
      expect(requireAdmin(r, 'entra')).toEqual({ actor: 'ops@contoso.com' });
      expect(actor(r, 'entra')).toBe('ops@contoso.com');
    });

    test.each([
      [
        'preferred_username first',
        [
          { typ: 'name', val: 'Ops Team' },
          { typ: 'preferred_username', val: 'ops@contoso.com' },
        ],
        'ops@contoso.com',
      ],
      [
        'then the claim name_typ names',
        [
          { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', val: 'ops@contoso.com' },
          { typ: 'name', val: 'Ops Team' },
        ],
        'ops@contoso.com',
      ],
      ['then name', [{ typ: 'name', val: 'Ops Team' }], 'Ops Team'],
      ['an application (no name): its object id', [{ typ: 'appid', val: '461e8683-5575-4561-ac7f-899cc907d62a' }], OID],
      ['a name longer than the log holds: the object id', [{ typ: 'preferred_username', val: `${'x'.repeat(201)}@contoso.com` }], OID],
      ['a blank name: the object id', [{ typ: 'preferred_username', val: '  ' }], OID],
    ])('%s', (_what, claims, expected) => {
      expect(actor(req({ 'x-ms-client-principal': entraPrincipal([ADMIN_ROLE], claims) }), 'entra')).toBe(expected);
    });

    test('the role may come as role_typ names it, or as role', () => {
      const custom = json64({
        role_typ: 'urn:roles',
        claims: [
          { typ: 'preferred_username', val: 'a@contoso.com' },
          { typ: 'urn:roles', val: ADMIN_ROLE },
        ],
      });
      expect(actor(req({ 'x-ms-client-principal': custom }), 'entra')).toBe('a@contoso.com');
      const role = json64({
        claims: [
          { typ: OID_CLAIM, val: OID },
          { typ: ROLE_TYP, val: ADMIN_ROLE },
        ],
      });
      expect(actor(req({ 'x-ms-client-principal': role }), 'entra')).toBe(OID);
    });

    test('an admin principal naming nobody → 401 (there is no one to record)', () => {
      const anonymous = json64({
        claims: [
          { typ: 'roles', val: ADMIN_ROLE },
          { typ: 'appid', val: 'x' },
        ],
      });
      expect(() => requireAdmin(req({ 'x-ms-client-principal': anonymous }), 'entra')).toThrow(UnauthorizedError);
    });
  });
});

describe('the admin routes answer problems, never 500, and change nothing', () => {
  let e: Env;
  let app: Container;
  let byMode: Partial<Record<AdminAuth, Container>>;
  const logs: string[] = [];
  const ctx = (): InvocationContext => new InvocationContext({ functionName: 'test', logHandler: (_level, ...args) => logs.push(args.join(' ')) });
  const get = async (): Promise<Container> => app;
  const state = async (): Promise<unknown> => ({
    versions: await e.warehouse.listVersions(),
    log: await e.warehouse.listDeployments(100),
    active: await e.warehouse.getActiveWeights(),
  });

  let ledger: SqliteLedger;
  let queued: RetrainMessage[];
  const retrain = (mode: AdminAuth) =>
    retrainRequestHandler(
      async () => (byMode[mode] ??= await appOf(e, { ADMIN_AUTH: mode })),
      (_c, m) => void queued.push(m),
    );

  beforeEach(async () => {
    e = await env();
    app = await appOf(e, { ADMIN_AUTH: 'entra' });
    byMode = {};
    await register(e, W1, 0.1);
    await register(e, W2, 0.2);
    ledger = e.ledger;
    queued = [];
    logs.length = 0;
  });
  afterEach(async () => e.close());

  const refused: [string, number, Record<string, string>][] = [
    ['no principal', 401, { 'x-ms-client-principal-name': 'ops@contoso.com' }],
    ...NOT_A_PRINCIPAL.map(([what, h]): [string, number, Record<string, string>] => [what, 401, { 'x-ms-client-principal': h }]),
    ['a principal without the role', 403, { 'x-ms-client-principal': entraPrincipal(['LeadScore.Reader']) }],
  ];

  test.each(refused)('entra, %s → %i on deploy, rollback and retrain', async (_what, status, headers) => {
    await deployHandler(get)(req({ 'x-ms-client-principal': entraPrincipal([ADMIN_ROLE]) }, { params: { version: '1' } }), ctx());
    const before = await state();
    const answers = [
      await deployHandler(get)(req(headers, { params: { version: '2' } }), ctx()),
      await rollbackHandler(get)(req(headers, { body: '{"toVersion":2}' }), ctx()),
      await retrain('entra')(req(headers, { body: '{"reason":"x"}' }), ctx()),
    ];
    for (const r of answers) {
      expect(r.status).toBe(status);
      expect(problemOf(r)).toMatchObject({ status, title: status === 401 ? 'Unauthorized' : 'Forbidden' });
      if (status === 401) expect(r.headers).toMatchObject({ 'www-authenticate': 'Bearer' });
      if (status === 403) expect(problemOf(r).detail).toContain(ADMIN_ROLE);
    }
    expect(await state()).toEqual(before);
    expect(queued).toEqual([]);
    expect(await ledger.listRuns(10)).toEqual([]);
    expect(logs.filter((l) => /unexpected error/.test(l))).toEqual([]);
  });

  test('entra, an admin: deploy, rollback and retrain record the principal, not the name header', async () => {
    const headers = { 'x-ms-client-principal': entraPrincipal([ADMIN_ROLE]), 'x-ms-client-principal-name': 'mallory@example.com' };
    const d = await deployHandler(get)(req(headers, { params: { version: '1' } }), ctx());
    expect(d.status).toBe(200);
    expect((d.jsonBody as { deployment: unknown }).deployment).toMatchObject({ toVersion: 1, by: 'ops@contoso.com' });
    await deployHandler(get)(req(headers, { params: { version: '2' } }), ctx());
    const r = await rollbackHandler(get)(req(headers), ctx());
    expect((r.jsonBody as { deployment: unknown }).deployment).toMatchObject({ action: 'rollback', toVersion: 1, by: 'ops@contoso.com' });
    expect((await e.warehouse.listVersions()).find((v) => v.version === 1)?.activatedBy).toBe('ops@contoso.com');
    const q = await retrain('entra')(req(headers, { body: '{"reason":"seasonal"}' }), ctx());
    expect(q.status).toBe(202);
    expect(queued).toEqual([expect.objectContaining({ trigger: 'manual', requestedBy: 'ops@contoso.com' })]);
  });

  test.each([
    ['no principal', {}],
    ['a principal that is null', { 'x-ms-client-principal': json64(null) }],
    ['a principal that is not base64', { 'x-ms-client-principal': 'not base64!' }],
    ['a principal without the role', { 'x-ms-client-principal': entraPrincipal(['LeadScore.Reader']) }],
    ['a name header', { 'x-ms-client-principal-name': 'mallory@example.com' }],
  ])('key, %s: the key is enough, and the function key is recorded', async (_what, headers: Record<string, string>) => {
    app = await appOf(e, { ADMIN_AUTH: 'key' });
    const d = await deployHandler(get)(req(headers, { params: { version: '1' } }), ctx());
    expect(d.status).toBe(200);
    expect((d.jsonBody as { deployment: unknown }).deployment).toMatchObject({ toVersion: 1, by: 'function key' });
    await deployHandler(get)(req(headers, { params: { version: '2' } }), ctx());
    const r = await rollbackHandler(get)(req(headers), ctx());
    expect((r.jsonBody as { deployment: unknown }).deployment).toMatchObject({ action: 'rollback', by: 'function key' });
    const q = await retrain('key')(req(headers, { body: '{"reason":"seasonal"}' }), ctx());
    expect(q.status).toBe(202);
    expect(queued).toEqual([expect.objectContaining({ requestedBy: 'function key' })]);
    expect(await ledger.listRuns(10)).toHaveLength(1);
  });
});

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * infra/scripts/entra-postprovision.js against a stand-in `az` that keeps a small Microsoft Graph
 * (applications, service principals, app role assignments) in a JSON file, and a stand-in `azd`
 * that records `azd env set`. The first run creates the registration, its API, the role, the
 * service principal (assignment required) and the assignments, and stores the ids in the azd
 * environment; a second run with those values makes no change at all.
 */

const repo = path.resolve(__dirname, '..', '..');
const node22 = path.join(repo, 'node_modules', 'node', 'bin', 'node');
const TENANT = '11111111-1111-1111-1111-111111111111';
const DEPLOYER = '22222222-2222-2222-2222-222222222222';
const ACTION_GROUPS_APP_ID = '461e8683-5575-4561-ac7f-899cc907d62a';
const AZURE_CLI_APP_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

/** The stand-in az: `account show`, `cloud show`, `rest --method M --url U [--body @file]` on a Graph kept in $FAKE_GRAPH. */
const FAKE_AZ = `#!/usr/bin/env node
const fs = require('node:fs');
const { randomUUID } = require('node:crypto');
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
const file = process.env.FAKE_GRAPH;
const g = JSON.parse(fs.readFileSync(file, 'utf8'));
const out = (v) => { if (v !== undefined) process.stdout.write(JSON.stringify(v)); };
const save = () => fs.writeFileSync(file, JSON.stringify(g, null, 1));
const log = (entry) => { g.calls.push(entry); save(); };
if (args[0] === 'account' && args[1] === 'show') { out({ tenantId: g.tenantId }); process.exit(0); }
if (args[0] === 'cloud' && args[1] === 'show') { out({ endpoints: { microsoftGraphResourceId: 'https://graph.microsoft.com/' } }); process.exit(0); }
if (args[0] !== 'rest') { console.error('fake az: unsupported ' + args.join(' ')); process.exit(2); }
const method = opt('--method');
const url = new URL(opt('--url'));
const body = opt('--body') ? JSON.parse(fs.readFileSync(opt('--body').slice(1), 'utf8')) : undefined;
if (!url.pathname.startsWith('/v1.0/')) { console.error('fake az: not Graph v1.0: ' + url); process.exit(2); }
const parts = url.pathname.slice(6).split('/');
const where = url.searchParams.get('$filter');
const match = (o) => { const m = /^(\\w+) eq '(.*)'$/.exec(where || ''); return !m || o[m[1]] === m[2].replace(/''/g, "'"); };
const coll = { applications: g.applications, servicePrincipals: g.servicePrincipals }[parts[0]];
if (!coll) { console.error('fake az: unknown collection ' + parts[0]); process.exit(2); }
if (method !== 'GET') log({ method, path: url.pathname, body });
if (parts.length === 1 && method === 'GET') out({ value: coll.filter(match) });
else if (parts.length === 1 && method === 'POST') {
  const o = parts[0] === 'applications'
    ? { id: randomUUID(), appId: randomUUID(), identifierUris: [], appRoles: [], api: { oauth2PermissionScopes: [], preAuthorizedApplications: [], requestedAccessTokenVersion: null }, ...body }
    : { id: randomUUID(), appRoleAssignmentRequired: false, assignedTo: [], ...body };
  if (parts[0] === 'servicePrincipals' && !g.known.includes(body.appId) && !g.applications.some((a) => a.appId === body.appId)) { console.error('fake az: no such application ' + body.appId); process.exit(1); }
  coll.push(o); save(); out(o);
} else {
  const o = coll.find((x) => x.id === parts[1]);
  if (!o) { console.error('fake az: 404 ' + url.pathname); process.exit(1); }
  if (parts.length === 2 && method === 'PATCH') {
    for (const r of [...(body.appRoles || []), ...((body.api && body.api.oauth2PermissionScopes) || [])]) if ('origin' in r) { console.error('fake az: origin is read-only'); process.exit(1); }
    Object.assign(o, body); save();
  } else if (parts[2] === 'appRoleAssignedTo' && method === 'GET') out({ value: o.assignedTo });
  else if (parts[2] === 'appRoleAssignedTo' && method === 'POST') { o.assignedTo.push({ id: randomUUID(), ...body }); save(); out(o.assignedTo.at(-1)); }
  else { console.error('fake az: unsupported ' + method + ' ' + url.pathname); process.exit(2); }
}
// Graph hands back app roles and scopes with their read-only origin.
for (const a of g.applications) for (const r of [...a.appRoles, ...a.api.oauth2PermissionScopes]) r.origin = 'Application';
save();
`;

const FAKE_AZD = `#!/bin/sh
echo "$*" >> "$FAKE_AZD_LOG"
`;

interface Graph {
  tenantId: string;
  known: string[];
  applications: {
    id: string;
    appId: string;
    displayName: string;
    identifierUris: string[];
    appRoles: { id: string; value: string; allowedMemberTypes: string[] }[];
    api: {
      requestedAccessTokenVersion: number | null;
      oauth2PermissionScopes: { id: string; value: string }[];
      preAuthorizedApplications: { appId: string; delegatedPermissionIds: string[] }[];
    };
  }[];
  servicePrincipals: {
    id: string;
    appId: string;
    appRoleAssignmentRequired: boolean;
    assignedTo: { principalId: string; resourceId: string; appRoleId: string }[];
  }[];
  calls: { method: string; path: string; body: unknown }[];
}

describe('infra/scripts/entra-postprovision.js', () => {
  let dir: string;
  let graphFile: string;
  let azdLog: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'leadscore-entra-test-'));
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'az'), FAKE_AZ);
    writeFileSync(path.join(bin, 'azd'), FAKE_AZD);
    chmodSync(path.join(bin, 'az'), 0o755);
    chmodSync(path.join(bin, 'azd'), 0o755);
    graphFile = path.join(dir, 'graph.json');
    azdLog = path.join(dir, 'azd.log');
    // Azure Monitor's action groups app exists in every tenant; its service principal may not yet.
    const graph: Graph = { tenantId: TENANT, known: [ACTION_GROUPS_APP_ID], applications: [], servicePrincipals: [], calls: [] };
    writeFileSync(graphFile, JSON.stringify(graph));
    env = {
      PATH: `${bin}:${path.dirname(node22)}:/usr/bin:/bin`,
      HOME: dir,
      FAKE_GRAPH: graphFile,
      FAKE_AZD_LOG: azdLog,
      AZURE_TENANT_ID: TENANT,
      AZURE_PRINCIPAL_ID: DEPLOYER,
      AZURE_FUNCTION_APP_NAME: 'func-leadscore-abc123',
      ADMIN_AUTH: 'key',
    };
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const runScript = (extra: NodeJS.ProcessEnv = {}): { status: number | null; output: string } => {
    const run = spawnSync(node22, [path.join(repo, 'infra', 'scripts', 'entra-postprovision.js')], {
      env: { ...env, ...extra },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  };
  const graph = (): Graph => JSON.parse(readFileSync(graphFile, 'utf8')) as Graph;

  test('first run: creates the registration, its API and role, the service principal and the assignments; stores the ids with azd env set', () => {
    const { status, output } = runScript();
    expect(output).toContain('creating the app registration "leadscore-admin (func-leadscore-abc123)"');
    expect(status).toBe(0);

    const g = graph();
    expect(g.applications).toHaveLength(1);
    const app = g.applications[0]!;
    expect(app.displayName).toBe('leadscore-admin (func-leadscore-abc123)');
    expect(app.identifierUris).toEqual([`api://${app.appId}`]);
    expect(app.api.requestedAccessTokenVersion).toBe(2);
    const role = app.appRoles.find((r) => r.value === 'LeadScore.Admin')!;
    expect(role.allowedMemberTypes.sort()).toEqual(['Application', 'User']);
    const scope = app.api.oauth2PermissionScopes.find((s) => s.value === 'user_impersonation')!;
    expect(app.api.preAuthorizedApplications).toEqual([{ appId: AZURE_CLI_APP_ID, delegatedPermissionIds: [scope.id] }]);

    const sp = g.servicePrincipals.find((s) => s.appId === app.appId)!;
    expect(sp.appRoleAssignmentRequired).toBe(true);
    const monitor = g.servicePrincipals.find((s) => s.appId === ACTION_GROUPS_APP_ID)!;
    expect(sp.assignedTo.map((a) => [a.principalId, a.appRoleId, a.resourceId]).sort()).toEqual(
      [
        [DEPLOYER, role.id, sp.id],
        [monitor.id, role.id, sp.id],
      ].sort(),
    );

    expect(readFileSync(azdLog, 'utf8').trim().split('\n')).toEqual([
      `env set ADMIN_APP_CLIENT_ID ${app.appId}`,
      `env set ADMIN_APP_OBJECT_ID ${app.id}`,
      `env set ADMIN_APP_TENANT_ID ${TENANT}`,
    ]);
    expect(output).toContain('the next `azd provision` turns it on');
  });

  test('second run with the stored values (and sign-in on): no change, no azd env set', () => {
    const before = graph();
    const app = before.applications[0]!;
    rmSync(azdLog);
    const { status, output } = runScript({ ADMIN_APP_CLIENT_ID: app.appId, ADMIN_APP_OBJECT_ID: app.id, ADMIN_APP_TENANT_ID: TENANT, ADMIN_AUTH: 'entra' });
    expect(output).not.toMatch(/creating|→|pre-authorized|assignment required|azd env:/);
    expect(status).toBe(0);
    expect(graph().calls).toEqual(before.calls);
    expect(() => readFileSync(azdLog, 'utf8')).toThrow();
  });

  test('a run without ADMIN_APP_CLIENT_ID finds the registration by name instead of making a second one', () => {
    const before = graph();
    const { status } = runScript();
    expect(status).toBe(0);
    expect(graph().applications).toHaveLength(1);
    expect(graph().calls).toEqual(before.calls);
  });

  test('refuses to work in another tenant than the deployment', () => {
    const { status, output } = runScript({ AZURE_TENANT_ID: '33333333-3333-3333-3333-333333333333' });
    expect(status).toBe(1);
    expect(output).toContain(`az is signed in to tenant ${TENANT}`);
  });

  test('ADMIN_SIGN_IN=false skips the step', () => {
    const before = graph();
    const { status, output } = runScript({ ADMIN_SIGN_IN: 'false' });
    expect(status).toBe(0);
    expect(output).toContain('ADMIN_SIGN_IN=false');
    expect(graph().calls).toEqual(before.calls);
  });
});

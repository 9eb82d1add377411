#!/usr/bin/env node
'use strict';
// Post-provision step for sign-in on the admin routes, run by infra/scripts/postprovision.sh (azd
// hook) on Node 22, with the Azure CLI (`az`) signed in to the tenant. Through Microsoft Graph:
//   1. finds the app registration (ADMIN_APP_CLIENT_ID when set, else the one named
//      "leadscore-admin (<function app name>)") or creates it;
//   2. makes it the API that App Service authentication validates tokens for: identifier URI
//      api://<client id>, v2 access tokens, the app role LeadScore.Admin (users, groups and
//      applications), and a delegated scope user_impersonation that the Azure CLI is pre-authorized
//      for, so that `az account get-access-token --resource api://<client id>` works for an admin;
//   3. creates its service principal with assignment required: Entra issues tokens for this API only
//      to principals that hold the role;
//   4. gives the role to the principal running azd (AZURE_PRINCIPAL_ID), to ADMIN_PRINCIPAL_IDS
//      (comma-separated object ids) and to Azure Monitor's action groups ("AzNS AAD Webhook",
//      461e8683-5575-4561-ac7f-899cc907d62a), whose secure webhook calls POST /api/retrain;
//   5. stores ADMIN_APP_CLIENT_ID, ADMIN_APP_OBJECT_ID and ADMIN_APP_TENANT_ID in the azd
//      environment (`azd env set`): the next `azd provision` turns sign-in on (ADMIN_AUTH=entra).
// Every step reads first and changes only what differs: a second run changes nothing.
// ADMIN_SIGN_IN=false (azd env set ADMIN_SIGN_IN false) skips the step: no sign-in, ADMIN_AUTH=key.

const { spawnSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROLE = 'LeadScore.Admin';
const SCOPE = 'user_impersonation';
const AZURE_CLI_APP_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const ACTION_GROUPS_APP_ID = '461e8683-5575-4561-ac7f-899cc907d62a';

const win = process.platform === 'win32';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-entra-'));

function fail(message) {
  throw new Error(message);
}

function run(cmd, args) {
  // az and azd are .cmd files on Windows, which only a shell starts.
  const res = spawnSync(cmd, args, { encoding: 'utf8', shell: win });
  if (res.error) {
    if (res.error.code === 'ENOENT') fail(`${cmd} is not installed or not on the PATH`);
    throw res.error;
  }
  if (res.status !== 0) fail(`${cmd} ${args.slice(0, 3).join(' ')} … failed (exit ${res.status}): ${(res.stderr || res.stdout).trim()}`);
  return res.stdout;
}

function az(args) {
  const out = run('az', [...args, '--only-show-errors', '--output', 'json']).trim();
  return out ? JSON.parse(out) : null;
}

/**
 * A registration just created takes a few seconds to replicate in Entra: a service principal or an
 * assignment made at once can fail with "does not exist". Changes are retried (each is idempotent:
 * it is only made when a read showed it missing); creating the registration itself is not.
 */
function retried(what, fn) {
  for (let attempt = 1; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      if (attempt === 6) throw err;
      console.log(`${what}: ${err.message.split('\n')[0]}; retrying in ${5 * attempt} s (Entra replication)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000 * attempt);
    }
  }
}

let graphRoot;
function graph(method, url, body) {
  if (method !== 'GET' && !(method === 'POST' && url === 'applications')) return retried(`${method} ${url.split('?')[0]}`, () => graphOnce(method, url, body));
  return graphOnce(method, url, body);
}

function graphOnce(method, url, body) {
  const args = ['rest', '--method', method, '--url', `${graphRoot}v1.0/${url}`];
  if (body !== undefined) {
    const file = path.join(scratch, `body-${randomUUID()}.json`);
    fs.writeFileSync(file, JSON.stringify(body));
    args.push('--headers', 'Content-Type=application/json', '--body', `@${file}`);
  }
  return az(args);
}

const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
const filter = (expr) => `$filter=${encodeURIComponent(expr)}`;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function findOne(collection, expr, what) {
  const found = graph('GET', `${collection}?${filter(expr)}`).value;
  if (found.length > 1) fail(`${found.length} ${what} match ${expr}; set ADMIN_APP_CLIENT_ID to the one to use`);
  return found[0];
}

function ensureApplication(displayName, clientId) {
  if (clientId) {
    const app = findOne('applications', `appId eq ${q(clientId)}`, 'app registrations');
    if (!app) fail(`ADMIN_APP_CLIENT_ID=${clientId}: no such app registration in this tenant (unset it to create one)`);
    return app;
  }
  const existing = findOne('applications', `displayName eq ${q(displayName)}`, 'app registrations');
  if (existing) return existing;
  console.log(`creating the app registration "${displayName}"`);
  return graph('POST', 'applications', { displayName, signInAudience: 'AzureADMyOrg' });
}

/** True when `actual` has every property of `wanted` (arrays compared as sets). */
function matches(actual, wanted) {
  const norm = (v) => (Array.isArray(v) ? [...v].sort() : v);
  return !!actual && Object.entries(wanted).every(([k, v]) => same(norm(actual[k]), norm(v)));
}

/**
 * `list` with the entry whose value is `value` replaced by (or appended as) `entry`, keeping its id.
 * Graph returns `origin` on app roles and scopes but refuses it in a PATCH (read-only).
 */
const strip = ({ origin: _origin, ...rest }) => rest;

function upsert(list, value, entry) {
  const old = list.find((x) => x.value === value);
  const merged = { ...(old ? strip(old) : {}), ...entry, id: old ? old.id : randomUUID() };
  return old ? list.map((x) => (x === old ? merged : strip(x))) : [...list.map(strip), merged];
}

const WANTED_ROLE = {
  value: ROLE,
  displayName: 'LeadScore admin',
  description: 'Deploy, roll back and retrain lead-scoring weights (the admin routes of the leadscore Function App).',
  allowedMemberTypes: ['User', 'Application'],
  isEnabled: true,
};
const WANTED_SCOPE = {
  value: SCOPE,
  type: 'User',
  isEnabled: true,
  adminConsentDisplayName: 'Call the leadscore admin routes',
  adminConsentDescription: 'Lets the signed-in user call the leadscore Function App as themselves; the app role LeadScore.Admin decides what they may do.',
  userConsentDisplayName: 'Call the leadscore admin routes',
  userConsentDescription: 'Lets the app call the leadscore Function App as you.',
};

/**
 * Identifier URI, v2 tokens, the app role and the scope; then the Azure CLI's pre-authorization,
 * which refers to the scope's id and so needs the scope to exist first. Returns the role's id.
 */
function ensureApi(app) {
  let appRoles = app.appRoles || [];
  let api = app.api || {};
  let identifierUris = app.identifierUris || [];
  const uri = `api://${app.appId}`;
  const scopes = api.oauth2PermissionScopes || [];
  const ok =
    matches(
      appRoles.find((r) => r.value === ROLE),
      WANTED_ROLE,
    ) &&
    matches(
      scopes.find((x) => x.value === SCOPE),
      WANTED_SCOPE,
    ) &&
    identifierUris.includes(uri) &&
    api.requestedAccessTokenVersion === 2;
  if (!ok) {
    appRoles = upsert(appRoles, ROLE, WANTED_ROLE);
    api = { ...api, requestedAccessTokenVersion: 2, oauth2PermissionScopes: upsert(scopes, SCOPE, WANTED_SCOPE) };
    identifierUris = identifierUris.includes(uri) ? identifierUris : [...identifierUris, uri];
    console.log(`app registration: identifier URI ${uri}, v2 access tokens, app role ${ROLE}, scope ${SCOPE}`);
    graph('PATCH', `applications/${app.id}`, { identifierUris, appRoles, api });
  }
  const scopeId = api.oauth2PermissionScopes.find((x) => x.value === SCOPE).id;
  const preAuthorized = api.preAuthorizedApplications || [];
  const cli = preAuthorized.find((p) => p.appId === AZURE_CLI_APP_ID);
  if (!cli || !(cli.delegatedPermissionIds || []).includes(scopeId)) {
    console.log('app registration: the Azure CLI is pre-authorized for the scope (az account get-access-token)');
    const ids = [...new Set([...((cli && cli.delegatedPermissionIds) || []), scopeId])];
    const others = preAuthorized.filter((p) => p.appId !== AZURE_CLI_APP_ID);
    const scopesToSend = api.oauth2PermissionScopes.map(strip);
    graph('PATCH', `applications/${app.id}`, {
      api: { ...api, oauth2PermissionScopes: scopesToSend, preAuthorizedApplications: [...others, { appId: AZURE_CLI_APP_ID, delegatedPermissionIds: ids }] },
    });
  }
  return appRoles.find((r) => r.value === ROLE).id;
}

function ensureServicePrincipal(appId, label, create = true) {
  const sp = findOne('servicePrincipals', `appId eq ${q(appId)}`, 'service principals');
  if (sp) return sp;
  if (!create) return undefined;
  console.log(`creating the service principal of ${label}`);
  return graph('POST', 'servicePrincipals', { appId });
}

function ensureAssignments(sp, roleId, principals) {
  const assigned = graph('GET', `servicePrincipals/${sp.id}/appRoleAssignedTo`).value;
  for (const { id, label } of principals) {
    if (assigned.some((a) => a.principalId === id && a.appRoleId === roleId)) continue;
    console.log(`app role ${ROLE} → ${label} (${id})`);
    graph('POST', `servicePrincipals/${sp.id}/appRoleAssignedTo`, { principalId: id, resourceId: sp.id, appRoleId: roleId });
  }
}

function azdEnvSet(values) {
  for (const [name, value] of Object.entries(values)) {
    if (process.env[name] === value) continue;
    try {
      run('azd', ['env', 'set', name, value]);
    } catch (err) {
      fail(`${err.message}\nset it yourself: azd env set ${name} ${value}`);
    }
    console.log(`azd env: ${name}=${value}`);
  }
}

function main() {
  if (process.env.ADMIN_SIGN_IN === 'false') {
    console.log('ADMIN_SIGN_IN=false: no Entra sign-in for the admin routes (ADMIN_AUTH=key; function keys only)');
    return;
  }
  const appName = process.env.AZURE_FUNCTION_APP_NAME;
  if (!appName) fail('AZURE_FUNCTION_APP_NAME is not set: run this through azd (azd hooks run postprovision)');
  const tenantId = process.env.ADMIN_APP_TENANT_ID || process.env.AZURE_TENANT_ID;
  if (!tenantId) fail('AZURE_TENANT_ID is not set: run this through azd (azd hooks run postprovision)');

  let account;
  try {
    account = az(['account', 'show']);
  } catch (err) {
    fail(
      `the Azure CLI is needed to set up sign-in (${err.message}): az login --tenant ${tenantId}, then azd hooks run postprovision; or azd env set ADMIN_SIGN_IN false to go without`,
    );
  }
  if (account.tenantId !== tenantId)
    fail(`az is signed in to tenant ${account.tenantId}, the app registration belongs in ${tenantId}: az login --tenant ${tenantId}`);
  graphRoot = (az(['cloud', 'show']).endpoints.microsoftGraphResourceId || 'https://graph.microsoft.com/').replace(/\/?$/, '/');

  const displayName = `leadscore-admin (${appName})`;
  const app = ensureApplication(displayName, process.env.ADMIN_APP_CLIENT_ID);
  const roleId = ensureApi(app);
  const sp = ensureServicePrincipal(app.appId, `"${app.displayName}"`);
  if (sp.appRoleAssignmentRequired !== true) {
    console.log('service principal: assignment required (only holders of the role get a token)');
    graph('PATCH', `servicePrincipals/${sp.id}`, { appRoleAssignmentRequired: true });
  }

  const principals = [];
  if (process.env.AZURE_PRINCIPAL_ID) principals.push({ id: process.env.AZURE_PRINCIPAL_ID, label: 'the principal running azd' });
  for (const id of (process.env.ADMIN_PRINCIPAL_IDS || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean))
    principals.push({ id, label: 'ADMIN_PRINCIPAL_IDS' });
  const monitor = ensureServicePrincipal(ACTION_GROUPS_APP_ID, "Azure Monitor's action groups (AzNS AAD Webhook)");
  principals.push({ id: monitor.id, label: "Azure Monitor's action groups (secure webhook)" });
  ensureAssignments(sp, roleId, principals);

  azdEnvSet({ ADMIN_APP_CLIENT_ID: app.appId, ADMIN_APP_OBJECT_ID: app.id, ADMIN_APP_TENANT_ID: tenantId });
  console.log(`sign-in: app registration "${app.displayName}" (client id ${app.appId}), app role ${ROLE}`);
  if (process.env.ADMIN_AUTH !== 'entra') {
    console.log('sign-in is not on in Azure yet: the next `azd provision` turns it on (README.md, Deploy to Azure: sign-in)');
  }
}

try {
  main();
} catch (err) {
  console.error(`entra post-provision failed: ${err && err.message ? err.message : err}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

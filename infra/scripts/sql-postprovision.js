#!/usr/bin/env node
/* global fetch */
'use strict';
// Post-provision step for Azure SQL, run by infra/scripts/postprovision.sh (azd hook) as the server's
// Entra admin, i.e. the principal running azd:
//   1. opens the server firewall to this machine's address if the server refuses it (and closes it
//      again at the end), since only Azure services are allowed in by main.bicep;
//   2. makes the app identity a database user with least privilege (grant-app-identity.sql);
//   3. applies the schema migrations (infra/sql/) with `leadscore migrate`.
// Inputs are azd's environment values (outputs of infra/main.bicep). Public Azure cloud only.

const { spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const sql = require('mssql');
const { DefaultAzureCredential } = require('@azure/identity');

const repo = path.resolve(__dirname, '..', '..');

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through azd (azd hooks run postprovision) or export it`);
  return value;
}

let env; // read in main(), so a missing value is reported like any other failure

function readEnv() {
  return {
    subscriptionId: required('AZURE_SUBSCRIPTION_ID'),
    resourceGroup: required('AZURE_RESOURCE_GROUP'),
    serverName: required('SQL_SERVER_NAME'),
    server: required('SQL_SERVER'),
    database: required('SQL_DATABASE'),
    appName: required('AZURE_APP_IDENTITY_NAME'),
    appClientId: required('AZURE_APP_IDENTITY_CLIENT_ID'),
  };
}

// postprovision.sh sets AZURE_TOKEN_CREDENTIALS=AzureDeveloperCliCredential: the azd login is the admin.
const credential = new DefaultAzureCredential();

function connect() {
  const pool = new sql.ConnectionPool({
    server: env.server,
    database: env.database,
    options: { encrypt: true },
    authentication: { type: 'token-credential', options: { credential } },
    connectionTimeout: 60000, // a paused serverless database takes up to a minute to resume
  });
  return pool.connect();
}

// Error 40615: "Cannot open server ... Client with IP address 'a.b.c.d' is not allowed to access the server."
function refusedAddress(err) {
  const text = `${err && err.message} ${err && err.originalError && err.originalError.message}`;
  const match = /IP address '([0-9a-fA-F.:]+)' is not allowed/.exec(text);
  return match ? match[1] : undefined;
}

async function arm(method, ruleName, body) {
  const token = await credential.getToken('https://management.azure.com/.default');
  const url =
    `https://management.azure.com/subscriptions/${env.subscriptionId}/resourceGroups/${env.resourceGroup}` +
    `/providers/Microsoft.Sql/servers/${env.serverName}/firewallRules/${ruleName}?api-version=2023-08-01`;
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok && res.status !== 404) throw new Error(`${method} firewall rule ${ruleName}: HTTP ${res.status} ${await res.text()}`);
}

async function connectThroughFirewall(state) {
  try {
    return await connect();
  } catch (err) {
    const ip = refusedAddress(err);
    if (!ip) throw err;
    state.rule = `azd-postprovision-${ip.replace(/[.:]/g, '-')}`;
    console.log(`SQL firewall refuses ${ip}; adding temporary rule ${state.rule}`);
    await arm('PUT', state.rule, { properties: { startIpAddress: ip, endIpAddress: ip } });
  }
  // A new rule takes effect within a few minutes at most.
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (err) {
      if (!refusedAddress(err) || attempt === 30) throw err;
      await sleep(10000);
    }
  }
}

function runMigrations() {
  if (process.env.SKIP_MIGRATIONS === 'true') {
    console.log('SKIP_MIGRATIONS=true: schema migrations not applied');
    return;
  }
  const cli = path.join(repo, 'bin', 'leadscore.js');
  const help = spawnSync(process.execPath, [cli, '--help'], { cwd: repo, encoding: 'utf8' });
  if (!/^\s+migrate\b/m.test(help.stdout)) {
    throw new Error(
      'this build of leadscore has no `migrate` command, so the schema cannot be applied; ' +
        'set SKIP_MIGRATIONS=true (azd env set SKIP_MIGRATIONS true) to provision without it',
    );
  }
  console.log('applying migrations with `leadscore migrate`');
  const run = spawnSync(process.execPath, [cli, 'migrate'], {
    cwd: repo,
    stdio: 'inherit',
    env: { ...process.env, WAREHOUSE_KIND: 'mssql', SQL_SERVER: env.server, SQL_DATABASE: env.database },
  });
  if (run.status !== 0) throw new Error(`leadscore migrate failed (exit ${run.status})`);
}

async function main() {
  env = readEnv();
  const state = { rule: undefined };
  try {
    const pool = await connectThroughFirewall(state);
    try {
      const batch = readFileSync(path.join(__dirname, 'grant-app-identity.sql'), 'utf8');
      const result = await pool
        .request()
        .input('app_name', sql.NVarChar(128), env.appName)
        .input('app_client_id', sql.UniqueIdentifier, env.appClientId)
        .query(batch); // query(), not batch(): only query() sends the parameters (sp_executesql)
      const user = result.recordset && result.recordset[0];
      console.log(`database user for the app identity: ${JSON.stringify(user)}`);
    } finally {
      await pool.close();
    }
    runMigrations();
  } finally {
    if (state.rule) {
      console.log(`removing temporary firewall rule ${state.rule}`);
      await arm('DELETE', state.rule);
    }
  }
}

main().catch((err) => {
  console.error(`sql post-provision failed: ${err && err.message ? err.message : err}`);
  process.exitCode = 1;
});

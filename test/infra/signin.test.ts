import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FUNCTIONS, loadRegistrations, triggerOf, type Loaded } from '../support/functions';

/**
 * Sign-in on the admin routes (issue 13, item 2), on the ARM JSON that the Bicep CLI compiles from
 * infra/ (the CLI scripts/check-infra.sh restores): App Service authentication requires an Entra
 * token everywhere except an allowlist of key-only paths; the allowlist opens every non-admin HTTP
 * route the app registers and no admin route, under the platform's matching (exact paths, a trailing
 * `*` for everything below, case-insensitive); ADMIN_AUTH follows; the retrain alert's webhook is a
 * secure (Entra) webhook whenever sign-in is on, and the parameters reach main.bicep from azd.
 */

const repo = path.resolve(__dirname, '..', '..');

type Json = Record<string, unknown>;
interface ArmResource {
  type: string;
  name: string;
  condition?: string;
  properties: Json;
}

let cli: string | undefined;
function bicep(): string {
  if (cli) return cli;
  const recorded = path.join(repo, '.tools', 'infra-check', 'bicep-path.txt');
  if (existsSync(recorded) && existsSync(readFileSync(recorded, 'utf8').trim())) return (cli = readFileSync(recorded, 'utf8').trim());
  // A fresh clone: scripts/check-infra.sh restores the Bicep CLI into .tools/ (linting the module on the way).
  const check = spawnSync('bash', [path.join(repo, 'scripts', 'check-infra.sh'), path.join(repo, 'infra', 'modules', 'functionapp.bicep')], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (check.status !== 0) throw new Error(`check-infra failed:\n${check.stdout}${check.stderr}`);
  cli = readFileSync(path.join(repo, '.tools', 'infra-check', 'bicep-path.txt'), 'utf8').trim();
  return cli;
}

function compile(bicepCli: string, file: string): { variables: Json; resources: ArmResource[]; parameters: Json; outputs: Json } {
  const run = spawnSync(bicepCli, ['build', path.join(repo, file), '--stdout'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`bicep build ${file} failed:\n${run.stderr}`);
  const arm = JSON.parse(run.stdout) as { variables?: Json; resources: ArmResource[] | Record<string, ArmResource>; parameters?: Json; outputs?: Json };
  const resources = Array.isArray(arm.resources) ? arm.resources : Object.values(arm.resources);
  return { variables: arm.variables ?? {}, resources, parameters: arm.parameters ?? {}, outputs: arm.outputs ?? {} };
}

/** App Service authentication's excludedPaths matching: the path itself, or `prefix/*` for anything below prefix. */
function excluded(paths: string[], requestPath: string): boolean {
  const p = requestPath.toLowerCase();
  return paths.some((entry) => {
    const e = entry.toLowerCase();
    return e.endsWith('/*') ? p.startsWith(e.slice(0, -1)) : p === e;
  });
}

/** A request path for a route template: /api/<route> with sample values for its parameters. */
const requestPath = (route: string): string =>
  `/api/${route
    .replace(/\{version\}/g, '7')
    .replace(/\{id\}/g, '0f8fad5b-d9cb-469f-a165-70867728950e')
    .replace(/\{[^}]+\}/g, 'x')}`;

describe('sign-in on the admin routes (infra/modules/functionapp.bicep, authsettingsV2)', () => {
  let app: ReturnType<typeof compile>;
  let auth: ArmResource;
  let openPaths: string[];
  let loaded: Loaded;

  beforeAll(() => {
    app = compile(bicep(), 'infra/modules/functionapp.bicep');
    const found = app.resources.filter((r) => r.type === 'Microsoft.Web/sites/config' && r.name.includes("'authsettingsV2'"));
    expect(found).toHaveLength(1);
    auth = found[0]!;
    const validation = auth.properties.globalValidation as { excludedPaths: string | string[] };
    expect(validation.excludedPaths).toBe("[variables('keyOnlyPaths')]");
    openPaths = app.variables.keyOnlyPaths as string[];
    loaded = loadRegistrations();
  }, 300_000);

  test('exists exactly when an app registration is given, and then requires an Entra token (401 otherwise)', () => {
    expect(auth.condition).toBe("[variables('signIn')]");
    expect(app.variables.signIn).toBe("[not(empty(parameters('adminAppClientId')))]");
    expect(auth.properties.platform).toEqual({ enabled: true });
    expect(auth.properties.globalValidation).toMatchObject({ requireAuthentication: true, unauthenticatedClientAction: 'Return401' });
    const aad = (auth.properties.identityProviders as { azureActiveDirectory: Json }).azureActiveDirectory;
    expect(aad).toMatchObject({
      enabled: true,
      registration: {
        clientId: "[parameters('adminAppClientId')]",
        openIdIssuer: "[format('{0}{1}/v2.0', environment().authentication.loginEndpoint, parameters('adminAppTenantId'))]",
      },
      validation: { allowedAudiences: ["[parameters('adminAppClientId')]", "[format('api://{0}', parameters('adminAppClientId'))]"] },
    });
    // Token validation only: no client secret anywhere in the configuration.
    expect(JSON.stringify(auth.properties)).not.toMatch(/secret/i);
  });

  test('every HTTP function is in the table, admin or not', () => {
    const http = loaded.registrations.filter((r) => triggerOf(r).type === 'httpTrigger').map((r) => r.name);
    expect(http.sort()).toEqual(
      Object.entries(FUNCTIONS)
        .filter(([, f]) => f.trigger === 'httpTrigger')
        .map(([n]) => n)
        .sort(),
    );
    for (const name of http) expect(typeof FUNCTIONS[name]!.admin).toBe('boolean');
  });

  test.each(Object.entries(FUNCTIONS).filter(([, f]) => f.trigger === 'httpTrigger'))('%s: signed in if and only if it is an admin route', (name, want) => {
    const route = triggerOf(loaded.registrations.find((r) => r.name === name)!).route as string;
    expect(route).toBe(want.route);
    const p = requestPath(route);
    expect(excluded(openPaths, p)).toBe(!want.admin);
    // Matching ignores case; so must the allowlist not open an admin route written in capitals.
    expect(excluded(openPaths, p.toUpperCase())).toBe(!want.admin);
  });

  test('a route added later is signed in unless it is added to the list (e.g. the planned challenger route)', () => {
    expect(excluded(openPaths, '/api/weights/7/challenger')).toBe(false);
    expect(excluded(openPaths, '/api/weights/7')).toBe(false);
    expect(excluded(openPaths, '/api/anything')).toBe(false);
  });

  test("the platform's own key-protected endpoints stay reachable: Event Grid's blob webhook and the host admin API", () => {
    expect(excluded(openPaths, '/runtime/webhooks/blobs')).toBe(true);
    expect(excluded(openPaths, '/admin/functions/checkDrift')).toBe(true);
    // No entry is a bare wildcard or opens all of /api.
    expect(openPaths.filter((e) => e === '/*' || e.toLowerCase().startsWith('/api/*'))).toEqual([]);
  });

  test('ADMIN_AUTH is entra with sign-in and key without', () => {
    const site = app.resources.find((r) => r.type === 'Microsoft.Web/sites')!;
    const settings = ((site.properties.siteConfig as Json).appSettings as { name: string; value: string }[]).filter((s) => s.name === 'ADMIN_AUTH');
    expect(settings).toEqual([{ name: 'ADMIN_AUTH', value: "[if(variables('signIn'), 'entra', 'key')]" }]);
    expect(app.outputs.adminAuth).toMatchObject({ type: 'string', value: "[if(variables('signIn'), 'entra', 'key')]" });
  });

  test('the retrain webhook is an Entra (secure) webhook for the same registration once sign-in is on', () => {
    const alerts = compile(bicep(), 'infra/modules/alerts.bicep');
    expect(alerts.variables.secureWebhook).toBe("[and(not(empty(parameters('adminAppClientId'))), not(empty(parameters('adminAppObjectId'))))]");
    expect(alerts.variables.entraAuth).toBe(
      "[if(variables('secureWebhook'), createObject('useAadAuth', true(), 'objectId', parameters('adminAppObjectId'), 'identifierUri', format('api://{0}', parameters('adminAppClientId')), 'tenantId', parameters('adminAppTenantId')), createObject('useAadAuth', false()))]",
    );
    const group = alerts.resources.find((r) => r.type === 'Microsoft.Insights/actionGroups' && r.name.includes('-retrain'))!;
    const receivers = group.properties.webhookReceivers as string[];
    expect(receivers).toHaveLength(1);
    expect(receivers[0]).toMatch(
      /^\[union\(createObject\('name', 'retrain', 'serviceUri', .*'useCommonAlertSchema', true\(\)\), variables\('entraAuth'\)\)\]$/,
    );
  }, 120_000);

  test('main.bicep passes the registration from the azd environment to both modules', () => {
    const params = (JSON.parse(readFileSync(path.join(repo, 'infra', 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: string }> })
      .parameters;
    expect(params.adminAppClientId).toEqual({ value: '${ADMIN_APP_CLIENT_ID=}' });
    expect(params.adminAppObjectId).toEqual({ value: '${ADMIN_APP_OBJECT_ID=}' });
    expect(params.adminAppTenantId).toEqual({ value: '${ADMIN_APP_TENANT_ID=}' });
    const main = readFileSync(path.join(repo, 'infra', 'main.bicep'), 'utf8');
    expect(main).toMatch(/module functionApp [^]*?adminAppClientId: adminAppClientId\n\s+adminAppTenantId: adminTenantId/);
    expect(main).toMatch(/module alerts [^]*?adminAppClientId: adminAppClientId\n\s+adminAppObjectId: adminAppObjectId\n\s+adminAppTenantId: adminTenantId/);
    expect(main).toContain('output ADMIN_AUTH string = functionApp.outputs.adminAuth');
  });
});

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { FEATURES } from '../domain/features/schema';
import type { Lake } from '../ports/lake';
import type { Telemetry } from '../ports/telemetry';
import { type Warehouse, WarehouseNotFoundError, WEIGHT_COLUMNS } from '../ports/warehouse';
import { MSSQL_STATEMENTS } from '../adapters/warehouse/mssql-statements';
import { scoreOne } from '../domain/serving';
import type { ActiveModelCache } from '../app/activeModel';
import { deployVersion, rollback, type ChangeResult, type VersionDeps } from '../app/versions';
import { requireAdmin, type AdminDeps } from './auth';
import { BODIES, readJson } from './body';
import { BadRequestError, toProblem } from './problem';
import { deployBody, rollbackBody, scoreBody, versionNumber } from './schemas';

/** What every HTTP handler needs; built once per process by shared/scoring/runtime.ts, injected in tests. */
export interface ApiDeps {
  lake: Lake;
  warehouse: Warehouse;
  cache: ActiveModelCache;
  telemetry?: Telemetry;
  /** Contacts per part of the lake export rewritten after a deploy or rollback. */
  exportChunkRows?: number;
}

export type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

function json(status: number, body: unknown): HttpResponseInit {
  return { status, jsonBody: body };
}

function handle<D>(getDeps: () => Promise<D>, fn: (deps: D, request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>): Handler {
  return async (request, context) => {
    try {
      return await fn(await getDeps(), request, context);
    } catch (err) {
      return toProblem(err, (m) => context.error(m));
    }
  };
}

export function listWeightsHandler(getDeps: () => Promise<ApiDeps>): Handler {
  return handle(getDeps, async ({ warehouse }) => {
    const [versions, active, deployments] = await Promise.all([warehouse.listVersions(), warehouse.getActiveWeights(), warehouse.listDeployments(50)]);
    return json(200, { active_version: active?.version ?? null, versions, deployments });
  });
}

export function activeWeightsHandler(getDeps: () => Promise<ApiDeps>): Handler {
  return handle(getDeps, async ({ warehouse }) => {
    const active = await warehouse.getActiveWeights();
    if (!active) throw new WarehouseNotFoundError('no model version is active');
    return json(200, {
      model_version: active.version,
      weights: Object.fromEntries(FEATURES.map((f, i) => [f, active.weights[i]])),
      columns: Object.fromEntries(FEATURES.map((f, i) => [WEIGHT_COLUMNS[f], active.weights[i]])),
      offset: active.offset,
      sql: MSSQL_STATEMENTS.seedScoringSelectByContact,
    });
  });
}

function changeBody(r: ChangeResult): unknown {
  return { deployment: r.deployment, export: r.export, export_error: r.exportError };
}

function versionDeps(deps: ApiDeps, context: InvocationContext): VersionDeps {
  return { lake: deps.lake, warehouse: deps.warehouse, telemetry: deps.telemetry, log: (m) => context.log(m), ...(deps.exportChunkRows ? { exportChunkRows: deps.exportChunkRows } : {}) };
}

/** The admin handlers also need ADMIN_AUTH (runtimeDeps passes the process's config). */
export type AdminApiDeps = ApiDeps & AdminDeps;

export function deployHandler(getDeps: () => Promise<AdminApiDeps>): Handler {
  return handle(getDeps, async (deps, request, context) => {
    const admin = requireAdmin(request, deps.config.ADMIN_AUTH);
    const parsedVersion = versionNumber.safeParse(request.params.version);
    if (!parsedVersion.success) throw new BadRequestError('version', parsedVersion.error.issues[0]?.message ?? 'invalid');
    const body = deployBody.parse(await readJson(request, BODIES.deploy));
    const result = await deployVersion(versionDeps(deps, context), parsedVersion.data, {
      by: admin.actor,
      reason: body.reason ?? null,
      force: body.force === true,
    });
    deps.cache.invalidate();
    return json(200, changeBody(result));
  });
}

export function rollbackHandler(getDeps: () => Promise<AdminApiDeps>): Handler {
  return handle(getDeps, async (deps, request, context) => {
    const admin = requireAdmin(request, deps.config.ADMIN_AUTH);
    const body = rollbackBody.parse(await readJson(request, BODIES.rollback));
    const result = await rollback(versionDeps(deps, context), {
      by: admin.actor,
      reason: body.reason ?? null,
      force: body.force === true,
      ...(body.toVersion !== undefined ? { toVersion: body.toVersion } : {}),
    });
    deps.cache.invalidate();
    return json(200, changeBody(result));
  });
}

export function scoreContactHandler(getDeps: () => Promise<ApiDeps>): Handler {
  return handle(getDeps, async (deps, request) => {
    const body = scoreBody.parse(await readJson(request, BODIES.score));
    const model = await deps.cache.get();
    const s = scoreOne(
      model,
      FEATURES.map((f) => body.features[f]),
    );
    return json(200, { contact_id: body.contact_id ?? null, ...s });
  });
}

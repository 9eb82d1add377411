import type { ChangeResult } from '../app/versions';
import { FEATURES } from '../domain/features/schema';
import { SCORING_SQL } from '../domain/scoringSql';
import { scoreOne } from '../domain/serving';
import { WarehouseNotFoundError, WEIGHT_COLUMNS } from '../ports/warehouse';
import { requireAdmin } from './auth';
import { BODIES, readJson } from './body';
import { handle, json, type GetApp, type Handler } from './handler';
import { BadRequestError } from './problem';
import { challengerBody, deployBody, rollbackBody, scoreBody, versionNumber } from './schemas';
import { challengerStart } from '../app/challenger';
import { todayUtc } from '../domain/calendar';

/** The weights endpoints: the versions, the active weights, deploy, rollback, and a contact's score. */

/** GET /api/weights */
export function listWeightsHandler(getApp: GetApp): Handler {
  return handle(getApp, async ({ warehouse }) => {
    const [versions, active, deployments] = await Promise.all([warehouse.listVersions(), warehouse.getActiveWeights(), warehouse.listDeployments(50)]);
    return json(200, { active_version: active?.version ?? null, versions, deployments });
  });
}

/** GET /api/weights/active */
export function activeWeightsHandler(getApp: GetApp): Handler {
  return handle(getApp, async ({ warehouse }) => {
    const active = await warehouse.getActiveWeights();
    if (!active) throw new WarehouseNotFoundError('no model version is active');
    return json(200, {
      model_version: active.version,
      weights: Object.fromEntries(FEATURES.map((f, i) => [f, active.weights[i]])),
      columns: Object.fromEntries(FEATURES.map((f, i) => [WEIGHT_COLUMNS[f], active.weights[i]])),
      offset: active.offset,
      sql: SCORING_SQL.byContact,
    });
  });
}

function changeBody(r: ChangeResult): unknown {
  return { deployment: r.deployment, export: r.export, export_error: r.exportError };
}

/** POST /api/weights/{version}/deploy (admin) */
export function deployHandler(getApp: GetApp): Handler {
  return handle(getApp, async (app, request) => {
    const admin = requireAdmin(request, app.config.ADMIN_AUTH);
    const parsedVersion = versionNumber.safeParse(request.params.version);
    if (!parsedVersion.success) throw new BadRequestError('version', parsedVersion.error.issues[0]?.message ?? 'invalid');
    const body = deployBody.parse(await readJson(request, BODIES.deploy));
    const result = await app.useCases.deploy(parsedVersion.data, { by: admin.actor, reason: body.reason ?? null, force: body.force === true });
    return json(200, changeBody(result));
  });
}

/** POST /api/weights/{version}/challenger (admin): the staged version becomes the challenger. */
export function challengerHandler(getApp: GetApp): Handler {
  return handle(getApp, async (app, request) => {
    const admin = requireAdmin(request, app.config.ADMIN_AUTH);
    const parsedVersion = versionNumber.safeParse(request.params.version);
    if (!parsedVersion.success) throw new BadRequestError('version', parsedVersion.error.issues[0]?.message ?? 'invalid');
    const body = challengerBody.parse(await readJson(request, BODIES.challenger));
    const from = body.from ?? challengerStart(todayUtc());
    const out = await app.useCases.setChallenger(parsedVersion.data, { from, by: admin.actor });
    app.activeModel.invalidate();
    return json(200, { challenger: parsedVersion.data, from, previous: out.previous });
  });
}

/** POST /api/weights/challenger/clear (admin): the challenger ends (the version stays staged). */
export function clearChallengerHandler(getApp: GetApp): Handler {
  return handle(getApp, async (app, request) => {
    const admin = requireAdmin(request, app.config.ADMIN_AUTH);
    const was = await app.useCases.clearChallenger(admin.actor);
    app.activeModel.invalidate();
    return json(200, { cleared: was });
  });
}

/** POST /api/weights/rollback (admin) */
export function rollbackHandler(getApp: GetApp): Handler {
  return handle(getApp, async (app, request) => {
    const admin = requireAdmin(request, app.config.ADMIN_AUTH);
    const body = rollbackBody.parse(await readJson(request, BODIES.rollback));
    const result = await app.useCases.rollback({
      by: admin.actor,
      reason: body.reason ?? null,
      force: body.force === true,
      ...(body.toVersion !== undefined ? { toVersion: body.toVersion } : {}),
    });
    return json(200, changeBody(result));
  });
}

/** POST /api/score: one contact's features, scored by the active version (cached, see ActiveModelCache). */
export function scoreContactHandler(getApp: GetApp): Handler {
  return handle(getApp, async (app, request) => {
    const body = scoreBody.parse(await readJson(request, BODIES.score));
    const [model, challenger] = await Promise.all([app.activeModel.get(), app.activeModel.challenger()]);
    const x = FEATURES.map((f) => body.features[f]);
    // The challenger's result beside the champion's, when one is set: the same computation, its weights.
    return json(200, { contact_id: body.contact_id ?? null, ...scoreOne(model, x), challenger: challenger ? scoreOne(challenger, x) : null });
  });
}

import { FEATURES } from '../../domain/features/schema';
import {
  type AbScoreRow,
  type AbTest,
  type ActivateRequest,
  type Deployment,
  type LeadScoreRow,
  type ModelVersion,
  type NewVersion,
  type ServedPopulation,
  type ServingModel,
  type VersionMetrics,
  type VersionStatus,
  type VersionWeights,
  WarehouseConflictError,
  WarehouseNotFoundError,
  WEIGHT_COLUMNS,
} from '../../ports/warehouse';

/**
 * Rows as both engines return them, read into the port's types once. Times come back as Date from
 * mssql and as ISO text from SQLite; `iso` and `day` take either.
 */
export type Row = Record<string, unknown>;

export function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.toISOString() : text(v);
}

/** A column value as text: strings as they are, numbers in their shortest form, anything else as JSON. */
export function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? String(v);
}

export function day(v: unknown): string | null {
  const s = iso(v);
  return s === null ? null : s.slice(0, 10);
}

export function versionFromRow(r: Row): ModelVersion {
  return {
    version: Number(r.model_version),
    status: String(r.status) as VersionStatus,
    trigger: String(r.trigger),
    artifactPath: String(r.artifact_path),
    metrics: JSON.parse(String(r.metrics)) as VersionMetrics,
    windowStart: day(r.window_start),
    windowEnd: day(r.window_end),
    createdAt: iso(r.created_at) ?? '',
    activatedAt: iso(r.activated_at),
    activatedBy: (r.activated_by as string | null) ?? null,
    complete: r.complete === undefined || r.complete === null ? true : Boolean(Number(r.complete)),
  };
}

/** A row of the active_scoring_weights view (one w_* column per feature). */
export function activeWeightsFromRow(r: Row): VersionWeights {
  return { version: Number(r.model_version), weights: FEATURES.map((f) => Number(r[WEIGHT_COLUMNS[f]])), offset: Number(r.offset) };
}

/** A row of the active_model view; throws when the version has no training means (see versionsWithoutMeans). */
export function servingModelFromRow(r: Row): ServingModel {
  const version = Number(r.model_version);
  const trainingMean = FEATURES.map((f) => r[WEIGHT_COLUMNS[f].replace(/^w_/, 'm_')]);
  if (trainingMean.some((m) => m === null || m === undefined)) {
    throw new Error(
      `active version ${version} has no training means in version_feature_means: run \`leadscore migrate\` to copy them from models/v${version}/model.json`,
    );
  }
  const grades = [r.grade_a_min, r.grade_b_min, r.grade_c_min];
  return {
    version,
    weights: FEATURES.map((f) => Number(r[WEIGHT_COLUMNS[f]])),
    offset: Number(r.offset),
    trainingMean: trainingMean.map(Number),
    gradeMin: grades.some((g) => g === null || g === undefined) ? null : grades.map(Number),
  };
}

/** grade_a_min, grade_b_min, grade_c_min of a new version: its thresholds, or NULL for none. */
export function gradeColumns(v: NewVersion): [number | null, number | null, number | null] {
  const g = v.gradeMin ?? null;
  if (g === null) return [null, null, null];
  if (g.length !== 3 || !g.every(Number.isFinite)) throw new Error(`version ${v.version}: grade thresholds must be 3 finite numbers, got ${JSON.stringify(g)}`);
  return [g[0]!, g[1]!, g[2]!];
}

export function populationFromRow(r: Row): ServedPopulation {
  return {
    asOf: day(r.as_of) ?? '',
    contentHash: String(r.content_hash),
    path: String(r.partition_path),
    contacts: Number(r.contacts),
    loadedAt: iso(r.loaded_at) ?? '',
  };
}

export function deploymentFromRow(r: Row): Deployment {
  return {
    id: Number(r.id),
    action: r.action as Deployment['action'],
    fromVersion: r.from_version === null ? null : Number(r.from_version),
    toVersion: Number(r.to_version),
    by: String(r.changed_by),
    reason: (r.reason as string | null) ?? null,
    at: iso(r.changed_at) ?? '',
  };
}

export function leadScoreFromRow(r: Row): LeadScoreRow {
  return {
    contactId: String(r.contact_id),
    modelVersion: Number(r.model_version),
    leadScore: Number(r.lead_score),
    probability: Number(r.probability),
    score100: Number(r.score_100),
    band: String(r.band),
    topFactors: String(r.top_factors),
    asOf: day(r.as_of) ?? '',
    scoredAt: iso(r.scored_at) ?? '',
    grade: r.grade === null || r.grade === undefined ? null : text(r.grade),
  };
}

/**
 * What a deploy or rollback checks inside its transaction, in either engine: the active version is
 * still the one the caller saw, and the target exists and may be activated.
 */
export function checkActivation(
  req: ActivateRequest,
  current: number | null,
  targetStatus: string | undefined,
  targetMeans: number,
  targetComplete = true,
): void {
  if (current !== req.expectedActive) {
    throw new WarehouseConflictError(
      `the active version changed while this ${req.action} ran (expected ${req.expectedActive ?? 'none'}, found ${current ?? 'none'}); nothing was changed, retry`,
    );
  }
  if (targetStatus === undefined) throw new WarehouseNotFoundError(`model version ${req.toVersion} does not exist`);
  if (targetStatus === 'active') throw new WarehouseConflictError(`model version ${req.toVersion} is already active`);
  if (targetStatus === 'rejected') throw new WarehouseConflictError(`model version ${req.toVersion} was rejected by the gates and cannot be activated`);
  if (!targetComplete && !req.force) {
    throw new WarehouseConflictError(
      `model version ${req.toVersion} is incomplete: the run that registered it stopped before it finished; check models/v${req.toVersion}/ and activate it with --force (HTTP: "force": true) if it is sound`,
    );
  }
  if (targetMeans !== FEATURES.length) {
    throw new WarehouseConflictError(
      `model version ${req.toVersion} has no training means in SQL (registered before migration 002): run \`leadscore migrate\` first`,
    );
  }
}

/** Refuses a version that cannot be the challenger, before the database's CHECK would, with a message that says why. */
export function checkChallenger(version: number, target: Row | undefined): void {
  if (!target) throw new WarehouseNotFoundError(`model version ${version} does not exist`);
  if (String(target.status) !== 'staged' || !Number(target.complete)) {
    throw new WarehouseConflictError(
      `v${version} cannot be the challenger: it is ${Number(target.complete) ? String(target.status) : 'incomplete'}; only a complete, staged version can`,
    );
  }
}

export function abTestFromRow(r: Row): AbTest {
  const running = Boolean(Number(r.is_running));
  return {
    id: Number(r.ab_test_id),
    salt: String(r.salt),
    treatmentPercent: Number(r.treatment_buckets) / 100,
    champion: Number(r.champion_version),
    challenger: Number(r.challenger_version),
    from: day(r.from_date) ?? '',
    startedAt: iso(r.started_at) ?? '',
    startedBy: String(r.started_by),
    running,
    stoppedAt: iso(r.stopped_at),
    stoppedBy: r.stopped_by === null || r.stopped_by === undefined ? null : text(r.stopped_by),
    stopReason: r.stop_reason === null || r.stop_reason === undefined ? null : text(r.stop_reason),
    arms: { control: Number(r.arms_control ?? 0), treatment: Number(r.arms_treatment ?? 0) },
  };
}

export function abScoreFromRow(r: Row): AbScoreRow {
  const arm = r.arm === null || r.arm === undefined ? null : text(r.arm);
  return {
    ...leadScoreFromRow(r),
    abTestId: r.ab_test_id === null || r.ab_test_id === undefined ? null : Number(r.ab_test_id),
    arm: arm === 'control' || arm === 'treatment' ? arm : null,
  };
}

import { FEATURES, type FeatureName } from '../features/schema';

/**
 * The warehouse: where production scoring happens (ARCHITECTURE.md section 7). Azure SQL in
 * production, an embedded SQLite file locally. Every state change of the version lifecycle is one
 * database transaction, and the database itself enforces "at most one active version".
 */

export type VersionStatus = 'staged' | 'active' | 'retired' | 'rejected';

/** Validation metrics a version is listed with; the full set lives in models/v{N}/metrics.json. */
export interface VersionMetrics {
  auc: number | null;
  pr_auc: number | null;
  brier: number | null;
  [name: string]: unknown;
}

export interface ModelVersion {
  version: number;
  status: VersionStatus;
  /** What started the training run: schedule, drift, performance, manual. */
  trigger: string;
  /** Lake folder of the artifacts, e.g. models/v3/. */
  artifactPath: string;
  metrics: VersionMetrics;
  /** Training window of labelled send dates, inclusive (YYYY-MM-DD). */
  windowStart: string | null;
  windowEnd: string | null;
  createdAt: string;
  activatedAt: string | null;
  activatedBy: string | null;
}

/** A version's weights in canonical feature order (FEATURES) plus the offset. */
export interface VersionWeights {
  version: number;
  weights: number[];
  offset: number;
}

export type DeploymentAction = 'deploy' | 'rollback';

export interface Deployment {
  id: number;
  action: DeploymentAction;
  fromVersion: number | null;
  toVersion: number;
  by: string;
  reason: string | null;
  at: string;
}

export interface NewVersion {
  version: number;
  status: 'staged' | 'rejected';
  trigger: string;
  artifactPath: string;
  metrics: VersionMetrics;
  windowStart: string | null;
  windowEnd: string | null;
  weights: number[];
  offset: number;
}

export interface ActivateRequest {
  action: DeploymentAction;
  toVersion: number;
  /** The active version the caller saw; a different one at commit time is a conflict (serialization). */
  expectedActive: number | null;
  by: string;
  reason: string | null;
}

/**
 * A block of scored rows, column-wise so a million rows cost no per-row objects.
 * `x` holds N_FEATURES values per row in canonical order.
 */
export interface ScoredChunk {
  n: number;
  contactId: string[];
  asOf: string[];
  x: Float64Array;
  leadScore: Float64Array;
  probability: Float64Array;
  score100: Uint8Array;
  band: string[];
  /** Row i's top_factors column (made on demand: a chunk holds no per-row JSON strings). */
  topFactors(i: number): string;
  modelVersion: number;
  scoredAt: string;
}

/** All rows of one partition are written in one transaction: all or nothing. */
export interface ScoreWriter {
  write(chunk: ScoredChunk): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface LeadScoreRow {
  contactId: string;
  modelVersion: number;
  leadScore: number;
  probability: number;
  score100: number;
  band: string;
  topFactors: string;
  asOf: string;
  scoredAt: string;
}

export interface Warehouse {
  readonly engine: 'mssql' | 'sqlite';
  /** Applies pending schema migrations; returns the ids applied now (empty when up to date). */
  migrate(): Promise<string[]>;

  /** The number the next registered version gets (max + 1, starting at 1). */
  nextVersion(): Promise<number>;
  /** Inserts model_versions + its scoring_weights rows, inactive, in one transaction. */
  insertVersion(v: NewVersion): Promise<void>;
  /** Undoes insertVersion for a version never activated (staged or rejected); refuses any other. */
  deleteVersion(version: number): Promise<void>;
  getVersion(version: number): Promise<ModelVersion | undefined>;
  listVersions(): Promise<ModelVersion[]>;
  getWeights(version: number): Promise<VersionWeights | undefined>;
  /** Read through the pivot view, i.e. exactly what the production SELECT uses. */
  getActiveWeights(): Promise<VersionWeights | undefined>;
  /**
   * Makes `toVersion` the only active version and logs it, in one transaction. Throws
   * WarehouseConflictError when the active version is no longer `expectedActive`, or when the
   * target cannot be activated; WarehouseNotFoundError for an unknown version.
   */
  activate(req: ActivateRequest): Promise<Deployment>;
  listDeployments(limit: number): Promise<Deployment[]>;

  /** Upserts contact_features and lead_scores; only rows with as_of >= the stored as_of win. */
  openScoreWriter(): Promise<ScoreWriter>;
  getLeadScore(contactId: string): Promise<LeadScoreRow | undefined>;
  countLeadScores(): Promise<number>;
  /** The seed's scoring SELECT, as written, over contact_features and the pivot view. */
  runSeedScoringSelect(): Promise<{ contactId: string; leadScore: number }[]>;

  close(): Promise<void>;
}

export class WarehouseConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WarehouseConflictError';
  }
}

export class WarehouseNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WarehouseNotFoundError';
  }
}

/** Column names of the pivot view, in canonical feature order (the seed's SELECT uses them). */
export const WEIGHT_COLUMNS: Readonly<Record<FeatureName, string>> = {
  recency_days: 'w_recency',
  fatigue_score: 'w_fatigue',
  sentiment_score: 'w_sentiment',
  engagement_rate_30d: 'w_engagement',
  reply_rate_90d: 'w_reply',
  opt_out_risk: 'w_optout',
  mms_affinity: 'w_mms',
};

/** Rows of a version's weights in canonical order; throws naming the missing feature. */
export function weightsFromRows(version: number, rows: { feature: string; weight: number; offset: number }[]): VersionWeights {
  if (rows.length === 0) throw new WarehouseNotFoundError(`model version ${version} has no scoring_weights rows`);
  const byName = new Map(rows.map((r) => [r.feature, r]));
  const weights = FEATURES.map((f) => {
    const r = byName.get(f);
    if (!r) throw new Error(`scoring_weights for version ${version} lacks feature ${f}`);
    return r.weight;
  });
  return { version, weights, offset: rows[0]!.offset };
}

import { FEATURES, type FeatureName } from '../domain/features/schema';
import type { FeatureRows } from '../domain/features/rows';
import type { ServingModel } from '../domain/serving';

/**
 * The warehouse: where production scoring happens. Azure SQL in production, an embedded SQLite file
 * locally. lead_scores is a view: every served score is computed by SQL from contact_features and the
 * active version when it is read. Every change of what is served (a deploy, a rollback, a population
 * load) is one transaction, and the database itself enforces "at most one active version".
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
  /** False while the step that registered it has not finished (a retrain killed midway leaves it so). */
  complete: boolean;
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
  /** The training mean of each feature, canonical order (stored with the version for top factors). */
  trainingMean: number[];
  /** Registered as complete (the default) or not yet (a retrain completes it when it finishes). */
  complete?: boolean;
  /** [min_A, min_B, min_C]: the least lead_score of grades A, B and C; absent or null = no grades. */
  gradeMin?: readonly number[] | null;
}

export interface ActivateRequest {
  action: DeploymentAction;
  toVersion: number;
  /** The active version the caller saw; a different one at commit time is a conflict (serialization). */
  expectedActive: number | null;
  by: string;
  reason: string | null;
  /** Activate an incomplete version all the same (an operator who checked it). */
  force?: boolean;
}

export type { ServingModel };

/** The features partition whose rows contact_features holds. */
export interface ServedPopulation {
  /** The partition's date (YYYY-MM-DD). */
  asOf: string;
  /** partitionHash of its data files. */
  contentHash: string;
  /** Its folder in the lake, processed/features/yyyy/mm/dd. */
  path: string;
  contacts: number;
  loadedAt: string;
}

/** What lead_scores serves right now: which population, scored by which version. */
export interface ServedState {
  population: ServedPopulation | null;
  activeVersion: number | null;
}

export type { FeatureRows };

export interface ServedVisitor {
  snapshot(s: { state: ServedState; model: ServingModel | null }): Promise<boolean>;
  rows(rows: FeatureRows): Promise<void>;
}

/** The population a load wants to serve (its content hash is known at commit, from the bytes loaded). */
export interface PopulationTarget {
  asOf: string;
  path: string;
}

/**
 * One population load, in one transaction that holds the serving lock from its start: the served
 * state it began from cannot change under it (no deploy, rollback or other load commits meanwhile).
 * commit() replaces contact_features with the rows written and records the served population;
 * rollback() leaves everything as it was.
 */
export interface PopulationLoad {
  readonly before: ServedState;
  /** The active version when the load began (null when none): what the export beside the load uses. */
  readonly model: ServingModel | null;
  /** Resolves once the rows are taken in (their memory may then be reused); commit waits for every write. */
  write(rows: FeatureRows): Promise<void>;
  commit(contentHash: string): Promise<ServedPopulation>;
  rollback(): Promise<void>;
  /** After the commit: the caller's follow-up is done, the adapter's storage upkeep may run now. */
  release?(): void;
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
  /** A–D, or null when the active version has no grade thresholds (registered before migration 004). */
  grade: string | null;
}

export interface Warehouse {
  readonly engine: 'mssql' | 'sqlite';
  /** Where it is, for messages: the database file, or server/database. */
  readonly location: string;
  /** Applies pending schema migrations; returns the ids applied now (empty when up to date). */
  migrate(): Promise<string[]>;

  /** The number the next registered version gets (max + 1, starting at 1). */
  nextVersion(): Promise<number>;
  /** Inserts model_versions + its scoring_weights rows, inactive, in one transaction. */
  insertVersion(v: NewVersion): Promise<void>;
  /** Marks a version complete: the step that registered it has finished. */
  completeVersion(version: number): Promise<void>;
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

  /** The active version with its training means, read through active_model; undefined when none is active. */
  activeModel(): Promise<ServingModel | undefined>;
  /** The active version's number (one indexed row): the stamp the real-time path checks. */
  activeVersion(): Promise<number | null>;
  /** Versions that have no training means in SQL yet (registered before migration 002). */
  versionsWithoutMeans(): Promise<number[]>;
  putTrainingMeans(version: number, trainingMean: number[]): Promise<void>;

  servedState(): Promise<ServedState>;
  /** Begins a population load (see PopulationLoad); the caller decides from `before` whether to go on. */
  openPopulationLoad(target: PopulationTarget): Promise<PopulationLoad>;
  /**
   * Reads the served state, the active model and the population in one consistent snapshot (for
   * rewriting the lake export after a version change): `snapshot` first (false stops there), then the
   * contacts `chunkRows` at a time in contact_id order.
   */
  readServed(chunkRows: number, visit: ServedVisitor): Promise<void>;
  /** Runs fn holding the serving lock: no load, deploy or rollback commits while it runs. */
  withServingLock<T>(fn: (state: ServedState) => Promise<T>): Promise<T>;

  getLeadScore(contactId: string): Promise<LeadScoreRow | undefined>;
  countLeadScores(): Promise<number>;
  /** The ranked campaign query: the `limit` best-scored contacts, best first. */
  topLeadScores(limit: number): Promise<LeadScoreRow[]>;
  /** The seed's scoring SELECT, as written, over contact_features and the pivot view. */
  runSeedScoringSelect(): Promise<{ contactId: string; leadScore: number }[]>;

  /**
   * Makes a complete, staged version the one challenger (replacing any other), in one transaction;
   * the database holds at most one. WarehouseNotFoundError for an unknown version,
   * WarehouseConflictError for one that cannot be the challenger (active, rejected, retired, incomplete).
   */
  setChallenger(req: ChallengerRequest): Promise<{ previous: number | null }>;
  /** Ends the challenger; returns the version that was it, or null when there was none. */
  clearChallenger(by?: string): Promise<number | null>;
  /** The challenger as challenger_scores uses it (read through challenger_model), or undefined. */
  challenger(): Promise<ChallengerModel | undefined>;
  /** challenger_scores' row of a contact: the challenger's score, for the same population. */
  getChallengerScore(contactId: string): Promise<LeadScoreRow | undefined>;

  /**
   * Starts the one A/B test (migration 006): every served contact gets its bucket under the salt,
   * computed by domain/abSplit.ts and stored, in one transaction that holds the serving lock; every
   * later population load stores the buckets of its new contacts before it commits. Needs an active
   * version and a challenger; WarehouseConflictError when a test is running or either is missing.
   * A deploy, a rollback or a change of the challenger stops the running test in its own transaction.
   */
  startAbTest(req: AbTestRequest): Promise<AbTest>;
  /** Stops the running test (its arms are dropped: the salt recomputes them); null when none runs. */
  stopAbTest(by: string, reason: string): Promise<AbTest | null>;
  /** The running test, else the newest stopped one; undefined when there has been none. */
  abTest(): Promise<AbTest | undefined>;
  /** ab_scores' row of a contact: the score of its arm's version (the champion's when no test runs). */
  getAbScore(contactId: string): Promise<AbScoreRow | undefined>;

  close(): Promise<void>;
}

export interface AbTestRequest {
  salt: string;
  /** Percent of contacts in the treatment arm, 0–100 with at most 2 decimals. */
  treatmentPercent: number;
  /** The first send day its outcomes count (YYYY-MM-DD). */
  from: string;
  by: string;
}

export interface AbTest {
  id: number;
  salt: string;
  treatmentPercent: number;
  /** The versions of the arms: control is the champion (active), treatment the challenger. */
  champion: number;
  challenger: number;
  from: string;
  startedAt: string;
  startedBy: string;
  running: boolean;
  stoppedAt: string | null;
  stoppedBy: string | null;
  stopReason: string | null;
  /** Contacts stored with an arm (of the running test; 0 once stopped). */
  arms: { control: number; treatment: number };
}

export interface AbScoreRow extends LeadScoreRow {
  abTestId: number | null;
  /** control or treatment; null when no test runs. */
  arm: 'control' | 'treatment' | null;
}

export interface ChallengerRequest {
  version: number;
  /** The first send day its outcomes are judged on (YYYY-MM-DD). */
  from: string;
  by: string;
}

export interface ChallengerModel extends ServingModel {
  from: string;
  setAt: string;
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

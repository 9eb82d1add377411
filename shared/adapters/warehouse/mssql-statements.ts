import { SCORING_SQL } from '../../domain/scoringSql';

/**
 * Every T-SQL text the mssql adapter sends, by name. `npm run check:infra` parses each value with
 * Microsoft's ScriptDom (TSql160Parser) and compiles it against the schema with DacFx, so keep them
 * static: values come in as parameters, never by string concatenation. The schema itself is in infra/sql/*.sql (sent batch by batch by `migrate`).
 */
export const MSSQL_STATEMENTS: Record<string, string> = {
  /**
   * The seed's production SELECT (seed 000, section 3) as written, with its weights source named by the
   * view that pivots the active scoring_weights rows into one row (the long table cannot have w_* columns).
   */
  seedScoringSelect: SCORING_SQL.asWritten,

  /** The same weighted sum keyed by contact, as served by GET /api/weights/active. */
  seedScoringSelectByContact: SCORING_SQL.byContact,

  schemaMigrationsExists: `SELECT CASE WHEN OBJECT_ID(N'dbo.schema_migrations', N'U') IS NULL THEN 0 ELSE 1 END AS present;`,
  listAppliedMigrations: `SELECT id, checksum FROM dbo.schema_migrations ORDER BY id;`,
  recordMigration: `INSERT INTO dbo.schema_migrations (id, checksum) VALUES (@id, @checksum);`,

  nextVersion: `SELECT ISNULL(MAX(model_version), 0) + 1 AS next_version FROM dbo.model_versions WITH (UPDLOCK, HOLDLOCK);`,
  insertVersion: `INSERT INTO dbo.model_versions
    (model_version, status, is_active, [trigger], artifact_path, metrics, auc, pr_auc, brier, window_start, window_end, complete, grade_a_min, grade_b_min, grade_c_min)
VALUES (@version, @status, 0, @trigger, @artifactPath, @metrics, @auc, @prAuc, @brier, @windowStart, @windowEnd, @complete, @gradeA, @gradeB, @gradeC);`,
  completeVersion: `UPDATE dbo.model_versions SET complete = 1 WHERE model_version = @version;`,
  insertWeight: `INSERT INTO dbo.scoring_weights (model_version, feature, weight, [offset], is_active)
VALUES (@version, @feature, @weight, @offset, 0);`,
  deleteWeights: `DELETE FROM dbo.scoring_weights WHERE model_version = @version;`,
  deleteVersion: `DELETE FROM dbo.model_versions WHERE model_version = @version AND status IN ('staged', 'rejected');`,
  getVersion: `SELECT model_version, status, [trigger], artifact_path, metrics, window_start, window_end, created_at, activated_at, activated_by, complete
FROM dbo.model_versions WHERE model_version = @version;`,
  listVersions: `SELECT model_version, status, [trigger], artifact_path, metrics, window_start, window_end, created_at, activated_at, activated_by, complete
FROM dbo.model_versions ORDER BY model_version;`,
  getWeights: `SELECT feature, weight, [offset] FROM dbo.scoring_weights WHERE model_version = @version;`,
  getActiveWeights: `SELECT model_version, w_recency, w_fatigue, w_sentiment, w_engagement, w_reply, w_optout, w_mms, [offset]
FROM dbo.active_scoring_weights;`,

  /** Inside the deploy/rollback transaction, after the serving lock: the active version it changes. */
  lockActiveVersion: `SELECT model_version FROM dbo.model_versions WITH (UPDLOCK, HOLDLOCK) WHERE is_active = 1;`,
  getVersionStatus: `SELECT v.status, v.complete, (SELECT COUNT(*) FROM dbo.version_feature_means AS m WHERE m.model_version = v.model_version) AS means
FROM dbo.model_versions AS v WHERE v.model_version = @version;`,
  retireVersion: `UPDATE dbo.model_versions SET status = 'retired', is_active = 0 WHERE model_version = @version;`,
  deactivateWeights: `UPDATE dbo.scoring_weights SET is_active = 0 WHERE model_version = @version;`,
  activateVersion: `UPDATE dbo.model_versions SET status = 'active', is_active = 1, is_challenger = 0, challenger_set_at = NULL, challenger_from = NULL,
  activated_at = SYSUTCDATETIME(), activated_by = @by
WHERE model_version = @version;`,

  /** The challenger (005): the one-row index holds the invariant; setting one replaces any other in one transaction. */
  lockChallengerTarget: `SELECT status, complete FROM dbo.model_versions WITH (UPDLOCK, HOLDLOCK) WHERE model_version = @version;`,
  clearChallenger: `UPDATE dbo.model_versions SET is_challenger = 0, challenger_set_at = NULL, challenger_from = NULL
OUTPUT DELETED.model_version
WHERE is_challenger = 1;`,
  setChallenger: `UPDATE dbo.model_versions SET is_challenger = 1, challenger_set_at = SYSUTCDATETIME(), challenger_from = @from
WHERE model_version = @version;`,
  getChallengerModel: `SELECT m.model_version, m.activated_at, m.w_recency, m.w_fatigue, m.w_sentiment, m.w_engagement, m.w_reply, m.w_optout, m.w_mms, m.[offset],
  m.m_recency, m.m_fatigue, m.m_sentiment, m.m_engagement, m.m_reply, m.m_optout, m.m_mms, m.grade_a_min, m.grade_b_min, m.grade_c_min, v.challenger_from
FROM dbo.challenger_model AS m JOIN dbo.model_versions AS v ON v.model_version = m.model_version;`,
  getChallengerScore: `SELECT contact_id, model_version, lead_score, probability, score_100, band, top_factors, as_of, scored_at, grade
FROM dbo.challenger_scores WHERE contact_id = @contactId;`,
  activateWeights: `UPDATE dbo.scoring_weights SET is_active = 1 WHERE model_version = @version;`,
  /** The A/B test (006): the one running test under its filtered unique index; arms stored by the app. */
  lockRunningAbTest: `SELECT ab_test_id, salt FROM dbo.ab_tests WITH (UPDLOCK, HOLDLOCK) WHERE is_running = 1;`,
  lockChallengerVersion: `SELECT model_version FROM dbo.model_versions WITH (UPDLOCK, HOLDLOCK) WHERE is_challenger = 1;`,
  insertAbTest: `INSERT INTO dbo.ab_tests (salt, treatment_buckets, champion_version, challenger_version, from_date, started_by)
OUTPUT INSERTED.ab_test_id
VALUES (@salt, @buckets, @champion, @challenger, @from, @by);`,
  deleteAbArms: `DELETE FROM dbo.ab_arms;`,
  /** Served contacts without an arm under the running test: the app computes their buckets. */
  armlessContacts: `SELECT s.contact_id FROM dbo.served_contacts AS s
WHERE NOT EXISTS (SELECT 1 FROM dbo.ab_arms AS a WHERE a.ab_test_id = @abTestId AND a.contact_id = s.contact_id);`,
  insertAbArms: `INSERT INTO dbo.ab_arms (ab_test_id, contact_id, bucket)
SELECT @abTestId, contact_id, bucket FROM OPENJSON(@rows) WITH (contact_id VARCHAR(64) '$[0]', bucket SMALLINT '$[1]');`,
  stopAbTest: `UPDATE dbo.ab_tests SET is_running = 0, stopped_at = SYSUTCDATETIME(), stopped_by = @by, stop_reason = @reason
OUTPUT INSERTED.ab_test_id
WHERE is_running = 1;`,
  dropStoppedArms: `DELETE a FROM dbo.ab_arms AS a
WHERE NOT EXISTS (SELECT 1 FROM dbo.ab_tests AS t WHERE t.ab_test_id = a.ab_test_id AND t.is_running = 1);`,
  /** One test (by id), or the running one else the newest, with its arms counted (a running test's only). */
  getAbTest: `SELECT TOP (1) t.ab_test_id, t.salt, t.treatment_buckets, t.champion_version, t.challenger_version, t.from_date, t.started_at, t.started_by,
  t.is_running, t.stopped_at, t.stopped_by, t.stop_reason,
  CASE WHEN t.is_running = 1 THEN (SELECT COUNT_BIG(*) FROM dbo.ab_arms AS a WHERE a.ab_test_id = t.ab_test_id AND a.bucket < t.treatment_buckets) ELSE 0 END AS arms_treatment,
  CASE WHEN t.is_running = 1 THEN (SELECT COUNT_BIG(*) FROM dbo.ab_arms AS a WHERE a.ab_test_id = t.ab_test_id AND a.bucket >= t.treatment_buckets) ELSE 0 END AS arms_control
FROM dbo.ab_tests AS t
WHERE @abTestId IS NULL OR t.ab_test_id = @abTestId
ORDER BY t.is_running DESC, t.ab_test_id DESC;`,
  getAbScore: `SELECT contact_id, ab_test_id, arm, model_version, lead_score, probability, score_100, band, top_factors, as_of, scored_at, grade
FROM dbo.ab_scores WHERE contact_id = @contactId;`,

  insertDeployment: `INSERT INTO dbo.deployment_log (action, from_version, to_version, changed_by, reason)
OUTPUT INSERTED.id, INSERTED.changed_at
VALUES (@action, @fromVersion, @toVersion, @by, @reason);`,
  listDeployments: `SELECT TOP (@limit) id, action, from_version, to_version, changed_by, reason, changed_at
FROM dbo.deployment_log ORDER BY id DESC;`,

  insertMean: `INSERT INTO dbo.version_feature_means (model_version, feature, training_mean) VALUES (@version, @feature, @mean);`,
  deleteMeans: `DELETE FROM dbo.version_feature_means WHERE model_version = @version;`,
  versionsWithoutMeans: `SELECT v.model_version FROM dbo.model_versions AS v
WHERE NOT EXISTS (SELECT 1 FROM dbo.version_feature_means AS m WHERE m.model_version = v.model_version)
ORDER BY v.model_version;`,
  getActiveModel: `SELECT model_version, activated_at, w_recency, w_fatigue, w_sentiment, w_engagement, w_reply, w_optout, w_mms, [offset],
  m_recency, m_fatigue, m_sentiment, m_engagement, m_reply, m_optout, m_mms, grade_a_min, grade_b_min, grade_c_min
FROM dbo.active_model;`,
  /** The version stamp of the real-time path: one row through UX_model_versions_one_active. */
  getActiveVersion: `SELECT model_version FROM dbo.model_versions WHERE is_active = 1;`,

  /**
   * The serving lock: every change of what lead_scores serves (a population load, a deploy, a
   * rollback, an export's publication) takes this row's update lock first, so they commit one at a time.
   */
  lockServedPopulation: `SELECT as_of, content_hash, partition_path, contacts, loaded_at
FROM dbo.served_population WITH (UPDLOCK, HOLDLOCK) WHERE id = 1;`,
  getServedPopulation: `SELECT as_of, content_hash, partition_path, contacts, loaded_at FROM dbo.served_population WHERE id = 1;`,
  /** Inside the load's transaction: readers keep seeing the old population until it commits (RCSI). */
  clearContactFeatures: `DELETE FROM dbo.served_contacts;`,
  /** A chunk of the population as one JSON parameter: one round trip per chunk, no dynamic SQL. */
  insertContactFeatures: `INSERT INTO dbo.served_contacts (contact_id, recency_days, fatigue_score, sentiment_score, engagement_rate_30d, reply_rate_90d, opt_out_risk, mms_affinity)
SELECT contact_id, recency_days, fatigue_score, sentiment_score, engagement_rate_30d, reply_rate_90d, opt_out_risk, mms_affinity
FROM OPENJSON(@rows) WITH (contact_id VARCHAR(64) '$[0]', recency_days FLOAT '$[1]', fatigue_score FLOAT '$[2]', sentiment_score FLOAT '$[3]', engagement_rate_30d FLOAT '$[4]', reply_rate_90d FLOAT '$[5]', opt_out_risk FLOAT '$[6]', mms_affinity FLOAT '$[7]');`,
  recordServedPopulation: `MERGE dbo.served_population WITH (HOLDLOCK) AS t
USING (SELECT 1 AS id) AS s ON t.id = s.id
WHEN MATCHED THEN UPDATE SET as_of = @asOf, content_hash = @contentHash, partition_path = @path, contacts = @contacts, loaded_at = @loadedAt
WHEN NOT MATCHED THEN INSERT (id, as_of, content_hash, partition_path, contacts, loaded_at) VALUES (1, @asOf, @contentHash, @path, @contacts, @loadedAt);`,
  /** The export's read, in a SNAPSHOT transaction: keyset pages in contact order. */
  readContactFeatures: `SELECT TOP (@limit) contact_id, recency_days, fatigue_score, sentiment_score, engagement_rate_30d, reply_rate_90d, opt_out_risk, mms_affinity
FROM dbo.served_contacts WHERE contact_id > @after ORDER BY contact_id;`,

  getLeadScore: `SELECT contact_id, model_version, lead_score, probability, score_100, band, top_factors, as_of, scored_at, grade
FROM dbo.lead_scores WHERE contact_id = @contactId;`,
  countLeadScores: `SELECT COUNT_BIG(*) AS n FROM dbo.lead_scores;`,
  /** The ranked campaign query. */
  topLeadScores: `SELECT TOP (@limit) contact_id, model_version, lead_score, probability, score_100, band, top_factors, as_of, scored_at, grade
FROM dbo.lead_scores ORDER BY lead_score DESC, contact_id;`,
};

/** The named statement; throws for a name that is not in MSSQL_STATEMENTS (a typo, not a user error). */
export function statement(name: string): string {
  const text = MSSQL_STATEMENTS[name];
  if (text === undefined) throw new Error(`no T-SQL statement named ${name} in MSSQL_STATEMENTS`);
  return text;
}

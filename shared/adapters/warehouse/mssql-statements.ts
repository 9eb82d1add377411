/**
 * Every T-SQL text the mssql adapter sends, by name. `npm run check:infra` parses each value with
 * Microsoft's ScriptDom (TSql160Parser), so keep them static: values come in as parameters, never by
 * string concatenation. The schema itself is in infra/sql/*.sql (sent batch by batch by `migrate`).
 */
/** The seed's weighted sum and its FROM, written once for both forms of its SELECT below. */
const SEED_WEIGHTED_SUM = `    (recency_days    * w_recency)
  + (fatigue_score   * w_fatigue)
  + (sentiment_score * w_sentiment)
  + (engagement_rate_30d * w_engagement)
  + (reply_rate_90d  * w_reply)
  + (opt_out_risk    * w_optout)
  + (mms_affinity    * w_mms)
  + offset
  AS lead_score
FROM contacts c
JOIN active_scoring_weights w ON w.is_active = 1;`;

export const MSSQL_STATEMENTS: Record<string, string> = {
  /**
   * The seed's production SELECT (seed 000, section 3) as written, with its weights source named by the
   * view that pivots the active scoring_weights rows into one row (the long table cannot have w_* columns).
   */
  seedScoringSelect: `SELECT
${SEED_WEIGHTED_SUM}`,

  /** The same weighted sum keyed by contact, as served by GET /api/weights/active. */
  seedScoringSelectByContact: `SELECT
    c.contact_id,
${SEED_WEIGHTED_SUM}`,

  schemaMigrationsExists: `SELECT CASE WHEN OBJECT_ID(N'dbo.schema_migrations', N'U') IS NULL THEN 0 ELSE 1 END AS present;`,
  listAppliedMigrations: `SELECT id, checksum FROM dbo.schema_migrations ORDER BY id;`,
  recordMigration: `INSERT INTO dbo.schema_migrations (id, checksum) VALUES (@id, @checksum);`,

  nextVersion: `SELECT ISNULL(MAX(model_version), 0) + 1 AS next_version FROM dbo.model_versions WITH (UPDLOCK, HOLDLOCK);`,
  insertVersion: `INSERT INTO dbo.model_versions
    (model_version, status, is_active, [trigger], artifact_path, metrics, auc, pr_auc, brier, window_start, window_end)
VALUES (@version, @status, 0, @trigger, @artifactPath, @metrics, @auc, @prAuc, @brier, @windowStart, @windowEnd);`,
  insertWeight: `INSERT INTO dbo.scoring_weights (model_version, feature, weight, [offset], is_active)
VALUES (@version, @feature, @weight, @offset, 0);`,
  deleteWeights: `DELETE FROM dbo.scoring_weights WHERE model_version = @version;`,
  deleteVersion: `DELETE FROM dbo.model_versions WHERE model_version = @version AND status IN ('staged', 'rejected');`,
  getVersion: `SELECT model_version, status, [trigger], artifact_path, metrics, window_start, window_end, created_at, activated_at, activated_by
FROM dbo.model_versions WHERE model_version = @version;`,
  listVersions: `SELECT model_version, status, [trigger], artifact_path, metrics, window_start, window_end, created_at, activated_at, activated_by
FROM dbo.model_versions ORDER BY model_version;`,
  getWeights: `SELECT feature, weight, [offset] FROM dbo.scoring_weights WHERE model_version = @version;`,
  getActiveWeights: `SELECT model_version, w_recency, w_fatigue, w_sentiment, w_engagement, w_reply, w_optout, w_mms, [offset]
FROM dbo.active_scoring_weights;`,

  /** Inside the deploy/rollback transaction: the lock that serializes concurrent lifecycle changes. */
  lockActiveVersion: `SELECT model_version FROM dbo.model_versions WITH (UPDLOCK, HOLDLOCK, TABLOCK) WHERE is_active = 1;`,
  getVersionStatus: `SELECT status FROM dbo.model_versions WHERE model_version = @version;`,
  retireVersion: `UPDATE dbo.model_versions SET status = 'retired', is_active = 0 WHERE model_version = @version;`,
  deactivateWeights: `UPDATE dbo.scoring_weights SET is_active = 0 WHERE model_version = @version;`,
  activateVersion: `UPDATE dbo.model_versions SET status = 'active', is_active = 1, activated_at = SYSUTCDATETIME(), activated_by = @by
WHERE model_version = @version;`,
  activateWeights: `UPDATE dbo.scoring_weights SET is_active = 1 WHERE model_version = @version;`,
  insertDeployment: `INSERT INTO dbo.deployment_log (action, from_version, to_version, changed_by, reason)
OUTPUT INSERTED.id, INSERTED.changed_at
VALUES (@action, @fromVersion, @toVersion, @by, @reason);`,
  listDeployments: `SELECT TOP (@limit) id, action, from_version, to_version, changed_by, reason, changed_at
FROM dbo.deployment_log ORDER BY id DESC;`,

  /** A chunk of scored rows as one JSON parameter: one round trip per chunk, no dynamic SQL. */
  upsertContactFeatures: `MERGE dbo.contact_features WITH (HOLDLOCK) AS t
USING (
  SELECT contact_id, as_of, recency_days, fatigue_score, sentiment_score, engagement_rate_30d, reply_rate_90d, opt_out_risk, mms_affinity
  FROM OPENJSON(@rows) WITH (
    contact_id VARCHAR(64) '$[0]', as_of DATE '$[1]',
    recency_days FLOAT '$[2]', fatigue_score FLOAT '$[3]', sentiment_score FLOAT '$[4]', engagement_rate_30d FLOAT '$[5]',
    reply_rate_90d FLOAT '$[6]', opt_out_risk FLOAT '$[7]', mms_affinity FLOAT '$[8]')
) AS s
ON t.contact_id = s.contact_id
WHEN MATCHED AND s.as_of >= t.as_of THEN UPDATE SET
  as_of = s.as_of, recency_days = s.recency_days, fatigue_score = s.fatigue_score, sentiment_score = s.sentiment_score,
  engagement_rate_30d = s.engagement_rate_30d, reply_rate_90d = s.reply_rate_90d, opt_out_risk = s.opt_out_risk,
  mms_affinity = s.mms_affinity, updated_at = SYSUTCDATETIME()
WHEN NOT MATCHED THEN INSERT
  (contact_id, as_of, recency_days, fatigue_score, sentiment_score, engagement_rate_30d, reply_rate_90d, opt_out_risk, mms_affinity)
  VALUES (s.contact_id, s.as_of, s.recency_days, s.fatigue_score, s.sentiment_score, s.engagement_rate_30d, s.reply_rate_90d, s.opt_out_risk, s.mms_affinity);`,
  upsertLeadScores: `MERGE dbo.lead_scores WITH (HOLDLOCK) AS t
USING (
  SELECT contact_id, model_version, lead_score, probability, score_100, band, top_factors, as_of, scored_at
  FROM OPENJSON(@rows) WITH (
    contact_id VARCHAR(64) '$[0]', model_version INT '$[1]', lead_score FLOAT '$[2]', probability FLOAT '$[3]',
    score_100 TINYINT '$[4]', band VARCHAR(10) '$[5]', top_factors NVARCHAR(400) '$[6]', as_of DATE '$[7]', scored_at DATETIME2(3) '$[8]')
) AS s
ON t.contact_id = s.contact_id
WHEN MATCHED AND s.as_of >= t.as_of THEN UPDATE SET
  model_version = s.model_version, lead_score = s.lead_score, probability = s.probability, score_100 = s.score_100,
  band = s.band, top_factors = s.top_factors, as_of = s.as_of, scored_at = s.scored_at
WHEN NOT MATCHED THEN INSERT (contact_id, model_version, lead_score, probability, score_100, band, top_factors, as_of, scored_at)
  VALUES (s.contact_id, s.model_version, s.lead_score, s.probability, s.score_100, s.band, s.top_factors, s.as_of, s.scored_at);`,
  getLeadScore: `SELECT contact_id, model_version, lead_score, probability, score_100, band, top_factors, as_of, scored_at
FROM dbo.lead_scores WHERE contact_id = @contactId;`,
  countLeadScores: `SELECT COUNT_BIG(*) AS n FROM dbo.lead_scores;`,
};

/** The named statement; throws for a name that is not in MSSQL_STATEMENTS (a typo, not a user error). */
export function statement(name: string): string {
  const text = MSSQL_STATEMENTS[name];
  if (text === undefined) throw new Error(`no T-SQL statement named ${name} in MSSQL_STATEMENTS`);
  return text;
}

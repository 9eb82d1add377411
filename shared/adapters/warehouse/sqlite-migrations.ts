import { createHash } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { challengerViews, viewStatements } from './challengerSql';
import { AB_TEST_MIGRATION } from './sqliteAbTest';

/**
 * The SQLite equivalent of infra/sql/*.sql, migration for migration (same ids, same tables, columns,
 * constraints and views). SQLite has no BIT/DATETIME types: BIT is INTEGER 0/1, dates are ISO text.
 * Tables keyed by contact_id are WITHOUT ROWID: one B-tree instead of two, half the write work.
 */
export const SQLITE_MIGRATIONS: readonly { id: string; sql: string }[] = [
  {
    id: '001_schema',
    sql: `
CREATE TABLE IF NOT EXISTS model_versions (
  model_version  INTEGER NOT NULL PRIMARY KEY,
  status         TEXT    NOT NULL CHECK (status IN ('staged', 'active', 'retired', 'rejected')),
  is_active      INTEGER NOT NULL DEFAULT 0,
  "trigger"      TEXT    NOT NULL,
  artifact_path  TEXT    NOT NULL,
  metrics        TEXT    NOT NULL,
  auc            REAL,
  pr_auc         REAL,
  brier          REAL,
  window_start   TEXT,
  window_end     TEXT,
  created_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  activated_at   TEXT,
  activated_by   TEXT,
  CHECK ((status = 'active' AND is_active = 1) OR (status <> 'active' AND is_active = 0))
);
CREATE UNIQUE INDEX IF NOT EXISTS UX_model_versions_one_active ON model_versions (is_active) WHERE is_active = 1;

CREATE TABLE IF NOT EXISTS scoring_weights (
  model_version  INTEGER NOT NULL REFERENCES model_versions (model_version),
  feature        TEXT    NOT NULL CHECK (length(feature) <= 50),
  weight         REAL    NOT NULL,
  "offset"       REAL    NOT NULL,
  is_active      INTEGER NOT NULL DEFAULT 0 CHECK (is_active IN (0, 1)),
  created_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
  PRIMARY KEY (model_version, feature)
);
CREATE UNIQUE INDEX IF NOT EXISTS UX_scoring_weights_one_active ON scoring_weights (feature) WHERE is_active = 1;

CREATE TABLE IF NOT EXISTS deployment_log (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  action        TEXT    NOT NULL CHECK (action IN ('deploy', 'rollback')),
  from_version  INTEGER,
  to_version    INTEGER NOT NULL,
  changed_by    TEXT    NOT NULL,
  reason        TEXT,
  changed_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE IF NOT EXISTS contact_features (
  contact_id           TEXT NOT NULL PRIMARY KEY,
  as_of                TEXT NOT NULL,
  recency_days         REAL NOT NULL,
  fatigue_score        REAL NOT NULL,
  sentiment_score      REAL NOT NULL,
  engagement_rate_30d  REAL NOT NULL,
  reply_rate_90d       REAL NOT NULL,
  opt_out_risk         REAL NOT NULL,
  mms_affinity         REAL NOT NULL,
  updated_at           TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS lead_scores (
  contact_id     TEXT    NOT NULL PRIMARY KEY,
  model_version  INTEGER NOT NULL,
  lead_score     REAL    NOT NULL,
  probability    REAL    NOT NULL,
  score_100      INTEGER NOT NULL,
  band           TEXT    NOT NULL CHECK (band IN ('High', 'Medium', 'Low', 'Very low')),
  top_factors    TEXT    NOT NULL,
  as_of          TEXT    NOT NULL,
  scored_at      TEXT    NOT NULL
) WITHOUT ROWID;

CREATE VIEW IF NOT EXISTS active_scoring_weights AS
SELECT
  w.model_version,
  1 AS is_active,
  MAX(CASE WHEN w.feature = 'recency_days' THEN w.weight END)        AS w_recency,
  MAX(CASE WHEN w.feature = 'fatigue_score' THEN w.weight END)       AS w_fatigue,
  MAX(CASE WHEN w.feature = 'sentiment_score' THEN w.weight END)     AS w_sentiment,
  MAX(CASE WHEN w.feature = 'engagement_rate_30d' THEN w.weight END) AS w_engagement,
  MAX(CASE WHEN w.feature = 'reply_rate_90d' THEN w.weight END)      AS w_reply,
  MAX(CASE WHEN w.feature = 'opt_out_risk' THEN w.weight END)        AS w_optout,
  MAX(CASE WHEN w.feature = 'mms_affinity' THEN w.weight END)        AS w_mms,
  MAX(w."offset")                                                    AS "offset"
FROM scoring_weights AS w
JOIN model_versions AS v ON v.model_version = w.model_version AND v.is_active = 1
WHERE w.is_active = 1
GROUP BY w.model_version;

CREATE VIEW IF NOT EXISTS contacts AS
SELECT contact_id, as_of, recency_days, fatigue_score, sentiment_score, engagement_rate_30d,
       reply_rate_90d, opt_out_risk, mms_affinity
FROM contact_features;
`,
  },
  {
    id: '002_served_by_sql',
    sql: `
-- The training mean of each feature per version: what a score's top factors are measured against.
CREATE TABLE version_feature_means (
  model_version  INTEGER NOT NULL REFERENCES model_versions (model_version),
  feature        TEXT    NOT NULL CHECK (length(feature) <= 50),
  training_mean  REAL    NOT NULL,
  PRIMARY KEY (model_version, feature)
) WITHOUT ROWID;

-- The features partition that is served: the served population (one row). Its rows are in
-- served_contacts; what is the same for all of them (the date, when it was loaded) is here, once.
CREATE TABLE served_population (
  id              INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  as_of           TEXT    NOT NULL,
  content_hash    TEXT    NOT NULL,
  partition_path  TEXT    NOT NULL,
  contacts        INTEGER NOT NULL,
  loaded_at       TEXT    NOT NULL
);

-- Scores are no longer stored: lead_scores is computed from the served contacts and the active
-- version. contact_features keeps its columns as a view; its rows are derived data (the next
-- partition load fills served_contacts again).
DROP TABLE lead_scores;
DROP TABLE contact_features;

-- One row per contact of the served population: the id and the seven features, nothing else.
CREATE TABLE served_contacts (
  contact_id           TEXT NOT NULL PRIMARY KEY,
  recency_days         REAL NOT NULL,
  fatigue_score        REAL NOT NULL,
  sentiment_score      REAL NOT NULL,
  engagement_rate_30d  REAL NOT NULL,
  reply_rate_90d       REAL NOT NULL,
  opt_out_risk         REAL NOT NULL,
  mms_affinity         REAL NOT NULL
) WITHOUT ROWID;

-- The latest features per contact, as before: the served contacts with their population's date.
CREATE VIEW contact_features AS
SELECT c.contact_id, p.as_of, c.recency_days, c.fatigue_score, c.sentiment_score, c.engagement_rate_30d,
       c.reply_rate_90d, c.opt_out_risk, c.mms_affinity, p.loaded_at AS updated_at
FROM served_contacts AS c
CROSS JOIN served_population AS p;

-- The active version in one row: its weights, offset and training means (what lead_scores reads).
CREATE VIEW active_model AS
SELECT
  v.model_version,
  v.activated_at,
  MAX(CASE WHEN w.feature = 'recency_days' THEN w.weight END)        AS w_recency,
  MAX(CASE WHEN w.feature = 'fatigue_score' THEN w.weight END)       AS w_fatigue,
  MAX(CASE WHEN w.feature = 'sentiment_score' THEN w.weight END)     AS w_sentiment,
  MAX(CASE WHEN w.feature = 'engagement_rate_30d' THEN w.weight END) AS w_engagement,
  MAX(CASE WHEN w.feature = 'reply_rate_90d' THEN w.weight END)      AS w_reply,
  MAX(CASE WHEN w.feature = 'opt_out_risk' THEN w.weight END)        AS w_optout,
  MAX(CASE WHEN w.feature = 'mms_affinity' THEN w.weight END)        AS w_mms,
  MAX(w."offset") AS "offset",
  MAX(CASE WHEN t.feature = 'recency_days' THEN t.training_mean END)        AS m_recency,
  MAX(CASE WHEN t.feature = 'fatigue_score' THEN t.training_mean END)       AS m_fatigue,
  MAX(CASE WHEN t.feature = 'sentiment_score' THEN t.training_mean END)     AS m_sentiment,
  MAX(CASE WHEN t.feature = 'engagement_rate_30d' THEN t.training_mean END) AS m_engagement,
  MAX(CASE WHEN t.feature = 'reply_rate_90d' THEN t.training_mean END)      AS m_reply,
  MAX(CASE WHEN t.feature = 'opt_out_risk' THEN t.training_mean END)        AS m_optout,
  MAX(CASE WHEN t.feature = 'mms_affinity' THEN t.training_mean END)        AS m_mms
FROM model_versions AS v
JOIN scoring_weights AS w ON w.model_version = v.model_version AND w.is_active = 1
LEFT JOIN version_feature_means AS t ON t.model_version = v.model_version AND t.feature = w.feature
WHERE v.is_active = 1
GROUP BY v.model_version, v.activated_at;

-- Every served contact scored by the active version, in the same statement that reads it: a deploy,
-- a rollback or a population load changes what this returns in the transaction that changes either.
-- lead_score is the seed's weighted sum in the seed's order; probability = sigmoid(lead_score) (the
-- two-branch form, which never overflows); score_100 = round half up of 100·probability; band on
-- score_100; top_factors = the 3 largest |w·(x − training mean)|, ties to the earlier feature.
CREATE VIEW lead_scores AS
SELECT
  f.contact_id,
  m.model_version,
  (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" AS lead_score,
  CASE WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= 0 THEN 1.0 / (1.0 + exp(-((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset"))) ELSE exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset") / (1.0 + exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset")) END AS probability,
  CAST(floor(100.0 * (CASE WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= 0 THEN 1.0 / (1.0 + exp(-((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset"))) ELSE exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset") / (1.0 + exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset")) END) + 0.5) AS INTEGER) AS score_100,
  CASE
    WHEN floor(100.0 * (CASE WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= 0 THEN 1.0 / (1.0 + exp(-((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset"))) ELSE exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset") / (1.0 + exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset")) END) + 0.5) >= 80 THEN 'High'
    WHEN floor(100.0 * (CASE WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= 0 THEN 1.0 / (1.0 + exp(-((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset"))) ELSE exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset") / (1.0 + exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset")) END) + 0.5) >= 60 THEN 'Medium'
    WHEN floor(100.0 * (CASE WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= 0 THEN 1.0 / (1.0 + exp(-((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset"))) ELSE exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset") / (1.0 + exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset")) END) + 0.5) >= 40 THEN 'Low'
    ELSE 'Very low'
  END AS band,
  (SELECT json_group_array(json_array(t.feature, round(t.contribution, 4)) ORDER BY abs(t.contribution) DESC, t.ord)
     FROM (SELECT column1 AS ord, column2 AS feature, column3 AS contribution
             FROM (VALUES
        (0, 'recency_days', m.w_recency * (f.recency_days - m.m_recency)),
        (1, 'fatigue_score', m.w_fatigue * (f.fatigue_score - m.m_fatigue)),
        (2, 'sentiment_score', m.w_sentiment * (f.sentiment_score - m.m_sentiment)),
        (3, 'engagement_rate_30d', m.w_engagement * (f.engagement_rate_30d - m.m_engagement)),
        (4, 'reply_rate_90d', m.w_reply * (f.reply_rate_90d - m.m_reply)),
        (5, 'opt_out_risk', m.w_optout * (f.opt_out_risk - m.m_optout)),
        (6, 'mms_affinity', m.w_mms * (f.mms_affinity - m.m_mms)))
            ORDER BY abs(column3) DESC, column1
            LIMIT 3) AS t) AS top_factors,
  p.as_of,
  max(p.loaded_at, m.activated_at) AS scored_at
FROM served_contacts AS f
CROSS JOIN served_population AS p
CROSS JOIN active_model AS m;
`,
  },
  {
    id: '003_version_complete',
    sql: `
-- A version is complete once the step that registered it finished: its artifacts are written and,
-- for a retrain, the run reached its end. A retrain killed in between leaves it incomplete, and
-- activation refuses an incomplete version unless forced. Versions from before were complete.
ALTER TABLE model_versions ADD COLUMN complete INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1));
`,
  },
  {
    id: '004_grades',
    sql: `
-- Grades A-D per version (docs/architecture.md, "SQL schema and serving"): the least lead_score of
-- A, B and C, set from the version's training rows when it is trained (shared/domain/model/grades.ts)
-- and stored when it is registered. Versions registered before have none: their grade is NULL.
ALTER TABLE model_versions ADD COLUMN grade_a_min REAL;
ALTER TABLE model_versions ADD COLUMN grade_b_min REAL;
ALTER TABLE model_versions ADD COLUMN grade_c_min REAL
  CHECK ((grade_a_min IS NULL AND grade_b_min IS NULL AND grade_c_min IS NULL) OR (grade_a_min >= grade_b_min AND grade_b_min >= grade_c_min));

-- The views of 002 again, with the thresholds: active_model carries them, and lead_scores grades each
-- contact in the same SELECT as its score (the same weighted sum, compared with the thresholds).
DROP VIEW lead_scores;
DROP VIEW active_model;

-- The active version in one row: its weights, offset, training means and grade thresholds.
CREATE VIEW active_model AS
SELECT
  v.model_version,
  v.activated_at,
  MAX(CASE WHEN w.feature = 'recency_days' THEN w.weight END)        AS w_recency,
  MAX(CASE WHEN w.feature = 'fatigue_score' THEN w.weight END)       AS w_fatigue,
  MAX(CASE WHEN w.feature = 'sentiment_score' THEN w.weight END)     AS w_sentiment,
  MAX(CASE WHEN w.feature = 'engagement_rate_30d' THEN w.weight END) AS w_engagement,
  MAX(CASE WHEN w.feature = 'reply_rate_90d' THEN w.weight END)      AS w_reply,
  MAX(CASE WHEN w.feature = 'opt_out_risk' THEN w.weight END)        AS w_optout,
  MAX(CASE WHEN w.feature = 'mms_affinity' THEN w.weight END)        AS w_mms,
  MAX(w."offset") AS "offset",
  MAX(CASE WHEN t.feature = 'recency_days' THEN t.training_mean END)        AS m_recency,
  MAX(CASE WHEN t.feature = 'fatigue_score' THEN t.training_mean END)       AS m_fatigue,
  MAX(CASE WHEN t.feature = 'sentiment_score' THEN t.training_mean END)     AS m_sentiment,
  MAX(CASE WHEN t.feature = 'engagement_rate_30d' THEN t.training_mean END) AS m_engagement,
  MAX(CASE WHEN t.feature = 'reply_rate_90d' THEN t.training_mean END)      AS m_reply,
  MAX(CASE WHEN t.feature = 'opt_out_risk' THEN t.training_mean END)        AS m_optout,
  MAX(CASE WHEN t.feature = 'mms_affinity' THEN t.training_mean END)        AS m_mms,
  v.grade_a_min,
  v.grade_b_min,
  v.grade_c_min
FROM model_versions AS v
JOIN scoring_weights AS w ON w.model_version = v.model_version AND w.is_active = 1
LEFT JOIN version_feature_means AS t ON t.model_version = v.model_version AND t.feature = w.feature
WHERE v.is_active = 1
GROUP BY v.model_version, v.activated_at, v.grade_a_min, v.grade_b_min, v.grade_c_min;

-- As in 002, and grade (last, so the columns before it keep their positions): NULL when the active
-- version has no thresholds, else A when lead_score >= grade_a_min, B when >= grade_b_min, C when
-- >= grade_c_min, else D.
CREATE VIEW lead_scores AS
SELECT
  f.contact_id,
  m.model_version,
  (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" AS lead_score,
  CASE WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= 0 THEN 1.0 / (1.0 + exp(-((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset"))) ELSE exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset") / (1.0 + exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset")) END AS probability,
  CAST(floor(100.0 * (CASE WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= 0 THEN 1.0 / (1.0 + exp(-((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset"))) ELSE exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset") / (1.0 + exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset")) END) + 0.5) AS INTEGER) AS score_100,
  CASE
    WHEN floor(100.0 * (CASE WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= 0 THEN 1.0 / (1.0 + exp(-((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset"))) ELSE exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset") / (1.0 + exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset")) END) + 0.5) >= 80 THEN 'High'
    WHEN floor(100.0 * (CASE WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= 0 THEN 1.0 / (1.0 + exp(-((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset"))) ELSE exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset") / (1.0 + exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset")) END) + 0.5) >= 60 THEN 'Medium'
    WHEN floor(100.0 * (CASE WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= 0 THEN 1.0 / (1.0 + exp(-((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset"))) ELSE exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset") / (1.0 + exp((f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset")) END) + 0.5) >= 40 THEN 'Low'
    ELSE 'Very low'
  END AS band,
  (SELECT json_group_array(json_array(t.feature, round(t.contribution, 4)) ORDER BY abs(t.contribution) DESC, t.ord)
     FROM (SELECT column1 AS ord, column2 AS feature, column3 AS contribution
             FROM (VALUES
        (0, 'recency_days', m.w_recency * (f.recency_days - m.m_recency)),
        (1, 'fatigue_score', m.w_fatigue * (f.fatigue_score - m.m_fatigue)),
        (2, 'sentiment_score', m.w_sentiment * (f.sentiment_score - m.m_sentiment)),
        (3, 'engagement_rate_30d', m.w_engagement * (f.engagement_rate_30d - m.m_engagement)),
        (4, 'reply_rate_90d', m.w_reply * (f.reply_rate_90d - m.m_reply)),
        (5, 'opt_out_risk', m.w_optout * (f.opt_out_risk - m.m_optout)),
        (6, 'mms_affinity', m.w_mms * (f.mms_affinity - m.m_mms)))
            ORDER BY abs(column3) DESC, column1
            LIMIT 3) AS t) AS top_factors,
  p.as_of,
  max(p.loaded_at, m.activated_at) AS scored_at,
  CASE
    WHEN m.grade_a_min IS NULL THEN NULL
    WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= m.grade_a_min THEN 'A'
    WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= m.grade_b_min THEN 'B'
    WHEN (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m."offset" >= m.grade_c_min THEN 'C'
    ELSE 'D'
  END AS grade
FROM served_contacts AS f
CROSS JOIN served_population AS p
CROSS JOIN active_model AS m;
`,
  },
  {
    id: '005_challenger',
    get sql(): string {
      return challengerMigration();
    },
  },
  { id: '006_ab_test', sql: AB_TEST_MIGRATION },
];

/**
 * At most one challenger (docs/architecture.md, "SQL schema and serving"), as the one active version
 * is: a partial unique index, and a CHECK that only a complete, staged, inactive version with its
 * start can be it. Activating a version clears its flag in the same UPDATE. Its views are 004's,
 * derived by challengerSql.ts, so that challenger_scores is lead_scores' SQL over the challenger.
 */
function challengerMigration(): string {
  const grades = SQLITE_MIGRATIONS.find((m) => m.id === '004_grades')!.sql;
  const views = challengerViews(viewStatements(grades, 'sqlite'));
  return `
ALTER TABLE model_versions ADD COLUMN challenger_set_at TEXT;
ALTER TABLE model_versions ADD COLUMN challenger_from TEXT;
ALTER TABLE model_versions ADD COLUMN is_challenger INTEGER NOT NULL DEFAULT 0
  CHECK (is_challenger IN (0, 1) AND (is_challenger = 0 OR (status = 'staged' AND is_active = 0 AND complete = 1 AND challenger_set_at IS NOT NULL AND challenger_from IS NOT NULL)));
CREATE UNIQUE INDEX ux_model_versions_one_challenger ON model_versions (is_challenger) WHERE is_challenger = 1;

${views.activeModel}

${views.leadScores}
`;
}

/** Applies the pending migrations in order, each in its own transaction; returns the ids applied now. */
export function applyMigrations(db: DatabaseSync, transaction: (fn: () => void) => void): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id TEXT NOT NULL PRIMARY KEY, checksum TEXT NOT NULL,
      applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`);
  const applied = new Map(
    (db.prepare('SELECT id, checksum FROM schema_migrations').all() as { id: string; checksum: string }[]).map((r) => [String(r.id), String(r.checksum)]),
  );
  const now: string[] = [];
  for (const m of SQLITE_MIGRATIONS) {
    const checksum = createHash('sha256').update(m.sql).digest('hex');
    const seen = applied.get(m.id);
    if (seen !== undefined) {
      if (seen !== checksum) throw new Error(`migration ${m.id} changed after it was applied (checksum ${seen} → ${checksum}); add a new migration instead`);
      continue;
    }
    transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (id, checksum) VALUES (?, ?)').run(m.id, checksum);
    });
    now.push(m.id);
  }
  return now;
}

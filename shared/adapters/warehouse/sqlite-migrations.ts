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
];

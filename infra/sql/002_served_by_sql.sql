-- 002_served_by_sql: scores are computed by SQL from the served contacts and the active version, in the
-- statement that reads them (lead_scores becomes a view), so a deploy, a rollback or a population load
-- changes the served scores in the transaction that changes either. Idempotent, like 001.

-- The training mean of each feature per version: what a score's top factors are measured against.
IF OBJECT_ID(N'dbo.version_feature_means', N'U') IS NULL
CREATE TABLE dbo.version_feature_means (
    model_version  INT          NOT NULL,
    feature        VARCHAR(50)  NOT NULL,
    training_mean  FLOAT        NOT NULL,
    CONSTRAINT PK_version_feature_means PRIMARY KEY (model_version, feature),
    CONSTRAINT FK_version_feature_means_version FOREIGN KEY (model_version) REFERENCES dbo.model_versions (model_version)
);
GO

-- The features partition that is served: the served population (one row; its contacts are in
-- served_contacts, what is the same for all of them is here). Every change of what is served (a
-- population load, a deploy, a rollback) locks this row first (an update lock held to the end of the
-- transaction; before the first load, the key range where it will be).
IF OBJECT_ID(N'dbo.served_population', N'U') IS NULL
CREATE TABLE dbo.served_population (
    id              INT            NOT NULL CONSTRAINT PK_served_population PRIMARY KEY CONSTRAINT CK_served_population_one CHECK (id = 1),
    as_of           DATE           NOT NULL,
    content_hash    CHAR(64)       NOT NULL,
    partition_path  NVARCHAR(400)  NOT NULL,
    contacts        INT            NOT NULL,
    loaded_at       DATETIME2(3)   NOT NULL
);
GO

-- Scores are no longer stored.
IF OBJECT_ID(N'dbo.lead_scores', N'U') IS NOT NULL
DROP TABLE dbo.lead_scores;
GO

-- contact_features keeps its columns as a view over the served contacts; its rows are derived data
-- (the next partition load fills served_contacts again).
IF OBJECT_ID(N'dbo.contact_features', N'U') IS NOT NULL
DROP TABLE dbo.contact_features;
GO

-- One row per contact of the served population: the id and the seven features, nothing else.
IF OBJECT_ID(N'dbo.served_contacts', N'U') IS NULL
CREATE TABLE dbo.served_contacts (
    contact_id           VARCHAR(64)  NOT NULL CONSTRAINT PK_served_contacts PRIMARY KEY,
    recency_days         FLOAT        NOT NULL,
    fatigue_score        FLOAT        NOT NULL,
    sentiment_score      FLOAT        NOT NULL,
    engagement_rate_30d  FLOAT        NOT NULL,
    reply_rate_90d       FLOAT        NOT NULL,
    opt_out_risk         FLOAT        NOT NULL,
    mms_affinity         FLOAT        NOT NULL
);
GO

-- The latest features per contact, as before: the served contacts with their population's date.
CREATE OR ALTER VIEW dbo.contact_features AS
SELECT c.contact_id, p.as_of, c.recency_days, c.fatigue_score, c.sentiment_score, c.engagement_rate_30d,
       c.reply_rate_90d, c.opt_out_risk, c.mms_affinity, p.loaded_at AS updated_at
FROM dbo.served_contacts AS c
CROSS JOIN dbo.served_population AS p;
GO

-- The active version in one row: its weights, offset and training means.
CREATE OR ALTER VIEW dbo.active_model AS
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
    MAX(w.[offset]) AS [offset],
    MAX(CASE WHEN t.feature = 'recency_days' THEN t.training_mean END)        AS m_recency,
    MAX(CASE WHEN t.feature = 'fatigue_score' THEN t.training_mean END)       AS m_fatigue,
    MAX(CASE WHEN t.feature = 'sentiment_score' THEN t.training_mean END)     AS m_sentiment,
    MAX(CASE WHEN t.feature = 'engagement_rate_30d' THEN t.training_mean END) AS m_engagement,
    MAX(CASE WHEN t.feature = 'reply_rate_90d' THEN t.training_mean END)      AS m_reply,
    MAX(CASE WHEN t.feature = 'opt_out_risk' THEN t.training_mean END)        AS m_optout,
    MAX(CASE WHEN t.feature = 'mms_affinity' THEN t.training_mean END)        AS m_mms
FROM dbo.model_versions AS v
JOIN dbo.scoring_weights AS w ON w.model_version = v.model_version AND w.is_active = 1
LEFT JOIN dbo.version_feature_means AS t ON t.model_version = v.model_version AND t.feature = w.feature
WHERE v.is_active = 1
GROUP BY v.model_version, v.activated_at;
GO

-- Every served contact scored by the active version (the same definitions as the SQLite view):
-- lead_score is the seed's weighted sum in the seed's order; probability = sigmoid(lead_score) in the
-- two-branch form (EXP never overflows); score_100 = round half up of 100·probability; band on
-- score_100; top_factors = the 3 largest |w·(x − training mean)|, ties to the earlier feature.
CREATE OR ALTER VIEW dbo.lead_scores AS
SELECT
    f.contact_id,
    m.model_version,
    z.lead_score,
    p.probability,
    s.score_100,
    CASE WHEN s.score_100 >= 80 THEN 'High' WHEN s.score_100 >= 60 THEN 'Medium' WHEN s.score_100 >= 40 THEN 'Low' ELSE 'Very low' END AS band,
    tf.top_factors,
    sp.as_of,
    CASE WHEN sp.loaded_at > m.activated_at THEN sp.loaded_at ELSE m.activated_at END AS scored_at
FROM dbo.served_contacts AS f
CROSS JOIN dbo.served_population AS sp
CROSS JOIN dbo.active_model AS m
CROSS APPLY (SELECT (f.recency_days * m.w_recency) + (f.fatigue_score * m.w_fatigue) + (f.sentiment_score * m.w_sentiment) + (f.engagement_rate_30d * m.w_engagement) + (f.reply_rate_90d * m.w_reply) + (f.opt_out_risk * m.w_optout) + (f.mms_affinity * m.w_mms) + m.[offset] AS lead_score) AS z
CROSS APPLY (SELECT CASE WHEN z.lead_score >= 0 THEN 1.0E0 / (1.0E0 + EXP(-z.lead_score)) ELSE EXP(z.lead_score) / (1.0E0 + EXP(z.lead_score)) END AS probability) AS p
CROSS APPLY (SELECT CAST(FLOOR(100.0E0 * p.probability + 0.5E0) AS TINYINT) AS score_100) AS s
CROSS APPLY (
    SELECT N'[' + STRING_AGG(CONCAT(N'["', c.feature, N'",', LTRIM(STR(c.contribution, 30, 4)), N']'), N',') WITHIN GROUP (ORDER BY ABS(c.contribution) DESC, c.ord) + N']' AS top_factors
    FROM (
        SELECT TOP (3) v.ord, v.feature, v.contribution
        FROM (VALUES
                (0, 'recency_days', m.w_recency * (f.recency_days - m.m_recency)),
                (1, 'fatigue_score', m.w_fatigue * (f.fatigue_score - m.m_fatigue)),
                (2, 'sentiment_score', m.w_sentiment * (f.sentiment_score - m.m_sentiment)),
                (3, 'engagement_rate_30d', m.w_engagement * (f.engagement_rate_30d - m.m_engagement)),
                (4, 'reply_rate_90d', m.w_reply * (f.reply_rate_90d - m.m_reply)),
                (5, 'opt_out_risk', m.w_optout * (f.opt_out_risk - m.m_optout)),
                (6, 'mms_affinity', m.w_mms * (f.mms_affinity - m.m_mms))) AS v (ord, feature, contribution)
        ORDER BY ABS(v.contribution) DESC, v.ord
    ) AS c
) AS tf;
GO

-- 005_challenger: at most one challenger version (docs/architecture.md, "SQL schema and serving"),
-- held by the database as the one active version is: a filtered unique index, and a CHECK that only
-- a complete, staged, inactive version with its start can be it (activating a version clears its
-- flag in the same UPDATE). challenger_model and challenger_scores are 004's active_model and
-- lead_scores with the challenger's row instead of the active one: shared/adapters/warehouse/
-- challengerSql.ts derives them, and a test holds this file to that derivation. Idempotent, like 001.

IF COL_LENGTH(N'dbo.model_versions', N'is_challenger') IS NULL
ALTER TABLE dbo.model_versions ADD
    is_challenger     BIT          NOT NULL CONSTRAINT DF_model_versions_is_challenger DEFAULT 0,
    challenger_set_at DATETIME2(3) NULL,
    challenger_from   DATE         NULL;
GO

IF OBJECT_ID(N'dbo.CK_model_versions_challenger', N'C') IS NULL
ALTER TABLE dbo.model_versions ADD CONSTRAINT CK_model_versions_challenger CHECK (
    is_challenger = 0
    OR (status = 'staged' AND is_active = 0 AND complete = 1 AND challenger_set_at IS NOT NULL AND challenger_from IS NOT NULL));
GO

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_model_versions_one_challenger' AND object_id = OBJECT_ID(N'dbo.model_versions'))
CREATE UNIQUE INDEX UX_model_versions_one_challenger ON dbo.model_versions (is_challenger) WHERE is_challenger = 1;
GO

-- The challenger in one row, as active_model gives the active version.
CREATE OR ALTER VIEW dbo.challenger_model AS
SELECT
    v.model_version,
    v.challenger_set_at AS activated_at,
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
    MAX(CASE WHEN t.feature = 'mms_affinity' THEN t.training_mean END)        AS m_mms,
    v.grade_a_min,
    v.grade_b_min,
    v.grade_c_min
FROM dbo.model_versions AS v
JOIN dbo.scoring_weights AS w ON w.model_version = v.model_version
LEFT JOIN dbo.version_feature_means AS t ON t.model_version = v.model_version AND t.feature = w.feature
WHERE v.is_challenger = 1
GROUP BY v.model_version, v.challenger_set_at, v.grade_a_min, v.grade_b_min, v.grade_c_min;
GO

-- lead_scores over the challenger: the same columns for the same population.
CREATE OR ALTER VIEW dbo.challenger_scores AS
SELECT
    f.contact_id,
    m.model_version,
    z.lead_score,
    p.probability,
    s.score_100,
    CASE WHEN s.score_100 >= 80 THEN 'High' WHEN s.score_100 >= 60 THEN 'Medium' WHEN s.score_100 >= 40 THEN 'Low' ELSE 'Very low' END AS band,
    tf.top_factors,
    sp.as_of,
    CASE WHEN sp.loaded_at > m.activated_at THEN sp.loaded_at ELSE m.activated_at END AS scored_at,
    CASE
        WHEN m.grade_a_min IS NULL THEN NULL
        WHEN z.lead_score >= m.grade_a_min THEN 'A'
        WHEN z.lead_score >= m.grade_b_min THEN 'B'
        WHEN z.lead_score >= m.grade_c_min THEN 'C'
        ELSE 'D'
    END AS grade
FROM dbo.served_contacts AS f
CROSS JOIN dbo.served_population AS sp
CROSS JOIN dbo.challenger_model AS m
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

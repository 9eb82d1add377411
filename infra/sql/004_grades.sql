-- 004_grades: grades A-D per version (docs/architecture.md, "SQL schema and serving"): the least
-- lead_score of A, B and C, set from the version's training rows when it is trained
-- (shared/domain/model/grades.ts) and stored when it is registered. Versions registered before have
-- none: their grade is NULL. Idempotent, like 001.

IF COL_LENGTH(N'dbo.model_versions', N'grade_a_min') IS NULL
ALTER TABLE dbo.model_versions ADD grade_a_min FLOAT NULL, grade_b_min FLOAT NULL, grade_c_min FLOAT NULL;
GO

-- All three or none, and A's threshold at or above B's, B's at or above C's.
IF OBJECT_ID(N'dbo.CK_model_versions_grades', N'C') IS NULL
ALTER TABLE dbo.model_versions ADD CONSTRAINT CK_model_versions_grades CHECK (
    (grade_a_min IS NULL AND grade_b_min IS NULL AND grade_c_min IS NULL)
    OR (grade_a_min >= grade_b_min AND grade_b_min >= grade_c_min));
GO

-- The active version in one row: its weights, offset, training means and grade thresholds.
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
    MAX(CASE WHEN t.feature = 'mms_affinity' THEN t.training_mean END)        AS m_mms,
    v.grade_a_min,
    v.grade_b_min,
    v.grade_c_min
FROM dbo.model_versions AS v
JOIN dbo.scoring_weights AS w ON w.model_version = v.model_version AND w.is_active = 1
LEFT JOIN dbo.version_feature_means AS t ON t.model_version = v.model_version AND t.feature = w.feature
WHERE v.is_active = 1
GROUP BY v.model_version, v.activated_at, v.grade_a_min, v.grade_b_min, v.grade_c_min;
GO

-- As in 002 (the same definitions as the SQLite view), and grade, last so the columns before it keep
-- their positions: NULL when the active version has no thresholds, else A when lead_score >=
-- grade_a_min, B when >= grade_b_min, C when >= grade_c_min, else D, on the same weighted sum (z).
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

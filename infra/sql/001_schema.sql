-- 001_schema: the scoring schema (docs/architecture.md, "SQL schema and serving"). Idempotent: every object is guarded,
-- so running it twice changes nothing. Batches are separated by GO; `leadscore migrate` sends them
-- one by one and records the file in schema_migrations.

IF OBJECT_ID(N'dbo.schema_migrations', N'U') IS NULL
CREATE TABLE dbo.schema_migrations (
    id          VARCHAR(100)  NOT NULL CONSTRAINT PK_schema_migrations PRIMARY KEY,
    checksum    CHAR(64)      NOT NULL,
    applied_at  DATETIME2(3)  NOT NULL CONSTRAINT DF_schema_migrations_applied_at DEFAULT SYSUTCDATETIME()
);
GO

-- One row per version. is_active mirrors status = 'active' so a filtered unique index can hold the
-- "at most one active version" rule in the database itself.
IF OBJECT_ID(N'dbo.model_versions', N'U') IS NULL
CREATE TABLE dbo.model_versions (
    model_version  INT            NOT NULL CONSTRAINT PK_model_versions PRIMARY KEY,
    status         VARCHAR(10)    NOT NULL,
    is_active      BIT            NOT NULL CONSTRAINT DF_model_versions_is_active DEFAULT 0,
    [trigger]      VARCHAR(50)    NOT NULL,
    artifact_path  NVARCHAR(400)  NOT NULL,
    metrics        NVARCHAR(MAX)  NOT NULL,
    auc            FLOAT          NULL,
    pr_auc         FLOAT          NULL,
    brier          FLOAT          NULL,
    window_start   DATE           NULL,
    window_end     DATE           NULL,
    created_at     DATETIME2(3)   NOT NULL CONSTRAINT DF_model_versions_created_at DEFAULT SYSUTCDATETIME(),
    activated_at   DATETIME2(3)   NULL,
    activated_by   NVARCHAR(200)  NULL,
    CONSTRAINT CK_model_versions_status CHECK (status IN ('staged', 'active', 'retired', 'rejected')),
    CONSTRAINT CK_model_versions_active CHECK ((status = 'active' AND is_active = 1) OR (status <> 'active' AND is_active = 0))
);
GO

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_model_versions_one_active' AND object_id = OBJECT_ID(N'dbo.model_versions'))
CREATE UNIQUE INDEX UX_model_versions_one_active ON dbo.model_versions (is_active) WHERE is_active = 1;
GO

-- Exactly the seed's table, column for column.
IF OBJECT_ID(N'dbo.scoring_weights', N'U') IS NULL
CREATE TABLE dbo.scoring_weights (
    model_version  INT          NOT NULL,
    feature        VARCHAR(50)  NOT NULL,
    weight         FLOAT        NOT NULL,
    [offset]       FLOAT        NOT NULL,
    is_active      BIT          NOT NULL CONSTRAINT DF_scoring_weights_is_active DEFAULT 0,
    created_at     DATETIME     NOT NULL CONSTRAINT DF_scoring_weights_created_at DEFAULT GETUTCDATE(),
    CONSTRAINT PK_scoring_weights PRIMARY KEY (model_version, feature),
    CONSTRAINT FK_scoring_weights_version FOREIGN KEY (model_version) REFERENCES dbo.model_versions (model_version)
);
GO

-- One active row per feature: together with UX_model_versions_one_active, one active version.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_scoring_weights_one_active' AND object_id = OBJECT_ID(N'dbo.scoring_weights'))
CREATE UNIQUE INDEX UX_scoring_weights_one_active ON dbo.scoring_weights (feature) WHERE is_active = 1;
GO

IF OBJECT_ID(N'dbo.deployment_log', N'U') IS NULL
CREATE TABLE dbo.deployment_log (
    id            INT IDENTITY(1, 1) NOT NULL CONSTRAINT PK_deployment_log PRIMARY KEY,
    action        VARCHAR(10)    NOT NULL CONSTRAINT CK_deployment_log_action CHECK (action IN ('deploy', 'rollback')),
    from_version  INT            NULL,
    to_version    INT            NOT NULL,
    changed_by    NVARCHAR(200)  NOT NULL,
    reason        NVARCHAR(1000) NULL,
    changed_at    DATETIME2(3)   NOT NULL CONSTRAINT DF_deployment_log_changed_at DEFAULT SYSUTCDATETIME()
);
GO

-- Latest features per contact (the partition with the newest as_of wins).
IF OBJECT_ID(N'dbo.contact_features', N'U') IS NULL
CREATE TABLE dbo.contact_features (
    contact_id           VARCHAR(64)  NOT NULL CONSTRAINT PK_contact_features PRIMARY KEY,
    as_of                DATE         NOT NULL,
    recency_days         FLOAT        NOT NULL,
    fatigue_score        FLOAT        NOT NULL,
    sentiment_score      FLOAT        NOT NULL,
    engagement_rate_30d  FLOAT        NOT NULL,
    reply_rate_90d       FLOAT        NOT NULL,
    opt_out_risk         FLOAT        NOT NULL,
    mms_affinity         FLOAT        NOT NULL,
    updated_at           DATETIME2(3) NOT NULL CONSTRAINT DF_contact_features_updated_at DEFAULT SYSUTCDATETIME()
);
GO

-- Latest score per contact with the version that produced it.
IF OBJECT_ID(N'dbo.lead_scores', N'U') IS NULL
CREATE TABLE dbo.lead_scores (
    contact_id     VARCHAR(64)    NOT NULL CONSTRAINT PK_lead_scores PRIMARY KEY,
    model_version  INT            NOT NULL,
    lead_score     FLOAT          NOT NULL,
    probability    FLOAT          NOT NULL,
    score_100      TINYINT        NOT NULL,
    band           VARCHAR(10)    NOT NULL CONSTRAINT CK_lead_scores_band CHECK (band IN ('High', 'Medium', 'Low', 'Very low')),
    top_factors    NVARCHAR(400)  NOT NULL,
    as_of          DATE           NOT NULL,
    scored_at      DATETIME2(3)   NOT NULL
);
GO

-- The active weights pivoted into one row, so the seed's SELECT runs as written.
-- Joining model_versions keeps a half-flipped state from ever showing two versions.
CREATE OR ALTER VIEW dbo.active_scoring_weights AS
SELECT
    w.model_version,
    CAST(1 AS BIT) AS is_active,
    MAX(CASE WHEN w.feature = 'recency_days' THEN w.weight END)        AS w_recency,
    MAX(CASE WHEN w.feature = 'fatigue_score' THEN w.weight END)       AS w_fatigue,
    MAX(CASE WHEN w.feature = 'sentiment_score' THEN w.weight END)     AS w_sentiment,
    MAX(CASE WHEN w.feature = 'engagement_rate_30d' THEN w.weight END) AS w_engagement,
    MAX(CASE WHEN w.feature = 'reply_rate_90d' THEN w.weight END)      AS w_reply,
    MAX(CASE WHEN w.feature = 'opt_out_risk' THEN w.weight END)        AS w_optout,
    MAX(CASE WHEN w.feature = 'mms_affinity' THEN w.weight END)        AS w_mms,
    MAX(w.[offset])                                                    AS [offset]
FROM dbo.scoring_weights AS w
JOIN dbo.model_versions AS v ON v.model_version = w.model_version AND v.is_active = 1
WHERE w.is_active = 1
GROUP BY w.model_version;
GO

-- The seed's `FROM contacts c`: the latest features per contact. Created only when the database has
-- no `contacts` of its own (a platform table of that name is left alone).
IF OBJECT_ID(N'dbo.contacts') IS NULL
EXEC (N'CREATE VIEW dbo.contacts AS
SELECT contact_id, as_of, recency_days, fatigue_score, sentiment_score, engagement_rate_30d,
       reply_rate_90d, opt_out_risk, mms_affinity
FROM dbo.contact_features;');
GO

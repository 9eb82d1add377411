-- 006_ab_test: the A/B split of campaigns between champion and challenger (docs/architecture.md,
-- "A/B split"). At most one running test, held by a filtered unique index as the one active version
-- is. Each contact's bucket is computed once in TypeScript (shared/domain/abSplit.ts: T-SQL has no
-- FNV-1a, and HASHBYTES could not be proven equal to it here) and stored in ab_arms, by the test's
-- start and by every population load, in their transactions. ab_scores gives each served contact the
-- score of its arm. shared/adapters/warehouse/sqliteAbTest.ts is the SQLite twin. Idempotent, like 001.

IF OBJECT_ID(N'dbo.ab_tests', N'U') IS NULL
CREATE TABLE dbo.ab_tests (
    ab_test_id          INT            NOT NULL IDENTITY(1, 1) CONSTRAINT PK_ab_tests PRIMARY KEY,
    salt                NVARCHAR(100)  NOT NULL CONSTRAINT CK_ab_tests_salt CHECK (LEN(salt) >= 1),
    treatment_buckets   INT            NOT NULL CONSTRAINT CK_ab_tests_buckets CHECK (treatment_buckets BETWEEN 0 AND 10000),
    champion_version    INT            NOT NULL CONSTRAINT FK_ab_tests_champion REFERENCES dbo.model_versions (model_version),
    challenger_version  INT            NOT NULL CONSTRAINT FK_ab_tests_challenger REFERENCES dbo.model_versions (model_version),
    from_date           DATE           NOT NULL,
    started_at          DATETIME2(3)   NOT NULL CONSTRAINT DF_ab_tests_started_at DEFAULT SYSUTCDATETIME(),
    started_by          NVARCHAR(200)  NOT NULL,
    is_running          BIT            NOT NULL CONSTRAINT DF_ab_tests_is_running DEFAULT 1,
    stopped_at          DATETIME2(3)   NULL,
    stopped_by          NVARCHAR(200)  NULL,
    stop_reason         NVARCHAR(1000) NULL,
    CONSTRAINT CK_ab_tests_versions CHECK (champion_version <> challenger_version),
    CONSTRAINT CK_ab_tests_running CHECK ((is_running = 1 AND stopped_at IS NULL) OR (is_running = 0 AND stopped_at IS NOT NULL))
);
GO

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_ab_tests_one_running' AND object_id = OBJECT_ID(N'dbo.ab_tests'))
CREATE UNIQUE INDEX UX_ab_tests_one_running ON dbo.ab_tests (is_running) WHERE is_running = 1;
GO

IF OBJECT_ID(N'dbo.ab_arms', N'U') IS NULL
CREATE TABLE dbo.ab_arms (
    ab_test_id  INT          NOT NULL CONSTRAINT FK_ab_arms_test REFERENCES dbo.ab_tests (ab_test_id),
    contact_id  VARCHAR(64)  NOT NULL,
    bucket      SMALLINT     NOT NULL CONSTRAINT CK_ab_arms_bucket CHECK (bucket BETWEEN 0 AND 9999),
    CONSTRAINT PK_ab_arms PRIMARY KEY (ab_test_id, contact_id)
);
GO

-- Each served contact with its arm's score: the champion's (lead_scores) for control, the
-- challenger's (challenger_scores) for treatment; the champion's for everyone when no test runs.
CREATE OR ALTER VIEW dbo.ab_scores AS
SELECT s.contact_id, t.ab_test_id, CASE WHEN t.ab_test_id IS NULL THEN NULL ELSE 'control' END AS arm,
       s.model_version, s.lead_score, s.probability, s.score_100, s.band, s.top_factors, s.as_of, s.scored_at, s.grade
FROM dbo.lead_scores AS s
LEFT JOIN dbo.ab_tests AS t ON t.is_running = 1
LEFT JOIN dbo.ab_arms AS a ON a.ab_test_id = t.ab_test_id AND a.contact_id = s.contact_id
WHERE t.ab_test_id IS NULL OR a.bucket >= t.treatment_buckets
UNION ALL
SELECT c.contact_id, t.ab_test_id, 'treatment' AS arm,
       c.model_version, c.lead_score, c.probability, c.score_100, c.band, c.top_factors, c.as_of, c.scored_at, c.grade
FROM dbo.challenger_scores AS c
JOIN dbo.ab_tests AS t ON t.is_running = 1
JOIN dbo.ab_arms AS a ON a.ab_test_id = t.ab_test_id AND a.contact_id = c.contact_id
WHERE a.bucket < t.treatment_buckets;
GO

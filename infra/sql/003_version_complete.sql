-- 003_version_complete: a version is complete once the step that registered it finished (its
-- artifacts are written and, for a retrain, the run reached its end). A retrain killed in between
-- leaves it incomplete, and activation refuses an incomplete version unless forced. Versions from
-- before were complete. Idempotent, like 001.

IF COL_LENGTH(N'dbo.model_versions', N'complete') IS NULL
ALTER TABLE dbo.model_versions ADD complete BIT NOT NULL CONSTRAINT DF_model_versions_complete DEFAULT 1;
GO

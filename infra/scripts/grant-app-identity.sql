-- Makes the app's user-assigned managed identity a database user with the rights the app needs.
-- Idempotent. Run by infra/scripts/sql-postprovision.js as the server's Entra admin, as one batch
-- with two parameters:
--   @app_name       sysname           the identity's name (the database user's name)
--   @app_client_id  uniqueidentifier  its client (application) id
--
-- This is `CREATE USER [<identity name>] FROM EXTERNAL PROVIDER` with the principal named by its id:
-- FROM EXTERNAL PROVIDER makes the server look the name up in Microsoft Graph, which fails when azd
-- runs as a service principal (CI) unless the server's own identity holds Graph read permissions.
-- WITH SID = <client id as varbinary>, TYPE = E creates the same Entra user without that lookup.
SET NOCOUNT ON;
SET XACT_ABORT ON;

DECLARE @sid varbinary(16) = CAST(@app_client_id AS varbinary(16));

IF EXISTS (SELECT 1 FROM sys.database_principals WHERE name = @app_name AND sid <> @sid)
    THROW 50001, N'A database user with the app identity''s name belongs to another principal (was the identity re-created?). Drop that user, then run the post-provision step again.', 1;

IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = @app_name)
BEGIN
    DECLARE @create nvarchar(400) =
        N'CREATE USER ' + QUOTENAME(@app_name) + N' WITH SID = ' + CONVERT(nvarchar(40), @sid, 1) + N', TYPE = E;';
    EXEC sys.sp_executesql @create;
END;

-- Least privilege: read and write rows and run the schema's procedures. No DDL: migrations run as
-- the admin in this same post-provision step, never as the app.
DECLARE @grants nvarchar(max) =
    N'ALTER ROLE db_datareader ADD MEMBER ' + QUOTENAME(@app_name) + N';' +
    N'ALTER ROLE db_datawriter ADD MEMBER ' + QUOTENAME(@app_name) + N';' +
    N'GRANT EXECUTE ON SCHEMA::dbo TO ' + QUOTENAME(@app_name) + N';';
EXEC sys.sp_executesql @grants;

SELECT name, type_desc, authentication_type_desc
FROM sys.database_principals
WHERE name = @app_name;

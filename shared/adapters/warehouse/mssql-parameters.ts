/**
 * The T-SQL type of every `@name` parameter in MSSQL_STATEMENTS (name without the `@`), so that
 * `npm run check:infra` can compile each statement against the schema with its parameters declared
 * (tools/infra-check wraps it as `CREATE PROCEDURE ... @name TYPE, ... AS BEGIN <statement> END`).
 *
 * Derived from how mssql.ts binds them today: `request.input(name, value)` without a type, so the
 * mssql driver picks it from the JavaScript value: a string is sent as NVARCHAR, an integral number
 * as INT, a fractional one as FLOAT. The only explicit binding is `rows`, NVarChar(MAX). The length
 * given to a string is that of the column it is written to or compared with (NVARCHAR(10) for the
 * YYYY-MM-DD window dates, which land in DATE columns).
 */
export const MSSQL_PARAMETER_TYPES: Record<string, string> = {
  // schema_migrations (migrate)
  id: 'NVARCHAR(100)',
  checksum: 'NVARCHAR(64)',

  // model_versions and scoring_weights
  version: 'INT',
  status: 'NVARCHAR(10)',
  trigger: 'NVARCHAR(50)',
  artifactPath: 'NVARCHAR(400)',
  metrics: 'NVARCHAR(MAX)',
  auc: 'FLOAT',
  prAuc: 'FLOAT',
  brier: 'FLOAT',
  windowStart: 'NVARCHAR(10)',
  windowEnd: 'NVARCHAR(10)',
  feature: 'NVARCHAR(50)',
  weight: 'FLOAT',
  offset: 'FLOAT',

  // activation and deployment_log
  by: 'NVARCHAR(200)',
  action: 'NVARCHAR(10)',
  fromVersion: 'INT',
  toVersion: 'INT',
  reason: 'NVARCHAR(1000)',
  limit: 'INT',

  // scored rows: one JSON array per chunk (bound explicitly as NVarChar(MAX))
  rows: 'NVARCHAR(MAX)',
  contactId: 'NVARCHAR(64)',
};

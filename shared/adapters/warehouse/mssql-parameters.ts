/**
 * The T-SQL type of every `@name` parameter in MSSQL_STATEMENTS (name without the `@`), so that
 * `npm run check:infra` can compile each statement against the schema with its parameters declared
 * (tools/infra-check wraps it as `CREATE PROCEDURE ... @name TYPE, ... AS BEGIN <statement> END`).
 *
 * mssql.ts binds every parameter with exactly this type (sqlTypeOf), so what check:infra compiles is
 * what the server receives. A string's type is that of the column it is written to or compared with
 * (VARCHAR(64) for contact ids, so a lookup seeks the key instead of converting the column), and
 * NVARCHAR(10) for the YYYY-MM-DD window dates, which land in DATE columns.
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
  complete: 'BIT',
  // grade thresholds (NULL for none)
  gradeA: 'FLOAT',
  gradeB: 'FLOAT',
  gradeC: 'FLOAT',

  // activation and deployment_log
  by: 'NVARCHAR(200)',
  action: 'NVARCHAR(10)',
  fromVersion: 'INT',
  toVersion: 'INT',
  reason: 'NVARCHAR(1000)',
  limit: 'INT',

  mean: 'FLOAT',

  // the served population: one JSON array of contacts per chunk
  rows: 'NVARCHAR(MAX)',
  asOf: 'DATE',
  contentHash: 'CHAR(64)',
  path: 'NVARCHAR(400)',
  contacts: 'INT',
  loadedAt: 'DATETIME2(3)',
  after: 'VARCHAR(64)',
  contactId: 'VARCHAR(64)',

  // the challenger: the first send day its outcomes are judged on
  from: 'DATE',

  // the A/B test (the arms' rows travel as one JSON array per chunk, in `rows`)
  abTestId: 'INT',
  salt: 'NVARCHAR(100)',
  buckets: 'INT',
  champion: 'INT',
  challenger: 'INT',
};

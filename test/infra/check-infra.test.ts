import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MSSQL_PARAMETER_TYPES } from '../../shared/adapters/warehouse/mssql-parameters';
import { MSSQL_STATEMENTS } from '../../shared/adapters/warehouse/mssql-statements';

/**
 * `npm run check:infra` must be able to fail: a broken or merely warned-about Bicep file, a T-SQL
 * file that does not parse, and T-SQL that does not compile against the migrations' schema each make
 * scripts/check-infra.sh exit non-zero, naming file, line and column (or the statement), while the
 * same tools accept valid input. Real Bicep CLI, ScriptDom and DacFx, on files written to a temp
 * folder; the project's infra/bicepconfig.json applies to them as to infra/.
 */

const repo = path.resolve(__dirname, '..', '..');
const REAL_MIGRATIONS = readdirSync(path.join(repo, 'infra', 'sql'))
  .filter((f) => /^\d{3}_\w+\.sql$/.test(f))
  .sort();
const checker = path.join(repo, '.tools', 'infra-check', 'InfraCheck.dll');

/** The checker itself (built by the script's first run above) on migrations and statements. */
function infraCheck(...args: string[]): { status: number | null; stdout: string } {
  const run = spawnSync('dotnet', [checker, ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: `${run.stdout}${run.stderr}` };
}

function checkInfra(...paths: string[]): { status: number | null; output: string } {
  const run = spawnSync('bash', [path.join(repo, 'scripts', 'check-infra.sh'), ...paths], {
    cwd: repo,
    encoding: 'utf8',
    // The first run on a fresh clone restores the tools from NuGet and builds the checker.
    timeout: 300_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const VALID_BICEP = `@description('Where the account lives.')
param location string = resourceGroup().location

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: 'st\${uniqueString(resourceGroup().id)}'
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: { minimumTlsVersion: 'TLS1_2', supportsHttpsTrafficOnly: true }
}

output id string = account.id
`;

const VALID_SQL = `CREATE TABLE dbo.scoring_weights (
    model_version INT NOT NULL,
    feature VARCHAR(50) NOT NULL,
    weight FLOAT NOT NULL,
    offset FLOAT NOT NULL,
    is_active BIT NOT NULL,
    created_at DATETIME NOT NULL
);
GO
CREATE UNIQUE INDEX ux_one_active ON dbo.scoring_weights (feature) WHERE is_active = 1;
GO
`;

describe('scripts/check-infra.sh', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'check-infra-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function write(name: string, content: string): string {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  test('accepts valid Bicep and T-SQL (with GO batch separators)', () => {
    const bicep = write('valid.bicep', VALID_BICEP);
    const sql = write('valid.sql', VALID_SQL);
    const { status, output } = checkInfra(bicep, sql);
    expect(output).toContain(`ok   ${bicep}`);
    expect(output).toMatch(/ok {3}.*valid\.sql \(2 batch\(es\), 2 statement\(s\)\)/);
    expect(output).toContain('check-infra: OK');
    expect(status).toBe(0);
  }, 300_000);

  test('fails on a Bicep syntax error, a lint warning, an unexplained suppression and bad T-SQL', () => {
    // A missing closing brace: a compiler error.
    const broken = write(
      'failing/broken.bicep',
      `resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {\n  name: 'stbroken'\n  location: 'westeurope'\n`,
    );
    // Compiles, but the linter warns (unused parameter): warnings fail too.
    const warned = write('failing/warned.bicep', `param unused string\n\noutput answer int = 42\n`);
    // The same warning suppressed without a comment saying why: the project rule fails it.
    const bare = write('failing/bare-suppression.bicep', `#disable-next-line no-unused-params\nparam unused string\n\noutput answer int = 42\n`);
    // Suppressed with a reason: accepted.
    const explained = write(
      'failing/explained-suppression.bicep',
      `// Kept for callers of an older version of this module; remove in the next major.\n#disable-next-line no-unused-params\nparam unused string\n\noutput answer int = 42\n`,
    );
    const badSql = write('failing/bad.sql', `CREATE TABLE dbo.t (a INT NOT NULL);\nGO\nSELECT a\nFORM dbo.t;\n`);

    // A folder: one Bicep process for all its files, as for infra/ (a process per file is slower).
    const { status, output } = checkInfra(path.join(dir, 'failing'));

    expect(status).toBe(1);
    expect(output).toContain('check-infra: FAILED');
    // Each file's verdict, and each problem with file:line:column.
    expect(output).toContain(`FAIL ${broken}`);
    expect(output).toMatch(new RegExp(`${escape(broken)}:\\d+:\\d+: error BCP\\d+: `));
    expect(output).toContain(`FAIL ${warned}`);
    expect(output).toContain(`${warned}:1:7: warning no-unused-params: `);
    expect(output).toContain(`FAIL ${bare}`);
    expect(output).toContain(`${bare}:1:1: error suppression: `);
    expect(output).toContain(`ok   ${explained}`);
    // "FORM" makes the parser stop at line 4 of the second batch.
    expect(output).toMatch(new RegExp(`${escape(badSql)}:4:\\d+: error SQL\\d+: Incorrect syntax`));
    expect(output).toMatch(/T-SQL summary: 1 file\(s\).*1 error\(s\)/);
  }, 300_000);

  test('fails on an empty migration file', () => {
    const empty = write('empty.sql', '-- nothing here yet\n');
    const { status, output } = checkInfra(empty);
    expect(status).toBe(1);
    expect(output).toContain(`${empty}:1:1: error INFRA: no T-SQL statement in this file`);
  }, 300_000);

  test("fails on an adapter statement that does not parse or holds a GO separator (what the mssql driver can't send)", () => {
    // The same checker the script runs on MSSQL_STATEMENTS, built by the tests above.
    const json = write(
      'statements.json',
      JSON.stringify({
        good: 'SELECT model_version, feature, weight FROM dbo.scoring_weights WHERE is_active = 1 AND model_version = @v',
        broken: 'UPDATE dbo.scoring_weights SET is_active =\nWHERE model_version = @v',
        twoBatches: 'SELECT 1;\nGO\nSELECT 2;',
      }),
    );
    const types = write('types.json', JSON.stringify({ v: 'INT' }));
    const run = infraCheck('infra/sql', '--statements', json, 'mssql-statements.ts', '--parameters', types, 'mssql-parameters.ts');
    expect(run.stdout).toContain('ok   mssql-statements.ts#good (compiled against the schema, @v INT)');
    expect(run.stdout).toMatch(/mssql-statements\.ts#broken:2:1: error SQL\d+: Incorrect syntax near 'WHERE'/);
    expect(run.stdout).toContain('mssql-statements.ts#twoBatches:1:1: error INFRA: contains 2 batches');
    expect(run.status).toBe(1);
  }, 60_000);
});

describe('tools/infra-check: T-SQL compiled against the migrations with DacFx', () => {
  let dir: string;
  let types: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'check-dacfx-'));
    types = path.join(dir, 'parameters.json');
    writeFileSync(types, JSON.stringify(MSSQL_PARAMETER_TYPES));
    // Builds the checker when this file runs alone (the describe above builds it otherwise).
    const sql = path.join(dir, 'warm-up.sql');
    writeFileSync(sql, 'SELECT 1;\n');
    expect(checkInfra(sql).status).toBe(0);
  }, 300_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function statements(name: string, texts: Record<string, string>): string {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(texts));
    return file;
  }

  function migrations(folder: string, files: Record<string, string>): string {
    const at = path.join(dir, folder);
    mkdirSync(at, { recursive: true });
    // The real migrations, then the test's own (named to sort after them).
    for (const m of REAL_MIGRATIONS) copyFileSync(path.join(repo, 'infra', 'sql', m), path.join(at, m));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(at, name), text);
    return at;
  }

  test('the real migrations build into a model and every MSSQL_STATEMENTS statement compiles with MSSQL_PARAMETER_TYPES', () => {
    const json = statements('real.json', MSSQL_STATEMENTS);
    const run = infraCheck('infra/sql', '--statements', json, 'mssql-statements.ts', '--parameters', types, 'mssql-parameters.ts');
    for (const name of Object.keys(MSSQL_STATEMENTS)) expect(run.stdout).toContain(`ok   mssql-statements.ts#${name} (compiled against the schema`);
    expect(run.stdout).toContain('ok   mssql-statements.ts#activateVersion (compiled against the schema, @version INT, @by NVARCHAR(200))');
    expect(run.stdout).toMatch(
      new RegExp(
        `DacFx summary: ${REAL_MIGRATIONS.length} migration\\(s\\) -> \\d+ table\\(s\\), \\d+ view\\(s\\), \\d+ index\\(es\\).*TSqlModel \\(SqlAzure\\): 0 error\\(s\\), 0 warning\\(s\\)`,
      ),
    );
    expect(run.status).toBe(0);
  }, 60_000);

  test('a misspelt column in one statement fails the check with SQL71501 naming that statement and where', () => {
    const getVersion = MSSQL_STATEMENTS.getVersion!.replace('activated_by', 'activated_bye');
    const column = getVersion.split('\n')[0]!.indexOf('activated_bye') + 1;
    const json = statements('misspelt.json', { ...MSSQL_STATEMENTS, getVersion });
    const run = infraCheck('infra/sql', '--statements', json, 'mssql-statements.ts', '--parameters', types, 'mssql-parameters.ts');
    expect(run.stdout).toContain(
      `mssql-statements.ts#getVersion:1:${column}: error SQL71501: Procedure: [dbo].[check_getVersion] has an unresolved reference to object [dbo].[model_versions].[activated_bye].`,
    );
    // Only that statement: the others still compile.
    expect(run.stdout).toContain('ok   mssql-statements.ts#listVersions (compiled against the schema');
    expect(run.stdout).not.toMatch(/#(?!getVersion)\w+.*: error /);
    expect(run.stdout).toContain('TSqlModel (SqlAzure): 1 error(s), 0 warning(s)');
    expect(run.status).toBe(1);
  }, 60_000);

  test('a misspelt table is a warning to DacFx (deferred name resolution) and fails too; so does a parameter without a type', () => {
    const json = statements('table.json', {
      wrongTable: 'SELECT feature FROM dbo.scoring_weight WHERE model_version = @version;',
      untyped: 'UPDATE dbo.model_versions SET activated_by = @who WHERE model_version = @version;',
    });
    const run = infraCheck('infra/sql', '--statements', json, 'mssql-statements.ts', '--parameters', types, 'mssql-parameters.ts');
    expect(run.stdout).toMatch(
      /mssql-statements\.ts#wrongTable:1:25: warning SQL71502: Procedure: \[dbo\]\.\[check_wrongTable\] has an unresolved reference to object \[dbo\]\.\[scoring_weight\]\./,
    );
    // Its columns are unresolved too; the table alone is reported.
    expect(run.stdout).not.toContain('[dbo].[scoring_weight].[feature]');
    expect(run.stdout).toContain('mssql-statements.ts#untyped: error INFRA: uses @who, which has no type in mssql-parameters.ts (MSSQL_PARAMETER_TYPES)');
    expect(run.status).toBe(1);
  }, 60_000);

  test('a migration with an unresolved reference fails (through scripts/check-infra.sh on a folder)', () => {
    const folder = path.join(dir, 'unresolved');
    mkdirSync(folder, { recursive: true });
    const file = path.join(folder, '001_schema.sql');
    writeFileSync(
      file,
      `IF OBJECT_ID(N'dbo.t', N'U') IS NULL\nCREATE TABLE dbo.t (a INT NOT NULL CONSTRAINT PK_t PRIMARY KEY, b INT NULL);\nGO\n` +
        `CREATE OR ALTER VIEW dbo.v AS\nSELECT a,\n       c\nFROM dbo.t;\nGO\n`,
    );
    const { status, output } = checkInfra(folder);
    expect(output).toContain(`${file}:6:8: error SQL71501: View: [dbo].[v] has an unresolved reference to object [dbo].[t].[c].`);
    expect(output).toContain('check-infra: FAILED');
    expect(status).toBe(1);
  }, 300_000);

  test('later migrations apply in order: ALTER TABLE ADD, a view dropped and re-created, guards evaluated; statements see the result', () => {
    const folder = migrations('later', {
      '900_notes.sql':
        `IF COL_LENGTH(N'dbo.model_versions', N'notes') IS NULL\nALTER TABLE dbo.model_versions ADD notes NVARCHAR(400) NULL;\nGO\n` +
        `DROP VIEW IF EXISTS dbo.contacts;\nGO\n` +
        `CREATE VIEW dbo.contacts AS\nSELECT contact_id, as_of, recency_days, fatigue_score, sentiment_score, engagement_rate_30d,\n` +
        `       reply_rate_90d, opt_out_risk, mms_affinity, updated_at\nFROM dbo.contact_features;\nGO\n`,
    });
    const json = statements('later.json', {
      ...MSSQL_STATEMENTS,
      getNotes: 'SELECT notes FROM dbo.model_versions WHERE model_version = @version;',
      contactsUpdated: 'SELECT contact_id, updated_at FROM dbo.contacts;',
    });
    const run = infraCheck(folder, '--statements', json, 'mssql-statements.ts', '--parameters', types, 'mssql-parameters.ts');
    expect(run.stdout).toContain('ok   mssql-statements.ts#getNotes (compiled against the schema, @version INT)');
    expect(run.stdout).toContain('ok   mssql-statements.ts#contactsUpdated (compiled against the schema, no parameters)');
    expect(run.stdout).toMatch(
      new RegExp(`DacFx summary: ${REAL_MIGRATIONS.length + 1} migration\\(s\\) -> .*TSqlModel \\(SqlAzure\\): 0 error\\(s\\), 0 warning\\(s\\)`),
    );
    expect(run.status).toBe(0);
  }, 60_000);

  test('a migration that would fail when `leadscore migrate` runs it again, or that the model cannot take, fails clearly', () => {
    const folder = migrations('rerun', {
      '900_unguarded.sql': `ALTER TABLE dbo.model_versions ADD notes NVARCHAR(400) NULL;\nGO\n`,
      '901_backfill.sql': `UPDATE dbo.model_versions SET status = 'retired' WHERE status = 'staged';\nGO\n`,
    });
    const run = infraCheck(folder);
    expect(run.stdout).toContain(
      `${folder}/900_unguarded.sql:1:36: error INFRA: not idempotent (run again after a complete run that was not recorded, as \`leadscore migrate\` does): ` +
        'ALTER TABLE dbo.model_versions ADD notes: the column already exists',
    );
    expect(run.stdout).toContain(`${folder}/901_backfill.sql:1:1: error INFRA: UPDATE (UpdateStatement) is not supported by the migration model builder`);
    expect(run.status).toBe(1);
  }, 60_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

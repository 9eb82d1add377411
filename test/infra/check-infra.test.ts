import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * `npm run check:infra` must be able to fail: a broken or merely warned-about Bicep file and a T-SQL
 * file that does not parse each make scripts/check-infra.sh exit non-zero, naming file, line and
 * column, while the same tools accept valid input. Real Bicep CLI and ScriptDom, on files written to
 * a temp folder; the project's infra/bicepconfig.json applies to them as to infra/.
 */

const repo = path.resolve(__dirname, '..', '..');

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
    const run = spawnSync('dotnet', [path.join(repo, '.tools', 'infra-check', 'InfraCheck.dll'), '--statements', json, 'mssql-statements.ts'], {
      encoding: 'utf8',
    });
    expect(run.stdout).toContain('ok   mssql-statements.ts#good (1 statement(s))');
    expect(run.stdout).toMatch(/mssql-statements\.ts#broken:2:1: error SQL\d+: Incorrect syntax near 'WHERE'/);
    expect(run.stdout).toContain('mssql-statements.ts#twoBatches:1:1: error INFRA: contains 2 batches');
    expect(run.status).toBe(1);
  }, 60_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MSSQL_STATEMENTS } from '../../../shared/adapters/warehouse/mssql-statements';
import { isTransientSqlError, withTransientRetry, TRANSIENT_SQL_ERRORS } from '../../../shared/adapters/warehouse/retry';
import { loadTsqlMigrations, splitBatches } from '../../../shared/adapters/warehouse/tsql-batches';
import { SQLITE_MIGRATIONS } from '../../../shared/adapters/warehouse/sqlite-migrations';

const sqlError = (number: number): Error => Object.assign(new Error(`error ${number}`), { number });

describe('transient Azure SQL errors', () => {
  test('the documented numbers are transient; constraint violations and the like are not', () => {
    for (const n of [4060, 40197, 40501, 40613, 49918, 49919, 49920, 4221, 10928, 10929, 10053, 10054, 10060, 40143, 233, 64]) {
      expect(isTransientSqlError(sqlError(n))).toBe(true);
    }
    expect(TRANSIENT_SQL_ERRORS.size).toBe(16);
    expect(isTransientSqlError(sqlError(2627))).toBe(false);
    // mssql wraps tedious errors: RequestError { originalError: { info: { number } } }
    expect(isTransientSqlError({ name: 'RequestError', originalError: { info: { number: 40613 } } })).toBe(true);
    expect(isTransientSqlError(Object.assign(new Error('socket'), { code: 'ESOCKET' }))).toBe(true);
  });

  test('retries with exponential backoff, then succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const out = await withTransientRetry(
      async () => {
        if (++calls < 4) throw sqlError(40501);
        return 'ok';
      },
      { attempts: 5, baseDelayMs: 100, maxDelayMs: 250, sleep: async (ms) => void delays.push(ms), random: () => 0.5 },
    );
    expect(out).toBe('ok');
    expect(delays).toEqual([100, 200, 250]);
  });

  test('gives up after the last attempt and never retries a non-transient error', async () => {
    let calls = 0;
    const opts = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined };
    await expect(
      withTransientRetry(async () => {
        calls++;
        throw sqlError(40613);
      }, opts),
    ).rejects.toThrow('error 40613');
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      withTransientRetry(async () => {
        calls++;
        throw sqlError(547);
      }, opts),
    ).rejects.toThrow('error 547');
    expect(calls).toBe(1);
  });
});

describe('T-SQL text', () => {
  test('every statement the mssql adapter (and its population load) names exists in MSSQL_STATEMENTS', () => {
    const dir = path.join(__dirname, '../../../shared/adapters/warehouse');
    const src = ['mssql.ts', 'mssql-population.ts'].map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
    const names = [...src.matchAll(/(?:run|query|statement)\('(\w+)'/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(15);
    for (const n of names) expect(Object.keys(MSSQL_STATEMENTS)).toContain(n);
  });

  test('no statement is built by concatenation: values come in as @parameters', () => {
    for (const [name, text] of Object.entries(MSSQL_STATEMENTS)) expect([name, text.includes('${')]).toEqual([name, false]);
  });

  test('GO splits batches; the migration ids match the SQLite equivalents', () => {
    expect(splitBatches('SELECT 1;\nGO\n-- only a comment\nGO  \nSELECT 2;\ngo -- end\n')).toEqual(['SELECT 1;', 'SELECT 2;']);
    const migrations = loadTsqlMigrations();
    expect(migrations.map((m) => m.id)).toEqual(SQLITE_MIGRATIONS.map((m) => m.id));
    const batches = migrations[0]!.batches;
    expect(batches.some((b) => /CREATE OR ALTER VIEW dbo\.active_scoring_weights/.test(b))).toBe(true);
    expect(batches.some((b) => /CREATE UNIQUE INDEX UX_model_versions_one_active[\s\S]*WHERE is_active = 1/.test(b))).toBe(true);
    // CREATE VIEW must open its batch in T-SQL.
    for (const b of batches.filter((x) => /CREATE OR ALTER VIEW/.test(x))) expect(b.replace(/^(--[^\n]*\n)*/, '').trimStart()).toMatch(/^CREATE OR ALTER VIEW/);
  });
});

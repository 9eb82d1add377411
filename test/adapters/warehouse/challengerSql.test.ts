import * as fs from 'node:fs';
import * as path from 'node:path';
import { challengerViews, viewStatement, viewStatements } from '../../../shared/adapters/warehouse/challengerSql';
import { SQLITE_MIGRATIONS } from '../../../shared/adapters/warehouse/sqlite-migrations';

/**
 * challenger_scores is lead_scores' SQL over the challenger by construction: the SQLite migration
 * runs the derivation, and Azure SQL's 005 must hold exactly the same derivation of 004's T-SQL.
 */
const sqlDir = path.resolve(__dirname, '../../../infra/sql');

test("infra/sql/005_challenger.sql's views are 004's, derived by challengerSql.ts", () => {
  const derived = challengerViews(viewStatements(fs.readFileSync(path.join(sqlDir, '004_grades.sql'), 'utf8'), 'tsql'));
  const file = fs.readFileSync(path.join(sqlDir, '005_challenger.sql'), 'utf8');
  const in005 = (name: string): string => viewStatement(file, 'tsql', name);
  expect(in005('challenger_model')).toBe(derived.activeModel);
  expect(in005('challenger_scores')).toBe(derived.leadScores);
});

test('the derivation changes only the model the scores read, in both dialects', () => {
  const sqlite = viewStatements(SQLITE_MIGRATIONS.find((m) => m.id === '004_grades')!.sql, 'sqlite');
  const c = challengerViews(sqlite);
  expect(c.leadScores.replace('VIEW challenger_scores', 'VIEW lead_scores').replace('challenger_model AS m', 'active_model AS m')).toBe(sqlite.leadScores);
  expect(SQLITE_MIGRATIONS.find((m) => m.id === '005_challenger')!.sql).toContain(c.leadScores);
  expect(c.activeModel).toContain('WHERE v.is_challenger = 1');
  expect(c.activeModel).not.toContain('is_active');
  expect(() => challengerViews({ activeModel: 'CREATE VIEW other AS SELECT 1;', leadScores: sqlite.leadScores })).toThrow(/the view name not found/);
});

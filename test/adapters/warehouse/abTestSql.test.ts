import * as fs from 'node:fs';
import * as path from 'node:path';
import { AB_TEST_MIGRATION } from '../../../shared/adapters/warehouse/sqliteAbTest';

/** The two dialects of ab_scores are one SELECT: the T-SQL file's view, without its schema prefix, is the SQLite twin's. */
test("infra/sql/006_ab_test.sql's ab_scores is the SQLite migration's, word for word", () => {
  const tsql = fs.readFileSync(path.join(__dirname, '../../../infra/sql/006_ab_test.sql'), 'utf8');
  const words = (s: string): string => s.replace(/\s+/g, ' ').trim();
  const t = /CREATE OR ALTER VIEW dbo\.ab_scores AS([\s\S]*?)\nGO/.exec(tsql)![1]!.replaceAll('dbo.', '');
  const s = /CREATE VIEW ab_scores AS([\s\S]*?);/.exec(AB_TEST_MIGRATION)![1]!;
  expect(words(t).replace(/;$/, '')).toBe(words(s));
  expect(words(t)).toContain('FROM lead_scores AS s');
  expect(words(t)).toContain('FROM challenger_scores AS c');
});

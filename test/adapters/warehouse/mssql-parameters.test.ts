import { MSSQL_PARAMETER_TYPES } from '../../../shared/adapters/warehouse/mssql-parameters';
import { MSSQL_STATEMENTS } from '../../../shared/adapters/warehouse/mssql-statements';

/**
 * `npm run check:infra` compiles each statement with its parameters declared from MSSQL_PARAMETER_TYPES
 * and fails on a parameter without a type; this says the same sooner, without .NET. It is meant to fail
 * when a statement gains a parameter: give the new one its T-SQL type in mssql-parameters.ts.
 */
describe('MSSQL_PARAMETER_TYPES', () => {
  test('every @name a statement uses has a T-SQL type', () => {
    const missing: string[] = [];
    for (const [name, sql] of Object.entries(MSSQL_STATEMENTS)) {
      // @name but not @@ROWCOUNT and the like.
      for (const m of sql.matchAll(/(?<![@\w])@(\w+)/g)) {
        if (!(m[1]! in MSSQL_PARAMETER_TYPES)) missing.push(`${name}: @${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('each type is a plain T-SQL type name with an optional length or precision', () => {
    for (const type of Object.values(MSSQL_PARAMETER_TYPES)) {
      expect(type).toMatch(/^[A-Z][A-Z0-9]*(\((MAX|\d+(, ?\d+)?)\))?$/);
    }
  });
});

import sql from 'mssql';
import { MSSQL_PARAMETER_TYPES } from './mssql-parameters';
import { statement } from './mssql-statements';
import type { Row } from './rows';

/** Runs a named statement (MSSQL_STATEMENTS) with its parameters bound by their declared types. */
export type Run = (name: string, params?: Record<string, unknown>) => Promise<Row[]>;

/** The mssql type of a declared T-SQL type (MSSQL_PARAMETER_TYPES: what check:infra compiles against). */
function mssqlType(declared: string): sql.ISqlType | (() => sql.ISqlType) {
  const m = /^(\w+)(?:\((MAX|\d+)\))?$/.exec(declared);
  const len = m?.[2] === 'MAX' ? sql.MAX : Number(m?.[2]);
  switch (m?.[1]) {
    case 'INT':
      return sql.Int;
    case 'BIT':
      return sql.Bit;
    case 'FLOAT':
      return sql.Float;
    case 'DATE':
      return sql.Date;
    case 'DATETIME2':
      return sql.DateTime2(len);
    case 'CHAR':
      return sql.Char(len);
    case 'VARCHAR':
      return sql.VarChar(len);
    case 'NVARCHAR':
      return sql.NVarChar(len);
    default:
      throw new Error(`MSSQL_PARAMETER_TYPES: no mssql type for ${declared}`);
  }
}

/** Binds every parameter with its declared type; a name without one is a programming error. */
export function bind(req: sql.Request, params: Record<string, unknown>): sql.Request {
  for (const [k, v] of Object.entries(params)) {
    const declared = MSSQL_PARAMETER_TYPES[k];
    if (!declared) throw new Error(`parameter @${k} has no type in MSSQL_PARAMETER_TYPES`);
    // DATE parameters travel as YYYY-MM-DD text in the app; the driver wants a Date (UTC midnight).
    const value = declared === 'DATE' && typeof v === 'string' ? new Date(`${v}T00:00:00Z`) : v;
    req.input(k, mssqlType(declared), value);
  }
  return req;
}

/** A Run inside one transaction. */
export function runIn(tx: sql.Transaction): Run {
  return async (name, params = {}) => {
    return ((await bind(new sql.Request(tx), params).query(statement(name))).recordset ?? []) as Row[];
  };
}

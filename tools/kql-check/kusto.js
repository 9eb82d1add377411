'use strict';
/**
 * Microsoft's Kusto language service (npm @kusto/language-service-next, the Bridge.NET build of
 * Kusto.Language) with the two schemas a query of this product can run against, declared in
 * schemas.json:
 *   - 'workspace':   the Log Analytics workspace tables (AppMetrics, AppEvents, AppRequests, …);
 *   - 'appInsights': the classic Application Insights tables (customMetrics, customEvents, requests, …).
 * Offline: the package is plain JavaScript, nothing is fetched.
 *
 * analyze(text, scope) parses and analyses a query against that scope's tables and returns the
 * language service's diagnostics (its own and those of its built-in analyzers, i.e.
 * KustoCodeService.GetCombinedDiagnostics) and the columns of the query's result.
 */
const path = require('node:path');

const packageDir = path.dirname(require.resolve('@kusto/language-service-next/package.json'));
// The bridge runtime defines the global `Bridge`; the library then defines the global `Kusto`.
require(path.join(packageDir, 'bridge.min.js'));
require(path.join(packageDir, 'Kusto.Language.Bridge.min.js'));
const K = globalThis.Kusto.Language;
const S = K.Symbols;

const SCOPES = ['workspace', 'appInsights'];
/** The scalar types a table reference uses (Kusto's names; `double` and `boolean` are aliases). */
const COLUMN_TYPES = new Set(['string', 'int', 'long', 'real', 'double', 'decimal', 'bool', 'boolean', 'datetime', 'timespan', 'guid', 'dynamic']);

const schemaFile = path.join(__dirname, 'schemas.json');
const schemas = require(schemaFile);

function list(items) {
  const out = [];
  for (let i = 0; i < items.Count; i++) out.push(items.getItem(i));
  return out;
}

/** One GlobalState per scope: a database holding exactly the declared tables. */
const globals = {};
for (const scope of SCOPES) {
  const declared = schemas[scope] && schemas[scope].tables;
  if (!declared || typeof declared !== 'object') throw new Error(`${schemaFile}: no tables for scope "${scope}"`);
  const tables = Object.entries(declared).map(([table, columns]) => {
    const symbols = Object.entries(columns).map(([column, type]) => {
      if (!COLUMN_TYPES.has(type)) throw new Error(`${schemaFile}: ${scope}.${table}.${column}: unknown column type "${type}"`);
      return new S.ColumnSymbol(column, S.ScalarTypes.GetSymbol(type));
    });
    return new S.TableSymbol.$ctor4(table, symbols);
  });
  globals[scope] = K.GlobalState.Default.WithDatabase(new S.DatabaseSymbol.ctor(scope, tables));
}

/**
 * @param {string} text the query, parameters already substituted
 * @param {'workspace'|'appInsights'} scope
 */
function analyze(text, scope) {
  if (!SCOPES.includes(scope)) throw new Error(`unknown KQL scope "${scope}" (expected ${SCOPES.join(' or ')})`);
  const code = K.KustoCode.ParseAndAnalyze(text, globals[scope]);
  const service = new K.Editor.KustoCodeService.ctor(code);
  const diagnostics = list(service.GetCombinedDiagnostics(true)).map((d) => ({
    severity: d.Severity,
    code: d.Code,
    start: d.HasLocation ? d.Start : 0,
    length: d.HasLocation ? d.Length : 0,
    message: d.Message,
  }));
  const result = code.ResultType;
  const columns = result && result.Columns ? list(result.Columns).map((c) => ({ name: c.Name, type: c.Type.Name })) : [];
  return { diagnostics, columns };
}

/** The declared tables of a scope, as { table: { column: type } }. */
function tables(scope) {
  return schemas[scope].tables;
}

module.exports = { SCOPES, analyze, tables, schemaFile };

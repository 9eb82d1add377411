#!/usr/bin/env node
'use strict';
/**
 * The KQL check of `npm run check:infra`: every KQL query the product ships, analysed by Microsoft's
 * Kusto language service against the documented schema of the tables it runs on (schemas.json).
 *
 * Usage: node tools/kql-check/check.js [FILE…] [--queries QUERIES.json SOURCE.ts]
 *   FILE.json   a workbook (infra/monitoring/workbook.json): every query item and KQL parameter
 *   FILE.bicep  every Microsoft.Insights/scheduledQueryRules resource: each `query:`
 *   --queries   the app's queries (KQL_QUERIES of shared/adapters/monitor/queries.ts, written to JSON
 *               as { name: { scope, text } }); SOURCE is the module, where locations are reported
 *
 * Scopes: 'appInsights' queries run against the classic Application Insights tables (customMetrics,
 * customEvents, requests, …), 'workspace' queries against the Log Analytics tables (AppMetrics,
 * AppEvents, AppRequests, …). A query whose scope cannot be determined is a failure.
 *
 * Verdict: a diagnostic of severity Error or Warning (the language service's own, and its built-in
 * analyzers', e.g. KS508 "join without kind") fails the query. Suggestion and Information
 * diagnostics (e.g. KS500 "avoid contains") are printed as `info` and do not fail.
 *
 * Output: `ok   WHERE (scope)` or `FAIL WHERE (scope)` per query, each problem as
 * `file:line:col: error|warning CODE: message`, then a summary. Paths are printed as given.
 * Exit code 0 = every query clean, 1 = at least one failure, 2 = bad usage.
 */
const fs = require('node:fs');
const kusto = require('./kusto');
const workbook = require('./workbook');
const bicep = require('./bicep');
const { JsonError } = require('./json');

const FAILING = new Set(['Error', 'Warning']);
const REPORTED = new Set(['Error', 'Warning', 'Suggestion', 'Information']);

function lineCol(text, offset) {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

function usage(message) {
  console.error(`kql-check: ${message}\nusage: node tools/kql-check/check.js [FILE.json|FILE.bicep …] [--queries QUERIES.json SOURCE.ts]`);
  process.exit(2);
}

const files = [];
const modules = [];
const args = process.argv.slice(2);
for (let k = 0; k < args.length; k++) {
  if (args[k] === '--queries') {
    if (k + 2 >= args.length) usage('--queries needs QUERIES.json and SOURCE.ts');
    modules.push({ json: args[k + 1], source: args[k + 2] });
    k += 2;
  } else files.push(args[k]);
}
if (files.length === 0 && modules.length === 0) usage('nothing to check');

let failures = 0;
const checked = { workbook: 0, bicep: 0, module: 0 };

function problem(file, text, offset, message) {
  const { line, col } = lineCol(text, offset);
  console.log(`${file}:${line}:${col}: error KQL: ${message}`);
  failures++;
}

/**
 * Analyses one query and prints its verdict and diagnostics.
 * location(offset) → { file, line, col } of a position of the analysed text.
 */
function check(kind, where, scope, text, location) {
  checked[kind]++;
  const { diagnostics } = kusto.analyze(text, scope);
  const shown = diagnostics.filter((d) => REPORTED.has(d.severity));
  const failing = shown.filter((d) => FAILING.has(d.severity));
  console.log(`${failing.length ? 'FAIL' : 'ok  '} ${where} (${scope})`);
  for (const d of shown) {
    const at = location(d.start);
    const level = d.severity === 'Error' ? 'error' : d.severity === 'Warning' ? 'warning' : 'info';
    console.log(`${at.file}:${at.line}:${at.col}: ${level} ${d.code}: ${d.message.replace(/\s*\n\s*/g, ' ')}`);
  }
  failures += failing.length;
}

for (const file of files) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    console.log(`${file}:1:1: error KQL: cannot read the file (${e.code ?? e.message})`);
    failures++;
    continue;
  }
  let found;
  try {
    if (file.endsWith('.json')) {
      JSON.parse(text);
      found = workbook.extract(text);
    } else if (file.endsWith('.bicep')) {
      const b = bicep.extract(text);
      found = { queries: b.queries.map((q) => ({ ...q, toFileOffset: (offset) => q.offsets[Math.min(offset, q.offsets.length - 1)] })), problems: b.problems };
    } else {
      console.log(`${file}:1:1: error KQL: not a workbook (.json) or a Bicep file (.bicep)`);
      failures++;
      continue;
    }
  } catch (e) {
    const offset = e instanceof JsonError || e instanceof bicep.BicepError ? e.offset : 0;
    problem(file, text, offset, `cannot read the queries: ${e.message}`);
    continue;
  }
  for (const p of found.problems) problem(file, text, p.offset, p.message);
  if (found.queries.length === 0 && found.problems.length === 0 && file.endsWith('.json')) problem(file, text, 0, 'no KQL query in this workbook');
  for (const q of found.queries) {
    check(file.endsWith('.json') ? 'workbook' : 'bicep', `${file}#${q.name}`, q.scope, q.text, (offset) => ({
      file,
      ...lineCol(text, q.toFileOffset(offset)),
    }));
  }
}

for (const m of modules) {
  let queries;
  let source = '';
  try {
    queries = JSON.parse(fs.readFileSync(m.json, 'utf8'));
    source = fs.readFileSync(m.source, 'utf8');
  } catch (e) {
    console.log(`${m.source}:1:1: error KQL: cannot read the queries (${e.message})`);
    failures++;
    continue;
  }
  if (!queries || typeof queries !== 'object' || Object.keys(queries).length === 0) {
    console.log(`${m.source}:1:1: error KQL: KQL_QUERIES holds no query`);
    failures++;
    continue;
  }
  for (const [name, q] of Object.entries(queries)) {
    const where = `${m.source}#${name}`;
    if (!q || typeof q.text !== 'string') {
      console.log(`${where}:1:1: error KQL: not a query ({ scope, text })`);
      failures++;
      continue;
    }
    if (!kusto.SCOPES.includes(q.scope)) {
      console.log(
        `${where}:1:1: error KQL: cannot determine the query's scope (scope ${JSON.stringify(q.scope)}; expected ${kusto.SCOPES.map((s) => `'${s}'`).join(' or ')})`,
      );
      failures++;
      continue;
    }
    // Report in the module when its text is there verbatim (a template literal without escapes),
    // else relative to the query.
    const at = source.indexOf(q.text);
    const location = at >= 0 ? (offset) => ({ file: m.source, ...lineCol(source, at + offset) }) : (offset) => ({ file: where, ...lineCol(q.text, offset) });
    check('module', where, q.scope, q.text, location);
  }
}

const total = checked.workbook + checked.bicep + checked.module;
console.log(
  `KQL summary: ${total} query(ies) analysed with the Kusto language service (${checked.workbook} in workbooks, ${checked.bicep} in alert rules, ${checked.module} of the app), ${failures} error(s) or warning(s)`,
);
process.exit(failures > 0 ? 1 : 0);

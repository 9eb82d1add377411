'use strict';
/**
 * Finds the KQL of a workbook (the portal's JSON: "Notebook/1.0") with each query's scope, and
 * substitutes workbook parameters the way the portal does before it runs a query.
 *
 * Which strings are queries: every object with a string `query` at any depth — query items
 * (type 3), KQL-backed parameters of parameter items (type 9), items inside groups (type 12), …
 * Its scope comes from the `resourceType` of the object itself or, failing that, of the nearest
 * enclosing object (a group or a parameters item), and its `queryType` likewise:
 *   queryType 0 (Logs) + microsoft.insights/components           → 'appInsights' (classic tables)
 *   queryType 0 (Logs) + microsoft.operationalinsights/workspaces → 'workspace'
 * Any other queryType (Resource Graph, Azure Data Explorer, …) or resourceType, or none, is a problem,
 * not a skip. A `timeContextFromParameter` must name a declared time range parameter.
 *
 * Parameter substitution (Microsoft's "Workbook time parameters" page lists the formats), using the
 * parameter's default value from the workbook:
 *   time range (type 4), value { durationMs: D }:
 *     {P}, {P:value}, {P:query} → `> ago(<D as a timespan>)`  (the portal's expansion in a query)
 *     {P:start} → `datetime(<end − D>)`, {P:end} → `datetime(<end>)`, with end = 2024-01-01T00:00:00Z
 *     {P:grain} → `1h`; {P:label} → `Last <D in words>`
 *   time range with an absolute value { startTime, endTime }: {P} → `between (datetime(start) .. datetime(end))`
 *   any other parameter: {P}, {P:value}, {P:label} → its default value as text (an array: the values
 *     quoted with the parameter's `quote` (default ') and joined with its `delimiter` (default ,)).
 * A reference to an undeclared name is left as it is (the portal does the same): the language
 * service then reports it. A parameter without a default value, or an unknown format, is a problem.
 */

const json = require('./json');

const SCOPE_OF_RESOURCE_TYPE = {
  'microsoft.insights/components': 'appInsights',
  'microsoft.operationalinsights/workspaces': 'workspace',
};
const LOGS_QUERY_TYPE = 0;
const TIME_RANGE = 4;
const REFERENCE_END = Date.parse('2024-01-01T00:00:00Z');

function timespan(ms) {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ]) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function words(ms) {
  for (const [unit, size] of [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ]) {
    if (ms % size === 0) return ms / size === 1 ? unit : `${ms / size} ${unit}s`;
  }
  return `${ms} ms`;
}

/** What `{name[:format]}` becomes for one declared parameter, or a problem text. */
function expansion(param, format) {
  const v = param.value;
  if (param.type === TIME_RANGE) {
    if (v && typeof v.durationMs === 'number') {
      const d = v.durationMs;
      switch (format) {
        case undefined:
        case 'value':
        case 'query':
          return { text: `> ago(${timespan(d)})` };
        case 'start':
          return { text: `datetime(${new Date(REFERENCE_END - d).toISOString()})` };
        case 'end':
          return { text: `datetime(${new Date(REFERENCE_END).toISOString()})` };
        case 'grain':
          return { text: '1h' };
        case 'label':
          return { text: `Last ${words(d)}` };
        default:
          return { problem: `unknown format ":${format}" of time range parameter ${param.name}` };
      }
    }
    if (v && v.startTime && v.endTime) {
      switch (format) {
        case undefined:
        case 'value':
        case 'query':
          return { text: `between (datetime(${v.startTime}) .. datetime(${v.endTime}))` };
        case 'start':
          return { text: `datetime(${v.startTime})` };
        case 'end':
          return { text: `datetime(${v.endTime})` };
        case 'grain':
          return { text: '1h' };
        case 'label':
          return { text: `${v.startTime} - ${v.endTime}` };
        default:
          return { problem: `unknown format ":${format}" of time range parameter ${param.name}` };
      }
    }
    return { problem: `time range parameter ${param.name} has no default value ({ "durationMs": … }) to substitute` };
  }
  if (format !== undefined && format !== 'value' && format !== 'label') return { problem: `unknown format ":${format}" of parameter ${param.name}` };
  if (v === undefined || v === null) return { problem: `parameter ${param.name} has no default value to substitute` };
  if (Array.isArray(v)) {
    const quote = typeof param.quote === 'string' ? param.quote : "'";
    const delimiter = typeof param.delimiter === 'string' ? param.delimiter : ',';
    return { text: v.map((x) => `${quote}${String(x)}${quote}`).join(delimiter) };
  }
  if (typeof v === 'object') return { problem: `parameter ${param.name}: its default value is an object the check cannot substitute` };
  return { text: String(v) };
}

/**
 * Substitutes the declared parameters in a query.
 * @returns {{ text, toOriginal(offset): number, problems: Array<{ at, message }> }}
 */
function substitute(query, params) {
  const segments = []; // { from, to (in text), origin, length (in query), replaced }
  const problems = [];
  let text = '';
  let last = 0;
  const re = /\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z0-9_$-]+))?\}/g;
  let m;
  while ((m = re.exec(query))) {
    const param = params.get(m[1]);
    if (!param) continue;
    const e = expansion(param, m[2]);
    if (e.problem) {
      problems.push({ at: m.index, message: e.problem });
      continue;
    }
    segments.push({ from: text.length, to: text.length + (m.index - last), origin: last, replaced: false });
    text += query.slice(last, m.index);
    segments.push({ from: text.length, to: text.length + e.text.length, origin: m.index, replaced: true });
    text += e.text;
    last = m.index + m[0].length;
  }
  segments.push({ from: text.length, to: text.length + (query.length - last), origin: last, replaced: false });
  text += query.slice(last);
  const toOriginal = (offset) => {
    const s = segments.find((g) => offset >= g.from && offset < g.to) ?? segments[segments.length - 1];
    return s.replaced ? s.origin : Math.min(s.origin + (offset - s.from), query.length);
  };
  return { text, toOriginal, problems };
}

/**
 * @returns {{ queries: Array<{ name, scope, text, toFileOffset(offset) }>, problems: Array<{ offset, message }> }}
 */
function extract(fileText) {
  const root = json.parse(fileText);
  const queries = [];
  const problems = [];

  // Declared parameters: every entry of a parameters item's `parameters` array that has a name.
  const params = new Map();
  (function collect(node) {
    if (!node) return;
    if (node.kind === 'array') node.items.forEach(collect);
    if (node.kind !== 'object') return;
    const list = json.get(node, 'parameters');
    if (json.get(node, 'version') && list && list.kind === 'array') {
      for (const p of list.items) {
        const value = json.plain(p);
        if (value && typeof value.name === 'string') params.set(value.name, value);
      }
    }
    node.entries.forEach((e) => collect(e.value));
  })(root);

  let unnamed = 0;
  (function walk(node, ancestors) {
    if (!node) return;
    if (node.kind === 'array') {
      node.items.forEach((n) => walk(n, ancestors));
      return;
    }
    if (node.kind !== 'object') return;
    const chain = [node, ...ancestors];
    const nearest = (key) => {
      for (const o of chain) {
        const v = json.get(o, key);
        if (v !== undefined) return v;
      }
      return undefined;
    };
    const query = json.get(node, 'query');
    if (query && query.kind === 'string') {
      const nameNode = nearest('name');
      const name = nameNode && nameNode.kind === 'string' ? nameNode.value : `query ${++unnamed}`;
      const queryType = nearest('queryType');
      const resourceType = nearest('resourceType');
      const scope = resourceType && resourceType.kind === 'string' ? SCOPE_OF_RESOURCE_TYPE[resourceType.value.toLowerCase()] : undefined;
      if (!queryType || queryType.value !== LOGS_QUERY_TYPE) {
        problems.push({
          offset: query.start,
          message: `${name}: not a Logs query (queryType ${queryType ? JSON.stringify(queryType.value) : 'missing'}; only 0 = Logs is checked), so its scope cannot be determined`,
        });
      } else if (!scope) {
        problems.push({
          offset: query.start,
          message: `${name}: cannot determine the query's scope from resourceType ${resourceType ? JSON.stringify(resourceType.value) : '(missing)'} (expected microsoft.insights/components or microsoft.operationalinsights/workspaces)`,
        });
      } else {
        const s = substitute(query.value, params);
        for (const p of s.problems) problems.push({ offset: query.offsets[p.at], message: `${name}: ${p.message}` });
        if (s.problems.length === 0) queries.push({ name, scope, text: s.text, toFileOffset: (offset) => query.offsets[s.toOriginal(offset)] });
      }
    }
    const timeParam = json.get(node, 'timeContextFromParameter');
    if (timeParam && timeParam.kind === 'string') {
      const p = params.get(timeParam.value);
      if (!p || p.type !== TIME_RANGE)
        problems.push({ offset: timeParam.start, message: `timeContextFromParameter "${timeParam.value}" names no time range parameter of this workbook` });
    }
    node.entries.forEach((e) => walk(e.value, chain));
  })(root, []);

  return { queries, problems };
}

module.exports = { extract, substitute };

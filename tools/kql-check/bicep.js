'use strict';
/**
 * Finds the KQL of every Microsoft.Insights/scheduledQueryRules resource in a Bicep file, with the
 * rule's scope, by tokenising the file (comments, strings with escapes and interpolation,
 * multi-line '''strings'''). A rule's `query:` must be a string literal or a variable holding one;
 * its `scopes:` must name resources of the same file (`symbol.id`) whose type says the scope:
 *   Microsoft.Insights/components           → 'appInsights' (classic tables)
 *   Microsoft.OperationalInsights/workspaces → 'workspace'   (Log Analytics tables)
 * Anything else is reported as a problem: a query whose text or scope cannot be determined is not
 * skipped.
 */

const SCOPE_OF_TYPE = [
  [/^microsoft\.insights\/components@/i, 'appInsights'],
  [/^microsoft\.operationalinsights\/workspaces@/i, 'workspace'],
];
const RULE_TYPE = /^microsoft\.insights\/scheduledqueryrules@/i;

class BicepError extends Error {
  constructor(message, offset) {
    super(message);
    this.offset = offset;
  }
}

/** Tokens: { type: 'ident'|'string'|'number'|'punct', value, start, end }; strings also carry offsets. */
function tokenize(text) {
  const tokens = [];
  let i = 0;

  // A single-line string from text[i] === "'"; returns the token and leaves i after it.
  function singleLine() {
    const start = i;
    i++;
    let value = '';
    const offsets = [];
    let interpolated = false;
    while (i < text.length && text[i] !== "'") {
      if (text[i] === '\n') throw new BicepError('unterminated string', start);
      const at = i;
      if (text[i] === '\\') {
        const e = text[i + 1];
        const simple = { "'": "'", '\\': '\\', n: '\n', r: '\r', t: '\t', $: '$' };
        if (e in simple) {
          value += simple[e];
          i += 2;
        } else if (e === 'u' && text[i + 2] === '{') {
          const close = text.indexOf('}', i);
          value += String.fromCodePoint(parseInt(text.slice(i + 3, close), 16));
          i = close + 1;
        } else throw new BicepError('bad escape in string', i);
        offsets.push(at);
      } else if (text[i] === '$' && text[i + 1] === '{') {
        // ${ expression }: skip it, strings and braces inside included.
        interpolated = true;
        i += 2;
        let depth = 1;
        while (i < text.length && depth > 0) {
          if (text[i] === "'") {
            singleLine();
            continue;
          }
          if (text[i] === '{') depth++;
          else if (text[i] === '}') depth--;
          i++;
        }
        value += '\u0000';
        offsets.push(at);
      } else {
        value += text[i];
        offsets.push(at);
        i++;
      }
    }
    if (text[i] !== "'") throw new BicepError('unterminated string', start);
    offsets.push(i);
    i++;
    return { type: 'string', value, start, end: i, offsets, interpolated };
  }

  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith('//', i) || c === '#') {
      // Comments, and directives such as #disable-next-line.
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) throw new BicepError('unterminated comment', i);
      i = close + 2;
    } else if (text.startsWith("'''", i)) {
      const start = i;
      const close = text.indexOf("'''", i + 3);
      if (close < 0) throw new BicepError('unterminated multi-line string', start);
      // Bicep drops a line break directly after the opening quotes.
      let contentStart = i + 3;
      if (text.startsWith('\r\n', contentStart)) contentStart += 2;
      else if (text[contentStart] === '\n') contentStart += 1;
      const value = text.slice(contentStart, close);
      const offsets = [];
      for (let k = contentStart; k <= close; k++) offsets.push(k);
      i = close + 3;
      tokens.push({ type: 'string', value, start, end: i, offsets, interpolated: false });
    } else if (c === "'") {
      tokens.push(singleLine());
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 256));
      tokens.push({ type: 'ident', value: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(text.slice(i, i + 64));
      tokens.push({ type: 'number', value: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else {
      const two = text.slice(i, i + 2);
      const p = ['::', '==', '!=', '>=', '<=', '&&', '||', '??', '=~', '!~', '.?', '?.'].includes(two) ? two : c;
      tokens.push({ type: 'punct', value: p, start: i, end: i + p.length });
      i += p.length;
    }
  }
  return tokens;
}

/** Index of the token closing the bracket opened at tokens[open]. */
function closing(tokens, open) {
  const pairs = { '{': '}', '[': ']', '(': ')' };
  const stack = [];
  for (let k = open; k < tokens.length; k++) {
    const v = tokens[k].type === 'punct' ? tokens[k].value : null;
    if (v && pairs[v]) stack.push(pairs[v]);
    else if (v && v === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return k;
    }
  }
  throw new BicepError('unbalanced brackets', tokens[open].start);
}

/**
 * @returns {{ queries: Array<{ name, scope, text, offsets }>, problems: Array<{ offset, message }> }}
 *   offsets[i] is the file offset of text[i].
 */
function extract(text) {
  const tokens = tokenize(text);
  const lineOf = (offset) => text.slice(0, offset).split('\n').length;
  const endsExpression = (k) => {
    // tokens[k] is the whole value when the next token starts another line, or closes/separates.
    const next = tokens[k + 1];
    if (!next) return true;
    if (next.type === 'punct' && ['}', ']', ','].includes(next.value)) return true;
    return lineOf(next.start) > lineOf(tokens[k].end);
  };

  // Declarations: resources (any depth, so child resources count) and top-level string variables.
  const resources = new Map();
  const variables = new Map();
  for (let k = 0; k + 2 < tokens.length; k++) {
    const t = tokens[k];
    if (t.type !== 'ident') continue;
    const name = tokens[k + 1];
    const type = tokens[k + 2];
    if (t.value === 'resource' && name.type === 'ident' && type.type === 'string') {
      let j = k + 3;
      const existing = tokens[j] && tokens[j].type === 'ident' && tokens[j].value === 'existing';
      if (existing) j++;
      if (!tokens[j] || tokens[j].value !== '=') continue;
      resources.set(name.value, { symbol: name.value, type: type.value, existing, afterEquals: j + 1, declStart: t.start });
    } else if (t.value === 'var' && name.type === 'ident' && type.value === '=') {
      const v = tokens[k + 3];
      variables.set(name.value, v && v.type === 'string' && !v.interpolated && endsExpression(k + 3) ? v : null);
    }
  }

  const queries = [];
  const problems = [];
  for (const r of resources.values()) {
    if (!RULE_TYPE.test(r.type) || r.existing) continue;
    // The body: the first '{' after '=', past a condition `if (…)` or a loop header `[for … :`.
    let from = r.afterEquals;
    while (tokens[from] && tokens[from].value !== '{') from = tokens[from].value === '(' ? closing(tokens, from) + 1 : from + 1;
    if (!tokens[from]) {
      problems.push({ offset: r.declStart, message: `rule ${r.symbol}: no body found` });
      continue;
    }
    const to = closing(tokens, from);
    const props = (key) => {
      const found = [];
      for (let k = from + 1; k < to - 1; k++) {
        const t = tokens[k];
        if ((t.type === 'ident' || t.type === 'string') && t.value === key && tokens[k + 1].value === ':') found.push(k);
      }
      return found;
    };

    // Scope: every entry of `scopes: [ a.id, … ]` must be a resource of this file of a known type.
    let scope = null;
    const scopeProps = props('scopes');
    const scopeProblem = (offset, why) =>
      problems.push({
        offset,
        message: `rule ${r.symbol}: cannot determine its scope: ${why} (scopes must list symbol.id of a Microsoft.Insights/components or Microsoft.OperationalInsights/workspaces resource declared in this file)`,
      });
    if (scopeProps.length !== 1 || tokens[scopeProps[0] + 2].value !== '[') {
      scopeProblem(r.declStart, scopeProps.length === 0 ? 'no scopes property' : 'scopes is not an array literal');
    } else {
      const open = scopeProps[0] + 2;
      const close = closing(tokens, open);
      const found = new Set();
      let ok = true;
      let k = open + 1;
      while (k < close) {
        if (tokens[k].value === ',') {
          k++;
          continue;
        }
        const sym = tokens[k];
        const isRef = sym.type === 'ident' && tokens[k + 1].value === '.' && tokens[k + 2].value === 'id' && k + 3 <= close;
        const target = isRef ? resources.get(sym.value) : undefined;
        const mapped = target && SCOPE_OF_TYPE.find(([re]) => re.test(target.type));
        if (!mapped) {
          scopeProblem(
            sym.start,
            isRef ? `${sym.value} is ${target ? `a ${target.type.split('@')[0]}` : 'not a resource of this file'}` : 'an entry is not symbol.id',
          );
          ok = false;
          break;
        }
        found.add(mapped[1]);
        k += 3;
      }
      if (ok && found.size === 1) scope = [...found][0];
      else if (ok) scopeProblem(tokens[open].start, found.size === 0 ? 'scopes is empty' : 'scopes mixes a workspace and an Application Insights component');
    }

    const queryProps = props('query');
    if (queryProps.length === 0) problems.push({ offset: r.declStart, message: `rule ${r.symbol}: no query property found` });
    queryProps.forEach((k, n) => {
      const v = tokens[k + 2];
      const name = queryProps.length > 1 ? `${r.symbol}[${n}]` : r.symbol;
      let literal = null;
      if (v && v.type === 'string' && !v.interpolated && endsExpression(k + 2)) literal = v;
      else if (v && v.type === 'ident' && endsExpression(k + 2) && variables.has(v.value)) {
        literal = variables.get(v.value);
        if (!literal) {
          problems.push({
            offset: v.start,
            message: `rule ${name}: variable ${v.value} is not a plain string (no interpolation), so its query cannot be checked`,
          });
          return;
        }
      }
      if (!literal) {
        problems.push({
          offset: v ? v.start : tokens[k].start,
          message: `rule ${name}: the query is not a plain string literal or a variable holding one, so it cannot be checked`,
        });
        return;
      }
      if (scope) queries.push({ name, scope, text: literal.value, offsets: literal.offsets });
    });
  }
  return { queries, problems };
}

module.exports = { extract, tokenize, BicepError };

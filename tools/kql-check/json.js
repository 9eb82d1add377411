'use strict';
/**
 * A JSON parser that keeps positions, so that a diagnostic inside a query held in a JSON string can
 * be reported at its line and column in the file. Nodes:
 *   { kind: 'object', start, entries: [{ key, keyStart, value }] }
 *   { kind: 'array', start, items: [node] }
 *   { kind: 'string', start, value, offsets }   offsets[i] = file offset of value[i] (and of its end)
 *   { kind: 'number' | 'boolean' | 'null', start, value }
 * Only well-formed JSON is accepted (the file is also read with JSON.parse by the caller).
 */

class JsonError extends Error {
  constructor(message, offset) {
    super(message);
    this.offset = offset;
  }
}

function parse(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (what) => {
    throw new JsonError(`${what} at offset ${i}`, i);
  };

  function string() {
    const start = i;
    i++; // opening quote
    let value = '';
    const offsets = [];
    while (i < text.length && text[i] !== '"') {
      const at = i;
      if (text[i] === '\\') {
        const e = text[i + 1];
        const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          value += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail('bad escape');
      } else {
        value += text[i];
        i++;
      }
      offsets.push(at);
    }
    if (text[i] !== '"') fail('unterminated string');
    offsets.push(i); // the end of the value maps to the closing quote
    i++;
    return { kind: 'string', start, value, offsets };
  }

  function value() {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const entries = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', start, entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = string();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        entries.push({ key: key.value, keyStart: key.start, value: value() });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', start, entries };
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const items = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', start, items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', start, items };
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!m) fail('unexpected character');
    i += m[0].length;
    if (m[0] === 'true' || m[0] === 'false') return { kind: 'boolean', start, value: m[0] === 'true' };
    if (m[0] === 'null') return { kind: 'null', start, value: null };
    return { kind: 'number', start, value: Number(m[0]) };
  }

  const root = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return root;
}

/** The node's plain value (what JSON.parse gives). */
function plain(node) {
  switch (node.kind) {
    case 'object':
      return Object.fromEntries(node.entries.map((e) => [e.key, plain(e.value)]));
    case 'array':
      return node.items.map(plain);
    default:
      return node.value;
  }
}

/** The entry value of an object node, or undefined. */
function get(node, key) {
  if (!node || node.kind !== 'object') return undefined;
  const entry = node.entries.find((e) => e.key === key);
  return entry && entry.value;
}

module.exports = { parse, plain, get, JsonError };

#!/usr/bin/env node
'use strict';
/* global __filename */
// What the Functions host would index from a Functions project folder, without the host:
//
//   node scripts/registrations.js [ROOT] [--adapters]   (ROOT defaults to the repository; e.g. .package)
//
// Loads every file that ROOT/package.json "main" names (the host's rule), in this fresh process, and
// prints JSON on stdout: the files, every registration with its bindings, the programming model,
// the time the requires took (the cold start of a worker before its first invocation) and whether
// node:sqlite was loaded. --adapters then also requires every file under dist/shared/adapters/: the
// Azure SDKs that composition loads on a worker's first invocation (adaptersMs), which proves they
// are all in ROOT's node_modules.
//
// Inside the host, the Node.js worker answers require('@azure/functions-core') with its own API
// object (it wraps Module.prototype.require), and @azure/functions calls registerFunction() on it
// with the metadata the host indexes. This script stands in for the worker in exactly that place and
// records the metadata instead of sending it; nothing else is stubbed, so each file and everything
// it imports is resolved from ROOT as the host would resolve it.

const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const args = process.argv.slice(2);
const withAdapters = args.includes('--adapters');
const root = path.resolve(args.find((a) => !a.startsWith('--')) || path.join(__dirname, '..'));

const registrations = [];
const logs = [];
let programmingModel;

const coreApi = {
  version: '3.10.1',
  hostVersion: '4.0.0',
  setProgrammingModel(model) {
    programmingModel = model;
  },
  getProgrammingModel() {
    return programmingModel;
  },
  registerFunction(metadata, callback) {
    if (typeof callback !== 'function') throw new Error(`registerFunction(${metadata.name}): the handler is not a function`);
    registrations.push({ name: metadata.name, bindings: metadata.bindings, retryOptions: metadata.retryOptions });
    return { dispose() {} };
  },
  registerHook() {
    return { dispose() {} };
  },
  log(level, category, message) {
    logs.push({ level, category, message });
  },
  Disposable: class {
    dispose() {}
  },
};

const originalRequire = Module.prototype.require;
Module.prototype.require = function require(id) {
  if (id === '@azure/functions-core') return coreApi;
  return originalRequire.apply(this, arguments);
};

/** The files the host loads: package.json "main", a path whose last segment may hold `*` (or {a,b}). */
function mainFiles(dir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  if (typeof pkg.main !== 'string') throw new Error(`${dir}/package.json has no "main"`);
  const folder = path.join(dir, path.dirname(pkg.main));
  const base = path.basename(pkg.main);
  if (!/[*{]/.test(base)) return [path.join(dir, pkg.main)];
  const alternatives = base.replace(/^\{(.*)\}$/, '$1').split(',');
  const patterns = alternatives.map((a) => new RegExp(`^${a.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`));
  return fs
    .readdirSync(folder)
    .filter((f) => patterns.some((p) => p.test(f)))
    .sort()
    .map((f) => path.join(folder, f));
}

const files = mainFiles(root);
const loaded = [];
const started = performance.now();
for (const file of files) {
  const t0 = performance.now();
  const before = registrations.length;
  require(file);
  loaded.push({
    file: path.relative(root, file),
    ms: Math.round((performance.now() - t0) * 10) / 10,
    registered: registrations.slice(before).map((r) => r.name),
  });
}
const loadMs = Math.round((performance.now() - started) * 10) / 10;
const sqliteAtStart = process.moduleLoadList.some((m) => /\bsqlite\b/.test(m));

let adapters;
if (withAdapters) {
  const dir = path.join(root, 'dist', 'shared', 'adapters');
  const list = (d) =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? list(path.join(d, e.name)) : e.name.endsWith('.js') ? [path.join(d, e.name)] : []));
  const files = list(dir).sort();
  const t0 = performance.now();
  for (const file of files) require(file);
  adapters = { files: files.map((f) => path.relative(root, f)), ms: Math.round((performance.now() - t0) * 10) / 10 };
}

process.stdout.write(
  `${JSON.stringify(
    {
      root,
      node: process.version,
      script: path.relative(root, __filename),
      files: loaded,
      registrations,
      programmingModel: programmingModel ? { name: programmingModel.name, version: programmingModel.version } : null,
      logs,
      loadMs,
      sqlite: sqliteAtStart,
      modules: Object.keys(require.cache).length,
      adapters,
    },
    null,
    2,
  )}\n`,
);

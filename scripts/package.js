#!/usr/bin/env node
'use strict';
// npm run package — writes .package/, the Functions deployment package: exactly the tree that azd
// zips and uploads (azure.yaml: `dist: .package`, `remoteBuild: false`; its prepackage hook runs this).
//
//   .package/host.json
//   .package/package.json        name, version, "main": "dist/functions/*.js", dependencies; no scripts
//   .package/dist/functions/*.js  the compiled functions (the host loads what "main" names)
//   .package/dist/shared/**/*.js  the product code they import (no CLI, bench or tests)
//   .package/node_modules/        a production-only install of package-lock.json (npm ci --omit=dev),
//                                 less source maps, type declarations and TypeScript sources
//
// The install is a real `npm ci --omit=dev` of this package.json and lock file in a staging folder, so
// the `prepare` script (scripts/prepare.js) runs as it would in any production-only install, and
// devDependencies (the Node 22 binary, azurite, jest, TypeScript, ...) are never copied. Needs
// `npm run build` first (the npm script does it). Prints the unpacked and the zipped size and fails
// when the unpacked size exceeds the budget.

/* global Buffer */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { promisify } = require('node:util');

const root = path.resolve(__dirname, '..');
const target = path.join(root, '.package');
const BUDGET_MIB = 400;
const MiB = 1024 * 1024;

/** Files that nothing loads at run time, removed from node_modules (never from LICENSE or .js files). */
const PRUNED = [
  { what: 'source maps', test: (f) => f.endsWith('.map') },
  { what: 'type declarations', test: (f) => /\.d\.[cm]?ts$/.test(f) },
  // Node.js refuses to strip types under node_modules, so a .ts file there can never be loaded.
  { what: 'TypeScript sources', test: (f) => /\.[cm]?ts$/.test(f) || f.endsWith('.tsbuildinfo') },
];

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

function npm(args, cwd) {
  // Under `npm run`, npm_execpath is the npm that started us; run it on this (Node 22) binary.
  const cli = process.env.npm_execpath;
  const [cmd, argv] = cli && /\.c?js$/.test(cli) ? [process.execPath, [cli, ...args]] : ['npm', args];
  const run = spawnSync(cmd, argv, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
    shell: process.platform === 'win32' && cmd === 'npm',
  });
  if (run.error) fail(`npm ${args.join(' ')}: ${run.error.message}`);
  return run;
}

function* walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

function* binFolders(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const full = path.join(dir, entry.name);
    if (entry.name === '.bin') yield full;
    else yield* binFolders(full);
  }
}

/** Every entry that is neither a file nor a folder (symlinks), which the package must not hold. */
function* oddEntries(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* oddEntries(full);
    else if (!entry.isFile()) yield full;
  }
}

/** Copies the .js files under `from` (recursively) to `to`; maps and declarations stay behind. */
function copyJs(from, to) {
  let n = 0;
  for (const file of walk(from)) {
    if (!file.endsWith('.js')) continue;
    const dest = path.join(to, path.relative(from, file));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(file, dest);
    n++;
  }
  return n;
}

/**
 * The zipped size: every file deflated (zlib level 6, the default of zlib and of Go's archive/zip,
 * which azd uses) plus the zip headers (local header, central directory entry, end record). azd
 * builds its own zip of .package/; its extra fields make it a few bytes per file larger.
 */
async function zippedSize(dir) {
  const deflate = promisify(zlib.deflateRaw);
  const files = [...walk(dir)];
  let total = 22;
  let next = 0;
  async function worker() {
    while (next < files.length) {
      const file = files[next++];
      const name = Buffer.byteLength(path.relative(dir, file).split(path.sep).join('/'));
      const data = fs.readFileSync(file);
      const packed = data.length === 0 ? 0 : (await deflate(data, { level: 6 })).length;
      total += 30 + name + Math.min(packed, data.length) + 46 + name;
    }
  }
  await Promise.all(Array.from({ length: 4 }, worker));
  return total;
}

function treeSize(dir) {
  let bytes = 0;
  let disk = 0;
  let files = 0;
  for (const file of walk(dir)) {
    const st = fs.statSync(file);
    bytes += st.size;
    disk += st.blocks * 512;
    files++;
  }
  return { bytes, disk, files };
}

const mib = (n) => `${(n / MiB).toFixed(1)} MiB`;

async function main() {
  const started = Date.now();
  if (!fs.existsSync(path.join(root, 'dist', 'functions'))) fail('dist/functions is missing: run `npm run build` first (npm run package does)');

  // Staged outside the repository, so that nothing in the install can fall back on the repository's
  // own node_modules (Node.js and npm both look up the parent folders).
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-package-'));
  fs.mkdirSync(path.join(staging, 'scripts'));
  try {
    // 1. A production-only install of the lock file, run as any such install would run (prepare included).
    for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(root, f), path.join(staging, f));
    fs.copyFileSync(path.join(root, 'scripts', 'prepare.js'), path.join(staging, 'scripts', 'prepare.js'));
    const install = npm(['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], staging);
    if (install.status !== 0) fail(`npm ci --omit=dev failed (exit ${install.status}):\n${install.stdout}${install.stderr}`);
    const summary = `${install.stdout}`.split('\n').find((l) => /^(added|up to date)/.test(l.trim()));
    console.log(`npm ci --omit=dev: ${summary ? summary.trim() : 'done'}`);
    if (!/prepare: TypeScript is not installed/.test(install.stdout + install.stderr)) {
      fail(`the production-only install did not go through scripts/prepare.js as expected:\n${install.stdout}${install.stderr}`);
    }
    fs.rmSync(path.join(staging, 'scripts'), { recursive: true });
    fs.rmSync(path.join(staging, 'package-lock.json'));

    // 2. What nothing loads at run time. node_modules/.bin holds symlinks to command-line tools: not
    // needed by the app, and a symlink does not survive every zip tool.
    for (const dir of binFolders(path.join(staging, 'node_modules'))) fs.rmSync(dir, { recursive: true });
    const pruned = PRUNED.map((p) => ({ ...p, bytes: 0, files: 0 }));
    for (const file of walk(path.join(staging, 'node_modules'))) {
      const rule = pruned.find((p) => p.test(path.basename(file)));
      if (!rule) continue;
      rule.bytes += fs.statSync(file).size;
      rule.files++;
      fs.rmSync(file);
    }
    console.log(`removed from node_modules: ${pruned.map((p) => `${p.what} ${mib(p.bytes)} (${p.files} files)`).join(', ')}`);

    // 3. The app: host.json, the compiled functions and the code they import, a package.json without scripts.
    fs.copyFileSync(path.join(root, 'host.json'), path.join(staging, 'host.json'));
    const js =
      copyJs(path.join(root, 'dist', 'functions'), path.join(staging, 'dist', 'functions')) +
      copyJs(path.join(root, 'dist', 'shared'), path.join(staging, 'dist', 'shared'));
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const deployed = {
      name: pkg.name,
      version: pkg.version,
      description: pkg.description,
      private: true,
      license: pkg.license,
      type: pkg.type,
      main: pkg.main,
      engines: pkg.engines,
      dependencies: pkg.dependencies,
    };
    fs.writeFileSync(path.join(staging, 'package.json'), `${JSON.stringify(deployed, null, 2)}\n`);
    console.log(`app: host.json, package.json, ${js} compiled files under dist/functions and dist/shared`);

    const odd = [...oddEntries(staging)].map((f) => path.relative(staging, f));
    if (odd.length > 0) fail(`the package holds entries that are not plain files or folders: ${odd.slice(0, 5).join(', ')}`);

    fs.rmSync(target, { recursive: true, force: true });
    try {
      fs.renameSync(staging, target);
    } catch (err) {
      if (err.code !== 'EXDEV') throw err;
      fs.cpSync(staging, target, { recursive: true });
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }

  // 4. Sizes.
  const size = treeSize(target);
  const modules = treeSize(path.join(target, 'node_modules'));
  const zipped = await zippedSize(target);
  console.log(
    `.package/: unpacked ${mib(size.bytes)} in ${size.files} files (node_modules ${mib(modules.bytes)}; ${mib(size.disk)} on this disk), zipped ${mib(zipped)}`,
  );
  console.log(`package: done in ${((Date.now() - started) / 1000).toFixed(1)} s; azd uploads .package/ as it is (azure.yaml)`);
  if (size.bytes > BUDGET_MIB * MiB) fail(`unpacked size ${mib(size.bytes)} is over the ${BUDGET_MIB} MiB budget`);
  if (size.disk > BUDGET_MIB * MiB) fail(`size on disk ${mib(size.disk)} is over the ${BUDGET_MIB} MiB budget`);
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));

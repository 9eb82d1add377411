#!/usr/bin/env node
'use strict';
// npm's `prepare` lifecycle (npm ci / npm install): builds dist/ with `tsc -p tsconfig.build.json`,
// so that a fresh install can run bin/leadscore.js at once. A production-only install
// (npm ci --omit=dev, as scripts/package.js does for the deployment package) has no TypeScript:
// there is nothing to build then, and failing would fail the install, so it says so and stops.
// Plain CommonJS that any Node.js from 18 on runs: npm may start it before node@22 is installed.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

// This project's own install only: require.resolve would also find a TypeScript further up the tree.
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!fs.existsSync(tsc)) {
  console.log('prepare: TypeScript is not installed (a production-only install); dist/ is not built');
  process.exit(0);
}

const run = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (run.error) throw run.error;
process.exit(run.status ?? 1);

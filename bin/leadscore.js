#!/usr/bin/env node
'use strict';
// node:sqlite (the embedded warehouse and ledger) still prints an ExperimentalWarning on Node 22;
// it says nothing a user can act on, so the CLI drops exactly that warning and no other.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning).includes('SQLite is an experimental feature')) return;
  return emitWarning(warning, ...rest);
};
// The CLI is compiled TypeScript (npm ci runs `prepare`, which builds dist/).
require('../dist/cli/main.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });

#!/usr/bin/env node
'use strict';
// The CLI is compiled TypeScript (npm ci runs `prepare`, which builds dist/).
require('../dist/cli/main.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });

// Writes openapi.json (the OpenAPI 3.1 document GET /api/openapi.json serves) from the compiled
// endpoint table; `npm run openapi` after changing a route, a body schema or a limit.
// test/http/openapi.test.ts fails while the file and the code disagree.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { openApiDocument } = require('../dist/shared/http/api');
const pkg = require('../package.json');

const file = path.join(__dirname, '..', 'openapi.json');
fs.writeFileSync(file, `${JSON.stringify(openApiDocument(`${pkg.name}@${pkg.version}`), null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), file)}`);

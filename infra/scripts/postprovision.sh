#!/usr/bin/env sh
# azd postprovision hook (azure.yaml), safe to run again (azd hooks run postprovision):
#   1. as the SQL server's Entra admin (the principal running azd), make the app identity a database
#      user and apply the schema migrations (sql-postprovision.js);
#   2. with the Azure CLI, create or check the Entra app registration that signs admins in, with the
#      app role LeadScore.Admin, and store its ids in the azd environment (entra-postprovision.js).
set -eu
cd "$(dirname "$0")/../.."

# Use azd's login for every token in this step: it is the principal that main.bicep made SQL admin.
export AZURE_TOKEN_CREDENTIALS=AzureDeveloperCliCredential

# `leadscore migrate` and the mssql driver come from this repository's build, and everything runs on
# the project's Node.js 22 (node@22 in node_modules/.bin), not on whatever `node` the machine has.
[ -x node_modules/.bin/node ] || npm ci --no-audit --no-fund
node22=node_modules/.bin/node
major="$("$node22" -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 22 ]; then
  echo "postprovision: $node22 is Node.js $("$node22" --version); run npm ci to install node@22" >&2
  exit 1
fi
npm run build --silent
"$node22" infra/scripts/sql-postprovision.js
"$node22" infra/scripts/entra-postprovision.js

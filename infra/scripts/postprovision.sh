#!/usr/bin/env sh
# azd postprovision hook (azure.yaml): as the SQL server's Entra admin (the principal running azd),
# make the app identity a database user and apply the schema migrations. Safe to run again:
#   azd hooks run postprovision
set -eu
cd "$(dirname "$0")/../.."

# Use azd's login for every token in this step: it is the principal that main.bicep made SQL admin.
export AZURE_TOKEN_CREDENTIALS=AzureDeveloperCliCredential

# `leadscore migrate` and the mssql driver come from this repository's build.
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
node infra/scripts/sql-postprovision.js

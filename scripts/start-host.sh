#!/usr/bin/env bash
# npm run start:host [-- FUNC ARGS...] — the Functions host on this machine, with Azure Functions
# Core Tools (`func`), the way the app runs in Azure but on the embedded local adapters:
#   1. Node 22 first on the PATH (node_modules/.bin holds node@22), so that `func` starts its Node.js
#      worker on 22, not on the machine's Node 20;
#   2. local.settings.json created from local.settings.sample.json when missing (never overwritten);
#   3. `npm run build` (the host loads dist/functions/*.js, package.json "main");
#   4. Azurite (a devDependency) on 127.0.0.1 for the host storage and the LAKE connection
#      (UseDevelopmentStorage=true), data in .azurite/; one already listening on its ports is used;
#   5. `func start` with the arguments given; Azurite is stopped when it ends.
#
# Core Tools are not an npm dependency (their installer downloads a binary) and cannot be installed
# on the machines this project is developed and tested on: install them yourself
# (https://learn.microsoft.com/azure/azure-functions/functions-run-local). Without them this script
# stops after step 3 and says so.
#
# Environment: FUNC (default `func`): the Core Tools command. AZURITE_BLOB_PORT, AZURITE_QUEUE_PORT,
# AZURITE_TABLE_PORT (10000, 10001, 10002: what UseDevelopmentStorage=true points at).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# ------------------------------------------------------------------------------------ Node 22 --
if [[ ! -x "$root/node_modules/.bin/node" ]]; then
  echo "start:host: node_modules/.bin/node (node@22) is missing: run npm ci first" >&2
  exit 1
fi
export PATH="$root/node_modules/.bin:$PATH"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" -lt 22 ]]; then
  echo "start:host: $(command -v node) is Node.js $(node --version); the app needs 22 (npm ci installs it)" >&2
  exit 1
fi
echo "start:host: Node.js $(node --version) first on the PATH ($(command -v node))"

# ----------------------------------------------------------------------------------- settings --
if [[ ! -f local.settings.json ]]; then
  cp local.settings.sample.json local.settings.json
  echo "start:host: created local.settings.json from local.settings.sample.json"
else
  echo "start:host: using the existing local.settings.json"
fi

# ------------------------------------------------------------------------------ Core Tools, build --
func="${FUNC:-func}"
if ! command -v "$func" >/dev/null 2>&1; then
  cat >&2 <<EOF
start:host: Azure Functions Core Tools ('$func') are not on the PATH. Install version 4 from
  https://learn.microsoft.com/azure/azure-functions/functions-run-local
and run npm run start:host again. (Their installer downloads a binary, so they cannot be installed
on the machines this project is tested on; npm start runs the same pipeline without the host.)
EOF
  exit 127
fi
npm run build --silent

# ------------------------------------------------------------------------------------- Azurite --
blob_port="${AZURITE_BLOB_PORT:-10000}"
queue_port="${AZURITE_QUEUE_PORT:-10001}"
table_port="${AZURITE_TABLE_PORT:-10002}"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

azurite_pid=""
# shellcheck disable=SC2317 # reached through the EXIT trap
stop_azurite() {
  if [[ -n "$azurite_pid" ]] && kill -0 "$azurite_pid" 2>/dev/null; then
    kill "$azurite_pid" 2>/dev/null || true
    wait "$azurite_pid" 2>/dev/null || true
    echo "start:host: stopped Azurite"
  fi
}
trap stop_azurite EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if listening "$blob_port" && listening "$queue_port" && listening "$table_port"; then
  echo "start:host: something already listens on 127.0.0.1:$blob_port/$queue_port/$table_port; using it as Azurite"
else
  mkdir -p .azurite
  azurite --silent --location .azurite --skipApiVersionCheck \
    --blobHost 127.0.0.1 --blobPort "$blob_port" \
    --queueHost 127.0.0.1 --queuePort "$queue_port" \
    --tableHost 127.0.0.1 --tablePort "$table_port" >.azurite/azurite.log 2>&1 &
  azurite_pid=$!
  for _ in $(seq 1 60); do
    if listening "$blob_port" && listening "$queue_port" && listening "$table_port"; then break; fi
    if ! kill -0 "$azurite_pid" 2>/dev/null; then
      cat .azurite/azurite.log >&2
      echo "start:host: Azurite exited (log above)" >&2
      exit 1
    fi
    sleep 0.5
  done
  if ! listening "$blob_port"; then
    echo "start:host: Azurite did not listen on 127.0.0.1:$blob_port within 30 s" >&2
    exit 1
  fi
  echo "start:host: Azurite on 127.0.0.1 (blob $blob_port, queue $queue_port, table $table_port), data in .azurite/"
fi

# ---------------------------------------------------------------------------------------- host --
# Not exec: the EXIT trap stops Azurite when the host ends.
status=0
"$func" start "$@" || status=$?
exit "$status"

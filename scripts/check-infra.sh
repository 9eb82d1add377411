#!/usr/bin/env bash
# npm run check:infra — prove offline that the Azure infrastructure compiles, that every T-SQL
# statement the app sends to Azure SQL parses and compiles against the schema the migrations make,
# and that every KQL query the product ships is valid against the tables it runs on:
#   1. Bicep: `bicep build` and `bicep lint` (Bicep CLI from NuGet) on every .bicep file, with the
#      project's infra/bicepconfig.json. Any Warning or Error fails; a warning may be silenced only by
#      `#disable-next-line <rule>` directly under a `//` comment that says why (checked here too).
#   2. T-SQL (tools/infra-check): Microsoft's parser (ScriptDom TSql160Parser) on infra/sql/*.sql (the
#      migrations), infra/scripts/*.sql, and the statements the mssql adapter exports
#      (MSSQL_STATEMENTS in shared/adapters/warehouse/mssql-statements.ts); then Microsoft's DacFx
#      builds a TSqlModel (Azure SQL) from the migrations, adds each statement as a procedure with its
#      parameters typed from MSSQL_PARAMETER_TYPES (mssql-parameters.ts), and Validate() must report
#      no error and no warning (an unresolved table or column, SQL71501/SQL71502, and the rest).
#   3. KQL: Microsoft's Kusto language service (npm @kusto/language-service-next, tools/kql-check)
#      on every workbook (a .json file holding "Notebook/1.0": infra/monitoring/workbook.json), the
#      query of every scheduledQueryRules resource of the .bicep files, and the app's queries
#      (KQL_QUERIES in shared/adapters/monitor/queries.ts), each against the documented tables of
#      its scope (tools/kql-check/schemas.json). Any Error or Warning diagnostic fails.
#
# Usage: scripts/check-infra.sh [PATH...]
#   no PATH: everything above. PATH: only these .bicep/.sql/.json files or folders (used by test/infra);
#   the files named NNN_name.sql among them are the migrations the model is built from.
# Tools are restored from NuGet into .tools/ (git-ignored) on first use and reused afterwards.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
project="$root/tools/infra-check"
out="$tools/infra-check"
config="$root/infra/bicepconfig.json"
# Node 22 from node_modules (the npm package `node`), as `npm run` would pick it; else the PATH's.
node_bin="$root/node_modules/.bin/node"
[[ -x "$node_bin" ]] || node_bin=node

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DACFX_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Keep the NuGet packages (the Bicep CLI is ~120 MB) inside the repo's cache folder, not ~/.nuget.
export NUGET_PACKAGES="$tools/nuget"

failures=0
fail() { echo "$*"; failures=$((failures + 1)); }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# ---------------------------------------------------------------------------------------- tools --
# Rebuild only when the checker's sources change (hash, so a fresh checkout of the same sources
# reuses the cache); `dotnet build` alone costs several seconds even when up to date.
sources_hash() { cat "$project"/*.csproj "$project"/*.cs | sha256sum | cut -d' ' -f1; }

ensure_tools() {
  local want
  want="$(sources_hash)"
  if [[ -f "$out/InfraCheck.dll" && -f "$out/bicep-path.txt" && "$(cat "$out/.sources-hash" 2>/dev/null)" == "$want" ]] &&
    [[ -x "$(cat "$out/bicep-path.txt")" ]]; then
    return
  fi
  echo "restoring and building tools/infra-check (NuGet: Azure.Bicep.CommandLine.linux-x64, Microsoft.SqlServer.TransactSql.ScriptDom, Microsoft.SqlServer.DacFx)"
  local log="$tools/infra-check-build.log"
  mkdir -p "$tools"
  if ! dotnet build "$project" -c Release -o "$out" >"$log" 2>&1; then
    cat "$log"
    echo "check-infra: building tools/infra-check failed (log above)"
    exit 1
  fi
  echo "$want" >"$out/.sources-hash"
}

ensure_tools
bicep="$(cat "$out/bicep-path.txt")"
infracheck=(dotnet "$out/InfraCheck.dll")
echo "$("$bicep" --version)"

# ------------------------------------------------------------------------------------- targets --
bicep_files=()    # every file checked (for the per-file report)
bicep_patterns=() # what Bicep is given: a glob per folder, the path itself per file
sql_args=()
workbooks=()      # workbook JSON files for the KQL check
check_statements=false

# The workbooks under a folder: .json files in the portal's workbook format.
find_workbooks() { find "$1" -name '*.json' -type f -exec grep -l '"Notebook/1.0"' {} + 2>/dev/null | LC_ALL=C sort; }

if [[ $# -eq 0 ]]; then
  mapfile -t bicep_files < <(find "$root/infra" -name '*.bicep' -type f | LC_ALL=C sort)
  bicep_patterns=("$root/infra/**/*.bicep")
  sql_args=("$root/infra/sql")
  while IFS= read -r f; do sql_args+=("$f"); done < <(find "$root/infra/scripts" -maxdepth 1 -name '*.sql' -type f 2>/dev/null | LC_ALL=C sort)
  mapfile -t workbooks < <(find_workbooks "$root/infra")
  check_statements=true
else
  for arg in "$@"; do
    path="$(realpath -m -- "$arg")"
    if [[ -d "$path" ]]; then
      mapfile -t found < <(find "$path" -name '*.bicep' -type f | LC_ALL=C sort)
      bicep_files+=("${found[@]}")
      [[ ${#found[@]} -gt 0 ]] && bicep_patterns+=("$path/**/*.bicep")
      sql_args+=("$path")
      mapfile -t found < <(find_workbooks "$path")
      workbooks+=("${found[@]}")
    elif [[ "$path" == *.bicep && -f "$path" ]]; then
      bicep_files+=("$path")
      bicep_patterns+=("$path")
    elif [[ "$path" == *.sql && -f "$path" ]]; then
      sql_args+=("$path")
    elif [[ "$path" == *.json && -f "$path" ]]; then
      workbooks+=("$path")
    elif [[ ! -e "$path" ]]; then
      fail "$arg: no such file or folder"
    else
      fail "$arg: not a .bicep, .sql or .json file or a folder"
    fi
  done
fi

# --------------------------------------------------------------------------------------- Bicep --
bicep_errors=0
if [[ ${#bicep_files[@]} -gt 0 ]]; then
  echo "== Bicep: build + lint ${#bicep_files[@]} file(s) with infra/bicepconfig.json"

  # Rule: every suppression sits under a comment that explains it.
  for f in "${bicep_files[@]}"; do
    awk -v file="${f#"$root"/}" '
      /^[[:space:]]*#disable-next-line/ && prev !~ /^[[:space:]]*\/\// {
        printf "%s:%d:1: error suppression: #disable-next-line needs a // comment on the line above saying why\n", file, NR
        bad = 1
      }
      NF { prev = $0 }
      END { exit bad }' "$f" >>"$scratch/diagnostics" || true
  done

  # One Bicep process per command and pattern (a process costs ~1.5 s, the whole of infra/ ~3 s):
  # build writes ARM JSON to a scratch folder, lint reports compiler and linter diagnostics.
  # Both print `file(line,col) : Level CODE: message` on stderr and exit 0 on warnings.
  i=0
  for pattern in "${bicep_patterns[@]}"; do
    i=$((i + 1))
    "$bicep" build --pattern "$pattern" --config "$config" --outdir "$scratch/arm$i" 2>>"$scratch/raw" >/dev/null &
    "$bicep" lint --pattern "$pattern" --config "$config" 2>>"$scratch/raw-lint" >/dev/null || true
    wait $! || true
  done
  cat "$scratch/raw-lint" >>"$scratch/raw" 2>/dev/null || true
  # Build and lint report the same diagnostic twice: keep one, reformat as file:line:col.
  sed -nE 's#^(.*)\(([0-9]+),([0-9]+)\) : (Error|Warning|Info) ([^:]+): (.*)$#\1:\2:\3: \L\4\E \5: \6#p' "$scratch/raw" |
    sed "s#^$root/##" | LC_ALL=C sort -u -t: -k1,1 -k2,2n -k3,3n >>"$scratch/diagnostics"
  # Anything else on stderr (a crash, an unreadable file) is a failure too.
  grep -vE '^.*\([0-9]+,[0-9]+\) : (Error|Warning|Info) ' "$scratch/raw" >"$scratch/other" || true

  for f in "${bicep_files[@]}"; do
    rel="${f#"$root"/}"
    if grep -qE "^$(printf '%s' "$rel" | sed 's/[.[\*^$/]/\\&/g'):[0-9]+:[0-9]+: (error|warning) " "$scratch/diagnostics"; then
      echo "FAIL $rel"
    else
      echo "ok   $rel"
    fi
  done
  if [[ -s "$scratch/diagnostics" ]]; then cat "$scratch/diagnostics"; fi
  bicep_errors=$(grep -cE ':[0-9]+:[0-9]+: (error|warning) ' "$scratch/diagnostics" || true)
  if [[ -s "$scratch/other" ]]; then
    cat "$scratch/other"
    bicep_errors=$((bicep_errors + 1))
  fi
  echo "Bicep summary: ${#bicep_files[@]} file(s), $bicep_errors error(s) or warning(s)"
  failures=$((failures + bicep_errors))
fi

# ------------------------------------------------------------------------ the app's own queries --
# MSSQL_STATEMENTS and KQL_QUERIES are read from the built app (dist/), each written to a JSON file.
statement_args=()
kql_query_args=()
if $check_statements; then
  echo "== building the app to read MSSQL_STATEMENTS and KQL_QUERIES"
  (cd "$root" && npm run build --silent)
fi

# --------------------------------------------------------------------------------------- T-SQL --
if $check_statements; then
  src="shared/adapters/warehouse/mssql-statements.ts"
  types="shared/adapters/warehouse/mssql-parameters.ts"
  if [[ ! -f "$root/$src" ]]; then
    echo "skip $src: the mssql adapter's statements module does not exist yet"
  else
    # dump <module.js> <export> <out.json>: the export, an object of strings, as JSON.
    dump() {
      "$node_bin" -e '
        const [file, name, out] = process.argv.slice(1);
        const s = require(file)[name];
        if (!s || typeof s !== "object") throw new Error(`no export ${name}`);
        for (const [k, v] of Object.entries(s)) if (typeof v !== "string") throw new Error(`${name}.${k} is not a string`);
        require("node:fs").writeFileSync(out, JSON.stringify(s));
      ' "$1" "$2" "$3"
    }
    dist="$root/dist/shared/adapters/warehouse"
    if dump "$dist/mssql-statements.js" MSSQL_STATEMENTS "$scratch/statements.json"; then
      statement_args=(--statements "$scratch/statements.json" "$src")
    else
      fail "$src: cannot read MSSQL_STATEMENTS (see above)"
    fi
    # Without the types every statement that takes a parameter fails to compile, naming the parameter.
    if dump "$dist/mssql-parameters.js" MSSQL_PARAMETER_TYPES "$scratch/parameters.json"; then
      statement_args+=(--parameters "$scratch/parameters.json" "$types")
    else
      fail "$types: cannot read MSSQL_PARAMETER_TYPES (see above)"
    fi
  fi
fi

if [[ ${#sql_args[@]} -gt 0 || ${#statement_args[@]} -gt 0 ]]; then
  echo "== T-SQL: parse (ScriptDom TSql160Parser), then compile against the migrations' schema (DacFx TSqlModel, SqlAzure)"
  # Paths relative to the repo in messages; the checker prints file:line:column: error CODE: message.
  rel_args=()
  for a in "${sql_args[@]}"; do rel_args+=("${a#"$root"/}"); done
  if ! (cd "$root" && "${infracheck[@]}" "${rel_args[@]}" "${statement_args[@]}"); then
    failures=$((failures + 1))
  fi
fi

# ----------------------------------------------------------------------------------------- KQL --
if $check_statements; then
  src="shared/adapters/monitor/queries.ts"
  json="$scratch/kql-queries.json"
  # The checker validates each entry (scope and text); this only writes what the module exports.
  if "$node_bin" -e '
    const m = require(process.argv[1]);
    if (!m.KQL_QUERIES || typeof m.KQL_QUERIES !== "object") throw new Error("no export KQL_QUERIES");
    require("node:fs").writeFileSync(process.argv[2], JSON.stringify(m.KQL_QUERIES));
  ' "$root/dist/shared/adapters/monitor/queries.js" "$json"; then
    kql_query_args=(--queries "$json" "$src")
  else
    fail "$src: cannot read KQL_QUERIES (see above)"
  fi
fi

if [[ ${#workbooks[@]} -gt 0 || ${#bicep_files[@]} -gt 0 || ${#kql_query_args[@]} -gt 0 ]]; then
  echo "== KQL: Kusto language service (@kusto/language-service-next) on ${#workbooks[@]} workbook(s), the alert rules of ${#bicep_files[@]} Bicep file(s)$([[ ${#kql_query_args[@]} -gt 0 ]] && echo " and KQL_QUERIES")"
  rel_args=()
  for a in "${workbooks[@]}" "${bicep_files[@]}"; do rel_args+=("${a#"$root"/}"); done
  if ! (cd "$root" && "$node_bin" tools/kql-check/check.js "${rel_args[@]}" "${kql_query_args[@]}"); then
    failures=$((failures + 1))
  fi
fi

if [[ $failures -gt 0 ]]; then
  echo "check-infra: FAILED"
  exit 1
fi
echo "check-infra: OK"

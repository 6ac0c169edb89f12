#!/usr/bin/env bash
# Checks /graphql as a graphql-js consumer sees it (scripts/graphql-over-http.cjs): the
# server audits of the `graphql-http` package must all pass, without a warning, and the
# answers to the documents of scripts/field-order-documents.graphql must list their keys,
# at every depth, in the order graphql-js gives for the same document against
# schema.graphql.
#
#   bash scripts/check-graphql-over-http.sh
#
# Installs what it lacks: Node.js and npm from Debian (as root), `graphql-http` and
# `graphql` from npm at pinned versions. Downloads are kept under $CARGO_TARGET_DIR (or
# target/) for the next run. The server listens on 127.0.0.1 on a free port with a
# temporary SQLite file; both are gone when the script ends. CAPITOLE_BIN uses that binary
# instead of a debug build.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cache=$target/graphql-over-http-check
graphql_http_version=1.23.1
graphql_version=16.15.0

# shellcheck source=scripts/common.sh
source "$root/scripts/common.sh"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "installing Node.js and npm from Debian"
  apt_install nodejs npm
fi
# graphql-http's audits use the fetch that Node.js has had since version 18.
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 18)) || die "Node.js $node_major is too old: the audits need 18 or later"

modules=$cache/node/node_modules
installed() { node -p 'require(process.argv[1]).version' "$modules/$1/package.json" 2>/dev/null; }
if [[ "$(installed graphql-http)" != "$graphql_http_version" || "$(installed graphql)" != "$graphql_version" ]]; then
  log "installing graphql-http@$graphql_http_version and graphql@$graphql_version from npm"
  mkdir -p "$cache/node"
  npm install --prefix "$cache/node" --no-save --no-audit --no-fund --silent \
    "graphql-http@$graphql_http_version" "graphql@$graphql_version"
fi

# shellcheck source=scripts/demo-server.sh
source "$root/scripts/demo-server.sh"

log "serving the demo city"
serve_demo 0

log "auditing $base/graphql and comparing answers with graphql-js"
node "$root/scripts/graphql-over-http.cjs" "$modules" "$base/graphql" \
  "$root/schema.graphql" "$root/scripts/field-order-documents.graphql"

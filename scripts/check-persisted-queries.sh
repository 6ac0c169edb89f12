#!/usr/bin/env bash
# Checks automatic persisted queries as Apollo Client's persisted-query link uses them
# (scripts/persisted-queries.cjs): with `useGETForHashedQueries`, a first query is a GET by
# hash that misses, then a POST that registers the document; a fresh client then gets the
# same answer from one GET by hash, publicly cacheable.
#
#   bash scripts/check-persisted-queries.sh
#
# Installs what it lacks: Node.js and npm from Debian (as root), `@apollo/client` with its
# peers `graphql` and `rxjs` from npm at pinned versions. Downloads are kept under
# $CARGO_TARGET_DIR (or target/) for the next run. The server listens on 127.0.0.1 on a
# free port with a temporary SQLite file; both are gone when the script ends. CAPITOLE_BIN
# uses that binary instead of a debug build.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cache=$target/persisted-queries-check
apollo_client_version=4.3.8
graphql_version=16.15.0
rxjs_version=7.8.2

# shellcheck source=scripts/common.sh
source "$root/scripts/common.sh"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "installing Node.js and npm from Debian"
  apt_install nodejs npm
fi
# Apollo Client 4 needs Node.js 20 or later (and its fetch).
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node.js $node_major is too old: Apollo Client needs 20 or later"

modules=$cache/node/node_modules
installed() { node -p 'require(process.argv[1]).version' "$modules/$1/package.json" 2>/dev/null; }
if [[ "$(installed @apollo/client)" != "$apollo_client_version" || "$(installed graphql)" != "$graphql_version" || "$(installed rxjs)" != "$rxjs_version" ]]; then
  log "installing @apollo/client@$apollo_client_version, graphql@$graphql_version and rxjs@$rxjs_version from npm"
  mkdir -p "$cache/node"
  npm install --prefix "$cache/node" --no-save --no-audit --no-fund --silent \
    "@apollo/client@$apollo_client_version" "graphql@$graphql_version" "rxjs@$rxjs_version"
fi

# shellcheck source=scripts/demo-server.sh
source "$root/scripts/demo-server.sh"

log "serving the demo city"
serve_demo 0

log "persisted queries of $base/graphql through Apollo Client"
node "$root/scripts/persisted-queries.cjs" "$modules" "$base/graphql"

#!/usr/bin/env bash
# Checks the linked data of the demo city as its consumers read it
# (scripts/linked-data.cjs): every news article, event and place document from
# /items/{id}.jsonld must type-check with the TypeScript compiler against Google's
# `schema-dts` declarations of schema.org (the type each item says it is, its properties,
# their kinds of value), and the DCAT catalogue /data/catalog.jsonld must expand, with the
# `jsonld` processor and nothing fetched, to a dcat:Catalog whose every distribution has an
# absolute address, a format and the licence.
#
#   bash scripts/check-linked-data.sh
#
# Installs what it lacks: Node.js and npm from Debian (as root), `typescript`, `schema-dts`
# and `jsonld` from npm at pinned versions. Downloads are kept under $CARGO_TARGET_DIR (or
# target/) for the next run. The server listens on 127.0.0.1 on a free port with a
# temporary SQLite file; both are gone when the script ends. CAPITOLE_BIN uses that binary
# instead of a debug build.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cache=$target/linked-data-check
typescript_version=5.9.3
schema_dts_version=2.1.0
jsonld_version=9.0.0

# shellcheck source=scripts/common.sh
source "$root/scripts/common.sh"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "installing Node.js and npm from Debian"
  apt_install nodejs npm
fi
# The checker uses the fetch that Node.js has had since version 18.
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 18)) || die "Node.js $node_major is too old: the check needs 18 or later"

modules=$cache/node/node_modules
installed() { node -p 'require(process.argv[1]).version' "$modules/$1/package.json" 2>/dev/null; }
if [[ "$(installed typescript)" != "$typescript_version" ||
  "$(installed schema-dts)" != "$schema_dts_version" ||
  "$(installed jsonld)" != "$jsonld_version" ]]; then
  log "installing typescript@$typescript_version, schema-dts@$schema_dts_version and jsonld@$jsonld_version from npm"
  mkdir -p "$cache/node"
  npm install --prefix "$cache/node" --no-save --no-audit --no-fund --silent \
    "typescript@$typescript_version" "schema-dts@$schema_dts_version" "jsonld@$jsonld_version"
fi

# shellcheck source=scripts/demo-server.sh
source "$root/scripts/demo-server.sh"

log "serving the demo city"
# The port is chosen by the system, so the public address is told once it is known: the
# documents' links must be the ones a client can follow. A first run finds a free port.
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
serve_demo "$port" CAPITOLE_PUBLIC_URL="http://127.0.0.1:$port"

log "reading the documents and the catalogue"
node "$root/scripts/linked-data.cjs" "$modules" "$base" "$work/check"

log "type-checking the documents against schema-dts $schema_dts_version"
node "$modules/typescript/bin/tsc" -p "$work/check/tsconfig.json" ||
  die "a JSON-LD document does not fit schema.org's vocabulary as schema-dts declares it"
echo "every document fits schema.org"

#!/usr/bin/env bash
# Checks GraphiQL in a real browser: serves the demo city as a newcomer does (GraphiQL's
# files built into the binary), opens /graphiql in headless Chromium with every request to
# outside this machine blocked, and uses it (scripts/graphiql-in-browser.cjs). Fails on
# any request that leaves the machine, any Content-Security-Policy violation, integrity
# failure or error in the page.
#
#   bash scripts/check-graphiql-in-browser.sh
#
# Installs what it lacks: Chromium, Node.js and npm from Debian (as root), the `ws` client
# from npm. Downloads are kept under $CARGO_TARGET_DIR (or target/) for the next run. The
# server listens on 127.0.0.1 on a free port with a temporary SQLite file; both are gone
# when the script ends. CAPITOLE_BIN uses that binary instead of a debug build.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cache=$target/graphiql-check
ws_version=8.23.1

# shellcheck source=scripts/common.sh
source "$root/scripts/common.sh"

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  log "installing Chromium from Debian"
  apt_install chromium
  browser=$(command -v chromium) || die "chromium is still missing"
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "installing Node.js and npm from Debian"
  apt_install nodejs npm
fi

mkdir -p "$cache"
ws_module=$cache/node/node_modules/ws
if [[ "$(node -p 'require(process.argv[1]).version' "$ws_module/package.json" 2>/dev/null)" != "$ws_version" ]]; then
  log "installing ws@$ws_version from npm"
  npm install --prefix "$cache/node" --no-save --no-audit --no-fund --silent "ws@$ws_version"
fi

# shellcheck source=scripts/demo-server.sh
source "$root/scripts/demo-server.sh"

log "serving the demo city"
serve_demo 0
# An administrator, whose edit the page's subscription receives.
export GRAPHIQL_CHECK_EMAIL=admin@graphiql-check.example GRAPHIQL_CHECK_PASSWORD=une-phrase-de-passe-longue
printf '%s\n' "$GRAPHIQL_CHECK_PASSWORD" |
  CAPITOLE_DATABASE_URL="sqlite://$work/capitole.db" CAPITOLE_LOG=warn \
    "$binary" user create --email "$GRAPHIQL_CHECK_EMAIL" --role administrator >/dev/null

policy=$(curl -sS -o /dev/null -D - "$base/graphiql" | tr -d '\r' |
  sed -n 's/^content-security-policy: //Ip')
[[ "$policy" == *"script-src 'self' 'sha256-"* && "$policy" != *unsafe-inline* ]] ||
  die "/graphiql is served without its Content-Security-Policy (got: ${policy:-none})"

log "opening $base/graphiql in $("$browser" --version 2>/dev/null | head -n 1)"
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --remote-debugging-port=0 about:blank \
  >"$work/browser.log" 2>&1 &
stop_on_exit+=("$!")
for ((i = 0; i < 300; i++)); do
  [[ -s "$work/profile/DevToolsActivePort" ]] && break
  sleep 0.1
done
devtools=$(head -n 1 "$work/profile/DevToolsActivePort" 2>/dev/null) ||
  { cat "$work/browser.log" >&2; die "Chromium did not start"; }
node "$root/scripts/graphiql-in-browser.cjs" "$ws_module" "$devtools" "$base/graphiql"

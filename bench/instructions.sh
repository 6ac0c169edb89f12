#!/usr/bin/env bash
# Instructions per request of the benchmark's cold pages, counted by callgrind: the same
# figure for the same build and city whatever else the machine is doing, so two builds can
# be compared on a busy machine. Seeds the synthetic city (scale 1) into its own database,
# serves it under valgrind with the response cache off, and counts the server's
# instructions over BENCH_REQUESTS requests of each page (after 30 unmeasured ones).
#
#   bash bench/instructions.sh
#
# Environment:
#   BENCH_DATABASE_URL  postgres://postgres@127.0.0.1:5432/capitole_instructions?sslmode=disable
#                       (dropped and recreated)
#   BENCH_BIN           use this capitole binary instead of building target/release/capitole
#   BENCH_REQUESTS      200 measured requests per page
set -euo pipefail
cd "$(dirname "$0")/.."

DB_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/capitole_instructions?sslmode=disable}
BIN=${BENCH_BIN:-target/release/capitole}
REQUESTS=${BENCH_REQUESTS:-200}
LISTEN=127.0.0.1:18081
BASE=http://$LISTEN

source bench/common.sh instructions
for tool in valgrind callgrind_control callgrind_annotate curl psql python3; do
  command -v "$tool" >/dev/null || die "$tool is required (valgrind: apt-get install valgrind)"
done
[[ $REQUESTS =~ ^[1-9][0-9]*$ ]] || die "BENCH_REQUESTS must be a positive integer"

if [[ -z ${BENCH_BIN:-} ]]; then
  cargo build --release --bin capitole
fi
[[ -x $BIN ]] || die "$BIN is missing or not executable"

work=$(mktemp -d)
server_pid=
stop_server() {
  stop_process "$server_pid"
  server_pid=
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

db_name=${DB_URL##*/}
db_name=${db_name%%\?*}
[[ $db_name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "unexpected database name: $db_name"
PGOPTIONS="-c client_min_messages=warning" psql "${DB_URL%/*}/postgres" -v ON_ERROR_STOP=1 -q \
  -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" -c "CREATE DATABASE \"$db_name\""
export CAPITOLE_DATABASE_URL=$DB_URL CAPITOLE_LISTEN=$LISTEN
"$BIN" migrate >/dev/null 2>&1
"$BIN" seed --synthetic --scale 1 --seed 42 >/dev/null 2>&1

jwt_key="bench:$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
body() {
  python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' "$1" "$2"
}
post() {
  curl -fsS --compressed -o "${2:-/dev/stdout}" -H 'content-type: application/json' \
    --data-binary "$1" "$BASE/graphql"
}

# serve: starts the server under callgrind, counting nothing until told to.
serve() {
  CAPITOLE_RESPONSE_CACHE_MIB=0 CAPITOLE_MAIL_DIR="$work/mail" CAPITOLE_JWT_KEYS="$jwt_key" \
    CAPITOLE_RATE_ANONYMOUS=1000000000 \
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out" \
    "$BIN" serve >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
  done
  tail -n 20 "$work/server.log" >&2
  die "the server did not become ready"
}

serve
resp=$(post "$(body '{ places(first:1, orderBy: POPULARITY) { nodes { id } } }' '{}')")
popular_id=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["places"]["nodes"][0]["id"])' <<<"$resp")

names=(
  "events(first:20) with venues"
  "places within 1 km, by DISTANCE"
  "news(first:20) with publishers"
  "a place, 10 tips, stats"
)
queries=(
  '{ events(first: 20) { edges { occurrence { startsAt } node { title venue { name location { latitude longitude } } } } } }'
  '{ places(first: 20, filter: { near: { latitude: 43.6045, longitude: 1.4440, radiusMeters: 1000 } }, orderBy: DISTANCE) { edges { distanceMeters node { name } } } }'
  '{ news(first: 20) { nodes { title summary publishers { name } } } }'
  'query($id: ID!) { node(id: $id) { ... on Place { name stats { checkInCount visitorCount tipCount rating hereNow } tips(first: 10) { nodes { text createdAt author { displayName } } } } } }'
)
variables=('{}' '{}' '{}' "{\"id\": \"$popular_id\"}")

printf '%-34s %s\n' "page" "instructions per request"
for i in "${!queries[@]}"; do
  payload=$(body "${queries[$i]}" "${variables[$i]}")
  for _ in $(seq 1 30); do post "$payload" /dev/null; done
  rm -f "$work"/callgrind.out.*
  callgrind_control --zero "$server_pid" >/dev/null 2>&1
  callgrind_control -i on "$server_pid" >/dev/null 2>&1
  for _ in $(seq 1 "$REQUESTS"); do post "$payload" /dev/null; done
  callgrind_control -i off "$server_pid" >/dev/null 2>&1
  callgrind_control -d "$server_pid" >/dev/null 2>&1
  dump=$(ls -t "$work"/callgrind.out.* | head -n 1)
  total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ && !n++ { gsub(",", "", $1); print $1 }')
  [[ -n $total ]] || die "no count in $dump"
  printf '%-34s %s\n' "${names[$i]}" "$((total / REQUESTS))"
done
stop_server
psql "${DB_URL%/*}/postgres" -q -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)"

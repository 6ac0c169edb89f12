#!/usr/bin/env bash
# Capitole benchmark: a release build serving the synthetic city (scale 1) from PostgreSQL,
# loaded with oha over typical queries and open-data exports, then with check-ins. Bounded: each query runs for BENCH_DURATION.
#
#   bash bench/run.sh
#
# Environment:
#   BENCH_DATABASE_URL  postgres://postgres@127.0.0.1:5432/capitole_bench?sslmode=disable (dropped and recreated!;
#                       on loopback TLS only costs CPU)
#   BENCH_DURATION      20s per query (oha -z; a bare number means seconds)
#   BENCH_CONNECTIONS   32 concurrent connections (oha -c)
#   BENCH_BIN           use this capitole binary instead of building target/release/capitole
#   BENCH_SUBSCRIBERS   10000 WebSocket subscribers of one event, sent one change
#   BENCH_PUBLISHING_CHANGES 200 changes of another event, without and with the subscribers
#   BENCH_ONLY          run only the queries whose name matches this extended regular expression
#                       (cold and warm; e.g. 'search|suggest'), and skip the rest of the benchmark
set -euo pipefail
cd "$(dirname "$0")/.."

DB_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/capitole_bench?sslmode=disable}
DURATION=${BENCH_DURATION:-20s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
LISTEN=127.0.0.1:18080
BASE=http://$LISTEN
BIN=${BENCH_BIN:-target/release/capitole}

[[ $DURATION =~ ^[0-9]+$ ]] && DURATION=${DURATION}s
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_CONNECTIONS must be a positive integer" >&2; exit 2; }

source bench/common.sh bench
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
for tool in cargo curl psql python3; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

work=$(mktemp -d)
server_pid=
sampler_pid=
cleanup() {
  stop_process "$sampler_pid"
  stop_process "$server_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- oha ------------------------------------------------------------------------------------
if ! command -v oha >/dev/null; then
  log "installing oha (cargo install oha --locked)"
  cargo install oha --locked
fi
oha_help=$(oha --help)
oha_flags=(--no-tui)
if grep -q -- '--output-format' <<<"$oha_help"; then   # oha >= 1.5 (checked with 1.16.0)
  oha_flags+=(--output-format json)
elif grep -q -- '--json' <<<"$oha_help"; then          # older 1.x
  oha_flags+=(--json)
else
  die "this oha ($(oha --version)) has no JSON output; install oha >= 1.0"
fi
# Count requests still in flight at the deadline as finished, not as errors.
grep -q -- '--wait-ongoing-requests-after-deadline' <<<"$oha_help" &&
  oha_flags+=(--wait-ongoing-requests-after-deadline)
echo "$(oha --version)"

# --- build ----------------------------------------------------------------------------------
if [[ -z ${BENCH_BIN:-} ]]; then
  log "cargo build --release"
  cargo build --release --bin capitole
fi
[[ -x $BIN ]] || die "$BIN is missing or not executable"

# --- database -------------------------------------------------------------------------------
db_name=${DB_URL##*/}
db_name=${db_name%%\?*}
[[ $db_name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "unexpected database name in BENCH_DATABASE_URL: $db_name"
admin_url=${DB_URL%/*}/postgres
log "recreating database $db_name"
psql "$admin_url" -v ON_ERROR_STOP=1 -q \
  -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" \
  -c "CREATE DATABASE \"$db_name\""

export CAPITOLE_DATABASE_URL=$DB_URL
export CAPITOLE_LISTEN=$LISTEN

log "capitole migrate"
"$BIN" migrate

log "capitole seed --synthetic --scale 1 --seed 42"
t0=$(now)
"$BIN" seed --synthetic --scale 1 --seed 42
t1=$(now)
seed_seconds=$(elapsed "$t0" "$t1")
echo "seeded in ${seed_seconds} s"

# --- server ---------------------------------------------------------------------------------
log "capitole serve on $LISTEN"
# oha sends every request from one address, about 3,000 a second: far past an anonymous
# caller's budget of 1,000 points a minute. The benchmark measures throughput, so the
# anonymous budget is raised out of reach (the budget is still charged on every request).
# The residents of the check-in load all sign up from this one address, past the hourly
# limit of sign-ups per address, which is raised too. On PostgreSQL, serve needs a
# configured signing key.
jwt_key="bench:$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"

# start_server [NAME=VALUE...]: (re)starts the server with these settings besides the
# benchmark's own, and waits until it is ready.
start_server() {
  stop_process "$server_pid"
  env "$@" CAPITOLE_MAIL_DIR="$work/mail" CAPITOLE_JWT_KEYS="$jwt_key" CAPITOLE_RATE_ANONYMOUS=1000000000 \
    CAPITOLE_SIGN_UPS_PER_ADDRESS=1000000 "$BIN" serve >>"$work/server.log" 2>&1 &
  server_pid=$!
  echo "$server_pid" >"$work/server.pid"
  local ready=
  for _ in $(seq 1 120); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -n 30 "$work/server.log" >&2
      die "the server exited before becoming ready"
    fi
    if curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null; then ready=1; break; fi
    sleep 0.5
  done
  [[ -n $ready ]] || { tail -n 30 "$work/server.log" >&2; die "$BASE/readyz not ready after 60 s"; }
  echo "ready (pid $server_pid${*:+, $*})"
}
# First without the response cache: every query runs (cold).
start_server CAPITOLE_RESPONSE_CACHE_MIB=0

# Resident memory of the server running now, sampled every second (kB), for the peak
# during each query.
rss_log=$work/rss.log
: >"$rss_log"
(
  while [[ -f $work/server.pid ]]; do
    awk '/^VmRSS:/ { print $2 }' "/proc/$(cat "$work/server.pid")/status" 2>/dev/null >>"$rss_log" || true
    sleep 1
  done
) &
sampler_pid=$!

# SQL statements the server has run (its metrics).
statements() {
  curl -fsS "$BASE/metrics" | awk '$1 == "capitole_db_statements_total" { n = $2 } END { print n + 0 }'
}

# CPU time (clock ticks, utime + stime) of the server, and of every PostgreSQL process
# (backends serve the pool's connections for the whole run).
ticks_per_second=$(getconf CLK_TCK)
server_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
postgres_ticks() {
  local total=0 stat
  for stat in /proc/[0-9]*/stat; do
    read -r -a fields <"$stat" 2>/dev/null || continue
    [[ ${fields[1]} == "(postgres)" ]] && total=$((total + fields[13] + fields[14]))
  done
  echo "$total"
}

# body QUERY VARIABLES_JSON: the JSON request body.
body() {
  python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' \
    "$1" "$2"
}
post() {
  curl -fsS -H 'content-type: application/json' -H 'accept: application/graphql-response+json, application/json' \
    --data-binary "$1" "$BASE/graphql"
}

resp=$(post "$(body '{ places(first:1) { nodes { id } } }' '{}')") || die "the place-id query failed"
place_id=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["places"]["nodes"][0]["id"])' <<<"$resp") ||
  die "no place id in: ${resp:0:300}"
echo "place id: $place_id"
resp=$(post "$(body '{ places(first:1, orderBy: POPULARITY) { nodes { id } } }' '{}')") || die "the popular-place query failed"
popular_id=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["places"]["nodes"][0]["id"])' <<<"$resp") ||
  die "no place id in: ${resp:0:300}"
echo "popular place id: $popular_id"

names=(
  "events(first:20)"
  "node(id) Place"
  "places near, DISTANCE"
  "news(first:20)"
  "place, 10 tips, stats"
  "trending within 2 km"
  "search two words"
  "suggest two letters"
  "clusters whole city"
  "happening now 1 km"
  "events page with facets"
  "events by distance 2 km"
  "feed for families near"
)
queries=(
  '{ events(first: 20) { edges { occurrence { startsAt } node { title venue { name location { latitude longitude } } } } } }'
  'query($id: ID!) { node(id: $id) { ... on Place { name categories { name } openingHours { weekly { day opens closes } } } } }'
  '{ places(first: 20, filter: { near: { latitude: 43.6045, longitude: 1.4440, radiusMeters: 1000 } }, orderBy: DISTANCE) { edges { distanceMeters node { name } } } }'
  '{ news(first: 20) { nodes { title summary publishers { name } } } }'
  'query($id: ID!) { node(id: $id) { ... on Place { name stats { checkInCount visitorCount tipCount rating hereNow } tips(first: 10) { nodes { text createdAt author { displayName } } } } } }'
  '{ trendingPlaces(near: { latitude: 43.6045, longitude: 1.4440, radiusMeters: 2000 }, first: 10) { edges { recentCheckIns node { name } } } }'
  '{ search(query: "concert jardin", first: 20) { totalCount edges { score highlights { field fragment } node { __typename ... on Place { name } ... on Event { title } ... on NewsArticle { title } } } } }'
  '{ suggest(prefix: "pi", near: { latitude: 43.6045, longitude: 1.4440 }) { kind text distanceMeters } }'
  '{ placeClusters(bbox: { southWest: { latitude: 43.50, longitude: 1.30 }, northEast: { latitude: 43.72, longitude: 1.58 } }, zoom: 12) { count center { latitude longitude } sample { name } } }'
  '{ happeningNow(near: { latitude: 43.6045, longitude: 1.4440 }, radiusMeters: 1000, first: 20) { totalCount edges { distanceMeters node { ... on Place { name } ... on Event { title } } } } }'
  '{ events(first: 20, filter: { window: NEXT_7_DAYS }) { totalCount edges { occurrence { startsAt } node { title } } facets { categories { value count } audiences { value count } neighborhoods { value count } accessibility { value count } isFree { value count } dates(days: 7) { date count } } } }'
  '{ events(first: 20, orderBy: DISTANCE, filter: { near: { latitude: 43.6045, longitude: 1.4440, radiusMeters: 2000 } }) { edges { distanceMeters occurrence { startsAt } node { title } } } }'
  '{ feed(audiences: [FAMILIES], interests: ["museum", "event-family"], near: { latitude: 43.6045, longitude: 1.4440 }, first: 20) { edges { score reasons { label } node { __typename ... on Place { name } ... on Event { title } ... on NewsArticle { title } } } } }'
)
variables=(
  '{}'
  "$(python3 -c 'import json, sys; print(json.dumps({"id": sys.argv[1]}))' "$place_id")"
  '{}'
  '{}'
  "$(python3 -c 'import json, sys; print(json.dumps({"id": sys.argv[1]}))' "$popular_id")"
  '{}'
  '{}'
  '{}'
  '{}'
  '{}'
  '{}'
  '{}'
  '{}'
)

# One line per query: name|rps|p50 ms|p99 ms|ok|other|errors|success %|peak RSS MiB|check|capitole ms CPU/request|postgres ms CPU/request|SQL statements/request
results=$work/results
: >"$results"

# measure NAME EXPECTED CHECK OHA_ARGS...: loads the server with oha for DURATION and
# appends one line to $results. EXPECTED is the status class that counts as success (`2`
# for 2xx, or an exact status such as `304`); CHECK is what the one checked request before
# the load found (`ok`, or what was wrong).
measure() {
  local name=$1 expected=$2 check=$3 i
  shift 3
  i=$(wc -l <"$results")
  rss_from=$(wc -l <"$rss_log")
  cpu_from=$(server_ticks)
  pg_from=$(postgres_ticks)
  sql_from=$(statements)
  oha -z "$DURATION" -c "$CONNECTIONS" "${oha_flags[@]}" "$@" >"$work/oha-$i.json" ||
    die "oha failed on $name"
  kill -0 "$server_pid" 2>/dev/null || { tail -n 30 "$work/server.log" >&2; die "the server died during $name"; }
  cpu_ticks=$(($(server_ticks) - cpu_from))
  pg_ticks=$(($(postgres_ticks) - pg_from))
  sql=$(($(statements) - sql_from))
  peak_kb=$(tail -n +"$((rss_from + 1))" "$rss_log" | sort -n | tail -n 1)

  python3 - "$work/oha-$i.json" "$name" "${peak_kb:-0}" "$check" "$cpu_ticks" "$pg_ticks" "$ticks_per_second" "$expected" "$sql" >>"$results" <<'PY'
import json, sys
path, name, peak_kb, check, cpu_ticks, pg_ticks, hz, expected, sql = sys.argv[1:10]
r = json.load(open(path))
s = r["summary"]
pct = r.get("latencyPercentiles") or r.get("latency_percentiles") or {}
codes = {str(k): int(v) for k, v in (r.get("statusCodeDistribution") or {}).items()}
errors = sum(int(v) for v in (r.get("errorDistribution") or {}).values())
ok = sum(v for k, v in codes.items() if k.startswith(expected))
other = sum(codes.values()) - ok
attempts = ok + other + errors
ms = lambda v: "-" if v is None else f"{float(v) * 1000:.2f}"
print("|".join([
    name,
    f"{float(s.get('requestsPerSec') or 0):.0f}",
    ms(pct.get("p50")),
    ms(pct.get("p99")),
    str(ok),
    str(other),
    str(errors),
    f"{100.0 * ok / attempts:.2f}" if attempts else "-",
    f"{int(peak_kb) / 1024:.1f}",
    check,
    f"{1000.0 * int(cpu_ticks) / int(hz) / ok:.3f}" if ok else "-",
    f"{1000.0 * int(pg_ticks) / int(hz) / ok:.3f}" if ok else "-",
    f"{int(sql) / ok:.2f}" if ok else "-",
]))
for k, v in (r.get("errorDistribution") or {}).items():
    print(f"  oha error: {v} x {k}", file=sys.stderr)
PY
  IFS='|' read -r _ rps p50 p99 ok other errors success _ _ cpu pg sql < <(tail -n 1 "$results")
  echo "requests/s: $rps   p50: $p50 ms   p99: $p99 ms   as expected ($expected): $ok   other statuses: $other   errors: $errors   success: $success %   CPU per request: capitole $cpu ms, postgres $pg ms   SQL statements per request: $sql"
}

# Each query four times: cold (the server runs it every time), then warm (the same
# server with its response cache, as deployed: the same query asked again is answered
# from it); each with compression (oha asks for it, as browsers do) and without.
for pass in cold "cold, identity" warm "warm, identity"; do
  if [[ $pass == warm ]]; then start_server; fi
  encoding=()
  [[ $pass == *identity ]] && encoding=(--disable-compression)
  for i in "${!queries[@]}"; do
    [[ -n ${BENCH_ONLY:-} && ! ${names[$i]} =~ $BENCH_ONLY ]] && continue
    name="${names[$i]} ($pass)"
    payload=$(body "${queries[$i]}" "${variables[$i]}")
    log "[$((i + 1))/${#queries[@]}] $name: $DURATION, $CONNECTIONS connections"

    # One checked request first: GraphQL errors come back as 200 and would pass unnoticed.
    graphql=ok
    check=$(post "$payload" 2>&1) || check="HTTP failure: $check"
    if ! python3 -c 'import json, sys; r = json.load(sys.stdin); sys.exit(1 if r.get("errors") or not r.get("data") else 0)' \
      <<<"$check" 2>/dev/null; then
      graphql=ERRORS
      echo "warning: this query does not answer cleanly: ${check:0:400}" >&2
    fi
    measure "$name" 2 "$graphql" "${encoding[@]}" -m POST \
      -H 'content-type: application/json' \
      -H 'accept: application/graphql-response+json, application/json' \
      -d "$payload" "$BASE/graphql"
  done
done

if [[ -z ${BENCH_ONLY:-} ]]; then
# The news page again, warm, while the newest article is renamed every 100 ms by another
# process (each write one transaction with its change-log entry, as a replica commits
# it): the throughput that is left, and how long each write takes to show in the page.
for i in "${!names[@]}"; do [[ ${names[$i]} == "news(first:20)" ]] && news_index=$i; done
news_payload=$(body "${queries[$news_index]}" "${variables[$news_index]}")
log "[news under writes] news(first:20) (warm), a write every 100 ms: $DURATION, $CONNECTIONS connections"
python3 bench/news-writes.py "$BASE" "$DB_URL" "${DURATION%s}" "${queries[$news_index]}" \
  >"$work/writes.out" 2>"$work/writes.err" &
writer_pid=$!
measure "news(first:20) (warm, writes)" 2 ok -m POST \
  -H 'content-type: application/json' \
  -H 'accept: application/graphql-response+json, application/json' \
  -d "$news_payload" "$BASE/graphql"
wait "$writer_pid" || die "the news writer failed: $(cat "$work/writes.err")"
writes_line="news under writes: $(cat "$work/writes.out")"
echo "$writes_line"

# --- open data ------------------------------------------------------------------------------
# The agenda of the next 30 days as iCalendar, the places within 2 km as GeoJSON, and a
# revalidation of the latter that the server answers 304; each checked once first.
month_ahead=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
ics_url="$BASE/feeds/events.ics?startsBefore=$month_ahead"
geojson_url="$BASE/data/places.geojson?near=43.6045,1.4440,2000"

log "[open data] events.ics, next 30 days: $DURATION, $CONNECTIONS connections"
check=ok
curl -fsS "$ics_url" -o "$work/events.ics" || check="HTTP failure"
head -c 15 "$work/events.ics" 2>/dev/null | grep -q 'BEGIN:VCALENDAR' || check=NOT-ICALENDAR
echo "$(grep -c '^BEGIN:VEVENT' "$work/events.ics" || true) VEVENTs, $(wc -c <"$work/events.ics") bytes"
measure "events.ics next 30 days" 2 "$check" "$ics_url"

log "[open data] places.geojson within 2 km: $DURATION, $CONNECTIONS connections"
check=ok
curl -fsS -D "$work/geojson.headers" "$geojson_url" -o "$work/places.geojson" || check="HTTP failure"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["type"] == "FeatureCollection"; print(len(d["features"]), "features")' \
  "$work/places.geojson" || check=NOT-GEOJSON
measure "places.geojson within 2 km" 2 "$check" "$geojson_url"

# The same exports asked for by re-users who each ask for something else: a centre or an
# end picked at random per request (oha --rand-regex-url; its dots are literal), so that
# nearly every answer is rendered anew rather than found among the kept answers.
ics_random="$BASE/feeds/events.ics\?startsBefore=${month_ahead%:*:*}:[0-5][0-9]:[0-5][0-9]Z"
geojson_random="$BASE/data/places.geojson\?near=43.60[0-9][0-9],1.44[0-9][0-9],2000"
log "[open data] events.ics, next 30 days, a different end each time: $DURATION, $CONNECTIONS connections"
measure "events.ics, each rendered" 2 "$check" --rand-regex-url "$ics_random"
log "[open data] places.geojson within 2 km, a different centre each time: $DURATION, $CONNECTIONS connections"
measure "places.geojson, each rendered" 2 "$check" --rand-regex-url "$geojson_random"

log "[open data] places.geojson revalidated (If-None-Match): $DURATION, $CONNECTIONS connections"
etag=$(awk 'tolower($1) == "etag:" { sub(/\r$/, ""); $1 = ""; sub(/^ /, ""); print }' "$work/geojson.headers")
check=ok
[[ -n $etag ]] || check=NO-ETAG
status=$(curl -sS -o /dev/null -w '%{http_code}' -H "if-none-match: $etag" "$geojson_url") || status=000
[[ $status == 304 ]] || check="answered $status"
measure "304 revalidation" 304 "$check" -H "if-none-match: $etag" "$geojson_url"

# The whole places table (50,000 rows at scale 1), streamed: the time to download it and
# how far the server's memory grows meanwhile, sampled every 50 ms.
log "[open data] places.csv, the whole table, three downloads"
csv_lines=()
for round in 1 2 3; do
  rss_before=$(awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status")
  peak_file=$work/csv-rss-$round
  echo "$rss_before" >"$peak_file"
  (
    while kill -0 "$server_pid" 2>/dev/null; do
      awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status" >>"$peak_file" 2>/dev/null || true
      sleep 0.05
    done
  ) &
  csv_sampler=$!
  timing=$(curl -fsS -o "$work/places.csv" -w '%{time_total} %{size_download}' "$BASE/data/places.csv") ||
    die "the places CSV failed"
  kill "$csv_sampler" 2>/dev/null || true
  wait "$csv_sampler" 2>/dev/null || true
  rows=$(($(python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))))' "$work/places.csv") - 1))
  peak=$(sort -n "$peak_file" | tail -n 1)
  read -r seconds bytes <<<"$timing"
  line=$(awk -v s="$seconds" -v b="$bytes" -v r="$rows" -v before="$rss_before" -v peak="$peak" \
    'BEGIN { printf "places.csv: %d rows, %.1f MiB in %.2f s; server memory %.1f MiB before, growth %.1f MiB", r, b / 1048576, s, before / 1024, (peak - before) / 1024 }')
  echo "$line"
  csv_lines+=("$line")
done

# --- check-ins under load ----------------------------------------------------------------------
# Each request checks a different resident in at a place (the 30-minute rule forbids
# repeats), so oha's single body will not do: a small Rust client signs residents up and
# drives the mutation. Afterwards every acknowledged check-in must be in the table, once.
LOAD_BIN=${BENCH_LOAD_BIN:-target/release/examples/checkin-load}
if [[ -z ${BENCH_LOAD_BIN:-} ]]; then
  log "cargo build --release --example checkin-load"
  cargo build --release --example checkin-load
fi
log "[check-ins] ${DURATION} at $CONNECTIONS connections"
load_seconds=${DURATION%s}
load_out=$(BENCH_MAIL_DIR="$work/mail" "$LOAD_BIN" "$BASE" "${BENCH_RESIDENTS:-800}" "$load_seconds" "$CONNECTIONS") || die "the check-in load failed"
echo "$load_out"
acknowledged=$(sed -n 's/^acknowledged=\([0-9]*\) run=.*/\1/p' <<<"$load_out")
run_id=$(sed -n 's/^acknowledged=[0-9]* run=\([0-9]*\)/\1/p' <<<"$load_out")
stored=$(psql "$DB_URL" -tAc "SELECT COUNT(*) FROM check_ins c JOIN users u ON u.id = c.user_id WHERE u.email LIKE 'bench-$run_id-%'")
distinct=$(psql "$DB_URL" -tAc "SELECT COUNT(DISTINCT (c.user_id, c.place_id)) FROM check_ins c JOIN users u ON u.id = c.user_id WHERE u.email LIKE 'bench-$run_id-%'")
echo "acknowledged: $acknowledged   rows stored: $stored   distinct (resident, place): $distinct"
[[ $acknowledged == "$stored" && $stored == "$distinct" ]] || die "check-ins lost or duplicated"
checkin_line=$(grep '^check-ins:' <<<"$load_out")

hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo 0)

# --- subscribers --------------------------------------------------------------------------------
# BENCH_SUBSCRIBERS WebSocket connections (10,000 by default) each subscribe to the changes
# of one event, on a server whose limit of connections per address is raised (they all
# come from here). One change of the event is then committed through psql, with its log
# entry and its NOTIFY, as another replica commits it, and fanned out to every subscriber.
SUBSCRIBERS_BIN=${BENCH_SUBSCRIBERS_BIN:-target/release/examples/subscribers}
if [[ -z ${BENCH_SUBSCRIBERS_BIN:-} ]]; then
  log "cargo build --release --example subscribers"
  cargo build --release --example subscribers
fi
subscribers=${BENCH_SUBSCRIBERS:-10000}
# Two sockets per subscriber on this machine (client and server), and some to spare.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) > subscribers + 200 )) || die "BENCH_SUBSCRIBERS=$subscribers needs more open files than ulimit -n ($(ulimit -n))"
log "[subscribers] $subscribers subscribers of one event, one change"
start_server CAPITOLE_WS_CONNECTIONS_PER_ADDRESS=$((subscribers + 100))
resp=$(post "$(body '{ events(first: 1) { nodes { id } } }' '{}')") || die "the event query failed"
event_id=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["events"]["nodes"][0]["id"])' <<<"$resp")
event_uuid=$(python3 -c 'import base64, sys; s = sys.argv[1]; print(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).decode().split(":", 1)[1])' "$event_id")
[[ $event_uuid =~ ^[0-9a-f]{32}$ ]] || die "unexpected event id: $event_id"
change_sql="UPDATE events SET title = title || ' (changed)', version = version + 1 WHERE id = '$event_uuid';
INSERT INTO change_log (item_kind, item_id, change, version, organization_id, public, at)
  SELECT 'EVENT', id, 'UPDATED', version, NULL, true, now() FROM events WHERE id = '$event_uuid';
NOTIFY capitole_changes;"
# Publishing under subscribers: what committing a change of another event costs the
# server, without subscribers and then with all of them connected (they follow the
# first event: a change of another one concerns none of them), once they received the
# change of theirs.
resp=$(post "$(body '{ events(first: 2) { nodes { id } } }' '{}')") || die "the event query failed"
other_uuid=$(python3 -c 'import base64, json, sys; s = json.load(sys.stdin)["data"]["events"]["nodes"][1]["id"]; print(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).decode().split(":", 1)[1])' <<<"$resp")
[[ $other_uuid =~ ^[0-9a-f]{32}$ ]] || die "unexpected event id for the publishing step"
publishing_out="$work/publishing.txt"
: >"$publishing_out"
publishing_changes=${BENCH_PUBLISHING_CHANGES:-200}
python3 bench/publishing-cpu.py "$DB_URL" "$other_uuid" "$server_pid" "$publishing_changes" \
  "without subscribers" "$publishing_out" || die "the publishing step failed"
subscribers_out=$("$SUBSCRIBERS_BIN" "$BASE" "$event_id" "$subscribers" "$server_pid" -- \
  bash -c 'psql "$1" -X -q -v ON_ERROR_STOP=1 -c "$7" && python3 bench/publishing-cpu.py "$1" "$2" "$3" "$4" "with $5 subscribers of another event" "$6"' \
  publishing "$DB_URL" "$other_uuid" "$server_pid" "$publishing_changes" "$subscribers" "$publishing_out" "$change_sql") ||
  die "the subscribers failed"
subscribers_out+=$'\n'$(cat "$publishing_out")
echo "$subscribers_out"
fi

[[ -n ${hwm_kb:-} ]] || hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo 0)

# --- summary --------------------------------------------------------------------------------
log "summary"
echo "capitole $(git rev-parse --short HEAD 2>/dev/null || echo '(no git)'), $(oha --version), $(nproc) CPUs"
echo "database: PostgreSQL ($db_name), synthetic scale 1, seed 42; seeding took ${seed_seconds} s"
echo "load: $DURATION per query, $CONNECTIONS connections"
echo
python3 - "$results" <<'PY'
import sys
head = ["query", "req/s", "p50 ms", "p99 ms", "ok", "other", "errors", "success %", "peak RSS MiB", "check", "capitole CPU ms/req", "postgres CPU ms/req", "SQL/req"]
rows = [head] + [line.rstrip("\n").split("|") for line in open(sys.argv[1]) if "|" in line]
widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
for n, r in enumerate(rows):
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    if n == 0:
        print("  ".join("-" * w for w in widths))
PY
if [[ -z ${BENCH_ONLY:-} ]]; then
  echo "$checkin_line (rows stored: $stored, none lost or duplicated)"
  echo "$writes_line"
  printf '%s\n' "${csv_lines[@]}"
  echo "$subscribers_out"
fi
echo
awk -v kb="${hwm_kb:-0}" 'BEGIN { printf "server peak RSS over the whole run (VmHWM): %.1f MiB\n", kb / 1024 }'

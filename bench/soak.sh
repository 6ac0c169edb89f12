#!/usr/bin/env bash
# Capitole's soak: a release build serving the synthetic city (scale 1) from PostgreSQL,
# sent a city's everyday mix of traffic (bench/soak.rs: 80% reads, 15% residents'
# check-ins, tips and saves, 5% an editor's drafts) by many residents, at 60% of the mix's
# measured capacity, for 30 minutes. Reports, minute by minute, the latency percentiles and
# the server's resident memory; fails if p95 or memory grew by 10% or more from the second
# minute to the last, if any request failed, or if any acknowledged write is not stored,
# once. Not part of CI (it takes over half an hour); docs/benchmark.md has its figures.
#
#   bash bench/soak.sh
#
# Environment:
#   BENCH_DATABASE_URL   postgres://postgres@127.0.0.1:5432/capitole_soak?sslmode=disable (dropped and recreated!)
#   SOAK_SECONDS         1800 (the soak's length)
#   SOAK_LOAD            0.6 (of the measured capacity)
#   SOAK_RESIDENTS       500
#   SOAK_WINDOW_SECONDS  60
#   BENCH_BIN            use this capitole binary instead of building target/release/capitole
set -euo pipefail
cd "$(dirname "$0")/.."

DB_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/capitole_soak?sslmode=disable}
LISTEN=127.0.0.1:18090
BASE=http://$LISTEN
BIN=${BENCH_BIN:-target/release/capitole}
SOAK_BIN=target/release/examples/soak

source bench/common.sh soak
for tool in cargo curl psql python3; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

work=$(mktemp -d)
server_pid=
vacuum_pid=
cleanup() {
  stop_process "$vacuum_pid"
  stop_process "$server_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "cargo build --release --example soak${BENCH_BIN:+ (and $BENCH_BIN)}"
if [[ -z ${BENCH_BIN:-} ]]; then
  cargo build --release --bin capitole --example soak
else
  cargo build --release --example soak
fi

db_name=${DB_URL##*/}
db_name=${db_name%%\?*}
[[ $db_name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "unexpected database name in BENCH_DATABASE_URL: $db_name"
log "recreating database $db_name, then the synthetic city"
psql "${DB_URL%/*}/postgres" -v ON_ERROR_STOP=1 -q \
  -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" -c "CREATE DATABASE \"$db_name\""
export CAPITOLE_DATABASE_URL=$DB_URL CAPITOLE_LOG=warn
"$BIN" migrate
"$BIN" seed --synthetic --scale 1 --seed 42
# The seed leaves as many dead rows as it wrote statistics.
psql "$DB_URL" -qc 'VACUUM (ANALYZE)'
editor=soak-editor@example.org
printf 'une-phrase-de-passe-longue\n' |
  "$BIN" user create --email "$editor" --role editor --organization ville-de-toulouse >/dev/null

log "capitole serve on $LISTEN"
# Every simulated resident sends from this one address: the anonymous budget and the
# sign-ups per address are raised out of reach (budgets are still charged).
jwt_key="soak:$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
CAPITOLE_LISTEN=$LISTEN CAPITOLE_MAIL_DIR="$work/mail" CAPITOLE_JWT_KEYS="$jwt_key" \
  CAPITOLE_RATE_ANONYMOUS=1000000000 CAPITOLE_SIGN_UPS_PER_ADDRESS=1000000 \
  "$BIN" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { tail -n 30 "$work/server.log" >&2; die "the server exited"; }
  sleep 0.5
done
# Production PostgreSQL vacuums on its own; a server with autovacuum off (as test
# machines sometimes run) lets dead rows pile up, and every query over them slows down
# for that reason alone. The soak then vacuums its database every minute in its stead.
if [[ $(psql "$DB_URL" -tAc 'SHOW autovacuum') != on ]]; then
  echo "notice: autovacuum is off on this server; vacuuming $db_name every minute in its stead"
  (while sleep 60; do psql "$DB_URL" -qc 'VACUUM (ANALYZE)' >/dev/null 2>&1 || true; done) &
  vacuum_pid=$!
fi

log "soaking"
out=$work/soak.out
BENCH_MAIL_DIR="$work/mail" SOAK_BASE=$BASE SOAK_EDITOR_EMAIL=$editor \
  SOAK_EDITOR_PASSWORD=une-phrase-de-passe-longue SOAK_SERVER_PID=$server_pid \
  "$SOAK_BIN" | tee "$out"

stop_process "$vacuum_pid"
vacuum_pid=

log "every acknowledged write, stored once"
run=$(sed -n 's/^run=//p' "$out")
acknowledged() { sed -n "s/^acknowledged $1=//p" "$out"; }
residents="JOIN users u ON u.id = t.user_id WHERE u.email LIKE 'soak-$run-%'"
count() { psql "$DB_URL" -tAc "$1"; }
check_ins=$(count "SELECT COUNT(*) FROM check_ins t $residents")
check_in_pairs=$(count "SELECT COUNT(DISTINCT (t.user_id, t.place_id)) FROM check_ins t $residents")
tips=$(count "SELECT COUNT(*) FROM tips t $residents")
saves=$(count "SELECT COUNT(*) FROM saves t $residents")
articles=$(count "SELECT COUNT(*) FROM articles WHERE title LIKE 'soak-$run-%'")
failures=()
for kind in check-ins tips saves articles; do
  stored_var=${kind//-/_}
  stored=${!stored_var}
  echo "$kind: $(acknowledged "$kind") acknowledged, $stored stored"
  [[ $(acknowledged "$kind") == "$stored" ]] || failures+=("$kind: acknowledged and stored differ")
done
[[ $check_ins == "$check_in_pairs" ]] || failures+=("a check-in was stored twice")

drift=$(grep '^p95 drift:' "$out")
p95=$(sed -n 's/.*ms (\([-+0-9.]*\)%); RSS.*/\1/p' <<<"$drift")
rss=$(sed -n 's/.*MiB (\([-+0-9.]*\)%)$/\1/p' <<<"$drift")
errors=$(sed -n 's/^requests: [0-9]*, errors: \([0-9]*\)$/\1/p' "$out")
awk -v d="$p95" 'BEGIN { exit !(d < 10) }' || failures+=("p95 grew by $p95%")
awk -v d="$rss" 'BEGIN { exit !(d < 10) }' || failures+=("resident memory grew by $rss%")
[[ $errors == 0 ]] || failures+=("$errors requests failed")

log "summary"
grep -E '^(capacity|p95 drift|requests)' "$out"
if ((${#failures[@]})); then
  printf 'soak failed:\n' >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "soak passed: p95 ${p95}%, memory ${rss}%, no error, every acknowledged write stored once"

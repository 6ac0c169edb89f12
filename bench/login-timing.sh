#!/usr/bin/env bash
# Does sign-in take as long for an unknown email as for a wrong password? Starts Capitole
# on a throwaway SQLite database, makes accounts, then times alternating failed sign-ins of
# both kinds over HTTP and prints their distributions. Each attempt names a different
# account, so that no account lock interferes.
#
#   bash bench/login-timing.sh
#
# Environment:
#   BENCH_BIN       the capitole binary (default target/release/capitole, built if missing)
#   BENCH_ATTEMPTS  attempts of each kind (default 12; at most 14, since 30 failures from
#                   one address lock it)
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BENCH_BIN:-target/release/capitole}
ATTEMPTS=${BENCH_ATTEMPTS:-12}
LISTEN=127.0.0.1:18081
[[ $ATTEMPTS =~ ^[0-9]+$ && $ATTEMPTS -ge 1 && $ATTEMPTS -le 14 ]] || { echo "BENCH_ATTEMPTS is 1 to 14" >&2; exit 2; }

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done
if [[ ! -x $BIN ]]; then
  cargo build --release --quiet
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export CAPITOLE_DATABASE_URL="sqlite://$work/login.db?mode=rwc"
export CAPITOLE_LOG=warn
for i in $(seq 1 "$ATTEMPTS"); do
  echo "the-right-passphrase-$i" | "$BIN" user create --email "known$i@example.org" >/dev/null
done
"$BIN" serve --listen "$LISTEN" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://$LISTEN/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

attempt() {
  curl -sS -o /dev/null -w '%{time_total}\n' "http://$LISTEN/graphql" \
    -H 'content-type: application/json' \
    --data "{\"query\":\"mutation { login(email: \\\"$1\\\", password: \\\"not-the-passphrase\\\") { session { accessToken } } }\"}"
}

# One warm-up of each kind, not counted.
attempt warmup-unknown@example.org >/dev/null
for i in $(seq 1 "$ATTEMPTS"); do
  attempt "unknown$i@example.org" >>"$work/unknown"
  attempt "known$i@example.org" >>"$work/wrong"
done

python3 - "$work/unknown" "$work/wrong" <<'EOF'
import statistics, sys
rows = []
for label, path in (("unknown email", sys.argv[1]), ("wrong password", sys.argv[2])):
    ms = sorted(float(line) * 1000 for line in open(path))
    rows.append((label, ms))
    print(f"{label:15} n={len(ms):2}  median {statistics.median(ms):6.1f} ms  "
          f"mean {statistics.mean(ms):6.1f}  min {ms[0]:6.1f}  max {ms[-1]:6.1f}  "
          f"stdev {statistics.stdev(ms) if len(ms) > 1 else 0:5.1f}")
a, b = (statistics.median(r[1]) for r in rows)
print(f"difference of medians: {abs(a - b):.1f} ms")
EOF

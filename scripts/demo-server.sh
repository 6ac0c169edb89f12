# Sourced by the scripts/check-*.sh checks (which define root, target, log and die): a
# Capitole binary (CAPITOLE_BIN, or a debug build), a temporary folder `work`, and the demo
# city served on loopback from a temporary SQLite file; what it starts is stopped, and the
# folder removed, when the script ends.

binary=${CAPITOLE_BIN:-}
if [[ -z "$binary" ]]; then
  log "building capitole"
  (cd "$root" && cargo build --quiet --bin capitole)
  binary=$target/debug/capitole
fi

work=$(mktemp -d)
# Processes to stop when the script ends: the server, and whatever the check starts.
stop_on_exit=()
cleanup() {
  local pid
  for pid in "${stop_on_exit[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  # A browser's helper processes can outlive it by a moment and still write in its
  # profile: try again rather than fail a check that passed.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    rm -rf "$work" 2>/dev/null && return 0
    sleep 0.3
  done
  echo "warning: could not remove $work" >&2
}
trap cleanup EXIT

# wait_for_line SECONDS FILE PATTERN: prints the first line of FILE matching PATTERN.
wait_for_line() {
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    if grep -m 1 -E "$3" "$2" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# serve_demo PORT [NAME=VALUE...]: serves the demo city on 127.0.0.1:PORT (0: a port the
# system picks) with these settings besides its own, and sets `base` to its address.
serve_demo() {
  local port=$1 line
  shift
  env "$@" CAPITOLE_DATABASE_URL="sqlite://$work/capitole.db?mode=rwc" CAPITOLE_LOG=info NO_COLOR=1 \
    "$binary" serve --demo --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
  stop_on_exit+=("$!")
  line=$(wait_for_line 120 "$work/server.log" 'listening on http://') ||
    { cat "$work/server.log" >&2; die "the server did not start"; }
  base=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' <<<"$line" | head -n 1)
  echo "server at $base"
}

# What the benchmark scripts share; sourced, not run:
#   source bench/common.sh NAME     (NAME prefixes the scripts' errors)

bench_name=${1:-bench}
log() { printf '\n==> %s\n' "$*"; }
die() { printf '\n%s: %s\n' "$bench_name" "$*" >&2; exit 1; }

# stop_process PID: asks the process to stop, gives it ten seconds, then kills it. Does
# nothing for an empty PID or a process already gone; never fails.
stop_process() {
  local pid=${1:-}
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

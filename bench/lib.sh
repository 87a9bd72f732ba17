# Shell helpers shared by the benchmark scripts; sourced, never run. Each script sets
# BENCH_NAME (its file name) before sourcing, for its messages.

die() {
  echo "$BENCH_NAME: $*" >&2
  exit 1
}

# SIGTERM, up to 10 s for a clean exit, then SIGKILL with a warning.
stop_pid() {
  local pid="$1" i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$BENCH_NAME: warning: pid $pid did not exit within 10 s of SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# Share of CPU time in use over $1 seconds (other work on the machine skews the figures).
cpu_busy_percent() {
  local a b
  a="$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)"
  sleep "$1"
  b="$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)"
  awk -v a="$a" -v b="$b" 'BEGIN {
    split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; all = busy + y[2] - x[2]
    printf "%d", (all > 0 ? 100 * busy / all : 0)
  }'
}

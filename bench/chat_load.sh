#!/usr/bin/env bash
# Chat load: durable sends, fan-out to long polls and idle long polls against
# `bartab up`, driven by the chat_load generator (bench/chat_load.cpp).
#
#   bench/chat_load.sh [path/to/bartab]      (default build/release/bin/bartab)
#
# Each workload gets a fresh server (new data directory, open registration, a high
# registration rate limit, one-hour access tokens) on a free loopback port; the
# generator registers its own users and rooms, then measures. Server and generator
# share the machine's cores, so compare figures only on the same machine.
#
# Environment:
#   WORKLOADS   which to run, in order (default "sends fanout idle")
#   CHAT_LOAD   the generator (default bench/chat_load next to bartab's bin/)
#   WORKERS     server.threads (default 2)
#   ACCESS_LOG  on|off: the server's access log, to a file (default on)
#   sends:  SENDERS (64), ROOMS (4), DURATION (10, seconds), WARMUP (2)
#   fanout: MEMBERS (500), FANOUT_SENDERS (4), MESSAGES (2000), RATE (0: closed
#           loop, else messages/s), POLL_TIMEOUT (30000 ms), GRACE (10 s)
#   idle:   IDLE_POLLS (10000), IDLE_USERS (100), IDLE_TIMEOUT (60000 ms), HOLD (10 s),
#           WAIT_ANSWERS (1: wait for the server's timeout answers; 0: close after HOLD)
#   KEEP_LOGS=1 keeps the temporary directory with the server logs.
set -euo pipefail

BENCH_NAME=chat_load.sh
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bartab="${1:-$repo_root/build/release/bin/bartab}"
WORKLOADS="${WORKLOADS:-sends fanout idle}"
WORKERS="${WORKERS:-2}"
ACCESS_LOG="${ACCESS_LOG:-on}"
SENDERS="${SENDERS:-64}" ROOMS="${ROOMS:-4}" DURATION="${DURATION:-10}" WARMUP="${WARMUP:-2}"
MEMBERS="${MEMBERS:-500}" FANOUT_SENDERS="${FANOUT_SENDERS:-4}" MESSAGES="${MESSAGES:-2000}"
RATE="${RATE:-0}" POLL_TIMEOUT="${POLL_TIMEOUT:-30000}" GRACE="${GRACE:-10}"
IDLE_POLLS="${IDLE_POLLS:-10000}" IDLE_USERS="${IDLE_USERS:-100}" IDLE_TIMEOUT="${IDLE_TIMEOUT:-60000}"
HOLD="${HOLD:-10}" WAIT_ANSWERS="${WAIT_ANSWERS:-1}"
KEEP_LOGS="${KEEP_LOGS:-0}"
# Seconds, also written like healthz.sh's durations (10s).
DURATION="${DURATION%s}" WARMUP="${WARMUP%s}" GRACE="${GRACE%s}" HOLD="${HOLD%s}"
for v in SENDERS ROOMS DURATION WARMUP MEMBERS FANOUT_SENDERS MESSAGES RATE POLL_TIMEOUT GRACE IDLE_POLLS \
  IDLE_USERS IDLE_TIMEOUT HOLD; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "chat_load.sh: $v must be a whole number, got '${!v}'" >&2; exit 1; }
done


[[ -x "$bartab" ]] || die "no bartab binary at $bartab (build it first, or pass its path)"
bartab="$(cd "$(dirname "$bartab")" && pwd)/$(basename "$bartab")"
CHAT_LOAD="${CHAT_LOAD:-$(dirname "$bartab")/../bench/chat_load}"
[[ -x "$CHAT_LOAD" ]] || die "no generator at $CHAT_LOAD (ninja -C build/release chat_load)"
for w in $WORKLOADS; do
  [[ "$w" == sends || "$w" == fanout || "$w" == idle ]] || die "unknown workload '$w' (sends, fanout, idle)"
done

# Descriptors: the server and the generator (which inherit this limit) each hold one
# per connection: IDLE_POLLS for idle, MEMBERS + senders for fanout, plus some spare.
need_nofile=$((SENDERS + 1024))
[[ " $WORKLOADS " == *" fanout "* ]] && ((MEMBERS + 1024 > need_nofile)) && need_nofile=$((MEMBERS + 1024))
[[ " $WORKLOADS " == *" idle "* ]] && ((IDLE_POLLS + 1024 > need_nofile)) && need_nofile=$((IDLE_POLLS + 1024))
hard_nofile="$(ulimit -Hn)"
if [[ "$hard_nofile" == unlimited ]]; then want_nofile=1048576; else want_nofile="$hard_nofile"; fi
((want_nofile > 1048576)) && want_nofile=1048576
ulimit -n "$want_nofile" 2>/dev/null || true
nofile="$(ulimit -n)"
[[ "$nofile" == unlimited ]] && nofile=1048576
if ((nofile < need_nofile)); then
  die "need $need_nofile file descriptors per process, but the hard limit is $hard_nofile" \
    "(raise it, e.g. in /etc/security/limits.conf or with prlimit, or lower IDLE_POLLS/MEMBERS)"
fi
if [[ " $WORKLOADS " == *" idle "* && -r /proc/sys/net/ipv4/ip_local_port_range ]]; then
  read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
  ((port_hi - port_lo < IDLE_POLLS + 1000)) &&
    echo "chat_load.sh: warning: only $((port_hi - port_lo)) local ports for $IDLE_POLLS connections" >&2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bartab-chat-load.XXXXXX")"
bartab_pid=""
gen_pid=""


cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$gen_pid"
  stop_pid "$bartab_pid"
  if [[ "$KEEP_LOGS" == 1 ]]; then echo "chat_load.sh: logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# GET /readyz once; succeeds on a 200.
ready() {
  local response
  response="$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    timeout 2 cat <&3
  )" || return 1
  [[ "$response" == "HTTP/1.1 200"* ]]
}

# Starts a fresh `bartab up` on a port it picks (--port 0, read back from its log);
# sets bartab_pid, bartab_port and bartab_log. Waits (up to 15 s) for /readyz.
start_bartab() {
  local name="$1" i
  bartab_log="$tmp/bartab-$name.log"
  rm -rf "$tmp/data-$name"
  mkdir -p "$tmp/data-$name"
  local -a flags=(--set "server.threads=$WORKERS" --set ratelimit.register_per_hour=1000000
    --set auth.access_token_ttl=3600)
  [[ "$ACCESS_LOG" == on ]] || flags+=(--set log.access=false)
  : >"$bartab_log"
  "$bartab" up --host 127.0.0.1 --port 0 --data "$tmp/data-$name" --registration open "${flags[@]}" \
    2>"$bartab_log" >/dev/null &
  bartab_pid=$!
  bartab_port=""
  for ((i = 0; i < 150; i++)); do
    kill -0 "$bartab_pid" 2>/dev/null || break
    bartab_port="$(sed -n 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "$bartab_log" | head -n 1 || true)"
    [[ -n "$bartab_port" ]] && ready "$bartab_port" && return 0
    sleep 0.1
  done
  tail -n 20 "$bartab_log" >&2 || true
  die "bartab did not become ready"
}

# Stops the server and reports its exit and any warnings or errors it logged.
stop_bartab() {
  local pid="$bartab_pid" rc=0
  kill -TERM "$pid" 2>/dev/null || true
  local t0=$SECONDS
  wait "$pid" || rc=$?
  bartab_pid=""
  local problems
  problems="$(grep -ciE '\b(warn|warning|error|critical)\b' "$bartab_log" || true)"
  echo "  server: exit $rc $((SECONDS - t0)) s after SIGTERM; $problems warning/error lines in its log"
  if ((problems > 0)); then
    grep -iE '\b(warn|warning|error|critical)\b' "$bartab_log" | head -n 5 | sed 's/^/    /'
  fi
}

# Runs the generator with a watchdog, in the background so a signal is handled at once.
run_generator() {
  local seconds="$1"
  shift
  timeout -k 5 "$seconds" "$CHAT_LOAD" --url "http://127.0.0.1:$bartab_port" --server-pid "$bartab_pid" "$@" &
  gen_pid=$!
  local rc=0
  wait "$gen_pid" || rc=$?
  gen_pid=""
  ((rc == 124)) && echo "chat_load.sh: the generator was stopped after $seconds s" >&2
  return "$rc"
}


run_workload() {
  local name="$1" rc=0 busy
  echo "== $name"
  if [[ -r /proc/stat ]]; then
    busy="$(cpu_busy_percent 1)"
    if ((busy > 15)); then
      echo "  warning: the CPUs were ${busy}% busy just before this workload; its figures will be low" >&2
    fi
  fi
  start_bartab "$name"
  case "$name" in
    sends)
      run_generator $((WARMUP + DURATION + 300)) sends --senders "$SENDERS" --rooms "$ROOMS" \
        --duration "$DURATION" --warmup "$WARMUP" || rc=$?
      ;;
    fanout)
      run_generator 900 fanout --members "$MEMBERS" --senders "$FANOUT_SENDERS" --messages "$MESSAGES" \
        --rate "$RATE" --poll-timeout "$POLL_TIMEOUT" --grace "$GRACE" || rc=$?
      ;;
    idle)
      local wait_answers=false
      [[ "$WAIT_ANSWERS" == 1 ]] && wait_answers=true
      run_generator $((IDLE_TIMEOUT / 1000 + HOLD + 600)) idle --polls "$IDLE_POLLS" --users "$IDLE_USERS" \
        --poll-timeout "$IDLE_TIMEOUT" --hold "$HOLD" --wait-answers "$wait_answers" || rc=$?
      ;;
  esac
  stop_bartab
  return "$rc"
}

echo "chat load: $(nproc) cores shared by the server (server.threads=$WORKERS, access log $ACCESS_LOG)" \
  "and the generator (one thread); descriptors per process: $nofile"
echo "bartab: $bartab"
status=0
for w in $WORKLOADS; do
  run_workload "$w" || status=1
  echo
done
exit "$status"

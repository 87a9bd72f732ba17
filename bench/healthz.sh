#!/usr/bin/env bash
# HTTP benchmark: GET /healthz on bartab against the same fixed JSON answer from nginx.
#
#   bench/healthz.sh [path/to/bartab]        (default build/release/bin/bartab)
#
# Environment: DURATION (wrk -d, default 10s), CONNECTIONS (wrk -c, default 64),
# THREADS (wrk -t, default 1), WORKERS (nginx worker_processes and bartab
# server.threads, default 2), WARMUP (default 2s), ROUNDS (default 1; runs per server
# and pair, alternating which server goes first, the best one counts: the figures
# move by +-15% from run to run on a shared 2-core machine), TARGET (default 0.70),
# FAIL_BELOW_TARGET=1 to exit 1 when the access-log-on ratio is below TARGET,
# NGINX_REUSEPORT (default 1; see below).
#
# nginx listens with `reuseport` so that the kernel spreads wrk's connections evenly
# over its workers, as bartab's acceptor does over its threads. Without it nginx's
# figure depends on how the connections happen to land: with 2 cores shared with wrk,
# a run where one worker took 61 of the 64 connections made ~210k req/s and an even
# split ~160k, from one run to the next.
#
# Two pairs of runs: with access logs (both servers write one line per request to a
# file in the temporary directory), then with access logging off on both. Everything
# listens on 127.0.0.1 only; the load generator shares the machine's cores with the
# server under test, so the figures are only comparable on the same machine.
set -euo pipefail

BENCH_NAME=healthz.sh
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bartab="${1:-$repo_root/build/release/bin/bartab}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-1}"
WORKERS="${WORKERS:-2}"
WARMUP="${WARMUP:-2s}"
ROUNDS="${ROUNDS:-1}"
TARGET="${TARGET:-0.70}"
FAIL_BELOW_TARGET="${FAIL_BELOW_TARGET:-0}"
NGINX_REUSEPORT="${NGINX_REUSEPORT:-1}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
WRK="${WRK:-$(command -v wrk || echo /usr/bin/wrk)}"


[[ -x "$bartab" ]] || die "no bartab binary at $bartab (build it first, or pass its path)"
[[ -x "$NGINX" ]] || die "nginx not found (apt-get install nginx-light)"
[[ -x "$WRK" ]] || die "wrk not found (apt-get install wrk)"
bartab="$(cd "$(dirname "$bartab")" && pwd)/$(basename "$bartab")"

# Seconds in a wrk duration (10, 10s, 2m, 1h), for the watchdog timeouts.
duration_seconds() {
  local d="$1"
  case "$d" in
    *ms) echo 1 ;;
    *s) echo "${d%s}" ;;
    *m) echo $((${d%m} * 60)) ;;
    *h) echo $((${d%h} * 3600)) ;;
    *) echo "$d" ;;
  esac
}
run_seconds="$(duration_seconds "$DURATION")"
warmup_seconds="$(duration_seconds "$WARMUP")"
[[ "$run_seconds" =~ ^[0-9]+$ && "$warmup_seconds" =~ ^[0-9]+$ ]] ||
  die "DURATION and WARMUP must look like 10s, 2m or 1h"
[[ "$CONNECTIONS" =~ ^[0-9]+$ && "$THREADS" =~ ^[0-9]+$ && "$WORKERS" =~ ^[0-9]+$ && "$ROUNDS" =~ ^[1-9][0-9]*$ ]] ||
  die "CONNECTIONS, THREADS, WORKERS and ROUNDS must be positive numbers"
((THREADS >= 1 && CONNECTIONS >= THREADS)) || die "need 1 <= THREADS <= CONNECTIONS"

# Descriptors: wrk, nginx and bartab each hold one per connection (and nginx two per
# worker). Raise the soft limit as far as the hard limit allows.
hard_nofile="$(ulimit -Hn)"
if [[ "$hard_nofile" == unlimited ]]; then want_nofile=1048576; else want_nofile="$hard_nofile"; fi
((want_nofile > 1048576)) && want_nofile=1048576
ulimit -n "$want_nofile" 2>/dev/null || true
nofile="$(ulimit -n)"
if [[ "$nofile" != unlimited ]] && ((nofile < 4096)); then
  echo "healthz.sh: warning: only $nofile file descriptors (hard limit $hard_nofile)" >&2
fi
[[ "$nofile" == unlimited ]] && nofile=1048576
if ((CONNECTIONS + 64 > nofile)); then die "CONNECTIONS=$CONNECTIONS exceeds the descriptor limit $nofile"; fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bartab-healthz.XXXXXX")"
nginx_pid=""
bartab_pid=""
wrk_pid=""
RATIO_on="" RATIO_off=""


stop_servers() {
  stop_pid "$bartab_pid"
  bartab_pid=""
  # nginx's master stops its workers on SIGTERM (fast shutdown).
  stop_pid "$nginx_pid"
  nginx_pid=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$wrk_pid"
  stop_servers
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Is something listening on 127.0.0.1:$1?
port_in_use() {
  (exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1")
}

# A port nobody listens on now (nginx is retried on another one if it loses a race).
pick_port() {
  local port i
  for ((i = 0; i < 100; i++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" || {
      echo "$port"
      return 0
    }
  done
  die "no free port found"
}

# GET /healthz once; succeeds on a 200 whose body is {"status":"ok"}.
probe() {
  local port="$1" response
  response="$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    timeout 2 cat <&3
  )" || return 1
  [[ "$response" == "HTTP/1.1 200"* && "$response" == *'{"status":"ok"}' ]]
}

# Waits until $2 answers on port $3 while process $1 lives (up to 15 s).
wait_ready() {
  local pid="$1" name="$2" port="$3" i
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    probe "$port" && return 0
    sleep 0.1
  done
  echo "healthz.sh: $name did not answer on port $port" >&2
  return 1
}

write_nginx_conf() {
  local port="$1" access="$2" conf="$tmp/nginx/nginx.conf"
  local worker_connections=$((CONNECTIONS + 256))
  ((worker_connections < 1024)) && worker_connections=1024
  local access_line="access_log $tmp/nginx/access.log;"
  [[ "$access" == on ]] || access_line="access_log off;"
  local listen_options=""
  [[ "$NGINX_REUSEPORT" == 1 ]] && listen_options=" reuseport"
  {
    # Workers of a root master would run as nobody and could not enter the 0700 prefix.
    ((EUID == 0)) && echo "user root;"
    cat <<EOF
daemon off;
master_process on;
worker_processes $WORKERS;
worker_rlimit_nofile $nofile;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;

events {
  worker_connections $worker_connections;
}

http {
  $access_line
  client_body_temp_path $tmp/nginx/client_body;
  proxy_temp_path $tmp/nginx/proxy;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  server_tokens off;

  server {
    listen 127.0.0.1:$port$listen_options;
    location = /healthz {
      default_type "application/json; charset=utf-8";
      return 200 '{"status":"ok"}';
    }
  }
}
EOF
  } >"$conf"
}

# Starts nginx; sets nginx_pid and nginx_port.
start_nginx() {
  local access="$1" attempt
  mkdir -p "$tmp/nginx"
  for ((attempt = 0; attempt < 5; attempt++)); do
    nginx_port="$(pick_port)"
    write_nginx_conf "$nginx_port" "$access"
    "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" \
      >>"$tmp/nginx/stdout.log" 2>&1 &
    nginx_pid=$!
    if wait_ready "$nginx_pid" nginx "$nginx_port"; then return 0; fi
    stop_pid "$nginx_pid"
    nginx_pid=""
  done
  tail -n 20 "$tmp/nginx/error.log" >&2 || true
  die "nginx did not start"
}

# Starts bartab up on a port it picks; sets bartab_pid and bartab_port.
start_bartab() {
  local access="$1" log="$tmp/bartab-$1.log" i
  local -a flags=(--set "server.threads=$WORKERS")
  [[ "$access" == on ]] || flags+=(--set log.access=false)
  rm -rf "$tmp/data"
  mkdir -p "$tmp/data"
  : >"$log"  # exists before the background child opens it
  "$bartab" up --host 127.0.0.1 --port 0 --data "$tmp/data" "${flags[@]}" 2>"$log" >/dev/null &
  bartab_pid=$!
  bartab_port=""
  for ((i = 0; i < 150; i++)); do
    kill -0 "$bartab_pid" 2>/dev/null || break
    bartab_port="$(sed -n 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1 || true)"
    [[ -n "$bartab_port" ]] && break
    sleep 0.1
  done
  if [[ -z "$bartab_port" ]] || ! wait_ready "$bartab_pid" bartab "$bartab_port"; then
    tail -n 20 "$log" >&2 || true
    die "bartab did not start"
  fi
}

# Converts a wrk latency (850.00us, 1.23ms, 2.00s) to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
    printf "%.3f", n
  }'
}

# Runs wrk for $1 seconds (with a watchdog) with the remaining arguments, output in
# $tmp/wrk.out. In the background so that a signal to this script is handled at once.
wrk_bg() {
  local seconds="$1"
  shift
  timeout -k 5 $((seconds + 60)) "$WRK" -t"$THREADS" -c"$CONNECTIONS" "$@" >"$tmp/wrk.out" 2>&1 &
  wrk_pid=$!
  local rc=0
  wait "$wrk_pid" || rc=$?
  wrk_pid=""
  return "$rc"
}

# Runs wrk against port $2 (warming up first in round 1) and keeps the best round's
# req/s, p50 and p99 (ms) in R_<$1>_*; R_<$1>_errors adds up all rounds.
run_wrk() {
  local key="$1" port="$2" round="$3" out url="http://127.0.0.1:$2/healthz"
  if ((round == 1)); then
    wrk_bg "$warmup_seconds" -d"$WARMUP" "$url" || die "wrk warm-up against $key failed: $(<"$tmp/wrk.out")"
  fi
  wrk_bg "$run_seconds" -d"$DURATION" --latency "$url" || die "wrk against $key failed: $(<"$tmp/wrk.out")"
  out="$(<"$tmp/wrk.out")"
  local rps p50 p99 errors non2xx
  rps="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")"
  p50="$(awk '$1 == "50%" { print $2 }' <<<"$out")"
  p99="$(awk '$1 == "99%" { print $2 }' <<<"$out")"
  errors="$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' <<<"$out")"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")"
  [[ -n "$rps" && -n "$p50" && -n "$p99" ]] || die "could not read wrk's output: $out"
  ((ROUNDS > 1)) && printf '  (round %d: %-6s %.0f req/s)\n' "$round" "${key%_*}" "$rps"
  local best="R_${key}_rps" total="R_${key}_errors"
  if ((round == 1)) || awk -v a="$rps" -v b="${!best}" 'BEGIN { exit !(a > b) }'; then
    printf -v "R_${key}_rps" '%s' "$rps"
    printf -v "R_${key}_p50" '%s' "$(to_ms "$p50")"
    printf -v "R_${key}_p99" '%s' "$(to_ms "$p99")"
  fi
  ((round == 1)) && printf -v "$total" '%s' 0
  printf -v "$total" '%s' "$((${!total} + ${errors:-0} + ${non2xx:-0}))"
}

row() {
  local name="$1" key="$2" rps p50 p99 errors
  rps="R_${key}_rps" p50="R_${key}_p50" p99="R_${key}_p99" errors="R_${key}_errors"
  printf '  %-8s %12.0f req/s   p50 %8.3f ms   p99 %8.3f ms   errors %s\n' \
    "$name" "${!rps}" "${!p50}" "${!p99}" "${!errors}"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# One pair of runs with access logging $1 (on|off); prints the figures, sets RATIO_$1.
pair() {
  local access="$1"
  start_nginx "$access"
  start_bartab "$access"
  local round
  for ((round = 1; round <= ROUNDS; round++)); do
    # Alternate who goes first, in case the machine drifts.
    if ((round % 2 == 1)); then
      run_wrk "nginx_$access" "$nginx_port" "$round"
      run_wrk "bartab_$access" "$bartab_port" "$round"
    else
      run_wrk "bartab_$access" "$bartab_port" "$round"
      run_wrk "nginx_$access" "$nginx_port" "$round"
    fi
  done
  stop_servers
  local r n b
  n="R_nginx_${access}_rps" b="R_bartab_${access}_rps"
  r="$(ratio "${!b}" "${!n}")"
  printf -v "RATIO_$access" '%s' "$r"
  echo "access log $access:"
  row nginx "nginx_$access"
  row bartab "bartab_$access"
  echo "  ratio bartab/nginx: $r"
  local e1="R_nginx_${access}_errors" e2="R_bartab_${access}_errors"
  if ((${!e1} + ${!e2} > 0)); then echo "  warning: wrk counted errors or non-2xx answers" >&2; fi
}


if [[ -r /proc/stat ]]; then
  busy="$(cpu_busy_percent 1)"
  if ((busy > 15)); then
    echo "healthz.sh: warning: the CPUs were ${busy}% busy before the run; figures will be noisy" >&2
  fi
fi

echo "healthz: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (warm-up $WARMUP, best of $ROUNDS); $WORKERS workers each;" \
  "$(nproc) cores shared with wrk"
echo "bartab: $bartab"
echo "nginx:  $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')$([[ "$NGINX_REUSEPORT" == 1 ]] && echo ", listen reuseport")"
pair on
pair off

echo "healthz ratio bartab/nginx (access log off): $RATIO_off (target >= $TARGET)"
echo "healthz ratio bartab/nginx: $RATIO_on (target >= $TARGET)"
if [[ "$FAIL_BELOW_TARGET" == 1 ]] && awk -v r="$RATIO_on" -v t="$TARGET" 'BEGIN { exit !(r < t) }'; then
  exit 1
fi

#!/usr/bin/env bash
# Login latency over HTTP: starts `bartab up` (open registration) on a free loopback
# port, registers one user, then times sequential logins (LOGINS, default 40) and a
# burst of PARALLEL (default 4) concurrent ones with curl, and prints p50/p90/max.
# Argon2id (m=19 MiB, t=2) dominates; the hashing pool has two threads, so
# concurrent logins queue behind each other on a 2-core machine.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bartab="${1:-$repo_root/build/release/bin/bartab}"
LOGINS="${LOGINS:-40}"
PARALLEL="${PARALLEL:-4}"
[[ -x "$bartab" ]] || { echo "login.sh: no bartab binary at $bartab" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bartab-login.XXXXXX")"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bartab" up --host 127.0.0.1 --port 0 --data "$tmp/data" --registration open \
  --set log.access=false --set ratelimit.login_failures_per_minute=1000 2>"$tmp/log" &
pid=$!
port=""
for _ in $(seq 100); do
  port="$(grep -oP 'listening on [^ ]*:\K[0-9]+' "$tmp/log" || true)"
  [[ -n "$port" ]] && break
  sleep 0.05
done
[[ -n "$port" ]] || { echo "login.sh: bartab did not start" >&2; cat "$tmp/log" >&2; exit 1; }
base="http://127.0.0.1:$port"
body='{"username":"bench","password":"correct horse battery"}'
curl -sf -o /dev/null -H 'Content-Type: application/json' -d "$body" "$base/v1/auth/register"

login() { curl -sf -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' -d "$body" "$base/v1/auth/login"; }

summary() {
  sort -n | awk -v name="$1" '{ v[NR] = $1 * 1000 } END {
    printf "%-28s n=%d  p50 %.1f ms  p90 %.1f ms  max %.1f ms\n", name, NR, v[int(NR*0.5+0.5)], v[int(NR*0.9+0.5)], v[NR] }'
}

for _ in $(seq "$LOGINS"); do login; done | summary "login, sequential"
for _ in $(seq "$LOGINS"); do
  for _ in $(seq "$PARALLEL"); do login & done
  wait
done | summary "login, $PARALLEL at a time"

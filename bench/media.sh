#!/usr/bin/env bash
# Media throughput: uploads and downloads through `bartab up` against nginx doing the
# same with the same file on the same machine, reported as ratios.
#
#   bench/media.sh [path/to/bartab]        (default build/release/bin/bartab)
#
# Downloads: GET of one SIZE-byte file, bartab with a bearer token (the token check,
# the metadata lookup and sendfile) against nginx's static file handler (sendfile on).
# Uploads: bartab's POST /v1/media (streamed to a temporary file, hashed, committed
# and moved into the blob store) against nginx's WebDAV PUT (written to a temporary
# file and renamed). Two bartab runs: the same bytes every time (deduplicated: the
# temporary file is dropped, one fsync for the row's COMMIT) and distinct bytes (a
# counter appended: fsync of the file, of its directory and of the COMMIT). nginx
# fsyncs nothing; bartab acknowledges an upload only once it is durable. Both
# servers get WORKERS threads/processes; wrk shares the cores.
#
# Environment: SIZE (bytes, default 1048576), DURATION (default 10s), CONNECTIONS
# (default 16), WORKERS (default 2).
set -euo pipefail

BENCH_NAME=media.sh
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bartab="${1:-$repo_root/build/release/bin/bartab}"
SIZE="${SIZE:-1048576}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-16}"
WORKERS="${WORKERS:-2}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
WRK="${WRK:-$(command -v wrk || echo /usr/bin/wrk)}"
[[ -x "$bartab" ]] || die "no bartab binary at $bartab (build it first, or pass its path)"
[[ -x "$NGINX" ]] || die "nginx not found (apt-get install nginx-light)"
[[ -x "$WRK" ]] || die "wrk not found (apt-get install wrk)"
[[ "$SIZE" =~ ^[0-9]+$ && "$CONNECTIONS" =~ ^[0-9]+$ && "$WORKERS" =~ ^[0-9]+$ ]] ||
  die "SIZE, CONNECTIONS and WORKERS must be numbers"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bartab-media.XXXXXX")"
bartab_pid=""
nginx_pid=""
cleanup() {
  local rc=$?
  stop_pid "$bartab_pid"
  stop_pid "$nginx_pid"
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

# --- bartab -------------------------------------------------------------------------
mkdir -p "$tmp/data" "$tmp/www/upload" "$tmp/nginx"
: >"$tmp/bartab.log"
"$bartab" up --host 127.0.0.1 --port 0 --data "$tmp/data" --registration open \
  --set log.access=false --set "server.threads=$WORKERS" --set auth.access_token_ttl=3600 \
  --set media.max_upload_bytes=$((SIZE + 64)) --set media.quota_bytes=1125899906842624 \
  2>"$tmp/bartab.log" >/dev/null &
bartab_pid=$!
bartab_port=""
for ((i = 0; i < 150; i++)); do
  bartab_port="$(sed -n 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "$tmp/bartab.log" | head -n 1 || true)"
  [[ -n "$bartab_port" ]] && curl -sf -o /dev/null "http://127.0.0.1:$bartab_port/readyz" && break
  sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$bartab_port/readyz" || {
  tail -n 20 "$tmp/bartab.log" >&2
  die "bartab did not become ready"
}
base="http://127.0.0.1:$bartab_port"
token="$(curl -sf -H 'Content-Type: application/json' -d '{"username":"bench","password":"correct horse"}' \
  "$base/v1/auth/register" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')"
[[ -n "$token" ]] || die "could not register"

head -c "$SIZE" /dev/urandom >"$tmp/www/file.bin"
media_id="$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/octet-stream' \
  --data-binary "@$tmp/www/file.bin" "$base/v1/media" | sed -n 's/.*"media_id":"\([^"]*\)".*/\1/p')"
[[ -n "$media_id" ]] || die "the first upload failed"
cmp -s <(curl -sf -H "Authorization: Bearer $token" "$base/v1/media/$media_id") "$tmp/www/file.bin" ||
  die "the download differs from the upload"

# --- nginx --------------------------------------------------------------------------
nginx_port=$((20000 + RANDOM % 30000))
{
  ((EUID == 0)) && echo "user root;"
  cat <<CONF
daemon off;
worker_processes $WORKERS;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $tmp/www/upload/.tmp;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port reuseport;
    root $tmp/www;
    location /upload/ {
      dav_methods PUT;
      client_max_body_size $((SIZE + 64));
      client_body_buffer_size 64k;
    }
  }
}
CONF
} >"$tmp/nginx/nginx.conf"
"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" >/dev/null 2>&1 &
nginx_pid=$!
for ((i = 0; i < 50; i++)); do
  curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/file.bin" && break
  sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/file.bin" || die "nginx did not start"

# --- runs ---------------------------------------------------------------------------
cat >"$tmp/upload.lua" <<'LUA'
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = os.getenv("METHOD")
wrk.headers["Content-Type"] = "application/octet-stream"
local auth = os.getenv("AUTH")
if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = auth end
if os.getenv("DISTINCT") == "1" then
  local counter = 0
  local body = wrk.body
  request = function()
    counter = counter + 1
    return wrk.format(nil, nil, nil, body .. string.format("%012d", counter))
  end
end
LUA

# Runs wrk; prints "requests/s MiB/s errors".
measure() {
  local out
  out="$("$WRK" -t1 -c"$CONNECTIONS" -d"$DURATION" "$@" 2>&1)" || true
  local rps errors
  rps="$(awk '/Requests\/sec/ { print $2 }' <<<"$out")"
  if [[ -z "$rps" ]]; then
    echo "media.sh: wrk failed: $out" >&2
    echo "0 0 1"
    return 0
  fi
  errors="$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { n += 1 } END { print n + 0 }' <<<"$out")"
  awk -v r="$rps" -v s="$SIZE" -v e="$errors" 'BEGIN { printf "%.0f %.1f %d\n", r, r * s / 1048576, e }'
}

echo "media.sh: $SIZE-byte file, $CONNECTIONS connections, $DURATION per run, $WORKERS workers"
read -r b_get b_get_mib b_get_err < <(measure -H "Authorization: Bearer $token" "$base/v1/media/$media_id")
read -r n_get n_get_mib n_get_err < <(measure "http://127.0.0.1:$nginx_port/file.bin")
read -r b_put b_put_mib b_put_err < <(BODY_FILE="$tmp/www/file.bin" METHOD=POST AUTH="Bearer $token" \
  measure -s "$tmp/upload.lua" "$base/v1/media")
read -r d_put d_put_mib d_put_err < <(BODY_FILE="$tmp/www/file.bin" METHOD=POST AUTH="Bearer $token" DISTINCT=1 \
  measure -s "$tmp/upload.lua" "$base/v1/media")
read -r n_put n_put_mib n_put_err < <(BODY_FILE="$tmp/www/file.bin" METHOD=PUT AUTH="" \
  measure -s "$tmp/upload.lua" "http://127.0.0.1:$nginx_port/upload/file.bin")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf '%-11s %12s %12s %12s %12s %8s\n' "" "bartab/s" "bartab MiB/s" "nginx/s" "nginx MiB/s" "ratio"
printf '%-11s %12s %12s %12s %12s %8s\n' download "$b_get" "$b_get_mib" "$n_get" "$n_get_mib" "$(ratio "$b_get" "$n_get")"
printf '%-11s %12s %12s %12s %12s %8s\n' upload-same "$b_put" "$b_put_mib" "$n_put" "$n_put_mib" "$(ratio "$b_put" "$n_put")"
printf '%-11s %12s %12s %12s %12s %8s\n' upload-new "$d_put" "$d_put_mib" "$n_put" "$n_put_mib" "$(ratio "$d_put" "$n_put")"
echo "errors: bartab download $b_get_err, nginx download $n_get_err, bartab upload $b_put_err + $d_put_err," \
  "nginx upload $n_put_err"

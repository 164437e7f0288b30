#!/usr/bin/env bash
# Load test of userphoto-server on loopback with wrk (Debian: apt-get install wrk):
#   1. GET photo/$value (the 648x648 JPEG) — requests/s and latency percentiles;
#   2. the same with a matching If-None-Match (304s);
#   3. PUT photo/$value of a 12-megapixel JPEG — uploads/s.
#
#   bash benches/server_load.sh [PHOTO]
#
# PHOTO defaults to the corpus's 12-MP Olympus photo. DURATION (seconds, default 15),
# CONNECTIONS (default 32), UPLOAD_CONNECTIONS (default 4) and PORT (default 18090) tune it;
# SERVER_BIN skips the release build.
set -euo pipefail
cd "$(dirname "$0")/.."

corpus="${USERPHOTO_CORPUS:-$(pwd)/../shared/corpus}"
photo="${1:-$corpus/photos/photo_olympus_ep3_12mp_4032x3024.jpg}"
duration="${DURATION:-15}"
connections="${CONNECTIONS:-32}"
upload_connections="${UPLOAD_CONNECTIONS:-4}"
port="${PORT:-18090}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
[ -f "$photo" ] || { echo "no photo at $photo" >&2; exit 2; }

if [ -z "${SERVER_BIN:-}" ]; then
    cargo build --release -p userphoto-server >&2
    SERVER_BIN="${CARGO_TARGET_DIR:-target}/release/userphoto-server"
fi
work="$(mktemp -d)"
export USERPHOTO_JWT_SECRET="load-test-secret-$(date +%s%N)"
RUST_LOG=warn "$SERVER_BIN" --data "$work/data" --listen "127.0.0.1:$port" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
done

token="$("$SERVER_BIN" token --user bench@contoso.com --scopes User.ReadWrite --expires 1h)"
base="http://127.0.0.1:$port/api/v2.0/me/photo/\$value"
curl -sf -X PUT -H "Authorization: Bearer $token" --data-binary "@$photo" "$base" >/dev/null
etag="$(curl -sfI -H "Authorization: Bearer $token" "$base" | tr -d '\r' | sed -n 's/^etag: //Ip')"

echo "== machine: $(nproc) cores; photo: $(basename "$photo") ($(stat -c %s "$photo") bytes)"
echo "== GET photo/\$value, $connections connections, ${duration}s"
wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Authorization: Bearer $token" "$base"
echo "== GET photo/\$value with If-None-Match: $etag (304), $connections connections, ${duration}s"
wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Authorization: Bearer $token" \
    -H "If-None-Match: $etag" "$base"

cat >"$work/put.lua" <<LUA
local f = assert(io.open("$photo", "rb"))
wrk.method = "PUT"
wrk.body = f:read("*a")
f:close()
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "image/jpeg"
LUA
echo "== PUT photo/\$value (12-MP JPEG), $upload_connections connections, ${duration}s"
wrk -t1 -c"$upload_connections" -d"${duration}s" --timeout 60s --latency -s "$work/put.lua" "$base"

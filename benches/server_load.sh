#!/usr/bin/env bash
# Load test of userphoto-server on loopback with wrk (Debian: apt-get install wrk):
#   1. GET photo/$value (the 648x648 JPEG) — requests/s and latency percentiles;
#   2. the same with a matching If-None-Match (304s);
#   3. PUT photo/$value of a 12-megapixel JPEG — uploads/s;
#   4. a people picker's traffic: 20 users' 96x96 photos, as 20 direct GETs and as one Graph
#      $batch of 20 reads — photos/s each way.
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

# 4. Twenty users' 96x96 photos: twenty direct GETs against one $batch of twenty reads.
admin="$("$SERVER_BIN" token --user admin@contoso.com --scopes ProfilePhoto.ReadWrite.All --expires 1h)"
graph="http://127.0.0.1:$port/v1.0"
requests=""
for i in $(seq 1 20); do
    curl -sf -X PUT -H "Authorization: Bearer $admin" --data-binary "@$photo" \
        "$graph/users/user$i@contoso.com/photo/\$value" >/dev/null
    requests="$requests${requests:+,}{\"id\":\"$i\",\"method\":\"GET\",\"url\":\"/users/user$i@contoso.com/photos/96x96/\$value\"}"
done
cat >"$work/direct.lua" <<LUA
local i = 0
wrk.headers["Authorization"] = "Bearer $admin"
request = function()
    i = i % 20 + 1
    return wrk.format("GET", "/v1.0/users/user" .. i .. "@contoso.com/photos/96x96/\$value")
end
LUA
cat >"$work/batch.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"requests":[$requests]}'
wrk.headers["Authorization"] = "Bearer $admin"
wrk.headers["Content-Type"] = "application/json"
LUA
echo "== 20 users' photos/96x96/\$value as direct GETs (photos/s = requests/s), $connections connections, ${duration}s"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$work/direct.lua" "http://127.0.0.1:$port"
echo "== the same 20 as one \$batch per request (photos/s = 20 x requests/s), $connections connections, ${duration}s"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$work/batch.lua" "$graph/\$batch"

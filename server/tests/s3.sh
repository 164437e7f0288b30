#!/usr/bin/env bash
# Runs the server's S3 end-to-end tests (server/tests/api/s3.rs) against moto's S3-compatible
# server, installed from PyPI and started on loopback; stops it afterwards.
#
#   bash server/tests/s3.sh            # from the repository root
#   bash server/tests/s3.sh --prepare  # only install moto (CI does it while cargo builds)
#   bash server/tests/s3.sh COMMAND…   # run COMMAND against moto instead (cli/tests/s3.sh)
#
# USERPHOTO_TEST_S3_PORT chooses the port (default 9717).
set -euo pipefail
cd "$(dirname "$0")/../.."

port="${USERPHOTO_TEST_S3_PORT:-9717}"
if ! python3 -c "import moto.server, flask, flask_cors" 2>/dev/null; then
    python3 -m pip install --quiet 'moto[server]'
fi
[ "${1:-}" != --prepare ] || exit 0
python3 -m moto.server -H 127.0.0.1 -p "$port" >"${TMPDIR:-/tmp}/userphoto-moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null; then
        break
    fi
    sleep 0.5
done

export USERPHOTO_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
export AWS_ENDPOINT_URL="$USERPHOTO_TEST_S3_ENDPOINT"
export AWS_ALLOW_HTTP=true
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
# `--workspace` resolves dependency features as `cargo test --workspace` does, so that after
# it nothing recompiles (`-p userphoto-server` alone rebuilt the library and the server stack).
if [ $# -gt 0 ]; then
    "$@"
else
    cargo test --workspace --test api s3::
fi

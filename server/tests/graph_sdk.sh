#!/usr/bin/env bash
# End-to-end test with Microsoft's Graph client for Python (msgraph-sdk from PyPI): builds
# userphoto-server, starts it on loopback with an in-memory store, and runs graph_sdk.py.
#
#   bash server/tests/graph_sdk.sh            # from the repository root
#   bash server/tests/graph_sdk.sh --prepare  # only make the venv (CI does it while cargo builds)
#
# GRAPH_VENV (default target/graph-venv) is where msgraph-sdk is installed; PORT (default
# 18091) the port. The photo uploaded is the corpus's 12-MP JPEG (USERPHOTO_CORPUS); without
# the corpus it is a 720x720 photo-like JPEG drawn with Pillow (installed in the same venv).
set -euo pipefail
cd "$(dirname "$0")/../.."

target="${CARGO_TARGET_DIR:-target}"
venv="${GRAPH_VENV:-$target/graph-venv}"
port="${PORT:-18091}"
corpus="${USERPHOTO_CORPUS:-$(pwd)/../shared/corpus}"
photo="$corpus/photos/photo_olympus_ep3_12mp_4032x3024.jpg"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -c "import msgraph" 2>/dev/null || "$venv/bin/pip" install --quiet msgraph-sdk
# msgraph-core's batching imports `deprecated` without declaring it (msgraph-core 1.5).
"$venv/bin/python" -c "import deprecated" 2>/dev/null || "$venv/bin/pip" install --quiet deprecated
# Pillow draws the photo when there is no corpus.
"$venv/bin/python" -c "import PIL" 2>/dev/null || "$venv/bin/pip" install --quiet pillow
[ "${1:-}" != --prepare ] || exit 0

if [ ! -f "$photo" ]; then
    photo="$target/graph-sdk-photo.jpg"
    "$venv/bin/python" - "$photo" <<'PY'
import sys
from PIL import Image, ImageFilter
side = 720
image = Image.radial_gradient("L").resize((side, side)).convert("RGB")
noise = Image.effect_noise((side, side), 40).convert("RGB")
image = Image.blend(image, noise, 0.3).filter(ImageFilter.GaussianBlur(1))
image.save(sys.argv[1], quality=90)
PY
    echo "no corpus: uploading a generated 720x720 photo ($photo)"
fi

# Built as `cargo test --workspace` builds it (the same dependency features), so that after it
# nothing recompiles.
cargo test --workspace --no-run
server="$target/debug/userphoto-server"
export USERPHOTO_JWT_SECRET="graph-sdk-test-secret-$(date +%s%N)"
RUST_LOG=warn "$server" --store memory:// --listen "127.0.0.1:$port" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
    "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz')" 2>/dev/null && break
    sleep 0.1
done

own="$("$server" token --user alice@contoso.com --scopes "User.ReadWrite")"
admin="$("$server" token --user admin@contoso.com --scopes "ProfilePhoto.ReadWrite.All")"
"$venv/bin/python" server/tests/graph_sdk.py "http://127.0.0.1:$port/v1.0" "$own" "$admin" "$photo"

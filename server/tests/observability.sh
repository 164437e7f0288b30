#!/usr/bin/env bash
# What an operator sees of userphoto-server, end to end: /metrics read with the Prometheus
# Python client's text parser (prometheus_client from PyPI), JSON and text logs off a pipe, the
# request-id header, /readyz against a store that answers and one that does not.
#
#   bash server/tests/observability.sh            # from the repository root
#   bash server/tests/observability.sh --prepare  # only make the venv (CI does it while cargo builds)
#
# OBSERVABILITY_VENV (default target/observability-venv) is where prometheus_client goes.
set -euo pipefail
cd "$(dirname "$0")/../.."

target="${CARGO_TARGET_DIR:-target}"
venv="${OBSERVABILITY_VENV:-$target/observability-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -c "import prometheus_client" 2>/dev/null || "$venv/bin/pip" install --quiet prometheus_client
[ "${1:-}" != --prepare ] || exit 0

# Built as `cargo test --workspace` builds it (the same dependency features), so that after it
# nothing recompiles.
cargo test --workspace --no-run
"$venv/bin/python" server/tests/observability.py "$target/debug/userphoto-server" testdata/portrait.jpg

#!/usr/bin/env bash
# End-to-end test of the server's OpenID Connect tokens against a real provider: panva's
# oidc-provider (OpenID Certified, from npm) started on loopback by server/tests/oidc/oidc.mjs,
# which also starts userphoto-server with --oidc-issuer and drives both.
#
#   bash server/tests/oidc.sh            # from the repository root
#   bash server/tests/oidc.sh --prepare  # only install the npm packages (CI does it while cargo builds)
#
# Needs node (20 or later) and npm, installed from Debian's packages when missing. The npm
# packages go to target/oidc-node (OIDC_NODE_DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    SUDO=; [[ $(id -u) -eq 0 ]] || SUDO="sudo -n"
    $SUDO apt-get install -y nodejs npm || { $SUDO apt-get update && $SUDO apt-get install -y nodejs npm; }
fi

target="${CARGO_TARGET_DIR:-target}"
dir="${OIDC_NODE_DIR:-$target/oidc-node}"
mkdir -p "$dir"
# The script runs from beside its node_modules, where its imports resolve.
cp server/tests/oidc/package.json server/tests/oidc/package-lock.json server/tests/oidc/oidc.mjs "$dir/"
if ! cmp -s server/tests/oidc/package-lock.json "$dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp server/tests/oidc/package-lock.json "$dir/node_modules/.package-lock.json.installed"
fi
[ "${1:-}" != --prepare ] || exit 0

# Built as `cargo test --workspace` builds it (the same dependency features), so that after it
# nothing recompiles.
cargo test --workspace --no-run
node "$dir/oidc.mjs" "$target/debug/userphoto-server" testdata/portrait.jpg

#!/usr/bin/env bash
# The Python package's tests, as CI runs them: makes a virtual environment under the target
# directory, installs the test tools and the package (`pip install ./python`, built by maturin),
# and runs pytest on python/tests, which includes `mypy --strict` on the examples.
#
#   bash python/tests/run.sh [--prepare]
#
# The package is built with Cargo's dev profile, which optimises the pixel crates: a release
# build of the library from cold takes several minutes. The tests compare the package with the
# `userphoto` command `cargo test --workspace` builds (USERPHOTO_BIN, by default
# $CARGO_TARGET_DIR/debug/userphoto): run this before anything replaces that binary with
# another build (the turbojpeg feature's renditions differ).
set -euo pipefail
cd "$(dirname "$0")/../.."

target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
venv=$target/python-venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
export PATH=$venv/bin:$PATH
pip() { python -m pip --disable-pip-version-check -q "$@"; }
pip install "maturin>=1.9.4,<2" "pytest>=8,<10" "mypy>=1.10,<3" "dask[distributed]>=2024.1"
# `--prepare`: only the venv and the tools (CI does it while cargo builds).
[[ ${1:-} != --prepare ]] || exit 0
MATURIN_PEP517_ARGS="--profile dev" CARGO_TARGET_DIR=$target \
    pip install --no-build-isolation --force-reinstall --no-deps ./python

export USERPHOTO_BIN=${USERPHOTO_BIN:-$target/debug/userphoto}
[[ -x $USERPHOTO_BIN ]] || cargo build -p userphoto-cli
python -m pytest -q python/tests

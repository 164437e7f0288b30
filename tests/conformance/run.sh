#!/usr/bin/env bash
# The external conformance run (CONFORMANCE.md): every file of Pillow's test images, taken from
# a pinned Pillow source distribution on PyPI, through `userphoto ingest`, each outcome set
# against Pillow's own decode of the file (a pinned Pillow wheel, in a venv of its own).
#
#   bash tests/conformance/run.sh [--fail-on-crash]
#   bash tests/conformance/run.sh --prepare   # only download the suite and make the venv
#
# Writes target/conformance/results.tsv (one line per file) and summary.md, and prints the
# summary. Exits 0 whatever the files gave, unless --fail-on-crash is given: then 3 when
# `userphoto` panicked (exit 101), died of a signal or timed out on any file. Refusals and
# renditions beyond the DSSIM bound are tracked in CONFORMANCE.md, not failed on. Any other
# non-zero exit is the run's own failure (a download, a build).
#
# Needs python3 with pip and venv, and a Rust toolchain unless both binaries are given:
#   USERPHOTO=path/to/userphoto   instead of building it (cargo build --release)
#   DSSIM_TOOL=path/to/dssim      instead of building examples/dssim.rs (--release)
#   CONFORMANCE_CACHE=dir         where the download, suite, venv and results go
#                                 (default target/conformance)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

# The suite and the reference decoder. A new version needs its sdist's sha256 here, and
# CONFORMANCE.md measured again.
PILLOW_VERSION=12.0.0
PILLOW_SDIST=pillow-$PILLOW_VERSION.tar.gz
PILLOW_SDIST_SHA256=87d4f8125c9988bfbed67af47dd7a953e2fc7b0cc1e7800ec6d2080d490bb353
NUMPY_VERSION=2.2.6

PYTHON=${PYTHON:-python3}
CACHE=${CONFORMANCE_CACHE:-$ROOT/target/conformance}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OPTIONS=()
PREPARE_ONLY=
for arg in "$@"; do
    case $arg in
        --fail-on-crash) OPTIONS+=(--fail-on-crash) ;;
        --prepare) PREPARE_ONLY=1 ;;
        -h | --help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done
mkdir -p "$CACHE"

sdist_ok() {
    [[ -f $CACHE/$PILLOW_SDIST ]] &&
        echo "$PILLOW_SDIST_SHA256  $CACHE/$PILLOW_SDIST" | sha256sum --check --status
}

# 1. The suite: Tests/images/ of the pinned sdist, checked against its sha256.
if ! sdist_ok; then
    rm -f "$CACHE/$PILLOW_SDIST"
    # Only Pillow itself from source; its build requirements (needed by pip to read the
    # sdist's metadata) may come as wheels.
    "$PYTHON" -m pip download --quiet --no-deps --no-binary pillow \
        "pillow==$PILLOW_VERSION" --dest "$CACHE"
    sdist_ok || { echo "run.sh: $PILLOW_SDIST does not have the pinned sha256" >&2; exit 1; }
fi
SUITE=$CACHE/suite-$PILLOW_VERSION
if [[ ! -f $SUITE.complete ]]; then
    rm -rf "$SUITE"
    mkdir -p "$SUITE"
    tar -xzf "$CACHE/$PILLOW_SDIST" -C "$SUITE" --strip-components=3 \
        "pillow-$PILLOW_VERSION/Tests/images"
    touch "$SUITE.complete"
fi

# 2. The reference decoder: the pinned Pillow wheel, with numpy, in a venv of its own.
VENV=$CACHE/venv-$PILLOW_VERSION
if ! "$VENV/bin/python" -c "import sys, PIL, numpy
sys.exit(PIL.__version__ != '$PILLOW_VERSION' or numpy.__version__ != '$NUMPY_VERSION')" \
    2>/dev/null; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --only-binary :all: \
        "pillow==$PILLOW_VERSION" "numpy==$NUMPY_VERSION"
fi

[[ -z $PREPARE_ONLY ]] || exit 0

# 3. The command under test and the DSSIM tool.
if [[ -z ${USERPHOTO:-} ]]; then
    cargo build --release --quiet -p userphoto-cli
    USERPHOTO=$TARGET/release/userphoto
fi
if [[ -z ${DSSIM_TOOL:-} ]]; then
    cargo build --release --quiet --example dssim
    DSSIM_TOOL=$TARGET/release/examples/dssim
fi

for tool in "$USERPHOTO" "$DSSIM_TOOL"; do
    [[ -x $tool ]] || { echo "run.sh: $tool is not an executable" >&2; exit 1; }
done

# 4. The run.
exec "$VENV/bin/python" tests/conformance/conformance.py run --suite "$SUITE" \
    --userphoto "$USERPHOTO" --dssim "$DSSIM_TOOL" --work "$CACHE" "${OPTIONS[@]}"

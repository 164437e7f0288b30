#!/bin/sh
# Runs every fuzz target for a few seconds (FUZZ_SECONDS, default 8) on the stable toolchain,
# seeded from testdata/, tests/regressions/ and the corpus when there is one. Fails when a
# target panics, overflows, fails a debug assertion, passes 512 MB or takes over 10 s on an
# input; the input is then in fuzz/artifacts/<target>/.
#
# Builds with plain cargo and the coverage flags `cargo fuzz build -O -a -s none` uses, so
# nothing has to be installed but a C++ compiler (libfuzzer-sys builds libFuzzer). Everything
# the targets reach in the default build is safe Rust, so the smoke goes without
# AddressSanitizer, at several times the speed; SECURITY.md has the cargo-fuzz commands for
# longer runs with and without it.
#
# FUZZ_FEATURES=turbojpeg builds the targets against the libjpeg-turbo build (needs cmake and
# nasm), whose own Rust (YCbCr planes, bands) is then fuzzed; libjpeg-turbo itself is not
# instrumented. FUZZ_TARGETS picks targets (default: all).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-8}
features=${FUZZ_FEATURES:-}
targets=${FUZZ_TARGETS:-ingest jpeg png gif webp bmp tiff}
host=$(rustc -vV | sed -n 's/^host: //p')
# One target directory for both feature sets: their dependencies are built once.
build=target/smoke

cd "$root/fuzz"
# --target keeps these flags off build scripts and proc macros, as cargo-fuzz does.
RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
--cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
    cargo build --release --target "$host" --target-dir "$build" \
    ${features:+--features "$features"} $(printf -- '--bin %s ' $targets)
./seed.sh
for target in $targets; do
    echo "== $target ($seconds s${features:+, $features})"
    mkdir -p "artifacts/$target"
    "$build/$host/release/$target" "corpus/$target" \
        -rss_limit_mb=512 -max_total_time="$seconds" -max_len=65536 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="artifacts/$target/"
done

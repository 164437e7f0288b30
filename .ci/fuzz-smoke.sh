#!/bin/sh
# Runs every fuzz target for a few seconds (FUZZ_SECONDS, default 10) on the stable
# toolchain, seeded from testdata/ and the corpus. Skips (exit 0) when cargo-fuzz cannot be
# installed; fails when a target crashes, leaks past 512 MB or times out.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-10}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    if ! cargo install cargo-fuzz --locked; then
        echo "fuzz smoke skipped: cargo-fuzz could not be installed"
        exit 0
    fi
fi

# AddressSanitizer keeps 256 MB of freed memory in quarantine by default, which libFuzzer
# counts against -rss_limit_mb; a smaller quarantine keeps the 512 MB limit about the inputs.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16}"

cd "$root/fuzz"
./seed.sh
for target in ingest jpeg png gif webp bmp tiff; do
    echo "== $target ($seconds s)"
    # nightly-only flags that cargo-fuzz passes are accepted by stable with RUSTC_BOOTSTRAP.
    RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$target" "corpus/$target" -- \
        -rss_limit_mb=512 -max_total_time="$seconds" -max_len=65536 -timeout=10 \
        -print_final_stats=1
done

#!/bin/sh
# Seeds fuzz/corpus/<target>/ from testdata/ and the shared corpus (USERPHOTO_CORPUS, by
# default ../shared/corpus next to the repository). fuzz/corpus/ is not committed.
# Files over 256 KiB are left out: libFuzzer mutates small inputs far faster.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
corpus=${USERPHOTO_CORPUS:-$root/../shared/corpus}
max_bytes=${SEED_MAX_BYTES:-262144}

seed() { # target, file
    mkdir -p "$here/corpus/$1"
    [ -f "$2" ] || return 0
    [ "$(wc -c <"$2")" -le "$max_bytes" ] || return 0
    if [ "$1" = ingest ]; then
        # The ingest target reads its options from three leading bytes: quality 85, a
        # background, and the largest of its limit sets.
        { printf '\125\377\003'; cat "$2"; } >"$here/corpus/$1/$(basename "$2")"
    else
        cp "$2" "$here/corpus/$1/$(basename "$2")"
    fi
}

# Every candidate file, each format's target getting the files whose bytes are that format.
files=$(find "$root/testdata" "$corpus" "$root/tests/regressions" -type f \
    ! -name '*.tsv' ! -name '*.md' 2>/dev/null || true)
for file in $files; do
    seed ingest "$file"
    magic=$(head -c 12 "$file" | od -An -tx1 | tr -d ' \n')
    case $magic in
        ffd8ff*)
            seed jpeg "$file"
            # Small files only: the differential target decodes each at every scale, twice.
            [ "$(wc -c <"$file")" -gt 32768 ] || seed jpeg_differential "$file"
            ;;
        89504e47*) seed png "$file" ;;
        474946383761* | 474946383961*) seed gif "$file" ;;
        52494646????????57454250) seed webp "$file" ;;
        424d*) seed bmp "$file" ;;
        49492a00* | 4d4d002a* | 49492b00* | 4d4d002b*) seed tiff "$file" ;;
    esac
done
# JPEGs of every layout the decoders share, made with libjpeg-turbo's cjpeg when it is there.
sh "$here/seed-jpeg-layouts.sh" "$here/corpus/jpeg_differential"
for target in ingest jpeg jpeg_differential png gif webp bmp tiff; do
    mkdir -p "$here/corpus/$target"
    echo "$target: $(ls "$here/corpus/$target" | wc -l) seeds"
done

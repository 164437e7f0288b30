#!/bin/sh
# Writes small JPEGs of every layout the planar decoder and the reference decoders share into
# the folder $1, for the jpeg_differential target: each chroma subsampling, restart intervals of
# a block, three blocks and a row, baseline and progressive (libjpeg's default script), with
# optimised and standard tables, and the colour transforms (YCbCr, RGB stored as it is, grey)
# that the planar decoder declines, made by libjpeg-turbo's cjpeg from a picture drawn here.
# Without cjpeg (package libjpeg-turbo-progs) it writes nothing.
set -eu
out=$1
mkdir -p "$out"
command -v cjpeg >/dev/null || { echo "cjpeg not found: no layout seeds"; exit 0; }
picture=$(mktemp)
trap 'rm -f "$picture"' EXIT
# A 61x45 picture (partial blocks and MCUs both ways) of gradients and texture, as a PPM.
awk 'BEGIN {
    w = 61; h = 45; printf "P6\n%d %d\n255\n", w, h
    for (y = 0; y < h; y++) for (x = 0; x < w; x++)
        printf "%c%c%c", (x * 4 + (x * y) % 23) % 256, (y * 5 + 40) % 256, ((x + y) * 3 + 90) % 256
}' >"$picture"
for sample in 1x1 2x1 2x2 1x2; do
    for restart in none 1B 3B 1; do
        for coding in baseline progressive; do
            for tables in standard optimize; do
                name="$out/layout_${sample}_r${restart}_${coding}_${tables}.jpg"
                set -- -quality 75 -sample "$sample"
                [ "$restart" = none ] || set -- "$@" -restart "$restart"
                [ "$coding" = baseline ] || set -- "$@" -progressive
                [ "$tables" = standard ] || set -- "$@" -optimize
                cjpeg "$@" "$picture" >"$name"
            done
        done
    done
done
cjpeg -quality 90 -rgb "$picture" >"$out/layout_rgb.jpg"
cjpeg -quality 90 -grayscale "$picture" >"$out/layout_grey.jpg"
cjpeg -quality 100 -sample 1x1 "$picture" >"$out/layout_q100.jpg"
echo "jpeg_differential: $(ls "$out" | grep -c '^layout_') layout seeds"

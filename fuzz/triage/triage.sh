#!/usr/bin/env bash
# Triage of the differential target's findings: for each input FILE, the disagreement the
# target reports (a pixel, a channel, the planar decoder's sample) and libjpeg's sample there
# (libjpeg_sample.c: exact integer IDCT, no block smoothing). "planar = libjpeg" means the
# reference the oracle used (jpeg-decoder, for progressive files) parted from both.
#
#   bash fuzz/triage/triage.sh TARGET_BINARY FILE…
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sample=${TMPDIR:-/tmp}/userphoto-libjpeg-sample
cc -O1 -o "$sample" "$here/libjpeg_sample.c" -ljpeg
binary=$1
shift
for file in "$@"; do
    report=$("$binary" "$file" 2>&1 | grep -o 'the decoders disagree: .*' || true)
    if [[ $report =~ pixel\ \(([0-9]+),\ ([0-9]+)\),\ (Y|Cb|Cr):\ ([0-9]+) ]]; then
        x=${BASH_REMATCH[1]} y=${BASH_REMATCH[2]} channel=${BASH_REMATCH[3]} ours=${BASH_REMATCH[4]}
        read -r -a libjpeg <<<"$("$sample" "$file" "$x" "$y" || true)"
        case $channel in Y) theirs=${libjpeg[0]} ;; Cb) theirs=${libjpeg[1]:-} ;; Cr) theirs=${libjpeg[2]:-} ;; esac
        if [[ $theirs =~ ^[0-9]+$ ]] && (( ours - theirs <= 2 && theirs - ours <= 2 )); then
            verdict="planar = libjpeg ($theirs)"
        else
            verdict="planar $ours, libjpeg ${theirs:-refused}: LOOK"
        fi
        echo "$(basename "$file"): ${report#the decoders disagree: } -> $verdict"
    else
        echo "$(basename "$file"): ${report:-no disagreement now}"
    fi
done

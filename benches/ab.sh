#!/usr/bin/env bash
# Times `userphoto precompute` builds side by side: each round runs every build once over the
# same input directory, in turn, into a fresh output directory, and the median, minimum and
# maximum wall time of each build are printed at the end.
#
#   benches/ab.sh ROUNDS INPUT_DIR LABEL=BINARY [LABEL=BINARY ...]
#
# Build the binary of an earlier commit beside the current one, for example:
#   git worktree add /tmp/base <commit>
#   cargo build --release --manifest-path /tmp/base/Cargo.toml --target-dir /tmp/base-target
#   cargo build --release
#   benches/ab.sh 10 /tmp/x16 base=/tmp/base-target/release/userphoto new=target/release/userphoto
# where /tmp/x16 holds 16 copies of ../shared/corpus/photos/photo_olympus_ep3_12mp_4032x3024.jpg.
set -euo pipefail

[[ $# -ge 3 ]] || { sed -n '2,13p' "$0" >&2; exit 2; }
rounds=$1 input=$2
shift 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
declare -A times
labels=()
for spec in "$@"; do
    labels+=("${spec%%=*}")
    [[ -x ${spec#*=} ]] || { echo "ab.sh: ${spec#*=} is not an executable" >&2; exit 2; }
done
for _ in $(seq "$rounds"); do
    for spec in "$@"; do
        label=${spec%%=*} binary=${spec#*=}
        rm -rf "$out/run"
        start=$EPOCHREALTIME
        "$binary" precompute "$input" "$out/run" --quiet >/dev/null
        end=$EPOCHREALTIME
        times[$label]+="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }') "
    done
done
for label in "${labels[@]}"; do
    # shellcheck disable=SC2086 # one word per time
    printf '%s\n' ${times[$label]} | sort -n | awk -v label="$label" \
        '{ t[NR] = $1 } END { printf "%s: median %s s, min %s, max %s (%d rounds)\n", label, t[int((NR + 1) / 2)], t[1], t[NR], NR }'
done

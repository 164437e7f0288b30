#!/usr/bin/env bash
# DSSIM against bytes: userphoto, sharp, sharp's mozjpeg preset and jpegli over a range of
# qualities.
#
#   benches/curve.sh [INPUT_DIR]
#
# INPUT_DIR defaults to the corpus photos/ folder. Runs `userphoto precompute --quality Q` and
# the peers' sharp_batch.js and sharp_mozjpeg_batch.js at each Q of QUALITIES (default
# "70 75 80 85 90 95"), measures every rendition with the quality example, and writes
# OUT (default <target dir>/curve.tsv: tool, quality, total bytes, median DSSIM at each size)
# and a plot of the median DSSIM over the sizes against the total bytes, OUT with .svg.
# Uses the peers installed by benches/peers.sh (PEERS_DIR, SHARP_DIR, PEERS as there).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
INPUT=${1:-${USERPHOTO_CORPUS:-$ROOT/../shared/corpus}/photos}
PEERS=${PEERS:-$ROOT/../shared/peers}
PEERS_DIR=${PEERS_DIR:-/tmp/userphoto-peers}
export SHARP_DIR=${SHARP_DIR:-$PEERS_DIR/sharp}
QUALITIES=${QUALITIES:-60 65 70 75 80 85 90 95}
PY=$PEERS_DIR/venv/bin/python3
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=${OUT:-$TARGET/curve.tsv}
[[ -d $SHARP_DIR/node_modules/sharp ]] || { echo "curve.sh: run benches/peers.sh first (sharp in $SHARP_DIR)" >&2; exit 2; }
(cd "$ROOT" && cargo build --release --quiet -p userphoto-cli --bin userphoto \
    && cargo build --release --quiet -p userphoto --example quality)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
dirs=()
for q in $QUALITIES; do
    "$TARGET/release/userphoto" precompute "$INPUT" "$WORK/userphoto-$q" --quality "$q" --quiet >/dev/null || [[ $? == 1 ]]
    node "$PEERS/sharp_batch.js" "$INPUT" "$WORK/sharp-$q" "$q" >/dev/null
    node "$PEERS/sharp_mozjpeg_batch.js" "$INPUT" "$WORK/sharp-mozjpeg-$q" "$q" >/dev/null
    "$PY" "$ROOT/benches/peers/jpegli_batch.py" "$INPUT" "$WORK/jpegli-$q" "$q" >/dev/null
    dirs+=("userphoto-$q=$WORK/userphoto-$q" "sharp-$q=$WORK/sharp-$q" "sharp-mozjpeg-$q=$WORK/sharp-mozjpeg-$q" "jpegli-$q=$WORK/jpegli-$q")
done
"$TARGET/release/examples/quality" --source-dir "$INPUT" --allow-missing --tsv "$WORK/all.tsv" "${dirs[@]}" >/dev/null
python3 - "$WORK/all.tsv" "$OUT" <<'PYTHON'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
sizes = [48, 64, 96, 120, 240, 360, 432, 504, 648]
points = {}
with open(sys.argv[2], "w") as out:
    out.write("tool\tquality\tbytes\t" + "\t".join(f"dssim_{s}" for s in sizes) + "\n")
    for label in dict.fromkeys(r["tool"] for r in rows):
        tool, quality = label.rsplit("-", 1)
        mine = [r for r in rows if r["tool"] == label]
        medians = [statistics.median(float(r["dssim"]) for r in mine if int(r["size"]) == s) for s in sizes]
        total = sum(int(r["bytes"]) for r in mine)
        out.write(f"{tool}\t{quality}\t{total}\t" + "\t".join(f"{m:.6f}" for m in medians) + "\n")
        # 240 and up: nine tenths of the bytes, and clear of libvips' 64x64 (DSSIM about 0.008).
        points.setdefault(tool, []).append((total, statistics.mean(medians[4:]), quality))
# The plot: mean over 240-648 of the median DSSIM, against the total bytes.
W, H, M = 640, 420, 60
xs = [p[0] for ps in points.values() for p in ps]
ys = [p[1] for ps in points.values() for p in ps]
x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
X = lambda v: M + (v - x0) / (x1 - x0 or 1) * (W - 2 * M)
Y = lambda v: H - M - (v - y0) / (y1 - y0 or 1) * (H - 2 * M)
colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<line x1="{M}" y1="{H-M}" x2="{W-M}" y2="{H-M}" stroke="black"/><line x1="{M}" y1="{M}" x2="{M}" y2="{H-M}" stroke="black"/>',
       f'<text x="{W/2}" y="{H-20}" text-anchor="middle">total bytes of the renditions ({x0:,} to {x1:,})</text>',
       f'<text x="15" y="{H/2}" transform="rotate(-90 15 {H/2})" text-anchor="middle">mean over 240-648 of the median DSSIM ({y0:.5f} to {y1:.5f})</text>']
for n, (tool, ps) in enumerate(points.items()):
    c = colours[n % len(colours)]
    ps.sort()
    svg.append('<polyline fill="none" stroke="%s" points="%s"/>' % (c, " ".join(f"{X(b):.1f},{Y(d):.1f}" for b, d, _ in ps)))
    for b, d, q in ps:
        svg.append(f'<circle cx="{X(b):.1f}" cy="{Y(d):.1f}" r="3" fill="{c}"/><text x="{X(b)+4:.1f}" y="{Y(d)-4:.1f}" fill="{c}">{q}</text>')
    svg.append(f'<text x="{W-M-150}" y="{M+16*n}" fill="{c}">{tool}</text>')
svg.append("</svg>")
open(sys.argv[2].rsplit(".", 1)[0] + ".svg", "w").write("\n".join(svg))
# Equal quality: the bytes at which userphoto's median DSSIM at every size is at or below each
# peer's at 85, between the qualities measured (DSSIM and bytes taken as straight lines between
# neighbouring qualities; the size that needs the highest quality decides).
table = {}
for label in dict.fromkeys(r["tool"] for r in rows):
    tool, quality = label.rsplit("-", 1)
    mine = [r for r in rows if r["tool"] == label]
    table[(tool, int(quality))] = (sum(int(r["bytes"]) for r in mine),
        [statistics.median(float(r["dssim"]) for r in mine if int(r["size"]) == s) for s in sizes])
ours = sorted((q, b, d) for (t, q), (b, d) in table.items() if t == "userphoto")
def quality_for(n, target):
    """The lowest quality at which size n's DSSIM reaches target, or None."""
    if ours[0][2][n] <= target:
        return float(ours[0][0])
    for (q0, _, d0), (q1, _, d1) in zip(ours, ours[1:]):
        if d1[n] <= target:
            return q0 + (q1 - q0) * (d0[n] - target) / (d0[n] - d1[n])
    return None
def bytes_at(q):
    for (q0, b0, _), (q1, b1, _) in zip(ours, ours[1:]):
        if q0 <= q <= q1:
            return b0 + (b1 - b0) * (q - q0) / (q1 - q0)
    return float(ours[0][1]) if q <= ours[0][0] else None
print("equal quality: userphoto's bytes at which every size's median DSSIM is at or below the peer's at 85", file=sys.stderr)
for peer in [t for t in dict.fromkeys(t for t, _ in table) if t != "userphoto"]:
    if (peer, 85) not in table:
        continue
    peer_bytes, peer_dssim = table[(peer, 85)]
    needed = [quality_for(n, target) for n, target in enumerate(peer_dssim)]
    if None in needed:
        print(f"  against {peer} at 85: no userphoto quality measured is as good at every size", file=sys.stderr)
        continue
    q = max(needed)
    binding = sizes[needed.index(q)]
    print(f"  against {peer} at 85: userphoto at quality {q:.1f} (set by {binding}x{binding}), "
          f"{bytes_at(q) / peer_bytes:.3f}x its bytes", file=sys.stderr)
PYTHON
cat "$OUT"
echo "written to $OUT and ${OUT%.*}.svg" >&2

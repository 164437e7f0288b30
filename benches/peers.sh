#!/usr/bin/env bash
# userphoto precompute against the peers of ../shared/peers/, side by side in one run.
#
#   benches/peers.sh
#
# Installs the peers into a scratch folder outside the repository (PEERS_DIR, default
# /tmp/userphoto-peers): Pillow, pyvips and pyjpegli (jpegli's encoder) into a venv, sharp 0.35
# with npm (SHARP_DIR), and libvips42 with apt-get for pyvips when it can (pyvips or jpegli is
# skipped, with a message, when it cannot). The peers: Pillow, sharp with one decode per photo
# (sharp-once), sharp with a pipeline per size (sharp, the bytes reference), the same with its
# mozjpeg preset (sharp-mozjpeg, when ../shared/peers has its script), pyvips, and jpegli behind
# Pillow's resize (benches/peers/jpegli_batch.py). Builds userphoto and the quality example in release. Then, for each input set
#   12mp-x16  16 copies of photos/photo_olympus_ep3_12mp_4032x3024.jpg
#   photos    the corpus photos/ directory as it is
# times every tool as a whole process over the same directory, the tools alternating
# round-robin for ROUNDS rounds (default 5), and keeps the median wall time and peak RSS;
# checks every output's dimensions and measures DSSIM and bytes with the quality example
# (examples/quality.rs) on the last round's outputs; and prints one table of ratios, also
# written to REPORT (default <target dir>/peers-report.md).
#
# Environment: USERPHOTO_CORPUS (default ../shared/corpus from the repository root), PEERS
# (default ../shared/peers), PEERS_DIR, SHARP_DIR (default $PEERS_DIR/sharp), ROUNDS, QUALITY
# (default 85), SETS (default "12mp-x16 photos"), CARGO_TARGET_DIR, REPORT.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${USERPHOTO_CORPUS:-$ROOT/../shared/corpus}
PEERS=${PEERS:-$ROOT/../shared/peers}
PEERS_DIR=${PEERS_DIR:-/tmp/userphoto-peers}
SHARP_DIR=${SHARP_DIR:-$PEERS_DIR/sharp}
ROUNDS=${ROUNDS:-5}
QUALITY=${QUALITY:-85}
SETS=${SETS:-12mp-x16 photos}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
REPORT=${REPORT:-$TARGET/peers-report.md}
TWELVE_MP=photo_olympus_ep3_12mp_4032x3024.jpg

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'peers.sh: %s\n' "$*" >&2; exit 1; }

JPEGLI_PEER=$ROOT/benches/peers/jpegli_batch.py
for file in "$CORPUS/photos/$TWELVE_MP" "$PEERS/pillow_batch.py" "$PEERS/sharp_batch.js" \
    "$PEERS/sharp_once_batch.js" "$PEERS/pyvips_batch.py"; do
    [[ -f $file ]] || die "$file is missing (set USERPHOTO_CORPUS and PEERS)"
done
command -v python3 >/dev/null || die "python3 is needed for Pillow and pyvips"
command -v node >/dev/null || die "node is needed for sharp"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is needed for wall time and peak RSS"
mkdir -p "$PEERS_DIR"
PEERS_DIR=$(cd "$PEERS_DIR" && pwd)
case "$PEERS_DIR/" in
    "$ROOT"/*) die "PEERS_DIR must be outside the repository" ;;
esac

say "peers: installing into $PEERS_DIR"
VENV=$PEERS_DIR/venv
[[ -x $VENV/bin/python3 ]] || python3 -m venv "$VENV"
PY=$VENV/bin/python3
"$PY" -c 'import PIL' 2>/dev/null || "$PY" -m pip install --quiet pillow
# pyvips needs libvips itself: install it from Debian when possible, else leave pyvips out.
HAVE_PYVIPS=0
if ! "$PY" -c 'import pyvips' 2>/dev/null; then
    "$PY" -m pip install --quiet pyvips || true
fi
if ! "$PY" -c 'import pyvips' 2>/dev/null && command -v apt-get >/dev/null; then
    SUDO=; [[ $(id -u) -eq 0 ]] || SUDO="sudo -n"
    { $SUDO apt-get install -y libvips42 || { $SUDO apt-get update && $SUDO apt-get install -y libvips42; }; } \
        >"$PEERS_DIR/apt.log" 2>&1 || true
fi
if "$PY" -c 'import pyvips' 2>/dev/null; then
    HAVE_PYVIPS=1
else
    echo "peers.sh: pyvips cannot load libvips (see $PEERS_DIR/apt.log); pyvips is left out" >&2
fi
# jpegli: its cjpegli command is in no Debian, PyPI or npm package; pyjpegli (PyPI) is its encoder.
HAVE_JPEGLI=0
"$PY" -c 'import pyjpegli' 2>/dev/null || "$PY" -m pip install --quiet pyjpegli || true
if "$PY" -c 'import pyjpegli' 2>/dev/null; then
    HAVE_JPEGLI=1
else
    echo "peers.sh: pyjpegli cannot be installed; jpegli is left out" >&2
fi
HAVE_MOZJPEG=0
[[ -f $PEERS/sharp_mozjpeg_batch.js ]] && HAVE_MOZJPEG=1
if ! (cd "$SHARP_DIR" 2>/dev/null && node -e 'process.exit(require("sharp/package.json").version.startsWith("0.35.") ? 0 : 1)' 2>/dev/null); then
    mkdir -p "$SHARP_DIR"
    npm install --prefix "$SHARP_DIR" --no-audit --no-fund --silent sharp@0.35
fi
export SHARP_DIR

say "userphoto: building in release"
(cd "$ROOT" && cargo build --release --quiet -p userphoto-cli --bin userphoto)
(cd "$ROOT" && cargo build --release --quiet -p userphoto --example quality)
USERPHOTO=$TARGET/release/userphoto
QUALITY_TOOL=$TARGET/release/examples/quality
# The build with the turbojpeg feature (libjpeg-turbo, built from source with cmake and nasm),
# in a target folder of its own; left out, with a message, when it cannot be built.
TURBO_TARGET=$TARGET/turbojpeg
USERPHOTO_TURBO=$TURBO_TARGET/release/userphoto
HAVE_TURBO=0
if command -v cmake >/dev/null && command -v nasm >/dev/null \
    && (cd "$ROOT" && cargo build --release --quiet -p userphoto-cli --bin userphoto \
        --features turbojpeg --target-dir "$TURBO_TARGET"); then
    HAVE_TURBO=1
else
    echo "peers.sh: the turbojpeg build needs cmake and nasm; userphoto-turbo is left out" >&2
fi

# The tools, in the order they take turns.
TOOLS=(userphoto)
[[ $HAVE_TURBO == 1 ]] && TOOLS+=(userphoto-turbo)
TOOLS+=(pillow sharp-once sharp)
[[ $HAVE_MOZJPEG == 1 ]] && TOOLS+=(sharp-mozjpeg)
[[ $HAVE_PYVIPS == 1 ]] && TOOLS+=(pyvips)
[[ $HAVE_JPEGLI == 1 ]] && TOOLS+=(jpegli)
# Sets CMD to the command line of tool $1 over input folder $2 into output folder $3.
tool_command() {
    case $1 in
        userphoto) CMD=("$USERPHOTO" precompute "$2" "$3" --quality "$QUALITY" --quiet) ;;
        userphoto-turbo) CMD=("$USERPHOTO_TURBO" precompute "$2" "$3" --quality "$QUALITY" --quiet) ;;
        pillow) CMD=("$PY" "$PEERS/pillow_batch.py" "$2" "$3" "$QUALITY") ;;
        sharp-once) CMD=(node "$PEERS/sharp_once_batch.js" "$2" "$3" "$QUALITY") ;;
        sharp) CMD=(node "$PEERS/sharp_batch.js" "$2" "$3" "$QUALITY") ;;
        sharp-mozjpeg) CMD=(node "$PEERS/sharp_mozjpeg_batch.js" "$2" "$3" "$QUALITY") ;;
        jpegli) CMD=("$PY" "$JPEGLI_PEER" "$2" "$3" "$QUALITY") ;;
        pyvips) CMD=("$PY" "$PEERS/pyvips_batch.py" "$2" "$3" "$QUALITY") ;;
    esac
}

# What a tool said it did: the peers print "N ingested, M rejected", userphoto a summary table.
outcome() { { grep -E 'ingested|rejected' "$1" || true; } | tr -s ' ' | paste -sd ';' -; }

say "inputs"
INPUTS=$PEERS_DIR/in
rm -rf "$INPUTS"
mkdir -p "$INPUTS/12mp-x16"
for i in $(seq -w 1 16); do
    cp "$CORPUS/photos/$TWELVE_MP" "$INPUTS/12mp-x16/olympus_$i.jpg"
done
ln -s "$(cd "$CORPUS/photos" && pwd)" "$INPUTS/photos"

WORK=$PEERS_DIR/run
rm -rf "$WORK"
mkdir -p "$WORK"
TIMES=$WORK/times.tsv
: >"$TIMES"
for set in $SETS; do
    [[ -d $INPUTS/$set ]] || die "unknown set $set (known: 12mp-x16 photos)"
    count=$(find -L "$INPUTS/$set" -maxdepth 1 -type f | wc -l)
    say "$set: $count photos, ${#TOOLS[@]} tools alternating, $ROUNDS rounds"
    for round in $(seq 1 "$ROUNDS"); do
        # Each round starts one tool later, so no tool always runs first or after the same one.
        for k in "${!TOOLS[@]}"; do
            tool=${TOOLS[$(((k + round - 1) % ${#TOOLS[@]}))]}
            out=$WORK/out/$set/$tool
            rm -rf "$out"
            status=0
            tool_command "$tool" "$INPUTS/$set" "$out"
            # Wall time from the shell's clock (microseconds; GNU time's %e has only hundredths,
            # 3 % of a 0.3 s run), peak RSS from GNU time.
            start=$EPOCHREALTIME
            /usr/bin/time -f '%M' -o "$WORK/time" "${CMD[@]}" >"$WORK/$set.$tool.log" 2>&1 || status=$?
            end=$EPOCHREALTIME
            # userphoto exits 1 when it rejected a photo; the peers count rejections and exit 0.
            if [[ $status != 0 && ! ($tool == userphoto* && $status == 1) ]]; then
                cat "$WORK/$set.$tool.log" >&2
                die "$tool failed on $set (exit $status)"
            fi
            read -r rss < <(tail -n 1 "$WORK/time")
            wall=$(awk -v start="$start" -v end="$end" 'BEGIN { printf "%.3f", end - start }')
            printf '%s\t%s\t%s\t%s\t%s\n' "$set" "$tool" "$round" "$wall" "$rss" >>"$TIMES"
            printf '  round %s  %-15s %7.3f s  %4d MiB  %s\n' "$round" "$tool" "$wall" $((rss / 1024)) \
                "$(outcome "$WORK/$set.$tool.log")" >&2
        done
    done
    say "$set: dimensions, DSSIM and bytes"
    dirs=()
    for tool in "${TOOLS[@]}"; do dirs+=("$tool=$WORK/out/$set/$tool"); done
    "$QUALITY_TOOL" --source-dir "$INPUTS/$set" --allow-missing --tsv "$WORK/$set.quality.tsv" \
        "${dirs[@]}" >"$WORK/$set.quality.txt"
done

say "report"
{
    echo "# userphoto against the peers"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), load average before the run: $(cut -d ' ' -f 1-3 /proc/loadavg)"
    echo "- command: benches/peers.sh (ROUNDS=$ROUNDS, QUALITY=$QUALITY, SETS=\"$SETS\")"
    echo "- userphoto $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'): \`userphoto precompute IN OUT --quality $QUALITY --quiet\`"
    for set in $SETS; do
        for tool in "${TOOLS[@]}"; do
            echo "- $set, $tool: $(outcome "$WORK/$set.$tool.log")"
        done
    done
    [[ $HAVE_PYVIPS == 1 ]] || echo "- pyvips: left out, libvips could not be loaded"
    [[ $HAVE_JPEGLI == 1 ]] || echo "- jpegli: left out, pyjpegli could not be installed"
    [[ $HAVE_MOZJPEG == 1 ]] || echo "- sharp-mozjpeg: left out, \$PEERS/sharp_mozjpeg_batch.js is missing"
    echo
    "$PY" - "$TIMES" "$WORK" "$SETS" "${TOOLS[*]}" <<'PYTHON'
import csv, statistics, sys
times_path, work, sets, tools = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
peers = [t for t in tools if not t.startswith("userphoto")]
sizes = [48, 64, 96, 120, 240, 360, 432, 504, 648]
times = {}
for set_, tool, _round, wall, rss in csv.reader(open(times_path), delimiter="\t"):
    times.setdefault((set_, tool), []).append((float(wall), int(rss)))
print("Wall time is the median over the rounds of the whole process; peak RSS is the largest "
      "over the rounds (GNU time %M: the largest single process; Pillow runs one worker process "
      "per core). missing: renditions a tool did not write (a rejected photo). Ratios: time ÷ the fastest peer's (0.50 = twice its throughput); "
      "total bytes of every rendition ÷ sharp's (sharp_batch.js, mozjpeg); median DSSIM per "
      "size ÷ the best peer's at that size (≤ 1.00 = as good or better).")
print()
head = ["set", "tool", "wall s", "time ÷ fastest peer", "peak RSS MiB", "bytes ÷ sharp", "missing"]
head += [f"DSSIM {s}" for s in sizes]
print("| " + " | ".join(head) + " |")
print("|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|")
for set_ in sets:
    rows = list(csv.DictReader(open(f"{work}/{set_}.quality.tsv"), delimiter="\t"))
    wall = {t: statistics.median(w for w, _ in times[(set_, t)]) for t in tools}
    rss = {t: max(r for _, r in times[(set_, t)]) for t in tools}
    total = {t: sum(int(r["bytes"]) for r in rows if r["tool"] == t) for t in tools}
    expected = {(r["photo"], r["size"]) for r in rows}
    missing = {t: len(expected - {(r["photo"], r["size"]) for r in rows if r["tool"] == t}) for t in tools}
    dssim = {}
    for t in tools:
        for s in sizes:
            values = [float(r["dssim"]) for r in rows if r["tool"] == t and int(r["size"]) == s]
            if values:
                dssim[(t, s)] = statistics.median(values)
    fastest = min(wall[t] for t in peers)
    for t in tools:
        cells = [set_, t, f"{wall[t]:.3f}", f"{wall[t] / fastest:.3f}", f"{rss[t] / 1024:.0f}",
                 f"{total[t] / total['sharp']:.3f}" if "sharp" in total else "-", str(missing[t])]
        for s in sizes:
            best = min((dssim[(p, s)] for p in peers if (p, s) in dssim), default=None)
            cells.append(f"{dssim[(t, s)] / best:.3f}" if best and (t, s) in dssim else "-")
        print("| " + " | ".join(cells) + " |")
print()
print("Each userphoto build against each peer, per size: total bytes ÷ the peer's, then median "
      "DSSIM ÷ the peer's (fewer bytes at equal or better DSSIM: both ≤ 1.00).")
print()
head = ["set", "build", "against"] + [str(s) for s in sizes] + ["all sizes, bytes"]
print("| " + " | ".join(head) + " |")
print("|" + "|".join(["---"] * 3 + ["---:"] * (len(head) - 3)) + "|")
for set_ in sets:
    rows = list(csv.DictReader(open(f"{work}/{set_}.quality.tsv"), delimiter="\t"))
    def per_size(t, s):
        picked = [r for r in rows if r["tool"] == t and int(r["size"]) == s]
        if not picked:
            return None
        return sum(int(r["bytes"]) for r in picked), statistics.median(float(r["dssim"]) for r in picked)
    for t in [t for t in tools if t.startswith("userphoto")]:
        for p in peers:
            cells = [set_, t, p]
            for s in sizes:
                ours, theirs = per_size(t, s), per_size(p, s)
                cells.append(f"{ours[0] / theirs[0]:.2f} / {ours[1] / theirs[1]:.2f}" if ours and theirs else "-")
            total = lambda tool: sum(int(r["bytes"]) for r in rows if r["tool"] == tool)
            cells.append(f"{total(t) / total(p):.3f}")
            print("| " + " | ".join(cells) + " |")
print()
print("Median DSSIM per size (absolute):")
print()
for set_ in sets:
    rows = list(csv.DictReader(open(f"{work}/{set_}.quality.tsv"), delimiter="\t"))
    print(f"- {set_}: " + "; ".join(
        t + " " + " ".join(
            f"{statistics.median(float(r['dssim']) for r in rows if r['tool'] == t and int(r['size']) == s):.6f}"
            if any(r["tool"] == t and int(r["size"]) == s for r in rows) else "-"
            for s in sizes)
        for t in tools))
PYTHON
    echo
    echo "Per-rendition measurements: $WORK/<set>.quality.tsv; logs: $WORK/<set>.<tool>.log."
} >"$WORK/report.md"
mkdir -p "$(dirname "$REPORT")"
cp "$WORK/report.md" "$REPORT"
cat "$REPORT"
echo >&2
echo "written to $REPORT" >&2

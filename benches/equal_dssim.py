#!/usr/bin/env python3
"""Bytes at equal DSSIM, per size, from the quality example's TSV files.

    benches/equal_dssim.py families SWEEP_TSV REFERENCE
    benches/equal_dssim.py slack SWEEP_TSV PEERS_TSV FAMILY

The tools of SWEEP_TSV are labelled FAMILY-Q (the last part of a path counts), as
examples/sweep.rs writes them (one family per encoder setting, Q its quality). Between two
qualities of a family, the median DSSIM of a size and the logarithm of its bytes are taken as
a straight line.

families: for each family and size, its bytes where its median DSSIM equals REFERENCE's (a
tool of SWEEP_TSV), divided by REFERENCE's bytes; then over all sizes.

slack: for each size, FAMILY's bytes where its median DSSIM equals the best peer's in
PEERS_TSV (benches/peers.sh writes one per set: every tool but userphoto's builds is a peer),
divided by the bytes of PEERS_TSV's userphoto and of its sharp; then over all sizes: how
far the bytes could fall by quality alone while every size stays at or below the best peer.
"""
import collections
import csv
import math
import statistics
import sys


def read(path):
    medians, totals = collections.defaultdict(list), collections.Counter()
    with open(path) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            tool, size = row["tool"].rstrip("/").rsplit("/", 1)[-1], int(row["size"])
            medians[(tool, size)].append(float(row["dssim"]))
            totals[(tool, size)] += int(row["bytes"])
    return {k: statistics.median(v) for k, v in medians.items()}, totals


def families(dssim):
    found = collections.defaultdict(list)
    for tool, _ in dssim:
        family, _, quality = tool.rpartition("-")
        if family and quality.replace(".", "").isdigit() and tool not in found[family]:
            found[family].append(tool)
    return found


def bytes_at(target, tools, size, dssim, totals):
    """The bytes of `tools` (one family) at median DSSIM `target` for `size`, or None."""
    points = sorted((dssim[(t, size)], totals[(t, size)]) for t in tools if (t, size) in dssim)
    for (d0, b0), (d1, b1) in zip(points, points[1:]):
        if d0 <= target <= d1:
            w = (target - d0) / (d1 - d0) if d1 > d0 else 0.0
            return math.exp(math.log(b0) * (1 - w) + math.log(b1) * w)
    return None


def sizes_of(dssim):
    return sorted({s for _, s in dssim})


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "families":
        dssim, totals = read(sys.argv[2])
        reference = sys.argv[3]
        found = families(dssim)
        print("size " + " ".join(f"{f:>10}" for f in found))
        sums, reference_sum = collections.Counter(), 0
        for size in sizes_of(dssim):
            reference_sum += totals[(reference, size)]
            cells = []
            for family, tools in found.items():
                b = bytes_at(dssim[(reference, size)], tools, size, dssim, totals)
                sums[family] += b if b is not None else math.nan
                cells.append(f"{b / totals[(reference, size)]:10.3f}" if b else "    beyond")
            print(f"{size:4} " + " ".join(cells))
        print(" all " + " ".join(f"{sums[f] / reference_sum:10.3f}" for f in found))
    elif len(sys.argv) == 5 and sys.argv[1] == "slack":
        dssim, totals = read(sys.argv[2])
        peer_dssim, peer_totals = read(sys.argv[3])
        tools = families(dssim)[sys.argv[4]]
        ours = ("userphoto", "userphoto-turbo")
        peers = {t for t, _ in peer_dssim if t not in ours}
        print("size  best peer   bytes ÷ userphoto's   ÷ sharp's")
        sums = [0.0, 0, 0]
        for size in sizes_of(peer_dssim):
            best = min(peer_dssim[(p, size)] for p in peers if (p, size) in peer_dssim)
            b = bytes_at(best, tools, size, dssim, totals)
            if b is None:
                sys.exit(f"size {size}: the sweep does not reach DSSIM {best:.6f}; widen its qualities")
            # The sweep's photos may be fewer than the set's copies: scale by userphoto's bytes.
            ours_now = bytes_at(peer_dssim[("userphoto", size)], tools, size, dssim, totals)
            scale = peer_totals[("userphoto", size)] / ours_now if ours_now else math.nan
            sums[0] += b * scale
            sums[1] += peer_totals[("userphoto", size)]
            sums[2] += peer_totals[("sharp", size)]
            print(f"{size:4}  {best:.6f}  {b * scale / peer_totals[('userphoto', size)]:20.3f}"
                  f"  {b * scale / peer_totals[('sharp', size)]:9.3f}")
        print(f" all            {sums[0] / sums[1]:20.3f}  {sums[0] / sums[2]:9.3f}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

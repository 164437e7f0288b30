#!/usr/bin/env python3
"""Peer: jpegli (Google's JPEG encoder, through pyjpegli from PyPI; its cjpegli command is in no
package of the registries this project installs from) behind Pillow's decode, orientation, crop
and LANCZOS resize, exactly as ../shared/peers/pillow_batch.py does them.
Usage: jpegli_batch.py IN_DIR OUT_DIR [QUALITY]"""
import os, sys
from multiprocessing import Pool
from PIL import Image, ImageOps
import pyjpegli

SIZES = [48, 64, 96, 120, 240, 360, 432, 504, 648]

def one(args):
    path, out, q = args
    try:
        with Image.open(path) as im:
            im.draft("RGB", (648, 648))  # shrink-on-load for JPEG, no-op for other formats
            im = ImageOps.exif_transpose(im).convert("RGB")
            side = min(im.size)
            left, top = (im.width - side) // 2, (im.height - side) // 2
            sq = im.crop((left, top, left + side, top + side))
            os.makedirs(out, exist_ok=True)
            for s in SIZES:
                if s > side:
                    break
                small = sq.resize((s, s), Image.LANCZOS, reducing_gap=3.0)
                with open(os.path.join(out, f"{s}.jpg"), "wb") as f:
                    f.write(pyjpegli.encode(small.tobytes(), s, s, quality=q))
        return None
    except Exception as e:
        return f"{os.path.basename(path)}: {e}"

def main():
    src, dst = sys.argv[1], sys.argv[2]
    q = int(sys.argv[3]) if len(sys.argv) > 3 else 85
    jobs = [(os.path.join(src, f), os.path.join(dst, os.path.splitext(f)[0]), q) for f in sorted(os.listdir(src))]
    with Pool(os.cpu_count()) as pool:
        errs = [e for e in pool.map(one, jobs, chunksize=1) if e]
    for e in errs:
        print(e, file=sys.stderr)
    print(f"jpegli (pyjpegli {pyjpegli.__version__}): {len(jobs) - len(errs)} ingested, {len(errs)} rejected")

main()

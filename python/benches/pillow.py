"""userphoto.ingest against the same job written with Pillow, side by side in one process.

    pip install ./python pillow
    python python/benches/pillow.py [PHOTOS] [--rounds N]

PHOTOS is a folder of photos (default: the corpus's photos/, from $USERPHOTO_CORPUS or
../shared/corpus). Each job turns one photo into every predefined size no larger than its
shorter upright side, as JPEGs of quality 85:

- userphoto: `userphoto.ingest(data)`;
- Pillow: open, `draft` (a JPEG is decoded at the smallest DCT scale that still covers the
  largest size), apply the EXIF orientation, convert to RGB, crop the centre square, then for
  each size resize with LANCZOS and save as JPEG.

Both run over every photo single-threaded, then with a thread pool of one thread per core (both
release the interpreter while they work). The table gives photos per second, the best of
`--rounds` rounds, and userphoto's throughput as a multiple of Pillow's.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageOps

import userphoto

SIDES = [int(name.split("x")[0]) for name in userphoto.SIZES]


def with_userphoto(data: bytes) -> int:
    return sum(len(r.data) for r in userphoto.ingest(data))


def with_pillow(data: bytes) -> int:
    image = Image.open(io.BytesIO(data))
    largest = max((s for s in SIDES if s <= min(image.size)), default=0)
    image.draft("RGB", (largest, largest))
    image = ImageOps.exif_transpose(image).convert("RGB")
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    written = 0
    for size in (s for s in SIDES if s <= side):
        out = io.BytesIO()
        square.resize((size, size), Image.Resampling.LANCZOS).save(out, "JPEG", quality=85)
        written += out.tell()
    return written


def photos_per_second(job: Callable[[bytes], int], photos: list[bytes], threads: int) -> float:
    start = time.perf_counter()
    if threads == 1:
        for data in photos:
            job(data)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(job, photos))
    return len(photos) / (time.perf_counter() - start)


def main() -> None:
    corpus = Path(os.environ.get("USERPHOTO_CORPUS") or "../shared/corpus")
    parser = argparse.ArgumentParser(description="userphoto against Pillow, in one process")
    parser.add_argument("photos", nargs="?", type=Path, default=corpus / "photos")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    photos = [p.read_bytes() for p in sorted(args.photos.iterdir()) if p.is_file()]
    cores = os.cpu_count() or 1
    print(f"{len(photos)} photos from {args.photos}, {cores} cores, {userphoto.PIPELINE_VERSION}")
    print(f"{'threads':>7}  {'userphoto':>12}  {'Pillow':>12}  ratio")
    for threads in sorted({1, cores}):
        best = {
            name: max(photos_per_second(job, photos, threads) for _ in range(args.rounds))
            for name, job in [("userphoto", with_userphoto), ("Pillow", with_pillow)]
        }
        print(
            f"{threads:>7}  {best['userphoto']:>8.1f}/s  {best['Pillow']:>8.1f}/s  "
            f"{best['userphoto'] / best['Pillow']:.2f}x"
        )


if __name__ == "__main__":
    main()

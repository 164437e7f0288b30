"""Render every photo of a folder or a bucket on a Dask cluster, into the layout
`userphoto precompute --recursive` writes.

    python dask_precompute.py PHOTOS OUT [--scheduler ADDRESS] [--workers N] [--threads T]
                              [--quality Q] [--background RRGGBB]

Each photo PHOTOS/<path>.<ext> becomes OUT/<path>/<s>x<s>.jpg, one per size no larger than
the photo, and OUT/<path>/photos.json, the metadata: the files `userphoto precompute` writes,
byte for byte. Files that are not images (and empty files) are skipped; rejected photos (too
small, corrupt, ...) are reported with their error kind and make the exit code 1. Names that
start with "." are not looked at. Two photos that would share a folder (a.jpg and a.png) are
both refused, and neither is written.

PHOTOS and OUT are local paths or fsspec URLs: s3://bucket/photos, gs://bucket/sizes, ... (with
s3fs or gcsfs installed where the workers run, and their usual credentials).

Without --scheduler it starts a local cluster of N worker processes of T threads each (the
ingest releases the interpreter, so threads render photos in parallel). To use a cluster:

    dask scheduler                            # on one machine: prints tcp://HOST:8786
    dask worker tcp://HOST:8786               # on each machine, where userphoto is installed
    python dask_precompute.py s3://bucket/photos s3://bucket/sizes --scheduler tcp://HOST:8786

Every worker reads PHOTOS and writes OUT itself (the photos never pass through this process),
so both must be reachable from every worker: a bucket, or a file system they share.

Unlike `userphoto precompute`, it renders every photo on each run and keeps no manifest: it is
the shape of a job that outgrows one machine, for a store that a run fills from scratch.
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import sys
from collections import Counter
from dataclasses import dataclass

import dask.bag
import fsspec  # type: ignore[import-untyped]  # fsspec ships no types
from distributed import Client, LocalCluster
from fsspec import AbstractFileSystem

import userphoto


@dataclass(frozen=True)
class Outcome:
    """What became of one file: "ingested", "skipped" (not an image) or "rejected"."""

    path: str
    status: str
    detail: str


def list_photos(fs: AbstractFileSystem, root: str) -> list[str]:
    """Every file under `root`, as paths relative to it, leaving out names starting with "."."""
    found = []
    for path in fs.find(root):
        rel = posixpath.relpath(path, root)
        if not any(part.startswith(".") for part in rel.split("/")):
            found.append(rel)
    return sorted(found)


def output_name(rel: str) -> str:
    """The folder of a photo: its relative path without the last extension."""
    folder, _, name = rel.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    return posixpath.join(folder, stem) if folder else stem


def render(
    rel: str,
    in_fs: AbstractFileSystem,
    in_root: str,
    out_fs: AbstractFileSystem,
    out_root: str,
    quality: int,
    background: str,
) -> Outcome:
    """Ingests one photo and writes its set: runs on a worker."""
    userphoto.keep_freed_memory()
    limit = userphoto.Limits().max_input_bytes
    with in_fs.open(posixpath.join(in_root, rel), "rb") as file:
        data = file.read(limit + 1)  # one byte over the limit is enough to refuse it
    try:
        photo_set = userphoto.ingest(data, quality=quality, background=background)
    except (userphoto.UnknownFormat, userphoto.Empty) as error:
        return Outcome(rel, "skipped", f"{error.kind}: {error}")
    except userphoto.Error as error:
        return Outcome(rel, "rejected", f"{error.kind}: {error}")
    folder = posixpath.join(out_root, output_name(rel))
    out_fs.makedirs(folder, exist_ok=True)
    for rendition in photo_set:
        out_fs.pipe_file(posixpath.join(folder, f"{rendition.size}.jpg"), rendition.data)
    # Last, so that a folder with photos.json holds every size it lists.
    out_fs.pipe_file(posixpath.join(folder, "photos.json"), metadata_json(photo_set))
    sizes = " ".join(photo_set.sizes)
    return Outcome(rel, "ingested", f"{photo_set.source.format} {sizes}")


def metadata_json(photo_set: userphoto.PhotoSet) -> bytes:
    """photos.json as `userphoto ingest` writes it: indented by two spaces."""
    return json.dumps(photo_set.metadata(), indent=2).encode()


def conflicts(photos: list[str]) -> dict[str, list[str]]:
    """The photos that share an output folder, by folder."""
    by_folder: dict[str, list[str]] = {}
    for rel in photos:
        by_folder.setdefault(output_name(rel), []).append(rel)
    return {folder: rels for folder, rels in by_folder.items() if len(rels) > 1}


def run(args: argparse.Namespace) -> int:
    in_fs, in_root = fsspec.core.url_to_fs(args.photos)
    out_fs, out_root = fsspec.core.url_to_fs(args.out)
    photos = list_photos(in_fs, in_root)
    clashes = conflicts(photos)
    refused = [
        Outcome(rel, "rejected", f"Conflict: {', '.join(rels)} would all be written to {folder}")
        for folder, rels in clashes.items()
        for rel in rels
    ]
    todo = [rel for rel in photos if output_name(rel) not in clashes]
    outcomes = (
        dask.bag.from_sequence(todo, partition_size=4)  # type: ignore[no-untyped-call]
        .map(
            render,
            in_fs=in_fs,
            in_root=in_root,
            out_fs=out_fs,
            out_root=out_root,
            quality=args.quality,
            background=args.background,
        )
        .compute()
    )
    outcomes = sorted(list(outcomes) + refused, key=lambda o: o.path)
    for outcome in outcomes:
        if outcome.status != "ingested":
            print(f"{outcome.path}: {outcome.status}: {outcome.detail}")
    counts = Counter(o.status for o in outcomes)
    print(", ".join(f"{counts[s]} {s}" for s in ("ingested", "skipped", "rejected")))
    return 1 if counts["rejected"] else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Render every photo of a folder or a bucket on a Dask cluster."
    )
    parser.add_argument("photos", help="folder or URL of the photos")
    parser.add_argument("out", help="folder or URL to write the sets into")
    parser.add_argument("--scheduler", help="address of a Dask scheduler (tcp://HOST:8786)")
    parser.add_argument("--workers", type=int, default=1, help="local worker processes")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="per worker")
    parser.add_argument("--quality", type=int, default=85, help="JPEG quality, 1-100")
    parser.add_argument("--background", default="ffffff", help="colour under transparency")
    args = parser.parse_args()
    if args.scheduler:
        with Client(args.scheduler):  # type: ignore[no-untyped-call]
            return run(args)
    # Dask's constructors are not annotated.
    local = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=args.workers, threads_per_worker=args.threads, dashboard_address=None
    )
    with local as cluster, Client(cluster):  # type: ignore[no-untyped-call]
        return run(args)


if __name__ == "__main__":
    sys.exit(main())

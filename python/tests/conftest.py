"""What the tests share: where the repository, its test images, the corpus and the `userphoto`
command are, and images made on the spot.

The command is the independent path the package is held to: its files are written by the Rust
library through the CLI, never through this package. `USERPHOTO_BIN` names it; without it,
`cargo build -p userphoto-cli` builds it into the workspace's target directory.
"""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTDATA = REPO / "testdata"


def corpus_dir() -> Path | None:
    """The shared corpus: `$USERPHOTO_CORPUS`, else `../shared/corpus` beside the repository."""
    path = Path(os.environ.get("USERPHOTO_CORPUS") or REPO.parent / "shared" / "corpus")
    return path if path.is_dir() else None


def corpus_photos() -> list[Path]:
    """A few real photos of the corpus, of different formats and layouts, or none."""
    corpus = corpus_dir()
    if corpus is None:
        return []
    wanted = [
        "formats/jpeg_progressive_650x470.jpg",
        "formats/jpeg_cmyk_mozilla_256x256.jpg",
        "formats/jpeg_displayp3_color_bars_1000x800.jpg",
        "formats/png_rgba8_alpha_photo_2048x1536.png",
        "formats/webp_lossy_alpha_300x300.webp",
        "formats/gif_transparent_200x150.gif",
        "formats/tiff_deflate_srgb_278x374.tif",
        "formats/bmp_v5_24bit_435x353.bmp",
    ]
    found = [corpus / name for name in wanted if (corpus / name).is_file()]
    found += sorted((corpus / "photos").glob("*"))[:3]
    return found


@pytest.fixture(scope="session")
def userphoto_bin() -> Path:
    """The `userphoto` command, built from this workspace."""
    named = os.environ.get("USERPHOTO_BIN")
    if named:
        return Path(named)
    subprocess.run(["cargo", "build", "-q", "-p", "userphoto-cli"], cwd=REPO, check=True)
    metadata = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return Path(json.loads(metadata.stdout)["target_directory"]) / "debug" / "userphoto"


def cli_ingest(
    userphoto_bin: Path,
    photo: Path,
    out: Path,
    *extra: str,
) -> dict[str, bytes]:
    """Every file `userphoto ingest` writes for `photo`, by name."""
    subprocess.run(
        [str(userphoto_bin), "ingest", str(photo), "--out", str(out), *extra],
        check=True,
        capture_output=True,
    )
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


def png(width: int, height: int, *, alpha: bool = False) -> bytes:
    """A PNG of a smooth picture (8-bit RGB, or RGBA with a gradient of transparency)."""
    channels = 4 if alpha else 3
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # no filter
        for x in range(width):
            rows += bytes(
                [
                    (40 + x * 180 // width + int(15 * math.sin(y / 5.0))) % 256,
                    (60 + y * 150 // height) % 256,
                    (90 + int(60 * math.sin(x / 9.0) * math.cos(y / 7.0))) % 256,
                ]
            )
            if alpha:
                rows.append(x * 255 // max(width - 1, 1))

    return png_of(width, height, 6 if alpha else 2, zlib.compress(bytes(rows)))


def png_of(width: int, height: int, colour_type: int, compressed: bytes) -> bytes:
    """A PNG of 8-bit samples declaring `width` x `height`, with these compressed rows."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", compressed)
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="session")
def portrait() -> bytes:
    """testdata/portrait.jpg: 800x600 stored sideways (EXIF orientation 6)."""
    return (TESTDATA / "portrait.jpg").read_bytes()

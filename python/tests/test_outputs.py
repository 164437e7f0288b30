"""The package gives the Rust library's renditions, byte for byte, and its metadata: each case
is held to the files `userphoto ingest` writes for the same photo and options."""

from __future__ import annotations

import json
import subprocess
import zlib
from array import array
from pathlib import Path

import pytest

import userphoto
from conftest import TESTDATA, cli_ingest, corpus_photos, png

# (name, photo, ingest's keyword arguments, the command's same options)
Case = tuple[str, bytes, dict[str, object], list[str]]

CASES: list[Case] = [
    ("portrait", (TESTDATA / "portrait.jpg").read_bytes(), {}, []),
    ("portrait-q60", (TESTDATA / "portrait.jpg").read_bytes(), {"quality": 60}, ["-q", "60"]),
    (
        "progressive",
        (TESTDATA / "progressive_420_restarts.jpg").read_bytes(),
        {"quality": 95},
        ["--quality", "95"],
    ),
    ("alpha-white", png(300, 200, alpha=True), {}, []),
    (
        "alpha-on-colour",
        png(300, 200, alpha=True),
        {"background": "#336699"},
        ["--background", "336699"],
    ),
]


def check_same_as_command(
    photo: bytes,
    options: dict[str, object],
    command_options: list[str],
    userphoto_bin: Path,
    tmp_path: Path,
) -> None:
    (tmp_path / "photo").write_bytes(photo)
    written = cli_ingest(userphoto_bin, tmp_path / "photo", tmp_path / "out", *command_options)
    photo_set = userphoto.ingest(photo, **options)  # type: ignore[arg-type]
    assert sorted(written) == sorted([f"{r.size}.jpg" for r in photo_set] + ["photos.json"])
    for rendition in photo_set:
        assert rendition.data == written[f"{rendition.size}.jpg"], rendition.size
    assert photo_set.metadata() == json.loads(written["photos.json"])


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_renditions_and_metadata_are_the_commands(
    case: Case, userphoto_bin: Path, tmp_path: Path
) -> None:
    _, photo, options, command_options = case
    check_same_as_command(photo, options, command_options, userphoto_bin, tmp_path)


@pytest.mark.parametrize("photo", corpus_photos(), ids=lambda p: p.name)
def test_corpus_photos_are_the_commands(photo: Path, userphoto_bin: Path, tmp_path: Path) -> None:
    check_same_as_command(photo.read_bytes(), {}, [], userphoto_bin, tmp_path)


def test_the_set_of_a_sideways_800x600_photo() -> None:
    photo_set = userphoto.ingest((TESTDATA / "portrait.jpg").read_bytes())
    # Stored sideways (EXIF orientation 6): upright 600x800, so every size up to 504.
    assert (photo_set.source.format, photo_set.source.width, photo_set.source.height) == (
        "JPEG",
        600,
        800,
    )
    assert [r.size for r in photo_set] == list(userphoto.SIZES[:-1])
    assert photo_set.sizes == userphoto.SIZES[:-1]
    assert len(photo_set) == 8
    assert photo_set.largest().size == "504x504"
    for rendition in photo_set:
        side = int(rendition.size.split("x")[0])
        assert (rendition.width, rendition.height) == (side, side)
        assert rendition.content_type == "image/jpeg"
        assert rendition.data.startswith(b"\xff\xd8\xff")
        assert rendition.etag == '"%08X"' % zlib.crc32(rendition.data)
        assert rendition.metadata() == {
            "@odata.mediaContentType": "image/jpeg",
            "@odata.mediaEtag": rendition.etag,
            "Id": rendition.size.upper(),
            "Width": side,
            "Height": side,
        }
    assert photo_set["240x240"].size == "240x240"
    assert photo_set["240X240"].size == "240x240"
    assert "240x240" in photo_set and "648x648" not in photo_set
    with pytest.raises(KeyError):
        photo_set["648x648"]
    with pytest.raises(KeyError):
        photo_set["250x250"]
    assert photo_set.get("648x648") is None
    assert photo_set.get("48x48") is photo_set["48x48"]
    assert len(photo_set.tag) == 16
    assert photo_set.metadata() == {"value": [r.metadata() for r in photo_set]}


def test_sizes_and_pipeline_version() -> None:
    assert userphoto.SIZES == (
        "48x48",
        "64x64",
        "96x96",
        "120x120",
        "240x240",
        "360x360",
        "432x432",
        "504x504",
        "648x648",
    )
    assert userphoto.PIPELINE_VERSION.startswith(f"userphoto {userphoto.__version__}, pipeline ")


def test_pipeline_version_is_the_commands(userphoto_bin: Path, tmp_path: Path) -> None:
    """`userphoto precompute` records the pipeline that rendered each photo in its manifest."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jpg").write_bytes((TESTDATA / "portrait.jpg").read_bytes())
    subprocess.run(
        [str(userphoto_bin), "precompute", str(tmp_path / "in"), str(tmp_path / "out"), "--quiet"],
        check=True,
        capture_output=True,
    )
    manifest = (tmp_path / "out" / "manifest.jsonl").read_text()
    assert json.dumps(userphoto.PIPELINE_VERSION) in manifest


@pytest.mark.parametrize(
    "wrap",
    [
        bytearray,
        memoryview,
        lambda b: memoryview(b"xx" + b + b"yy")[2:-2],
        lambda b: memoryview(bytearray(b)),
        lambda b: array("B", b),
    ],
    ids=["bytearray", "memoryview", "memoryview-slice", "memoryview-of-bytearray", "array"],
)
def test_bytes_like_inputs_give_the_same_set(wrap: object) -> None:
    photo = (TESTDATA / "portrait.jpg").read_bytes()
    expected = [(r.size, r.data) for r in userphoto.ingest(photo)]
    got = userphoto.ingest(wrap(photo))  # type: ignore[operator]
    assert [(r.size, r.data) for r in got] == expected


def test_the_placeholder_is_the_commands(userphoto_bin: Path, tmp_path: Path) -> None:
    placeholder = userphoto.placeholder()
    run = subprocess.run(
        [str(userphoto_bin), "placeholder", "--out", str(tmp_path / "p.gif")],
        check=True,
        capture_output=True,
    )
    assert placeholder.data == (tmp_path / "p.gif").read_bytes()
    assert placeholder.metadata() == json.loads(run.stdout)
    assert (placeholder.size, placeholder.width, placeholder.height) == ("1x1", 1, 1)
    assert placeholder.content_type == "image/gif"
    assert placeholder.etag == ""
    assert placeholder.data.startswith(b"GIF89a")


def test_limits() -> None:
    default = userphoto.Limits()
    assert (default.max_input_bytes, default.max_pixels, default.max_side) == (
        32 << 20,
        64 << 20,
        16384,
    )
    assert userphoto.Limits(max_side=100) == userphoto.Limits(max_side=100)
    assert userphoto.Limits(max_side=100) != default
    assert repr(userphoto.Limits(max_side=100)).endswith("max_side=100)")
    with pytest.raises(TypeError):
        userphoto.Limits(100)  # type: ignore[misc]

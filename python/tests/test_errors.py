"""Every kind of rejected photo raises its own class, with the library's kind and message."""

from __future__ import annotations

import pickle
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

import userphoto
from conftest import TESTDATA, png, png_of

# The kinds of the library's `ErrorKind`, in its order.
KINDS = [
    "Empty",
    "TooLarge",
    "UnknownFormat",
    "Unsupported",
    "Corrupt",
    "DimensionsTooLarge",
    "TooSmall",
    "Encode",
    "Internal",
]


def tiff_compressed_with(compression: int) -> bytes:
    """A little-endian 64x64 RGB TIFF whose one strip claims `compression`."""
    width = height = 64
    entries = [
        (256, 3, 1, width),  # ImageWidth
        (257, 3, 1, height),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample (one value, for every sample)
        (259, 3, 1, compression),
        (262, 3, 1, 2),  # PhotometricInterpretation: RGB
        (273, 4, 1, 8),  # StripOffsets: right after the header
        (277, 3, 1, 3),  # SamplesPerPixel
        (278, 3, 1, height),  # RowsPerStrip
        (279, 4, 1, 64),  # StripByteCounts
    ]
    strip = bytes(64)
    ifd_offset = 8 + len(strip)
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<H", value) + b"\0\0" if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    ifd += struct.pack("<I", 0)
    return b"II*\0" + struct.pack("<I", ifd_offset) + strip + ifd


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` x `height` (its pixels are never read)."""
    return png_of(width, height, 2, zlib.compress(bytes(4)))


def portrait() -> bytes:
    return (TESTDATA / "portrait.jpg").read_bytes()


# Each kind a photo can be rejected with: the upload, and the options it is ingested with.
REJECTED: dict[str, tuple[Callable[[], bytes], dict[str, object]]] = {
    "Empty": (lambda: b"", {}),
    "TooLarge": (portrait, {"limits": userphoto.Limits(max_input_bytes=1000)}),
    "UnknownFormat": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", {}),
    "Unsupported": (lambda: tiff_compressed_with(34712), {}),  # JPEG 2000 in TIFF
    "Corrupt": (lambda: (TESTDATA / "broken.jpg").read_bytes(), {}),
    "DimensionsTooLarge": (lambda: png_declaring(100_000, 100_000), {}),
    "TooSmall": (lambda: png(47, 300), {}),
}


@pytest.mark.parametrize("kind", list(REJECTED))
def test_each_rejection_raises_its_class(kind: str) -> None:
    data, options = REJECTED[kind]
    with pytest.raises(userphoto.Error) as raised:
        userphoto.ingest(data(), **options)  # type: ignore[arg-type]
    error = raised.value
    assert type(error) is getattr(userphoto, kind)
    assert type(error).__name__ == kind
    assert error.kind == kind
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("kind", [k for k, (_, options) in REJECTED.items() if not options])
def test_the_message_and_kind_are_the_commands(
    kind: str, userphoto_bin: Path, tmp_path: Path
) -> None:
    """`userphoto ingest` prints `<photo>: <kind>: <message>` for the same upload."""
    data, _ = REJECTED[kind]
    photo = tmp_path / "upload"
    photo.write_bytes(data())
    with pytest.raises(userphoto.Error) as raised:
        userphoto.ingest(data())
    run = subprocess.run(
        [str(userphoto_bin), "ingest", str(photo), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert run.stderr == f"{photo}: {raised.value.kind}: {raised.value}\n"
    assert not (tmp_path / "out").exists()


def test_dimension_limits_are_the_callers() -> None:
    with pytest.raises(userphoto.DimensionsTooLarge, match="500 pixels per side"):
        userphoto.ingest(portrait(), limits=userphoto.Limits(max_side=500))
    with pytest.raises(userphoto.DimensionsTooLarge, match="100000 pixels in all"):
        userphoto.ingest(portrait(), limits=userphoto.Limits(max_pixels=100_000))
    # The same photo within the limits.
    assert len(userphoto.ingest(portrait(), limits=userphoto.Limits(max_side=800))) == 8


def test_a_panic_in_the_binding_is_internal() -> None:
    """No panic reaches Python: one in the binding's own part of an ingest is `Internal`."""
    with pytest.raises(userphoto.Internal, match="a panic in the binding") as raised:
        userphoto._userphoto._ingest_panicking(portrait())  # type: ignore[attr-defined]
    assert raised.value.kind == "Internal"
    assert isinstance(raised.value, userphoto.Error)
    # The module goes on working.
    assert len(userphoto.ingest(portrait())) == 8


def test_every_kind_has_a_class() -> None:
    for kind in KINDS:
        cls = getattr(userphoto, kind)
        assert issubclass(cls, userphoto.Error)
        assert cls.kind == kind
        assert cls.__module__ == "userphoto"
        assert cls.__doc__
    assert issubclass(userphoto.Error, ValueError)
    assert sorted(c.__name__ for c in userphoto.Error.__subclasses__()) == sorted(KINDS)


@pytest.mark.parametrize("kind", ["TooSmall", "Corrupt"])
def test_errors_survive_pickling(kind: str) -> None:
    """A worker process (multiprocessing, Dask) sends the error back as it was."""
    data, options = REJECTED[kind]
    with pytest.raises(userphoto.Error) as raised:
        userphoto.ingest(data(), **options)  # type: ignore[arg-type]
    copy = pickle.loads(pickle.dumps(raised.value))
    assert type(copy) is type(raised.value)
    assert str(copy) == str(raised.value)


def test_bad_arguments_are_not_photo_errors() -> None:
    for kwargs in [{"quality": 0}, {"quality": 101}, {"background": "white"}]:
        with pytest.raises(ValueError) as raised:
            userphoto.ingest(portrait(), **kwargs)  # type: ignore[arg-type]
        assert not isinstance(raised.value, userphoto.Error)
    for not_bytes in ["a photo", 42, None, [0xFF, 0xD8]]:
        with pytest.raises(TypeError):
            userphoto.ingest(not_bytes)  # type: ignore[arg-type]

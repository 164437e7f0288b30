"""Types of the extension module userphoto._userphoto; the package userphoto re-exports all."""

import sys
from collections.abc import Iterator
from typing import Any, TypeVar, final, overload

if sys.version_info >= (3, 12):
    from collections.abc import Buffer
else:
    from typing_extensions import Buffer

__all__ = [
    "Corrupt",
    "DimensionsTooLarge",
    "Empty",
    "Encode",
    "Error",
    "Internal",
    "Limits",
    "PIPELINE_VERSION",
    "PhotoSet",
    "Rendition",
    "SIZES",
    "SourceInfo",
    "TooLarge",
    "TooSmall",
    "UnknownFormat",
    "Unsupported",
    "ingest",
    "keep_freed_memory",
    "placeholder",
]

__version__: str

SIZES: tuple[str, ...]
"""The predefined sizes, ascending: ("48x48", "64x64", ..., "648x648")."""

PIPELINE_VERSION: str
"""Names the rendering pipeline: builds with the same value give byte-identical renditions for
the same input bytes and options. Stores of precomputed renditions record it to know which
photos to render again."""

_T = TypeVar("_T")

class Error(ValueError):
    """Why userphoto.ingest rejected a photo (a ValueError).

    Each kind of problem is a subclass named as the kind is (TooSmall, Corrupt, ...); `kind`
    holds that name and str(error) says what was wrong in words a user can act on."""

    kind: str
    """The kind's name: "TooSmall", "Corrupt", ... (set on each subclass)."""

class Empty(Error):
    """The photo has no bytes at all (kind "Empty")."""

class TooLarge(Error):
    """The photo has more bytes than Limits.max_input_bytes (kind "TooLarge")."""

class UnknownFormat(Error):
    """The bytes are not an image format userphoto reads (JPEG, PNG, GIF, WebP, BMP, TIFF)
    (kind "UnknownFormat")."""

class Unsupported(Error):
    """The format uses a feature userphoto does not handle (kind "Unsupported")."""

class Corrupt(Error):
    """The file is truncated or malformed (kind "Corrupt")."""

class DimensionsTooLarge(Error):
    """The declared width, height or pixel count is over the Limits (kind
    "DimensionsTooLarge")."""

class TooSmall(Error):
    """The photo's shorter side (once upright) is under 48 pixels (kind "TooSmall")."""

class Encode(Error):
    """Encoding a rendition failed: a bug in userphoto, not in the photo (kind "Encode")."""

class Internal(Error):
    """A decoder failed unexpectedly on the photo: a bug in userphoto worth reporting with the
    file (kind "Internal")."""

@final
class Limits:
    """Ceilings on what a photo may declare, all strict, checked from the file's header before
    any pixel memory is allocated. Over a limit, ingest raises TooLarge (bytes) or
    DimensionsTooLarge (the others)."""

    def __init__(
        self,
        *,
        max_input_bytes: int = 33554432,
        max_pixels: int = 67108864,
        max_side: int = 16384,
    ) -> None: ...
    @property
    def max_input_bytes(self) -> int:
        """The largest accepted photo, in bytes (default 32 MiB)."""
    @property
    def max_pixels(self) -> int:
        """The largest accepted width times height, in pixels (default 64 megapixels)."""
    @property
    def max_side(self) -> int:
        """The largest accepted width or height, in pixels (default 16384)."""
    def __eq__(self, other: object) -> bool: ...

@final
class SourceInfo:
    """What was learnt about the uploaded photo."""

    @property
    def format(self) -> str:
        """The format recognised from the bytes: "JPEG", "PNG", "GIF", "WebP", "BMP" or
        "TIFF"."""
    @property
    def width(self) -> int:
        """Width in pixels, after the EXIF orientation."""
    @property
    def height(self) -> int:
        """Height in pixels, after the EXIF orientation."""

@final
class Rendition:
    """One square image of a photo set (a JPEG), or the placeholder (a GIF)."""

    @property
    def size(self) -> str:
        """The size's name, as in URLs and file names: "240x240" ("1x1" for the
        placeholder)."""
    @property
    def width(self) -> int:
        """Width in pixels."""
    @property
    def height(self) -> int:
        """Height in pixels."""
    @property
    def etag(self) -> str:
        """The strong ETag of the bytes, quotes included, as it goes in an HTTP ETag header:
        '"BA09D118"' (the CRC-32 of the bytes); the placeholder's is empty, ''."""
    @property
    def content_type(self) -> str:
        """"image/jpeg" ("image/gif" for the placeholder)."""
    @property
    def data(self) -> bytes:
        """The encoded image."""
    def metadata(self) -> dict[str, Any]:
        """The rendition's metadata, as the service returns it: {"@odata.mediaContentType":
        ..., "@odata.mediaEtag": ..., "Id": "240X240", "Width": 240, "Height": 240}."""

@final
class PhotoSet:
    """Every rendition of one photo, ascending by size: what ingest returns.

    Iterating gives the renditions, ascending; photo_set["240x240"] is one size (KeyError if
    the photo was too small for it); len(photo_set) how many sizes it holds (1 to 9)."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Rendition]: ...
    def __getitem__(self, size: str) -> Rendition: ...
    def __contains__(self, size: str) -> bool: ...
    @overload
    def get(self, size: str) -> Rendition | None: ...
    @overload
    def get(self, size: str, default: _T) -> Rendition | _T: ...
    def get(self, size: str, default: object = None) -> object:
        """The rendition of `size` ("240x240"), or `default` when the set lacks it."""
    def largest(self) -> Rendition:
        """The biggest rendition: what `GET .../photo` describes."""
    @property
    def sizes(self) -> tuple[str, ...]:
        """The names of the sizes the set holds, ascending: ("48x48", ..., "504x504")."""
    def metadata(self) -> dict[str, Any]:
        """The collection metadata, as `userphoto ingest` writes it in photos.json:
        {"value": [{"@odata.mediaContentType": "image/jpeg", "@odata.mediaEtag": '"..."',
        "Id": "48X48", "Width": 48, "Height": 48}, ...]}, ascending."""
    @property
    def tag(self) -> str:
        """The tag of the whole set, 16 hex digits that change whenever any rendition does:
        for versioning storage."""
    @property
    def source(self) -> SourceInfo:
        """The format and upright dimensions of the uploaded photo."""

def ingest(
    data: Buffer,
    *,
    quality: int = 85,
    background: str = "ffffff",
    limits: Limits | None = None,
) -> PhotoSet:
    """Renders every size of the photo in `data` (bytes, bytearray, memoryview or any other
    bytes-like object): the PhotoSet of every predefined size no larger than the photo's
    shorter side, each a JPEG with a strong ETag.

    `quality` is the JPEG quality, 1 to 100; `background` the colour transparency is
    composited over, as hex "RRGGBB" or "#RRGGBB"; `limits` the input limits, checked before
    any pixel memory is allocated.

    The interpreter is released for the whole ingest, so threads ingest photos in parallel.

    Raises a subclass of userphoto.Error (a ValueError) when the photo is rejected: Empty,
    TooLarge, UnknownFormat, Unsupported, Corrupt, DimensionsTooLarge or TooSmall (and
    Internal, a bug in userphoto, should a decoder fail unexpectedly). Raises ValueError for a
    quality or background out of range, TypeError when `data` is not bytes-like."""

def placeholder() -> Rendition:
    """The placeholder served to users without a photo: a Rendition of size "1x1", content
    type "image/gif", the empty ETag '', and the bytes of a constant 1x1 transparent GIF."""

def keep_freed_memory() -> None:
    """Makes glibc's allocator keep the memory a photo frees for the next photo, instead of
    giving it back to the system and faulting it in again. Call it once, early, in a process
    that ingests many photos (a batch job, a worker, a photo server); it is cheap and does
    nothing else."""

"""Turn an uploaded profile photo into the square renditions a user-photo service stores and
serves, the way the Outlook / Exchange Online photo service does.

    import userphoto

    with open("portrait.jpg", "rb") as f:
        photo_set = userphoto.ingest(f.read())
    for rendition in photo_set:  # ascending: 48x48, 64x64, ...
        print(rendition.size, len(rendition.data), rendition.etag)

`ingest` returns a `PhotoSet`: a JPEG of every predefined size (`SIZES`: 48 to 648 pixels
square) no larger than the photo's shorter side, each with a strong ETag. Users without a
photo get the `placeholder()`. A rejected photo raises a subclass of `Error` (a ValueError)
named after its kind: `TooSmall`, `Corrupt`, `UnknownFormat`, ...

The work is done by the userphoto Rust library, with the interpreter released: threads ingest
photos in parallel.
"""

from ._userphoto import *  # noqa: F403
from ._userphoto import __all__, __version__  # noqa: F401

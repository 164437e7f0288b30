"""The conformance run's measuring side: `userphoto ingest` on every file of an external suite,
each outcome set against Pillow's decode of the same file. Driven by run.sh, which pins and
fetches the suite and Pillow; see CONFORMANCE.md for what is measured and why.

    python conformance.py run --suite DIR --userphoto BIN --dssim BIN --work DIR
    python conformance.py serve        (the reference worker run.sh's `run` talks to)

`run` writes WORK/results.tsv (one line per file, sorted by path, no timings) and
WORK/summary.md, prints the summary, and exits 0; with --fail-on-crash it exits 3 when
`userphoto` panicked, died of a signal or timed out on any file.
"""

import argparse
import io
import json
import os
import re
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

SIZES = [48, 64, 96, 120, 240, 360, 432, 504, 648]
# userphoto's default limits (SECURITY.md, "Limits and their defaults").
MAX_INPUT_BYTES = 32 * 1024 * 1024
MAX_PIXELS = 64 * 1024 * 1024
MAX_SIDE = 16384
# A rendition further than this from Pillow's is a finding. tests/integration/orientation.rs
# holds renditions of the same picture to under 0.03 and finds a mirrored one above 0.1.
DSSIM_BOUND = 0.03
# Address space for each child process (userphoto, the reference worker): a runaway
# allocation fails in the child rather than taking the machine down.
MEMORY_LIMIT = 2 << 30


def sniff(head):
    """The format userphoto recognises from the first bytes (src/sniff.rs), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP"
    if head.startswith(b"BM"):
        return "BMP"
    if head.startswith((b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")):
        return "TIFF"
    return None


def jpeg_frame(data):
    """The first frame header of a JPEG: (SOF marker number 0-15, sample precision), or None."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0x01,) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 4 < len(data):
                return marker - 0xC0, data[i + 4]
            return None
        if marker == 0xDA:
            return None
        i += 2 + length
    return None


def jpeg_deliberately_unsupported(data):
    """Why DESIGN.md ("Which decoder reads a JPEG") says a JPEG is refused, or None."""
    frame = jpeg_frame(data)
    if frame is None:
        return None
    n, precision = frame
    if n in (3, 7, 11, 15):
        return "lossless JPEG (SOF%d)" % n
    if n in (9, 10, 11, 13, 14, 15):
        return "arithmetic-coded JPEG (SOF%d)" % n
    if precision != 8:
        return "%d-bit JPEG" % precision
    return None


# ---------------------------------------------------------------------------------------------
# The reference: Pillow, in a worker process of its own.


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def orientation_of(im):
    """The EXIF orientation Pillow applies, and where it found it: in the EXIF block (JPEG
    APP1, PNG eXIf, WebP EXIF), a PNG "Raw profile type exif" text chunk, a TIFF tag, or,
    when none of them holds one, XMP (Pillow reads tiff:Orientation there too)."""
    from PIL import Image

    value = im.getexif().get(0x0112, 1)
    if value not in range(2, 9):
        return 1, ""
    exif, stored = Image.Exif(), None
    try:
        if "exif" in im.info:
            source = "EXIF"
            exif.load(im.info["exif"])
            stored = exif.get(0x0112)
        elif "Raw profile type exif" in im.info:
            source = "PNG text chunk 'Raw profile type exif'"
            text = im.info["Raw profile type exif"]
            exif.load(bytes.fromhex("".join(text.split("\n")[3:])))
            stored = exif.get(0x0112)
        elif hasattr(im, "tag_v2"):
            source = "TIFF tag"
            stored = im.tag_v2.get(0x0112)
    except (ValueError, SyntaxError, OSError):
        stored = None
    return value, source if stored is not None else "XMP"


def normalise(im):
    """Frame 0 as a float array (H, W, C) in 0..1 with C = 1 (grey), 2, 3 (RGB), 4 (RGBA)
    or as an 8-bit CMYK image, and a note on what was done."""
    import numpy as np

    mode = im.mode
    key = im.info.get("transparency")
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # High bit depth grey: scaled, as image-rs and userphoto do, not clipped to 255 as
        # Pillow's convert("L") would; a tRNS key compared before scaling.
        raw = np.asarray(im, dtype=np.float64)
        grey = np.clip(raw / 65535.0, 0, 1)[..., None]
        if isinstance(key, int):
            alpha = (raw != key).astype(np.float64)[..., None]
            return np.concatenate([grey, alpha], axis=2), "16-bit grey scaled, tRNS key"
        return grey, "16-bit grey scaled"
    if mode == "F":
        a = np.asarray(im, dtype=np.float64)
        return np.clip(a, 0, 1)[..., None], "float grey clamped to 0..1"
    if mode == "1":
        im = im.convert("L")
    elif mode in ("P", "PA"):
        im = im.convert("RGBA")
    elif mode == "La":
        im = im.convert("LA")
    elif mode in ("RGBa", "RGBX"):
        im = im.convert("RGBA" if mode == "RGBa" else "RGB")
    elif mode == "CMYK":
        return im, ""
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        im = im.convert("RGBA" if "A" in mode else "RGB")
    a = np.asarray(im, dtype=np.float64) / 255.0
    if a.ndim == 2:
        a = a[..., None]
    note = ""
    # A tRNS colour key of grey or RGB pixels (a 16-bit PNG's key is compared with the 8 bits
    # Pillow keeps, which is close but not exact).
    if im.mode == "L" and isinstance(key, int):
        alpha = (np.asarray(im) != min(key, 255)).astype(np.float64)[..., None]
        a, note = np.concatenate([a, alpha], axis=2), "tRNS key"
    elif im.mode == "RGB" and isinstance(key, tuple) and len(key) == 3:
        if max(key) > 255:
            key = tuple(v >> 8 for v in key)
            note = "16-bit tRNS key compared on 8 bits"
        else:
            note = "tRNS key"
        alpha = (~np.all(np.asarray(im) == np.array(key), axis=2)).astype(np.float64)
        a = np.concatenate([a, alpha[..., None]], axis=2)
    return a, note


def to_srgb(pixels, icc):
    """Pixels converted from the embedded ICC profile to sRGB with Pillow's littlecms (when it
    parses and its colour space fits the pixels, as userphoto does), then composited over
    white: an (H, W, 3) float array, and a note."""
    import numpy as np
    from PIL import Image, ImageCms

    note = ""
    if isinstance(pixels, Image.Image):  # CMYK
        cmyk = pixels
        converted = None
        if icc:
            try:
                profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
                if profile.profile.xcolor_space.strip() == "CMYK":
                    converted = ImageCms.profileToProfile(
                        cmyk, profile, ImageCms.createProfile("sRGB"), outputMode="RGB"
                    )
                    note = "CMYK profile to sRGB"
            except (ImageCms.PyCMSError, OSError, ValueError) as e:
                note = "ICC profile ignored: %s" % e
        if converted is None:
            converted = cmyk.convert("RGB")  # (255 - C)(255 - K) / 255
        return np.asarray(converted, dtype=np.float64) / 255.0, note
    channels = pixels.shape[2]
    colour = pixels[..., :1] if channels <= 2 else pixels[..., :3]
    alpha = pixels[..., channels - 1] if channels in (2, 4) else None
    if icc:
        wanted = "GRAY" if colour.shape[2] == 1 else "RGB"
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            space = profile.profile.xcolor_space.strip()
            if space == wanted:
                eight = np.clip(np.rint(colour * 255.0), 0, 255).astype(np.uint8)
                image = Image.fromarray(eight[..., 0] if wanted == "GRAY" else eight,
                                        "L" if wanted == "GRAY" else "RGB")
                out = ImageCms.profileToProfile(
                    image, profile, ImageCms.createProfile("sRGB"), outputMode="RGB"
                )
                colour = np.asarray(out, dtype=np.float64) / 255.0
                note = "%s profile to sRGB" % space
            else:
                note = "ICC profile ignored: %s profile for %s pixels" % (space, wanted)
        except (ImageCms.PyCMSError, OSError, ValueError) as e:
            note = "ICC profile ignored: %s" % e
    if colour.shape[2] == 1:
        colour = np.repeat(colour, 3, axis=2)
    if alpha is not None:
        colour = colour * alpha[..., None] + (1.0 - alpha[..., None])
    return colour, note


# Pillow's tests/test_bmp_reference.py: the BMP suite's own rendering of each of its files, in
# bmp/html/, where the name is not the file's own.
BMP_SUITE_RENDERINGS = {
    "pal1wb.bmp": "pal1.png",
    "pal4rle.bmp": "pal4.png",
    "pal8-0.bmp": "pal8.png",
    "pal8rle.bmp": "pal8.png",
    "pal8topdown.bmp": "pal8.png",
    "pal8nonsquare.bmp": "pal8nonsquare-v.png",
    "pal8os2.bmp": "pal8.png",
    "pal8os2sp.bmp": "pal8.png",
    "pal8os2v2.bmp": "pal8.png",
    "pal8os2v2-16.bmp": "pal8.png",
    "pal8v4.bmp": "pal8.png",
    "pal8v5.bmp": "pal8.png",
    "rgb16-565pal.bmp": "rgb16-565.png",
    "rgb24pal.bmp": "rgb24.png",
    "rgb32.bmp": "rgb24.png",
    "rgb32bf.bmp": "rgb24.png",
}


def bmp_suite_renderings(path):
    """The renderings the BMP suite ships for one of its files (bmp/g, bmp/q): where Pillow's
    own tests say Pillow does not decode a file as the suite means, these are the reference."""
    path = Path(path)
    if path.suffix != ".bmp" or path.parent.name not in ("g", "q"):
        return []
    html = path.parent.parent / "html"
    names = {BMP_SUITE_RENDERINGS.get(path.name, path.stem + ".png")}
    names.update(p.name for p in html.glob(path.stem + "-*.png"))
    return sorted(html / n for n in names if (html / n).is_file())


def render(upright, icc, size, target):
    """The upright image as userphoto renders it, with Pillow at every step: to sRGB, over
    white, the centre square, Lanczos to `size`. Saved to `target`; returns the notes."""
    import numpy as np
    from PIL import Image

    w, h = upright.size
    side = min(w, h)
    pixels, note = normalise(upright)
    rgb, icc_note = to_srgb(pixels, icc)
    left, top = (w - side) // 2, (h - side) // 2
    square = rgb[top : top + side, left : left + side]
    eight = np.clip(np.rint(square * 255.0), 0, 255).astype(np.uint8)
    rendered = Image.fromarray(eight, "RGB").resize((size, size), Image.Resampling.LANCZOS)
    rendered.save(target)
    return "; ".join(n for n in (note, icc_note) if n), rendered


def reference(path, out_dir):
    """Pillow's rendition of `path` at the largest size its upright short side allows, as
    userphoto makes it but with Pillow at every step: out_dir/ref.png. With it, Pillow's own
    JPEG of it (quality 85, 4:2:0) decoded (pillow-q85.png: what JPEG alone costs), and other
    references where there is a reason (alt-*.png, listed in "alternates")."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im.load()
        info = {"format": im.format, "mode": im.mode}
        icc = im.info.get("icc_profile")
        orientation, source = orientation_of(im)
        info["orientation"] = orientation
        info["orientation_source"] = source
        upright = ImageOps.exif_transpose(im)
        stored = im.copy()
    w, h = upright.size
    info["width"], info["height"] = w, h
    fits = [s for s in SIZES if s <= min(w, h)]
    info["size"] = size = fits[-1] if fits else 0
    info["alternates"] = []
    if not fits:
        info["note"] = normalise(upright)[1]
        return info
    out_dir.mkdir(parents=True, exist_ok=True)
    info["note"], ref = render(upright, icc, size, out_dir / "ref.png")
    jpeg = io.BytesIO()
    ref.save(jpeg, "JPEG", quality=85, subsampling="4:2:0", optimize=True)
    jpeg.seek(0)
    with Image.open(jpeg) as decoded:
        decoded.convert("RGB").save(out_dir / "pillow-q85.png")
    if source in ("XMP", "PNG text chunk 'Raw profile type exif'"):
        # Where userphoto documents (or does not) that it ignores this orientation: the
        # rendition as it would be without it.
        target = out_dir / "alt-unoriented.png"
        render(stored, icc, size, target)
        info["alternates"].append(("Pillow without the %s orientation" % source, str(target)))
    info["alternates"] += suite_references(path, size, out_dir)
    return info


def suite_references(path, size, out_dir):
    """The BMP suite's renderings of `path` rendered at `size`: [(label, png path)]."""
    from PIL import Image

    alternates = []
    for n, rendering in enumerate(bmp_suite_renderings(path)):
        with Image.open(rendering) as im:
            im.load()
            if min(im.size) < size:
                continue
            out_dir.mkdir(parents=True, exist_ok=True)
            target = out_dir / ("alt-%d.png" % n)
            render(im.copy(), im.info.get("icc_profile"), size, target)
        alternates.append(("BMP suite's bmp/html/%s" % rendering.name, str(target)))
    return alternates


def suite_only(path, out_dir):
    """For a file Pillow refuses: the BMP suite's renderings of it, when it has some, at the
    largest size they allow (the info a reference gives, without Pillow's own rendition)."""
    from PIL import Image

    renderings = bmp_suite_renderings(path)
    if not renderings:
        return {}
    with Image.open(renderings[0]) as im:
        fits = [s for s in SIZES if s <= min(im.size)]
    if not fits:
        return {}
    return {"size": fits[-1], "alternates": suite_references(path, fits[-1], out_dir)}


def clean_message(text, root):
    text = text.replace(str(root) + "/", "").replace(str(root), "")
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)
    return " ".join(text.split())


def serve():
    """Answers one JSON request a line: {"path", "out", "root"} -> the reference's info, or
    {"error": "..."} when Pillow cannot read the file."""
    import warnings

    warnings.simplefilter("ignore")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = reference(request["path"], Path(request["out"]))
        except Exception as e:  # noqa: BLE001: every failure is an answer
            message = "%s: %s" % (type(e).__name__, e)
            answer = {"error": clean_message(message, request["root"])}
            try:
                answer.update(suite_only(request["path"], Path(request["out"])))
            except Exception:  # noqa: BLE001: then there is no second reference either
                pass
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


class Worker:
    """The reference worker, restarted when it dies or does not answer in time."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            preexec_fn=limit_memory,
        )

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def ask(self, request):
        if self.process is None:
            self.start()
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], self.timeout)
        line = self.process.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        self.stop()
        if ready:
            return {"error": "the reference worker died (Pillow crashed)", "crash": True}
        return {"error": "Pillow did not finish in %d s" % self.timeout, "crash": True}


# ---------------------------------------------------------------------------------------------
# userphoto


def run_userphoto(binary, path, out, timeout):
    """(outcome, kind, message): outcome is ok, refused, panic, signal, timeout or error."""
    started = time.monotonic()
    process = subprocess.Popen(
        [str(binary), "ingest", str(path), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=limit_memory,
        env=dict(os.environ, RUST_BACKTRACE="0"),
    )
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return "timeout", "", "no answer in %d s" % timeout, time.monotonic() - started
    elapsed = time.monotonic() - started
    err = err.decode("utf-8", "replace").strip()
    rc = process.returncode
    if rc == 0:
        return "ok", "", "", elapsed
    if rc == 1:
        line = err.splitlines()[0] if err else ""
        prefix = "%s: " % path
        line = line[len(prefix) :] if line.startswith(prefix) else line
        kind, _, message = line.partition(": ")
        return "refused", kind, message, elapsed
    if rc == 101:
        # "thread 'main' (ID) panicked at PATH:LINE:COL:" and the message, without the thread
        # id and the registry's directory, so the line is the same on every run and machine.
        text = " ".join(err.splitlines()[:2])
        text = re.sub(r"thread '([^']*)' \(\d+\)", r"thread '\1'", text)
        text = re.sub(r"\S*/registry/src/[^/]+/", "", text)
        return "panic", "", text or "exit 101", elapsed
    if rc < 0:
        name = signal.Signals(-rc).name
        tail = err.splitlines()[-1] if err else ""
        return "signal", "", ("%s %s" % (name, tail)).strip(), elapsed
    return "error", "", "exit %d: %s" % (rc, err.splitlines()[0] if err else ""), elapsed


# ---------------------------------------------------------------------------------------------
# Classification


VERDICTS = [
    ("accepted-within", "accepted, within the bound of Pillow's rendition"),
    ("accepted-within-suite-rendering",
     "accepted, beyond Pillow's rendition but within the BMP suite's own rendering"),
    ("accepted-documented-difference", "accepted, beyond the bound where DESIGN.md says why"),
    ("accepted-beyond", "accepted, beyond the bound"),
    ("accepted-size-differs", "accepted, largest size differs from Pillow's"),
    ("accepted-reference-refuses", "accepted, though Pillow refuses the file"),
    ("refused-not-a-format-read", "refused: not one of the six formats read (UnknownFormat)"),
    ("refused-reference-refuses", "refused, and Pillow refuses it too"),
    ("refused-documented-limit", "refused by a limit README/DESIGN/SECURITY documents"),
    ("refused-small-anyway",
     "refused for another reason, though Pillow decodes it; under 48 px (TooSmall) anyway"),
    ("refused-reference-decodes", "refused, though Pillow decodes it"),
    ("crash", "crash: exit 101 (panic) or a signal"),
    ("timeout", "timeout"),
    ("error", "other exit (2: I/O or usage)"),
]
EXPLAINED = {"accepted-within-suite-rendering", "accepted-documented-difference",
             "accepted-reference-refuses", "refused-small-anyway"}
FINDINGS = {"accepted-beyond", "accepted-size-differs", "refused-reference-decodes",
            "crash", "timeout", "error"}


# Refusals DESIGN.md lists as deliberate, by format: (the error kind, a phrase of the message,
# the section of DESIGN.md that says why).
DESIGNED_REFUSALS = {
    "TIFF": [
        ("Unsupported", " compression (", "Reading TIFF: compressions the tiff crate does not decode"),
        ("Unsupported", "Lab pixels", "Reading TIFF: pixels that need a colour model of their own"),
        ("Unsupported", "signed integer samples", "Reading TIFF: signed samples"),
        ("Unsupported", "floating-point samples", "Reading TIFF: floating-point samples"),
        ("Unsupported", "no photometric interpretation",
         "Reading TIFF: no PhotometricInterpretation tag"),
    ],
    "BMP": [
        ("Corrupt", "Corrupt RLE data", "Reading BMP: RLE data that overruns its rows"),
        ("Corrupt", "Invalid image type", "Reading BMP: top-down RLE"),
        ("Corrupt", "More than one plane", "Reading BMP: a plane count other than 1"),
        ("Unsupported", "Unknown bitmap header type", "Reading BMP: OS/2 2.x headers"),
    ],
    "JPEG": [
        ("Corrupt", "where RST", "Which decoder reads a JPEG: bytes between a restart "
         "interval and its marker"),
    ],
}


def documented_limit(kind, message, fmt, data, ref):
    """Why a refusal is one the project documents, or None."""
    for designed_kind, phrase, section in DESIGNED_REFUSALS.get(fmt, []):
        if kind == designed_kind and phrase in message:
            return "DESIGN.md, '%s'" % section
    if kind == "TooSmall" and "error" not in ref and min(ref["width"], ref["height"]) < 48:
        return "shorter side %d under 48 (README)" % min(ref["width"], ref["height"])
    if kind == "Unsupported" and fmt == "JPEG":
        why = jpeg_deliberately_unsupported(data)
        if why:
            return why + " (DESIGN.md, 'Which decoder reads a JPEG')"
        if "more than 100 scans" in message:
            return "more than 100 scans (SECURITY.md)"
    if kind == "TooLarge" and len(data) > MAX_INPUT_BYTES:
        return "over 32 MiB (SECURITY.md)"
    if kind == "DimensionsTooLarge" and "error" not in ref:
        w, h = ref["width"], ref["height"]
        if w * h > MAX_PIXELS or max(w, h) > MAX_SIDE:
            return "%dx%d over the pixel limits (SECURITY.md)" % (w, h)
    return None


def classify(row, data, ref):
    outcome, kind, fmt = row["userphoto"], row["kind"], row["format"]
    if outcome in ("panic", "signal"):
        return "crash"
    if outcome in ("timeout", "error"):
        return outcome
    if outcome == "ok":
        if "error" in ref:
            return "accepted-reference-refuses"
        return "accepted-pending"
    if fmt == "-" and kind == "UnknownFormat":
        return "refused-not-a-format-read"
    if "error" in ref:
        return "refused-reference-refuses"
    why = documented_limit(kind, row["message"], fmt, data, ref)
    if why:
        row["why"] = why
        return "refused-documented-limit"
    if min(ref["width"], ref["height"]) < 48:
        return "refused-small-anyway"
    return "refused-reference-decodes"


# ---------------------------------------------------------------------------------------------
# The run


COLUMNS = ["file", "format", "bytes", "verdict", "userphoto", "kind", "message", "pillow",
           "pillow_size", "size", "dssim", "pillow_q85_dssim", "alt_reference", "alt_dssim",
           "why"]


def dssim_pairs(binary, pairs):
    if not pairs:
        return []
    text = "".join("%s\t%s\n" % pair for pair in pairs)
    out = subprocess.run([str(binary)], input=text, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(out) == len(pairs), "the DSSIM tool answered %d of %d" % (len(out), len(pairs))
    return out


def number(answer):
    """A DSSIM tool answer as the TSV shows it."""
    return answer if answer.startswith("error") else "%.6f" % float(answer)


def within(value):
    return not value.startswith("error") and float(value) <= DSSIM_BOUND


def run(args):
    suite = Path(args.suite).resolve()
    work = Path(args.work).resolve()
    renditions = work / "renditions"
    references = work / "references"
    for d in (renditions, references):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    files = sorted(p for p in suite.rglob("*") if p.is_file())
    worker = Worker(args.reference_timeout)
    rows = []
    timings = []
    started = time.monotonic()
    for index, path in enumerate(files):
        rel = str(path.relative_to(suite))
        data = path.read_bytes()
        fmt = sniff(data[:16]) or "-"
        out = renditions / str(index)
        outcome, kind, message, elapsed = run_userphoto(args.userphoto, path, out,
                                                        args.timeout)
        timings.append((elapsed, rel))
        ref = worker.ask({"path": str(path), "out": str(references / str(index)),
                          "root": str(suite)})
        row = {
            "file": rel, "format": fmt, "bytes": str(len(data)), "userphoto": outcome,
            "kind": kind or "-", "message": clean_message(message, suite) or "-",
            "pillow": "error" if "error" in ref else "ok",
            "pillow_size": "-" if "error" in ref else "%dx%d" % (ref["width"], ref["height"]),
            "size": "-", "dssim": "-", "pillow_q85_dssim": "-", "why": "-",
            "alt_reference": "-", "alt_dssim": "-",
            "index": index, "alternates": ref.get("alternates", []),
            "orientation": ref.get("orientation", 1),
        }
        if "error" in ref:
            row["why"] = "Pillow: " + ref["error"]
        elif ref.get("note") or ref.get("orientation_source"):
            notes = [ref.get("note", "")]
            if ref.get("orientation_source"):
                notes.append("orientation %d from %s" % (ref["orientation"],
                                                          ref["orientation_source"]))
            row["why"] = "; ".join(n for n in notes if n)
        row["verdict"] = classify(row, data, ref)
        if row["verdict"] == "accepted-reference-refuses" and ref.get("alternates"):
            # Measured against the BMP suite's renderings only; verdict after the DSSIM.
            row["verdict"] = "accepted-pending"
            row["pillow_only_failed"] = True
        if row["verdict"] == "accepted-pending":
            produced = sorted(int(p.name.split("x")[0]) for p in out.glob("*x*.jpg"))
            largest = produced[-1] if produced else 0
            row["size"] = str(largest)
            if largest != ref["size"]:
                row["verdict"] = "accepted-size-differs"
                row["why"] = "largest rendition %d, the reference's %s allows %d" % (
                    largest, row["pillow_size"], ref["size"])
            else:
                from_jpeg(out / ("%dx%d.jpg" % (largest, largest)),
                          references / str(index) / "ours.png")
        else:
            shutil.rmtree(str(out), ignore_errors=True)
        rows.append(row)
        if (index + 1) % 100 == 0:
            print("%d/%d files, %.0f s" % (index + 1, len(files), time.monotonic() - started),
                  file=sys.stderr)
    worker.stop()

    pending = [r for r in rows if r["verdict"] == "accepted-pending"]
    pairs = []
    for r in pending:
        d = references / str(r["index"])
        if not r.get("pillow_only_failed"):
            pairs.append((d / "ref.png", d / "ours.png"))
            pairs.append((d / "ref.png", d / "pillow-q85.png"))
        pairs.extend((alt, d / "ours.png") for _, alt in r["alternates"])
    values = iter(dssim_pairs(args.dssim, pairs))
    for r in pending:
        if r.get("pillow_only_failed"):
            ours = baseline = "error: Pillow refuses the file"
        else:
            ours, baseline = number(next(values)), number(next(values))
            r["dssim"], r["pillow_q85_dssim"] = ours, baseline
        alternates = [(label, number(next(values))) for label, _ in r["alternates"]]
        r["verdict"] = "accepted-within" if within(ours) else "accepted-beyond"
        if r["verdict"] == "accepted-beyond" and alternates:
            label, value = min(alternates, key=lambda a: float("inf") if a[1].startswith(
                "error") else float(a[1]))
            r["alt_reference"], r["alt_dssim"] = label, value
            if r.get("pillow_only_failed"):
                r["verdict"] = "accepted-reference-refuses" if within(value) else "accepted-beyond"
            elif within(value):
                if label.startswith("BMP suite"):
                    r["verdict"] = "accepted-within-suite-rendering"
                elif "Raw profile" in label:
                    r["verdict"] = "accepted-documented-difference"
                    r["why"] = ("orientation %d in a PNG 'Raw profile type exif' text chunk, "
                                "which DESIGN.md ('Orientation after resizing') says is not "
                                "read" % r["orientation"])
                elif "XMP" in label:
                    r["verdict"] = "accepted-documented-difference"
                    r["why"] = ("orientation %d only in XMP, which DESIGN.md ('Orientation "
                                "after resizing') says is not read" % r["orientation"])
    for r in rows:
        if r["verdict"] != "accepted-beyond":
            shutil.rmtree(str(references / str(r["index"])), ignore_errors=True)

    with open(work / "results.tsv", "w") as f:
        f.write("\t".join(COLUMNS) + "\n")
        for r in rows:
            f.write("\t".join(str(r[c]).replace("\t", " ") for c in COLUMNS) + "\n")
    summary = summarise(rows, len(files))
    (work / "summary.md").write_text(summary)
    print(summary)
    slowest = sorted(timings, reverse=True)[:5]
    print("userphoto wall time: %.1f s over %d files; slowest: %s" % (
        sum(t for t, _ in timings), len(timings),
        ", ".join("%s %.2f s" % (name, t) for t, name in slowest)), file=sys.stderr)
    crashes = [r for r in rows if r["verdict"] in ("crash", "timeout")]
    if args.fail_on_crash and crashes:
        for r in crashes:
            print("CRASH %s: %s %s" % (r["file"], r["userphoto"], r["message"]),
                  file=sys.stderr)
        return 3
    return 0


def from_jpeg(jpeg, png):
    """Our rendition decoded by Pillow (libjpeg-turbo), for the DSSIM tool."""
    from PIL import Image

    png.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(jpeg) as im:
        im.convert("RGB").save(png)


def summarise(rows, total):
    counts = Counter(r["verdict"] for r in rows)
    by_format = defaultdict(Counter)
    for r in rows:
        by_format[r["format"]][r["verdict"]] += 1
    formats = ["JPEG", "PNG", "GIF", "WebP", "BMP", "TIFF", "-"]
    lines = ["| outcome | files | " + " | ".join(f if f != "-" else "other" for f in formats)
             + " |", "|---|---:|" + "---:|" * len(formats)]
    for key, label in VERDICTS:
        cells = [str(by_format[f][key]) for f in formats]
        flag = " **(finding)**" if key in FINDINGS and counts[key] else ""
        lines.append("| %s%s | %d | %s |" % (label, flag, counts[key], " | ".join(cells)))
    cells = [str(sum(by_format[f].values())) for f in formats]
    lines.append("| **all files** | **%d** | %s |" % (total, " | ".join(cells)))
    out = ["## Summary", ""] + lines + [""]

    out += listing("Findings", rows, FINDINGS)
    out += listing("Differences with a reason (not findings)", rows, EXPLAINED)
    return "\n".join(out)


def listing(title, rows, verdicts):
    """The files of `verdicts`, grouped by verdict and format (and refusals by message)."""
    groups = defaultdict(list)
    for r in rows:
        if r["verdict"] in verdicts:
            if r["verdict"].startswith("refused"):
                key = (r["verdict"], r["format"], r["kind"], generic(r["message"]))
            else:
                key = (r["verdict"], r["format"], "", "")
            groups[key].append(r)
    if not groups:
        return []
    out = ["## " + title, ""]
    for key in sorted(groups):
        verdict, fmt, kind, message = key
        members = groups[key]
        head = "%s, %s" % (verdict, fmt if fmt != "-" else "other")
        if kind:
            head += ", %s: %s" % (kind, message)
        out.append("- %s (%d):" % (head, len(members)))
        for r in members:
            detail = []
            if r["verdict"].startswith("accepted") and r["dssim"] != "-":
                detail.append("DSSIM %s (Pillow's own q85 JPEG: %s)" % (
                    r["dssim"], r["pillow_q85_dssim"]))
            elif r["message"] != "-" and not kind:
                detail.append(r["message"])
            if r["alt_reference"] != "-":
                detail.append("%s: DSSIM %s" % (r["alt_reference"], r["alt_dssim"]))
            if r["why"] != "-":
                detail.append(r["why"])
            out.append("  - `%s` %s%s" % (r["file"], r["pillow_size"],
                                          (": " + "; ".join(detail)) if detail else ""))
    out.append("")
    return out


def generic(message):
    """A refusal message with its numbers taken out, to group files refused for one cause."""
    return re.sub(r"\d+", "N", message)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--suite", required=True)
    r.add_argument("--userphoto", required=True)
    r.add_argument("--dssim", required=True)
    r.add_argument("--work", required=True)
    r.add_argument("--timeout", type=int, default=20)
    r.add_argument("--reference-timeout", type=int, default=60)
    r.add_argument("--fail-on-crash", action="store_true")
    sub.add_parser("serve")
    args = parser.parse_args()
    if args.command == "serve":
        serve()
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

"""examples/dask_precompute.py, run as written on a local Dask cluster of two worker processes,
writes what `userphoto precompute --recursive` writes for the same folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TESTDATA, png

pytest.importorskip("distributed")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "dask_precompute.py"


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` but the command's manifest and its hidden lock, by relative
    path."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "manifest.jsonl" and not path.name.startswith(".")
    }


def test_the_dask_example_writes_what_precompute_writes(
    userphoto_bin: Path, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    (photos / "team").mkdir(parents=True)
    (photos / "alice@contoso.com.jpg").write_bytes((TESTDATA / "portrait.jpg").read_bytes())
    (photos / "bob.png").write_bytes(png(300, 200, alpha=True))
    (photos / "team" / "carol.jpg").write_bytes((TESTDATA / "progressive_422.jpg").read_bytes())
    (photos / "team" / "dan.tar.jpg").write_bytes(
        (TESTDATA / "progressive_420_restarts.jpg").read_bytes()
    )
    (photos / "notes.txt").write_text("not a photo")
    (photos / "tiny.png").write_bytes(png(40, 40))
    (photos / ".hidden.jpg").write_bytes((TESTDATA / "portrait.jpg").read_bytes())

    example = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE),
            str(photos),
            str(tmp_path / "by-dask"),
            "--workers",
            "2",
            "--threads",
            "1",
            "--background",
            "204080",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    command = subprocess.run(
        [
            str(userphoto_bin),
            "precompute",
            str(photos),
            str(tmp_path / "by-command"),
            "--recursive",
            "--quiet",
            "--background",
            "204080",
        ],
        capture_output=True,
        text=True,
    )
    # One photo too small: both report it and exit 1; the rest is written.
    assert (example.returncode, command.returncode) == (1, 1), example.stderr
    assert "tiny.png: rejected: TooSmall:" in example.stdout
    assert "notes.txt: skipped: UnknownFormat:" in example.stdout
    assert example.stdout.splitlines()[-1] == "4 ingested, 1 skipped, 1 rejected"

    by_dask = tree(tmp_path / "by-dask")
    assert sorted({Path(p).parent.as_posix() for p in by_dask}) == [
        "alice@contoso.com",
        "bob",
        "team/carol",
        "team/dan.tar",
    ]
    assert by_dask == tree(tmp_path / "by-command")


def test_photos_that_would_share_a_folder_are_both_refused(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.jpg").write_bytes((TESTDATA / "portrait.jpg").read_bytes())
    (photos / "a.png").write_bytes(png(100, 100))
    (photos / "b.jpg").write_bytes((TESTDATA / "portrait.jpg").read_bytes())
    example = subprocess.run(
        [sys.executable, str(EXAMPLE), str(photos), str(tmp_path / "out"), "--threads", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert example.returncode == 1, example.stderr
    assert "a.jpg: rejected: Conflict: a.jpg, a.png" in example.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b"]

"""The Python examples of README.md and python/README.md run as written (from the repository's
root, whose testdata/ they read), and they and python/examples/ pass `mypy --strict`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

DOCS = [REPO / "README.md", REPO / "python" / "README.md"]
EXAMPLES = REPO / "python" / "examples"


def python_blocks(doc: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", doc.read_text(), flags=re.S | re.M)


BLOCKS = [(doc, i, block) for doc in DOCS for i, block in enumerate(python_blocks(doc))]


def test_the_docs_have_examples() -> None:
    assert {doc for doc, _, _ in BLOCKS} == set(DOCS)


@pytest.mark.parametrize(
    "block", BLOCKS, ids=[f"{d.relative_to(REPO)}-{i}" for d, i, _ in BLOCKS]
)
def test_examples_run_as_written(block: tuple[Path, int, str]) -> None:
    run = subprocess.run(
        [sys.executable, "-c", block[2]], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr


def test_examples_pass_mypy_strict(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    files = [str(path) for path in sorted(EXAMPLES.glob("*.py"))]
    for doc, i, block in BLOCKS:
        path = tmp_path / f"{doc.parent.name}_{doc.stem}_{i}.py".replace("-", "_")
        path.write_text(block)
        files.append(str(path))
    stdout, stderr, status = api.run(["--strict", "--cache-dir", str(tmp_path / "cache"), *files])
    assert status == 0, stdout + stderr

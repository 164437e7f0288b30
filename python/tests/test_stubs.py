"""The stubs describe the module as it is: the same names, the same members, the same defaults."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import userphoto
from conftest import TESTDATA

STUB = ast.parse((Path(__file__).resolve().parents[1] / "userphoto" / "_userphoto.pyi").read_text())


def stub_all() -> list[str]:
    for node in STUB.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "__all__":
            return list(ast.literal_eval(node.value))
    raise AssertionError("the stub has no __all__")


def test_the_stub_names_what_the_module_exports() -> None:
    assert sorted(stub_all()) == sorted(userphoto.__all__)


def test_every_member_in_the_stub_exists() -> None:
    for node in STUB.body:
        if isinstance(node, ast.ClassDef):
            cls = getattr(userphoto, node.name)
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AnnAssign)):
                    name = member.name if isinstance(member, ast.FunctionDef) else member.target.id  # type: ignore[union-attr]
                    if name != "kind" or node.name != "Error":  # set on each kind's class
                        assert hasattr(cls, name), f"{node.name}.{name}"


def test_the_documented_defaults_are_the_libraries() -> None:
    photo = (TESTDATA / "portrait.jpg").read_bytes()
    ingest = inspect.signature(userphoto.ingest).parameters
    as_default = [r.data for r in userphoto.ingest(photo)]
    as_given = userphoto.ingest(
        photo, quality=ingest["quality"].default, background=ingest["background"].default
    )
    assert [r.data for r in as_given] == as_default
    limits = inspect.signature(userphoto.Limits).parameters
    assert userphoto.Limits(**{name: p.default for name, p in limits.items()}) == userphoto.Limits()

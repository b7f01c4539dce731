"""docs/security.md stays true: every limit has a row with its default, every cited test exists."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from peppol_dpi.limits import DEFAULT_LIMITS, Limits

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
MiB, KiB = 1024 * 1024, 1024


def _value(text: str) -> int:
    """``1 000 000``, ``64``, ``16 KiB``, ``1 GiB`` as a number."""
    found = re.fullmatch(r"([\d ]+?)\s*(GiB|MiB|KiB)?", text.strip())
    assert found is not None, text
    unit = {"GiB": 1024 * MiB, "MiB": MiB, "KiB": KiB, None: 1}[found.group(2)]
    return int(found.group(1).replace(" ", "")) * unit


def test_every_limit_has_a_row_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", DOC.read_text(), flags=re.M))
    for field in dataclasses.fields(Limits):
        assert field.name in rows, f"docs/security.md does not document {field.name}"
        assert _value(rows[field.name]) == getattr(DEFAULT_LIMITS, field.name), field.name


def test_every_test_the_document_cites_exists() -> None:
    # `file.py::name` cites a test; a following `::other` cites another test of that file.
    tests = DOC.parents[1] / "tests"
    tokens = re.findall(r"`((?:security/)?test_\w+\.py)?(?:::(\w+))?", DOC.read_text())
    file = None
    checked = 0
    for cited_file, name in tokens:
        if cited_file:
            file = cited_file
            assert (tests / file).is_file(), f"docs/security.md cites {file}: no such file"
        if name and file:
            assert f"def {name}(" in (tests / file).read_text(), f"{file} has no test {name}"
            checked += 1
    assert checked > 60

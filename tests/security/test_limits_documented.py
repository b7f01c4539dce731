"""Every limit is documented in docs/security.md with its default (the one configuration)."""

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

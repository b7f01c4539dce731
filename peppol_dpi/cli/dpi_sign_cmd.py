"""``peppol-dpi dpi sign`` and ``dpi verify`` (docs/cli.md, "DPI")."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(group: argparse._SubParsersAction[Any]) -> None:
    """Add ``sign`` and ``verify`` to the ``dpi`` command group (filled in below)."""

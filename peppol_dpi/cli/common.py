"""Helpers shared by the command modules: reading files, writing output, JSON printing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError


def read_input(path: str) -> bytes:
    """Read a file given on the command line (``-`` is standard input)."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory") from None


def write_output(path: str | None, data: bytes) -> None:
    """Write to ``path``, or to standard output when it is None or ``-``."""
    if path is None or path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        Path(path).write_bytes(data)


def print_json(obj: Any) -> None:
    """One JSON object on stdout and nothing else there (docs/cli.md, --json)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")

"""Helpers shared by the command modules: reading files, writing output, JSON printing."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
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


def iso_instant(text: str) -> datetime:
    """argparse ``type=`` for ISO-8601 instants (``--created``, ``--at``): an offset is required."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 date and time") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (add Z or +01:00)")
    return value


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """``--json``: one JSON object on stdout and nothing else there (docs/cli.md)."""
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout and nothing else"
    )


def add_output_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``-o/--output FILE``: where the result goes (standard output when absent or ``-``)."""
    parser.add_argument(
        "-o", "--output", metavar="FILE", help=f"write {what} to FILE (default: standard output)"
    )


def print_fields(fields: dict[str, Any]) -> None:
    """Human output of a reading command: one ``key  value`` line per field."""
    width = max((len(k) for k in fields), default=0)
    for key, value in fields.items():
        sys.stdout.write(f"{key.ljust(width)}  {'-' if value is None else value}\n")

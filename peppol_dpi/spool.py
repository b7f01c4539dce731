"""Temporary spools and chunked copies: what the streaming paths (large AS4 payloads, DPI
packages opened from files) use so that memory does not grow with the data."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import IO

__all__ = [
    "CHUNK_BYTES",
    "SPOOL_IN_MEMORY_BYTES",
    "copy_chunks",
    "read_up_to",
    "spool",
    "spooled_copy",
]

#: Bytes read, compressed, encrypted or copied at a time.
CHUNK_BYTES = 1024 * 1024
#: A spool stays in memory up to this size, then moves to a temporary file.
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024


def spool(spool_dir: str | os.PathLike[str] | None) -> IO[bytes]:
    """A temporary spool: in memory while small, a file in ``spool_dir`` (or the system's
    temporary directory) beyond :data:`SPOOL_IN_MEMORY_BYTES`; gone when closed."""
    directory = os.fspath(spool_dir) if spool_dir is not None else None
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES, dir=directory)


def copy_chunks(source: IO[bytes], size: int | None = None) -> Iterator[bytes]:
    """``source`` from its current position (``size`` bytes, or to its end) in chunks."""
    left = size
    while left is None or left > 0:
        piece = source.read(CHUNK_BYTES if left is None else min(CHUNK_BYTES, left))
        if not piece:
            return
        if left is not None:
            left -= len(piece)
        yield piece


def read_up_to(source: IO[bytes], size: int) -> bytes:
    """``size`` bytes from ``source``'s position, fewer only at its end: one ``read`` may
    return less (a pipe, a raw file), and what follows must not depend on how it was cut."""
    pieces: list[bytes] = []
    left = size
    while left > 0:
        piece = source.read(left)
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    return b"".join(pieces)


def spooled_copy(
    source: IO[bytes], size: int | None = None, spool_dir: str | os.PathLike[str] | None = None
) -> IO[bytes]:
    """A new :func:`spool` holding ``source`` from its current position (``size`` bytes, or
    to its end; fewer if it ends first), copied in chunks and rewound; the caller closes it."""
    copy = spool(spool_dir)
    try:
        for piece in copy_chunks(source, size):
            copy.write(piece)
    except BaseException:
        copy.close()
        raise
    copy.seek(0)
    return copy

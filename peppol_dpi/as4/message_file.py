"""Message files read without holding their body (issue 8: large payloads).

:func:`read_dump_from` is :func:`.dump.read_dump` for a file (the dump form of docs/cli.md:
HTTP headers, an empty line, the body; or a bare MIME body or SOAP envelope): the headers are
read from the first :func:`.dump.dump_head_bytes` of the file, and the body is a seekable
view of the rest of it, ready for :func:`.stream_receive.open_message_from`. A body that
really is chunked (RFC 9112 7.1) is de-chunked into a spool; one whose dump only keeps the
``Transfer-Encoding: chunked`` header (as real dumps do) is viewed in place.

:func:`seekable_message` gives any message source (a path, a seekable stream, a socket-like
stream copied to a spool) as a seekable file, refusing one larger than
``Limits.max_message_bytes`` before it is read to its end.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from ..arguments import require_limits, require_source, require_spool_dir
from ..limits import DEFAULT_LIMITS, Limits
from ..spool import CHUNK_BYTES, copy_chunks, spool
from .dump import chunk_spans, dump_head_bytes, is_chunked, looks_chunked, split_dump
from .mime import Headers, MimeError
from .mime_stream import PartSpan, read_span

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["MessageSource", "read_dump_from", "seekable_message"]

#: A message given as a path or as a binary stream.
MessageSource = BinaryIO | IO[bytes] | str | os.PathLike[str]


def _too_large(limits: Limits) -> MimeError:
    return MimeError(
        f"the message is larger than {limits.max_message_bytes} bytes", rule="mime:too-large"
    )


def seekable_message(
    source: MessageSource,
    stack: ExitStack,
    *,
    limits: Limits = DEFAULT_LIMITS,
    spool_dir: str | os.PathLike[str] | None = None,
) -> IO[bytes]:
    """``source`` as a seekable file, open until ``stack`` closes: a path is opened, a
    seekable stream is used as it is, any other stream is copied to a spool (at most
    ``limits.max_message_bytes``, else MimeError ``mime:too-large``)."""
    if isinstance(source, str | os.PathLike):
        return stack.enter_context(Path(source).open("rb"))
    if source.seekable():
        return source
    copy = stack.enter_context(spool(spool_dir))
    copied = 0
    for piece in copy_chunks(source):
        copied += len(piece)
        if copied > limits.max_message_bytes:
            raise _too_large(limits)
        copy.write(piece)
    return copy


class _Window(io.RawIOBase):
    """The bytes of ``file`` from ``offset`` to its end, as a seekable read-only stream."""

    def __init__(self, file: IO[bytes], offset: int) -> None:
        super().__init__()
        self._file, self._offset = file, offset
        self._size = file.seek(0, os.SEEK_END) - offset
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        if base + pos < 0:
            raise ValueError("negative seek position")
        self._pos = base + pos
        return self._pos

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        wanted = max(0, min(len(view), self._size - self._pos))
        self._file.seek(self._offset + self._pos)
        data = self._file.read(wanted)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)


@contextmanager
def read_dump_from(
    source: MessageSource,
    *,
    limits: Limits = DEFAULT_LIMITS,
    spool_dir: str | os.PathLike[str] | None = None,
) -> Iterator[tuple[Headers, IO[bytes]]]:
    """The HTTP headers of the dump in ``source`` and its body as a seekable stream, open
    inside the ``with`` block; the same errors as :func:`.dump.read_dump`."""
    require_source(source, caller="read_dump_from", name="source")
    require_limits(limits, caller="read_dump_from")
    require_spool_dir(spool_dir, caller="read_dump_from")
    with ExitStack() as stack:
        file = seekable_message(source, stack, limits=limits, spool_dir=spool_dir)
        if file.seek(0, os.SEEK_END) > limits.max_message_bytes:
            raise _too_large(limits)
        file.seek(0)
        head = file.read(dump_head_bytes(limits))
        headers, rest = split_dump(head, limits=limits)
        offset = len(head) - len(rest)
        if is_chunked(headers) and looks_chunked(bytes(rest[:16])):
            yield headers, _dechunked(file, offset, stack, spool_dir)
            return
        yield headers, io.BufferedReader(_Window(file, offset), buffer_size=CHUNK_BYTES)


def _dechunked(
    file: IO[bytes], offset: int, stack: ExitStack, spool_dir: str | os.PathLike[str] | None
) -> IO[bytes]:
    body = _Window(file, offset)
    size = body.seek(0, os.SEEK_END)

    def read_at(at: int, length: int) -> bytes:
        body.seek(at)
        return body.read(length) or b""

    out = stack.enter_context(spool(spool_dir))
    for at, length in chunk_spans(read_at, size):
        for piece in read_span(file, PartSpan(offset + at, length)):
            out.write(piece)
    out.seek(0)
    return out

"""Reading a ``multipart/form-data`` body (RFC 7578) from a file, in pieces.

Corner 2's ``POST /messages/out`` carries a package of up to 50 MiB in its ``dokumentpakke``
part; :func:`read_form_data` writes such a part to a file as it reads the body (refusing it as
soon as it passes its limit) and keeps only the small parts in memory (issue 8).

The body is the part delimiters (``--`` + boundary) and what lies between them, split as
``bytes.split`` would: everything before the first delimiter is ignored, every part begins with
CRLF, its header block ends at the first empty line and its content at the CRLF before the next
delimiter, and what follows the last delimiter begins with ``--``. When a body breaks several
rules, the first one met is reported, except that a body not closed by its boundary is reported
as such whatever else is wrong in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

from ..spool import CHUNK_BYTES
from .http import HttpError

__all__ = ["FilePart", "FormData", "read_form_data"]

_BOUNDARY_RE = re.compile(r'boundary=(?:"([^"]{1,70})"|([^; \t]{1,70}))', re.IGNORECASE)
_NAME_RE = re.compile(r'(?:^|;)[ \t]*name="([^"]*)"|(?:^|;)[ \t]*name=([^; \t]+)', re.IGNORECASE)
_CRLF, _SEPARATOR, _CLOSE = b"\r\n", b"\r\n\r\n", b"--"
#: Largest header block of one part (a Content-Disposition and a Content-Type in practice).
_MAX_HEAD = 16 * 1024


def _bad(detail: str) -> HttpError:
    return HttpError(400, detail, rule="c2:multipart")


@dataclass(frozen=True, kw_only=True)
class FilePart:
    """Where a named part goes instead of memory, and the most bytes it may have."""

    sink: IO[bytes]
    max_bytes: int
    #: The refusal when the part is larger (HTTP 413).
    rule: str = "http:too-large"


@dataclass(frozen=True, kw_only=True)
class FormData:
    """The parts read: small ones as bytes, the file parts' sizes (their bytes are in the sinks)."""

    values: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.values or name in self.files


def _name(head: bytes) -> str | None:
    """The name in the part's Content-Disposition, if it has one."""
    name = None
    for line in head.split(_CRLF):
        key, _, value = line.decode("latin-1").partition(":")
        if key.strip(" \t").lower() == "content-disposition":
            found = _NAME_RE.search(value)
            if found:
                name = found.group(1) if found.group(1) is not None else found.group(2)
    return name


def _pieces(
    body: IO[bytes], delimiter: bytes, refused: Callable[[], bool]
) -> Iterator[bytes | None]:
    """The body as data pieces, with None where a delimiter stood (leftmost, non-overlapping,
    as ``bytes.split``): a delimiter across two reads is found, as the last
    ``len(delimiter) - 1`` bytes of each read wait for the next.

    Once ``refused()`` is true only whether the body is closed still counts (see
    :meth:`_Reader.closed`), and the delimiters left in a read are passed on as one None: a body
    of nothing but short delimiters then costs one ``bytes.split`` per read, not a Python step
    per delimiter. Each read is scanned from where the last delimiter ended, never copied again
    (slicing the rest after every delimiter made such a body quadratic in the read size).
    """
    keep, buffer = len(delimiter) - 1, b""
    while True:
        read = body.read(CHUNK_BYTES)
        buffer += read  # at most ``keep`` bytes were left from the last read
        start = 0
        while not refused() and (at := buffer.find(delimiter, start)) >= 0:
            if at > start:
                yield buffer[start:at]
            yield None
            start = at + len(delimiter)
        if refused():
            rest = buffer[start:].split(delimiter)
            if len(rest) > 1:
                yield None
            buffer, start = rest[-1], 0
        if not read:
            if start < len(buffer):
                yield buffer[start:]
            return
        cut = max(start, len(buffer) - keep)
        if cut > start:
            yield buffer[start:cut]
        buffer = buffer[cut:]


class _Reader:
    """The state between delimiters: the piece being read and the first error met."""

    def __init__(self, files: Mapping[str, FilePart], max_part_bytes: int, max_parts: int) -> None:
        self.files, self.max_part_bytes, self.max_parts = files, max_part_bytes, max_parts
        self.form = FormData()
        self.delimiters = 0
        self.error: HttpError | None = None
        self._start()

    def _start(self) -> None:
        self.head = b""  # the piece's first bytes, until its header block is read
        self.name: str | None = None  # None until the header block is read
        self.unnamed = False
        self.held = b""  # the last two bytes read: the CRLF before the next delimiter, or not
        self.size = 0
        self.memory = bytearray()

    def _fail(self, error: HttpError) -> None:
        self.error = self.error or error

    def data(self, piece: bytes) -> None:
        if self.delimiters == 0:
            return  # the preamble
        if self.error is not None:
            # Nothing more is kept; only whether the last piece closes the body counts.
            self.head = (self.head + piece)[:2] if self.name is None else self.head
            return
        if self.name is None:
            self.head += piece
            if not self.head.startswith(_CRLF[: len(self.head)]):
                self.head = self.head[:2]  # a malformed part, or the closing "--": judged later
                return
            # The header block ends at the first empty line inside the part less its final
            # CRLF: so at least two bytes must follow it.
            end = self.head.find(_SEPARATOR, 2)
            if end < 0 or len(self.head) < end + len(_SEPARATOR) + 2:
                if len(self.head) > _MAX_HEAD:
                    self._fail(_bad("multipart part header block too large"))
                return
            piece, self.head = self.head[end + len(_SEPARATOR) :], self.head[: end + 2]
            named = _name(self.head[2:end])
            self.name, self.unnamed = named or "", named is None
        self._content(piece)

    def _content(self, piece: bytes) -> None:
        data = self.held + piece
        out, self.held = data[:-2], data[-2:]
        self.size += len(out)
        name = self.name
        if name is None or self.unnamed or name in self.form:
            return  # refused at the delimiter: without a name, or given twice
        target = self.files.get(name)
        if target is not None:
            if self.size > target.max_bytes:
                self._fail(HttpError(413, f"part {self.name!r} is larger than {target.max_bytes} bytes", rule=target.rule))  # fmt: skip
                return
            target.sink.write(out)
        elif self.size > self.max_part_bytes:
            self._fail(_bad(f"multipart part {self.name!r} is larger than {self.max_part_bytes} bytes"))  # fmt: skip
        else:
            self.memory += out

    def delimiter(self) -> None:
        if self.delimiters > 0 and self.error is None:
            self._end_part()
        self.delimiters += 1
        self._start()

    def _end_part(self) -> None:
        # In the order a whole-body reader checks a part.
        if len(self.form.values) + len(self.form.files) >= self.max_parts:
            return self._fail(_bad("too many multipart parts"))
        whole = self.head + self.held if self.name is not None else self.head
        if not self.head.startswith(_CRLF) or not whole.endswith(_CRLF):
            return self._fail(_bad("malformed multipart part"))
        if self.name is None:
            return self._fail(_bad("multipart part without header block"))
        if self.unnamed:
            return self._fail(_bad("multipart part without a name"))
        if self.name in self.form:
            return self._fail(_bad(f"multipart part {self.name!r} given twice"))
        if self.name in self.files:
            self.form.files[self.name] = self.size
        else:
            self.form.values[self.name] = bytes(self.memory)

    def refused(self) -> bool:
        """Whether a part broke a rule already: the rest only decides whether it is closed."""
        return self.error is not None

    def closed(self) -> bool:
        """Whether what followed the last delimiter began with ``--`` (and there were two)."""
        return self.delimiters >= 2 and (self.head + self.held).startswith(_CLOSE)


def read_form_data(
    content_type: str | None,
    body: IO[bytes],
    *,
    files: Mapping[str, FilePart] | None = None,
    max_part_bytes: int,
    max_parts: int = 16,
) -> FormData:
    """Read the form from ``body`` (a binary file, from its position): the parts named in
    ``files`` go to their sinks, the others (at most ``max_part_bytes`` each) into memory,
    bytes exactly as sent. Raises :class:`~.http.HttpError` (400 ``c2:multipart``; 413 for a
    file part beyond its limit); the sinks then hold what was read before the refusal."""
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise _bad("expected multipart/form-data")
    match = _BOUNDARY_RE.search(content_type)
    if match is None:
        raise _bad("multipart/form-data without boundary")
    delimiter = _CLOSE + (match.group(1) or match.group(2)).encode("latin-1")
    reader = _Reader(files or {}, max_part_bytes, max_parts)
    for piece in _pieces(body, delimiter, reader.refused):
        if piece is None:
            reader.delimiter()
        else:
            reader.data(piece)
    if not reader.closed():
        raise _bad("multipart body is not closed by its boundary")
    if reader.error is not None:
        raise reader.error
    return reader.form

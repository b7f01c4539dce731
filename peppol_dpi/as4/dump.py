"""The dump form of a message: its HTTP headers, an empty line, its body (docs/cli.md).

This is how phase4 writes the messages it sends and receives (``.as4out``/``.as4in`` files)
and how the command line stores one. Reading is tolerant where real dumps differ: a bare MIME
body (the headers are then derived from its first delimiter line), a bare SOAP envelope, and a
``Transfer-Encoding: chunked`` header kept over a body that was stored de-chunked.
:mod:`.message_file` reads the same form from a file without loading it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from ..arguments import require_buffer, wrong_type
from ..limits import DEFAULT_LIMITS, Limits
from .mime import (
    SOAP_CONTENT_TYPE,
    Headers,
    MimeError,
    header_block,
    headers_and_rest,
)

__all__ = [
    "chunk_spans",
    "dump_head_bytes",
    "is_chunked",
    "looks_chunked",
    "read_dump",
    "split_dump",
    "write_dump",
]


def write_dump(headers: Mapping[str, str], body: bytes | Iterable[bytes | memoryview]) -> bytes:
    """The dump form: HTTP headers, an empty line, the body (as phase4 writes .as4out files)."""
    pairs = Headers.of(headers, caller="write_dump").items
    if isinstance(body, bytes | memoryview):
        parts: list[bytes | memoryview] = [body]
    elif isinstance(body, Iterable) and not isinstance(body, str):
        parts = list(body)
    else:
        raise wrong_type("write_dump", "body", "bytes or an iterable of bytes", body)
    for part in parts:
        if not isinstance(part, bytes | memoryview):
            raise wrong_type("write_dump", "body", "bytes or an iterable of bytes", part)
    head = header_block(list(pairs))
    return b"".join([head, *parts])


def read_dump(
    data: bytes | memoryview, *, limits: Limits = DEFAULT_LIMITS
) -> tuple[Headers, memoryview]:
    """Split a message file into HTTP headers and body (docs/cli.md "dump form").

    Also accepts a bare MIME body (first line is the boundary; the headers are then derived
    from it) and a bare SOAP envelope.
    """
    view = memoryview(require_buffer(data, caller="read_dump", name="data"))
    if len(view) > limits.max_message_bytes:
        raise MimeError(
            f"the message is larger than {limits.max_message_bytes} bytes", rule="mime:too-large"
        )
    headers, body = split_dump(view, limits=limits)
    if is_chunked(headers):
        body = _dechunk_if_chunked(body)
    return headers, body


def dump_head_bytes(limits: Limits = DEFAULT_LIMITS) -> int:
    """How much of a dump :func:`split_dump` looks at: the headers and their empty line."""
    return max(256, limits.max_mime_header_bytes + 4)


def is_chunked(headers: Headers) -> bool:
    """Whether a dump's headers say its body was sent chunked (RFC 9112 7.1)."""
    return (headers.get("Transfer-Encoding") or "").lower() == "chunked"


def split_dump(
    data: bytes | memoryview, *, limits: Limits = DEFAULT_LIMITS
) -> tuple[Headers, memoryview]:
    """:func:`read_dump` without undoing chunked transfer coding: the headers and the rest.

    Only the first :func:`dump_head_bytes` of ``data`` are looked at, so the start of a large
    dump file is enough (the rest then begins at ``len(data) - len(rest)`` in the file).
    """
    view = memoryview(data)
    start = bytes(view[:256]).lstrip()
    if start.startswith(b"--"):
        boundary = start[2:].split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1")
        ctype = f'multipart/related; boundary="{boundary}"; type="{SOAP_CONTENT_TYPE}"'
        return Headers((("Content-Type", ctype),)), view
    if start.startswith(b"<"):
        return Headers((("Content-Type", SOAP_CONTENT_TYPE),)), view
    return headers_and_rest(view, limits, "HTTP")


_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,8})[ \t]*(?:;[^\r\n]*)?\r?\n")


def looks_chunked(start: bytes | memoryview) -> bool:
    """Whether a body whose first bytes are ``start`` really is chunked: real dumps keep the
    ``Transfer-Encoding: chunked`` header but store the de-chunked body (see the shared
    receipts), so chunking is undone only when the body has a chunk-size line (RFC 9112 7.1)."""
    return _CHUNK_SIZE.match(bytes(start[:16])) is not None


def chunk_spans(read_at: Callable[[int, int], bytes], size: int) -> Iterator[tuple[int, int]]:
    """Offset and length of each chunk's data in a chunked body of ``size`` bytes (RFC 9112
    7.1), read through ``read_at(offset, length)``; MimeError when it is malformed."""
    pos = 0
    while True:
        match = _CHUNK_SIZE.match(read_at(pos, 600))
        if match is None:
            raise MimeError("the chunked body is malformed", rule="mime:chunked")
        length = int(match.group(1), 16)
        pos += match.end()
        if length == 0:
            return
        if pos + length > size:
            raise MimeError("the chunked body is malformed", rule="mime:chunked")
        yield pos, length
        pos += length
        after = read_at(pos, 2)
        if after == b"\r\n":
            pos += 2
        elif after[:1] == b"\n":
            pos += 1
        else:
            raise MimeError("the chunked body is malformed", rule="mime:chunked")


def _dechunk_if_chunked(body: memoryview) -> memoryview:
    if not looks_chunked(body):
        return body
    spans = chunk_spans(lambda offset, length: bytes(body[offset : offset + length]), len(body))
    return memoryview(b"".join(body[offset : offset + length] for offset, length in spans))

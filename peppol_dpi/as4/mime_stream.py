"""Reading a large SOAP-with-attachments message from a file without holding it in memory.

The body is scanned in chunks for its delimiters (RFC 2046 5.1.1: ``--boundary`` at the start
of a line; a delimiter split across two chunks is found too). The root part (the SOAP envelope,
small) is read into memory, bounded by ``Limits.max_envelope_bytes``; of each attachment only
its headers are read and where its content lies in the file is kept. The rules are those of
:mod:`.mime` (the same header, transfer-encoding and root-selection code). Peppol sends
attachments in binary; a base64 one is decoded, in pieces, into a file the caller supplies
(``base64_files``), checked as :func:`.mime.decoded` checks it, and its span then lies in that
file (:attr:`ScannedMessage.files`). A caller that never reads attachment content
(inspection) may instead let base64 parts through undecoded: :attr:`ScannedMessage.base64`
says one was seen, and such parts have no span.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

from ..base64text import Base64Decoder
from ..limits import DEFAULT_LIMITS, Limits
from .mime import (
    MAX_DELIMITER_LINE_BYTES,
    Headers,
    MimeError,
    MimeMessage,
    MimePart,
    base64_error,
    check_envelope_size,
    decoded,
    delimiter_line_end,
    lone_cr_delimiter,
    multipart_framing,
    part_headers,
    split_root,
    transfer_encoding,
)

__all__ = ["PartSpan", "ScannedMessage", "read_span", "scan_message"]

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class PartSpan:
    """Where an attachment's content lies in the file."""

    offset: int
    length: int


@dataclass(frozen=True)
class ScannedMessage:
    """The message's structure: the root part in memory, the attachments with empty bodies
    (their headers only) and, by Content-ID, where each attachment's content lies."""

    mime: MimeMessage
    spans: Mapping[str, PartSpan]
    #: An attachment is base64-encoded (only with ``allow_base64``; it has no span).
    base64: bool = False
    #: The file an attachment's span lies in, when it is not the message's own (a decoded
    #: base64 part), by Content-ID.
    files: Mapping[str, IO[bytes]] = field(default_factory=dict)


def read_span(file: IO[bytes], span: PartSpan, *, chunk: int = _CHUNK) -> Iterator[bytes]:
    """The content of ``span`` in pieces of at most ``chunk`` bytes."""
    file.seek(span.offset)
    left = span.length
    while left > 0:
        piece = file.read(min(chunk, left))
        if not piece:
            raise MimeError("the message file is shorter than it was", rule="mime:truncated")
        left -= len(piece)
        yield piece


def _read_at(file: IO[bytes], offset: int, length: int) -> bytes:
    file.seek(offset)
    return file.read(length)


def scan_message(
    headers: Headers | Mapping[str, str],
    file: IO[bytes],
    *,
    size: int,
    limits: Limits = DEFAULT_LIMITS,
    allow_base64: bool = False,
    base64_files: Callable[[], IO[bytes]] | None = None,
) -> ScannedMessage:
    """Scan the ``size``-byte body in the seekable ``file`` (see the module documentation).
    A base64 attachment is decoded into a new file from ``base64_files``; without it, it is
    passed over when ``allow_base64``, else refused (MimeError ``mime:encoding``)."""
    hdrs = headers if isinstance(headers, Headers) else Headers.of(headers)
    if size > limits.max_message_bytes:
        raise MimeError(
            f"the message is larger than {limits.max_message_bytes} bytes", rule="mime:too-large"
        )
    framing = multipart_framing(hdrs)
    if framing is None:  # a bare envelope: nothing to stream
        envelope = _bounded_root(file, PartSpan(0, size), limits)
        return ScannedMessage(mime=MimeMessage(root=MimePart(hdrs, envelope)), spans={})
    boundary, start = framing
    dash = b"--" + boundary
    raw_parts = _part_ranges(file, size, dash, limits)
    parts: list[MimePart] = []
    spans: list[PartSpan] = []
    for span in raw_parts:
        window = _read_at(file, span.offset, min(span.length, limits.max_mime_header_bytes + 4))
        part_hdrs, rest = part_headers(memoryview(window), limits)
        head = len(window) - len(rest)
        parts.append(MimePart(part_hdrs, b""))
        spans.append(PartSpan(span.offset + head, span.length - head))
    message = split_root(parts, start)
    root_at = next(i for i, p in enumerate(parts) if p is message.root)
    root = decoded(MimePart(message.root.headers, _bounded_root(file, spans[root_at], limits)))
    located: dict[str, PartSpan] = {}
    files: dict[str, IO[bytes]] = {}
    base64 = False
    for part, found in zip(parts, spans, strict=True):
        if part is message.root:
            continue
        source, span = file, found
        if transfer_encoding(part.headers) == "base64":
            if base64_files is None:
                if not allow_base64:
                    raise MimeError(
                        "a base64 attachment is not read here (Peppol sends binary parts)",
                        rule="mime:encoding",
                    )
                base64 = True
                continue
            # Every base64 part is decoded, as the bytes reader decodes them all.
            source = base64_files()
            span = PartSpan(0, _decode_base64(file, found, source))
        if part.content_id is not None and part.content_id not in located:
            located[part.content_id] = span
            if source is not file:
                files[part.content_id] = source
    return ScannedMessage(
        mime=MimeMessage(root=root, attachments=message.attachments),
        spans=located,
        base64=base64,
        files=files,
    )


def _decode_base64(file: IO[bytes], span: PartSpan, sink: IO[bytes]) -> int:
    """The base64 content of ``span`` decoded into ``sink`` (see :func:`.mime.decoded`); the
    number of bytes written."""
    decoder = Base64Decoder(sink)
    try:
        for piece in read_span(file, span):
            decoder.feed(piece.decode("latin-1"))  # non-ASCII text is refused by the decoder
        return decoder.close()
    except ValueError:  # binascii.Error and UnicodeEncodeError are ValueErrors
        raise base64_error() from None


def _bounded_root(file: IO[bytes], span: PartSpan, limits: Limits) -> bytes:
    check_envelope_size(span.length, limits)
    return _read_at(file, span.offset, span.length)


def _part_ranges(file: IO[bytes], size: int, dash: bytes, limits: Limits) -> list[PartSpan]:
    """Each part between two delimiters, headers included (as :func:`.mime.parse_message`)."""
    delimiters, lone_cr = _delimiters(file, size, dash, limits)
    if not delimiters:
        raise MimeError("the boundary does not occur in the body", rule="mime:boundary")
    if delimiters[0] in lone_cr:
        raise lone_cr_delimiter()
    ranges: list[PartSpan] = []
    for index, pos in enumerate(delimiters):
        line = _read_at(file, pos + len(dash), MAX_DELIMITER_LINE_BYTES + 1)
        if line.startswith(b"--"):
            break  # close delimiter
        line_end = delimiter_line_end(line.find(b"\n"), len(line))
        if line[:line_end].strip(b" \t\r"):
            raise MimeError("text after a MIME delimiter", rule="mime:boundary")
        if index + 1 == len(delimiters):
            raise MimeError(
                "the message ends without the closing MIME delimiter", rule="mime:truncated"
            )
        content_start = pos + len(dash) + line_end + 1
        if delimiters[index + 1] in lone_cr:
            raise lone_cr_delimiter()
        nxt = delimiters[index + 1] - 1  # the line feed before the next delimiter
        end = nxt - 1 if nxt > 0 and _read_at(file, nxt - 1, 1) == b"\r" else nxt
        if len(ranges) >= limits.max_mime_parts:
            raise MimeError(
                f"more than {limits.max_mime_parts} MIME parts", rule="mime:too-many-parts"
            )
        ranges.append(PartSpan(content_start, max(end, content_start) - content_start))
    if not ranges:
        raise MimeError("the multipart body has no parts", rule="mime:missing-part")
    return ranges


def _delimiters(
    file: IO[bytes], size: int, dash: bytes, limits: Limits
) -> tuple[list[int], set[int]]:
    """Offsets of every ``--boundary`` at the start of a line up to the close delimiter, found
    chunk by chunk, at most ``max_mime_parts + 2`` of them, and those of them that follow a
    lone CR (the caller refuses one when it reaches it, where the bytes reader does). What
    follows the close delimiter is the epilogue, which RFC 2046 5.1.1 says to ignore
    (delimiter lines in it included), as the bytes reader does; it is still read, so that a
    file shorter than ``size`` is noticed."""
    found: list[int] = [0] if _read_at(file, 0, len(dash)) == dash else []
    lone_cr: set[int] = set()
    closed = bool(found) and _read_at(file, len(dash), 2) == b"--"
    file.seek(0)
    carry = b""
    base = 0  # offset in the file of carry[0]
    while base + len(carry) < size:
        chunk = file.read(min(_CHUNK, size - base - len(carry)))
        if not chunk:
            raise MimeError("the message file is shorter than its size", rule="mime:truncated")
        buffer = carry + chunk
        # From 1: the byte before a match is in the buffer (carry holds a whole --boundary, so
        # one that starts at 0 was found in the chunk before).
        at = -1 if closed else buffer.find(dash, 1)
        while at >= 0:
            before = buffer[at - 1]
            if before in (0x0A, 0x0D):
                found.append(base + at)
                if before == 0x0D:
                    lone_cr.add(base + at)
                if len(found) > limits.max_mime_parts + 1:
                    # Enough for the caller to refuse more than max_mime_parts parts, after it
                    # has checked the delimiter lines before, in order, as the bytes reader does.
                    return found, lone_cr
                closed = _read_at(file, base + at + len(dash), 2) == b"--"
                if closed:
                    break
            at = buffer.find(dash, at + 1)
        file.seek(base + len(buffer))
        carry = buffer[-len(dash) :]  # too short to hold a whole delimiter and the byte before
        base += len(buffer) - len(carry)
    return found, lone_cr

"""Just enough ASN.1 BER to stream a CMS EnvelopedData (X.690 8.1, 8.7, 10.1).

BouncyCastle's streaming generator, which Digdir's integrasjonspunkt uses, writes CMS with
indefinite lengths and the encrypted content cut into 1000-byte OCTET STRING segments
(dpi.md 3.4). asn1crypto loads whole structures into memory; for a 50 MB package the outer
layers are walked here instead, one header at a time, and only the small inner structures
(recipient infos, algorithm identifiers) are handed to asn1crypto.

Every malformation raises :class:`BerError`; callers translate it into their own error.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

__all__ = [
    "END_OF_CONTENTS",
    "BerError",
    "Header",
    "StreamReader",
    "definite_header",
]

#: The end-of-contents octets closing an indefinite-length value (X.690 8.1.5).
END_OF_CONTENTS = b"\x00\x00"

_CONSTRUCTED = 0x20
_MAX_LENGTH_OCTETS = 8
_MAX_DEPTH = 16
# Constructed OCTET STRING segments within segments: OpenSSL reads five levels below the
# outermost (ASN1_MAX_STRING_NEST) and refuses more; so do we (X.690 8.7.3 sets no limit).
_MAX_STRING_DEPTH = 5


class BerError(Exception):
    """The bytes are not the BER the caller expected."""


class Header(NamedTuple):
    """One identifier + length: ``tag`` is the whole first identifier octet (low-tag form).

    A named tuple, not a dataclass: a package's CMS has a few dozen of them, read on every
    package, and a tuple is made in a third of the time.
    """

    tag: int
    length: int | None  # None = indefinite
    raw: bytes

    @property
    def constructed(self) -> bool:
        return bool(self.tag & _CONSTRUCTED)


def definite_header(tag: int, length: int) -> bytes:
    """The DER identifier and length octets for a value of ``length`` bytes (X.690 10.1)."""
    if length < 0x80:
        return bytes((tag, length))
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(octets))) + octets


class StreamReader:
    """Reads BER headers and values from a binary stream, counting the bytes consumed.

    ``memory``: the stream's whole content when it is held in memory (the stream reads it from
    offset 0); large values are then handed out as views of it instead of copies.
    """

    def __init__(self, stream: BinaryIO, *, limit: int, memory: memoryview | None = None) -> None:
        self._stream = stream
        self._limit = limit
        self._memory = memory
        self.position = 0

    def read(self, n: int) -> bytes:
        if self.position + n > self._limit:
            raise BerError("value runs past the size limit")
        data = self._stream.read(n)
        if len(data) != n:
            raise BerError("truncated")
        self.position += n
        return data

    def _read_large(self, n: int) -> bytes | memoryview:
        """:meth:`read`, as a view of ``memory`` when there is one (no copy)."""
        if self._memory is None:
            return self.read(n)
        if self.position + n > self._limit:
            raise BerError("value runs past the size limit")
        data = self._memory[self.position : self.position + n]
        if len(data) != n:
            raise BerError("truncated")
        self._stream.seek(n, io.SEEK_CUR)
        self.position += n
        return data

    def at_end(self) -> bool:
        """True when the stream has nothing left (no trailing bytes after the value)."""
        return self._stream.read(1) == b""

    def header(self) -> Header:
        # Identifier and first length octet in one read: a value has at least both.
        first = self.read(2)
        tag, n = first[0], first[1]
        if tag & 0x1F == 0x1F:
            raise BerError("high-tag-number form is not used in CMS")
        if n < 0x80:
            return Header(tag, n, first)
        if n == 0x80:
            if not tag & _CONSTRUCTED:
                raise BerError("indefinite length on a primitive value")
            return Header(tag, None, first)
        count = n & 0x7F
        if count > _MAX_LENGTH_OCTETS:
            raise BerError("length too large")
        octets = self.read(count)
        return Header(tag, int.from_bytes(octets, "big"), first + octets)

    def expect(self, tag: int) -> Header:
        header = self.header()
        if header.tag != tag:
            raise BerError(f"expected tag 0x{tag:02x}, found 0x{header.tag:02x}")
        return header

    def element(self, header: Header, *, max_bytes: int, depth: int = 0) -> bytes:
        """The whole encoding of the value whose header was just read (for asn1crypto)."""
        if header.length is not None:
            if header.length > max_bytes:
                raise BerError("structure too large")
            return header.raw + self.read(header.length)
        if depth > _MAX_DEPTH:
            raise BerError("nested too deeply")
        parts = [header.raw]
        size = 0
        while True:
            inner = self.header()
            if inner.tag == 0 and inner.length == 0:
                parts.append(END_OF_CONTENTS)
                return b"".join(parts)
            encoded = self.element(inner, max_bytes=max_bytes - size, depth=depth + 1)
            size += len(encoded)
            parts.append(encoded)

    def end_of_contents(self) -> None:
        if self.read(2) != END_OF_CONTENTS:
            raise BerError("expected end-of-contents octets")

    def octet_segments(
        self, header: Header, *, chunk: int, depth: int = 0
    ) -> Iterator[bytes | memoryview]:
        """The content bytes of an OCTET STRING (primitive or constructed, X.690 8.7), in pieces."""
        if not header.constructed:
            remaining = header.length or 0
            while remaining:
                piece = self._read_large(min(chunk, remaining))
                remaining -= len(piece)
                yield piece
            return
        if depth > _MAX_STRING_DEPTH:
            raise BerError("constructed OCTET STRING nested too deeply")
        end = None if header.length is None else self.position + header.length
        while True:
            if end is not None and self.position == end:
                return
            inner = self.header()
            if end is None and inner.tag == 0 and inner.length == 0:
                return
            if inner.tag & ~_CONSTRUCTED != 0x04:
                raise BerError("a constructed OCTET STRING may hold only OCTET STRING segments")
            yield from self.octet_segments(inner, chunk=chunk, depth=depth + 1)
            if end is not None and self.position > end:
                raise BerError("segment runs past its enclosing value")

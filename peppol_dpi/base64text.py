"""xs:base64Binary text in pieces: encoding a file, decoding text fed piece by piece.

A DPI package travels as base64 text in the Innbyggerpost XML (67 MiB of text for a 50 MiB
package); these two keep neither the text nor the bytes whole in memory (issue 8).

The decoder is exactly as strict as decoding the whole text at once the way
:mod:`peppol_dpi.dpi.innbyggerpost` always has: XML whitespace (space, tab, CR, LF; XML
Schema 1.1 part 2, 3.3.16: base64Binary's lexical space allows it between the characters) is
removed, every other character must be ASCII and of the base64 alphabet (RFC 4648 section 4,
no URL-safe alphabet), and ``=`` padding only ends the text (``binascii`` strict mode).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import IO

from .spool import CHUNK_BYTES
from .xmltext import XML_WHITESPACE, base64_binary, strict_base64

__all__ = ["Base64Decoder", "decode_text", "encode_chunks"]

#: Bytes encoded at a time: a multiple of 3, so that the pieces join without padding.
_ENCODE_CHUNK = CHUNK_BYTES // 4 * 3
#: A quantum of base64 text: 4 characters for 3 bytes.
_QUANTUM = 4


def encode_chunks(source: IO[bytes]) -> Iterator[bytes]:
    """The standard base64 (no line breaks) of ``source`` from its position to its end, in
    pieces; joined, they are ``base64.b64encode`` of the whole."""
    while piece := source.read(_ENCODE_CHUNK):
        yield base64.b64encode(piece)


def decode_text(text: str) -> bytes:
    """The whole-text decoder: ``text`` without XML whitespace, decoded strictly
    (:func:`peppol_dpi.xmltext.base64_binary`).

    Raises ``ValueError`` (``binascii.Error`` is one) for anything else.
    """
    return base64_binary(text)


class Base64Decoder:
    """Decodes base64 text fed in pieces into ``sink``; accepts and refuses exactly what
    :func:`decode_text` does for the pieces joined.

    Whole quanta before any ``=`` are decoded as soon as :data:`~peppol_dpi.spool.CHUNK_BYTES`
    of text are buffered; the quantum holding the first ``=`` is kept until :meth:`close`,
    since in strict base64 nothing but the end of the text may follow it.
    """

    def __init__(self, sink: IO[bytes]) -> None:
        self._sink = sink
        self._pending = bytearray()
        self._padded = False
        #: Bytes written to the sink so far.
        self.written = 0

    def feed(self, text: str) -> None:
        """Raises ``ValueError`` as soon as the text cannot be base64."""
        self._pending += text.encode("ascii").translate(None, XML_WHITESPACE)
        if self._padded or len(self._pending) >= CHUNK_BYTES:
            self._drain()

    def close(self) -> int:
        """Decode what is left; the number of bytes written. Raises ``ValueError``."""
        self._write(strict_base64(bytes(self._pending)))
        self._pending.clear()
        return self.written

    def _drain(self) -> None:
        pad = self._pending.find(b"=")
        if pad < 0:
            end = len(self._pending) // _QUANTUM * _QUANTUM
        else:
            self._padded = True
            end = pad // _QUANTUM * _QUANTUM
            if len(self._pending) - end > _QUANTUM:
                # Text after the padded quantum: strict base64 refuses it ("excess data after
                # padding", "discontinuous padding"), as the whole-text decoder would.
                raise binascii.Error("data after the base64 padding")
        if end:
            self._write(strict_base64(bytes(self._pending[:end])))
            del self._pending[:end]

    def _write(self, data: bytes) -> None:
        self._sink.write(data)
        self.written += len(data)

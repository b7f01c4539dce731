"""Writing the zip of an ASiC-E package (ETSI TS 102 918 A.1, dpi.md 3.1), byte for byte as
commons-asic in Digdir's integrasjonspunkt writes it: ``mimetype`` first, STORED, with its sizes
in the local header and no extra field; every other entry DEFLATED with a data descriptor and
the UTF-8 name flag; no zip64; the archive comment ``mimetype=application/vnd.etsi.asic-e+zip``.
The writer streams: it needs no seekable sink, so the zip can go straight into the CMS
encryptor. Re-exported by :mod:`.container`, which reads what is written here.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .. import deflate
from ..errors import UsageError
from .zip_format import (
    CENTRAL,
    COMMENT,
    DESCRIPTOR,
    END,
    FLAG_DESCRIPTOR,
    FLAG_UTF8,
    LOCAL,
    MAX_32,
    SIG_CENTRAL,
    SIG_DESCRIPTOR,
    SIG_END,
    SIG_LOCAL,
)

__all__ = ["Sink", "ZipEntryWriter"]

_CHUNK = 1024 * 1024


class Sink(Protocol):
    """Where a writer puts its bytes: a binary file, a socket, the CMS encryptor."""

    def write(self, data: bytes, /) -> object: ...


def _dos_time(when: datetime) -> tuple[int, int]:
    year = min(max(when.year, 1980), 2107)
    date = ((year - 1980) << 9) | (when.month << 5) | when.day
    time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    return time, date


@dataclass
class _Central:
    name: bytes
    flags: int
    method: int
    crc: int
    compressed: int
    size: int
    offset: int


class ZipEntryWriter:
    """Writes an ASiC-E zip to a (possibly unseekable) binary stream, entry by entry."""

    def __init__(self, sink: Sink, *, modified: datetime, level: int | None = None) -> None:
        self._sink = sink
        self._time, self._date = _dos_time(modified)
        self._level = level
        self._position = 0
        self._entries: list[_Central] = []
        self._closed = False

    def _write(self, data: bytes) -> None:
        self._sink.write(data)
        self._position += len(data)

    def _local(
        self, name: bytes, flags: int, method: int, *, crc: int, csize: int, size: int
    ) -> None:
        version = 10 if method == zipfile.ZIP_STORED else 20
        self._write(
            LOCAL.pack(
                SIG_LOCAL,
                version,
                flags,
                method,
                self._time,
                self._date,
                crc,
                csize,
                size,
                len(name),
                0,
            )
            + name
        )

    def _flags(self, name: str) -> int:
        return FLAG_UTF8 if not name.isascii() else 0

    def add_stored(self, name: str, data: bytes) -> None:
        """An uncompressed entry with its sizes in the local header (the ``mimetype`` entry)."""
        encoded, offset, crc = name.encode("utf-8"), self._position, deflate.crc32(data)
        flags = self._flags(name)
        self._local(encoded, flags, zipfile.ZIP_STORED, crc=crc, csize=len(data), size=len(data))
        self._write(data)
        self._entries.append(
            _Central(encoded, flags, zipfile.ZIP_STORED, crc, len(data), len(data), offset)
        )

    def add_deflated(self, name: str, data: bytes) -> None:
        """A DEFLATED entry followed by a data descriptor, compressed in 1 MiB steps."""
        if len(data) > MAX_32:
            raise UsageError(f"{name} is larger than 4 GiB; zip64 is not used")
        encoded, offset = name.encode("utf-8"), self._position
        flags = self._flags(name) | FLAG_DESCRIPTOR
        self._local(encoded, flags, zipfile.ZIP_DEFLATED, crc=0, csize=0, size=0)
        compressor = deflate.compressobj(self._level, -15)
        crc, compressed = 0, 0
        view = memoryview(data)
        for start in range(0, len(data), _CHUNK):
            piece = view[start : start + _CHUNK]
            crc = deflate.crc32(piece, crc)
            out = compressor.compress(piece)
            compressed += len(out)
            self._write(out)
        out = compressor.flush()
        compressed += len(out)
        self._write(out)
        self._write(DESCRIPTOR.pack(SIG_DESCRIPTOR, crc, compressed, len(data)))
        self._entries.append(
            _Central(encoded, flags, zipfile.ZIP_DEFLATED, crc, compressed, len(data), offset)
        )

    def close(self) -> None:
        """Write the central directory and the end record (with the ASiC archive comment)."""
        if self._closed:
            return
        self._closed = True
        start = self._position
        for e in self._entries:
            version = 10 if e.method == zipfile.ZIP_STORED else 20
            self._write(
                CENTRAL.pack(
                    SIG_CENTRAL,
                    version,
                    version,
                    e.flags,
                    e.method,
                    self._time,
                    self._date,
                    e.crc,
                    e.compressed,
                    e.size,
                    len(e.name),
                    0,
                    0,
                    0,
                    0,
                    0,
                    e.offset,
                )
                + e.name
            )
        if self._position > MAX_32 or len(self._entries) > 0xFFFF:
            raise UsageError("the package is too large for a zip without zip64")
        count = len(self._entries)
        self._write(
            END.pack(SIG_END, 0, 0, count, count, self._position - start, start, len(COMMENT))
            + COMMENT
        )

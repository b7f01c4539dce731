"""The deflate engine behind gzip (AS4 payloads) and zip (ASiC-E packages).

Compression is most of what building a large message costs (docs/performance.md). When the
``isal`` package (Intel ISA-L) is installed, as it is by default, deflate runs on it: at its
level 1 it compresses a typical invoice about 15x faster than zlib at level 6, to within 5 % of
the same size. The output is ordinary deflate/gzip that every inflater reads. Without
``isal`` the stdlib's zlib is used, at level 6.

Both engines have zlib's interface; this module hands out one of them so that callers never
import either directly.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Any, Final, NamedTuple

__all__ = [
    "DEFAULT_LEVEL",
    "ENGINE",
    "Inflated",
    "clear_vector_state",
    "compressobj",
    "crc32",
    "decompressobj",
    "errors",
    "inflate_once",
]

_isal: Any
_igzip: Any
try:
    from isal import igzip_lib as _igzip
    from isal import isal_zlib as _isal
except ImportError:  # pragma: no cover - isal is a declared dependency
    _isal = _igzip = None

#: Name of the engine in use ("isal" or "zlib"), for benchmark reports.
ENGINE: Final = "isal" if _isal is not None else "zlib"
#: The level used unless a caller asks for another: ISA-L's 1, or zlib's default 6.
DEFAULT_LEVEL: Final = 1 if _isal is not None else 6
_MAX_LEVEL = 3 if _isal is not None else 9

#: Exceptions either engine raises for corrupt input.
errors: tuple[type[Exception], ...] = (zlib.error, *((_isal.error,) if _isal is not None else ()))


def compressobj(level: int | None = None, wbits: int = 15) -> Any:
    """A zlib-style compressor (``wbits``: 31 gzip, -15 raw deflate, 15 zlib)."""
    chosen = DEFAULT_LEVEL if level is None else max(0, min(level, _MAX_LEVEL))
    if _isal is not None:
        return _Cleaning(_isal.compressobj(chosen, _isal.DEFLATED, wbits))
    return zlib.compressobj(chosen, zlib.DEFLATED, wbits)


def decompressobj(wbits: int = 15) -> Any:
    """A zlib-style decompressor (supports ``max_length`` and ``unconsumed_tail``)."""
    if _isal is not None:
        return _Cleaning(_isal.decompressobj(wbits))
    return zlib.decompressobj(wbits)


def crc32(data: bytes | memoryview, value: int = 0) -> int:
    """The CRC-32 of ``data`` (zip, gzip), continuing from ``value``."""
    if _isal is not None:
        crc = int(_isal.crc32(data, value))
        clear_vector_state()
        return crc
    return zlib.crc32(data, value)


def clear_vector_state() -> None:
    """Undo what ISA-L leaves behind in the CPU, for the SHA-256 that follows.

    ISA-L's AVX-512 code (CRC-32, deflate, inflate) returns without ``VZEROUPPER``. Until some
    code clears the upper halves of the vector registers, the SSE-encoded SHA-NI code OpenSSL
    runs for SHA-256 is a third slower (measured on the benchmark machine, AMD EPYC with
    AVX-512: 1 MB in 0.74 ms against 0.55 after a CRC, 0.27 against 0.20 for 360 KB after
    gzip): reading a zip entry and then digesting it, or compressing a payload and then
    signing it, paid that on every message. OpenSSL's SHA-512 block function (AVX2) ends with
    ``VZEROUPPER``; a one-block SHA-512 of nothing costs half a microsecond. On a CPU without
    these instruction sets it is only that. Every ISA-L call this module hands out is followed
    by it.
    """
    hashlib.sha512(b"").digest()


class _Cleaning:
    """An ISA-L compressor or decompressor whose every call is followed by
    :func:`clear_vector_state`; its attributes (``eof``, ``unused_data``...) are the engine's."""

    __slots__ = ("_engine",)

    def __init__(self, engine: Any) -> None:
        self._engine = engine

    def compress(self, data: bytes | memoryview) -> bytes:
        out: bytes = self._engine.compress(data)
        clear_vector_state()
        return out

    def decompress(self, data: bytes | memoryview, max_length: int = 0) -> bytes:
        out: bytes = self._engine.decompress(data, max_length)
        clear_vector_state()
        return out

    def flush(self, *args: int) -> bytes:
        out: bytes = self._engine.flush(*args)
        clear_vector_state()
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


class Inflated(NamedTuple):
    """What :func:`inflate_once` produced."""

    data: bytes
    eof: bool  # the stream ended (its trailer checked) within the output bound
    unused_data: bytes  # input after the end of the stream (empty unless ``eof``)


def inflate_once(data: bytes | memoryview, wbits: int, max_length: int) -> Inflated:
    """One deflate stream (``wbits``: 31 gzip, -15 raw deflate) inflated in one call into one
    buffer of at most ``max_length`` bytes.

    For a caller that knows the size to expect (a zip entry's header, a gzip trailer's ISIZE):
    with ``max_length`` one more than that size, ISA-L grows a single buffer up to it and hands
    it over, where a zlib-style decompressor collects blocks and joins them at the end, a copy
    of the whole output (1 MB: 0.72 ms against 1.2 ms, docs/performance-history.md). The bound is
    also what stops a bomb. Raises one of :data:`errors` for corrupt data (a gzip trailer's
    CRC-32 and size are checked by both engines).
    """
    if _igzip is not None:
        if wbits not in (31, -15):
            raise ValueError(f"inflate_once reads gzip (31) or raw deflate (-15), not {wbits}")
        flag = _igzip.DECOMP_GZIP if wbits == 31 else _igzip.DECOMP_DEFLATE
        inflater = _igzip.IgzipDecompressor(flag)
        out: bytes = inflater.decompress(data, max_length)
        clear_vector_state()
        return Inflated(out, inflater.eof, inflater.unused_data if inflater.eof else b"")
    inflater = zlib.decompressobj(wbits)  # pragma: no cover - isal is a declared dependency
    out = inflater.decompress(data, max_length)  # pragma: no cover
    return Inflated(out, inflater.eof, inflater.unused_data)  # pragma: no cover

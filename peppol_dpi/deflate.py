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

import zlib
from typing import Any, Final

__all__ = ["DEFAULT_LEVEL", "ENGINE", "compressobj", "crc32", "decompressobj", "errors"]

_isal: Any
try:
    from isal import isal_zlib as _isal
except ImportError:  # pragma: no cover - isal is a declared dependency
    _isal = None

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
        return _isal.compressobj(chosen, _isal.DEFLATED, wbits)
    return zlib.compressobj(chosen, zlib.DEFLATED, wbits)


def decompressobj(wbits: int = 15) -> Any:
    """A zlib-style decompressor (supports ``max_length`` and ``unconsumed_tail``)."""
    if _isal is not None:
        return _isal.decompressobj(wbits)
    return zlib.decompressobj(wbits)


def crc32(data: bytes | memoryview, value: int = 0) -> int:
    if _isal is not None:
        return int(_isal.crc32(data, value))
    return zlib.crc32(data, value)

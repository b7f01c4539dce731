"""AS4 payload compression: gzip (RFC 1952) out, bounded decompression in.

AS4 profile 3.1 / CEF eDelivery AS4 Common Profile: payloads are gzip-compressed before they are
signed and encrypted, ``CompressionType=application/gzip``. Any decompression failure is
EBMS:0303 DecompressionFailure. Decompression stops as soon as the output passes
``Limits.max_decompressed_bytes`` or ``max_compression_ratio`` times the input: a gzip bomb
costs at most that much memory and never more time than reading it.
"""

from __future__ import annotations

from .. import deflate
from ..errors import EbmsError, InputError
from ..limits import DEFAULT_LIMITS, Limits

__all__ = ["GZIP", "DecompressionError", "gunzip", "gzip_compress"]

#: The only CompressionType of the AS4 profile (AS4 profile 3.1).
GZIP = "application/gzip"

_CHUNK = 1024 * 1024
_FIRST_STEP = 1024
_GZIP_WBITS = 31  # zlib: gzip header and trailer


class DecompressionError(InputError):
    """The payload does not decompress, or decompresses beyond the limits (EBMS:0303)."""

    default_ebms_code = EbmsError.DECOMPRESSION_FAILURE


def gzip_compress(data: bytes | memoryview, *, level: int | None = None) -> bytes:
    """One gzip member of ``data`` (no file name, mtime 0: the output is reproducible)."""
    compressor = deflate.compressobj(level, _GZIP_WBITS)
    compressed: bytes = compressor.compress(data) + compressor.flush()
    return compressed


def gunzip(data: bytes | memoryview, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The decompressed payload; all members of a multi-member stream are joined (RFC 1952 2.2)."""
    cap = min(limits.max_decompressed_bytes, max(len(data), 1) * limits.max_compression_ratio)
    out: list[bytes] = []
    produced = 0
    view = memoryview(data)
    if len(view) < 18 or bytes(view[:2]) != b"\x1f\x8b":
        raise DecompressionError("the payload is not gzip data", rule="gzip:not-gzip")
    members = 0
    try:
        while view:
            members += 1
            if members > limits.max_gzip_members:
                raise DecompressionError(
                    f"more than {limits.max_gzip_members} gzip members",
                    rule="gzip:too-many-members",
                )
            inflater = deflate.decompressobj(_GZIP_WBITS)
            position = 0
            step = _FIRST_STEP
            # Input is fed in growing slices of the memoryview and output taken in bounded
            # steps: neither the input nor zlib's leftovers (unconsumed_tail, unused_data) are
            # ever copied whole, and a member's leftover is at most twice what it consumed.
            while position < len(view) and not inflater.eof:
                pending: bytes | memoryview = view[position : position + step]
                position += len(pending)
                step = min(step * 2, _CHUNK)
                while pending and not inflater.eof:
                    chunk = inflater.decompress(pending, _CHUNK)
                    produced += len(chunk)
                    if produced > cap:
                        raise DecompressionError(
                            f"the payload decompresses to more than {cap} bytes (limit or ratio)",
                            rule="gzip:too-large",
                        )
                    out.append(chunk)
                    pending = inflater.unconsumed_tail
            if not inflater.eof:
                raise DecompressionError("the gzip data is truncated", rule="gzip:truncated")
            view = view[position - len(inflater.unused_data) :]  # after this member, no copy
            if bytes(view[:2]) != b"\x1f\x8b":
                # Trailing zero padding after the last member is tolerated (as gzip(1) does).
                if bytes(view).strip(b"\0"):
                    raise DecompressionError(
                        "data after the gzip stream is not gzip", rule="gzip:corrupt"
                    )
                break
            # Another member follows (RFC 1952 2.2): continue with it.
    except deflate.errors as exc:
        raise DecompressionError(f"the gzip data is corrupt: {exc}", rule="gzip:corrupt") from None
    return b"".join(out)

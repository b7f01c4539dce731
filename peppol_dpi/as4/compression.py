"""AS4 payload compression: gzip (RFC 1952) out, bounded decompression in.

AS4 profile 3.1 / CEF eDelivery AS4 Common Profile: payloads are gzip-compressed before they are
signed and encrypted, ``CompressionType=application/gzip``. Any decompression failure is
EBMS:0303 DecompressionFailure. Decompression stops as soon as the output passes
``Limits.max_decompressed_bytes`` or ``max_compression_ratio`` times the input: a gzip bomb
costs at most that much memory and never more time than reading it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .. import deflate
from ..errors import EbmsError, InputError
from ..limits import DEFAULT_LIMITS, Limits

__all__ = [
    "GZIP",
    "DecompressionError",
    "gunzip",
    "gunzip_head",
    "gunzip_stream",
    "gzip_compress",
    "gzip_stream",
]

#: The only CompressionType of the AS4 profile (AS4 profile 3.1).
GZIP = "application/gzip"

_CHUNK = 1024 * 1024
_FIRST_STEP = 1024
_GZIP_WBITS = 31  # zlib: gzip header and trailer
_MAGIC = b"\x1f\x8b"
_FEXTRA, _FNAME, _FCOMMENT, _FHCRC = 4, 8, 16, 2
_FRESERVED = 0xE0
#: The longest gzip member header accepted (RFC 1952 2.3: FEXTRA is at most 64 KiB; file name
#: and comment have no bound there). Both openers refuse a longer one alike.
MAX_GZIP_HEADER_BYTES = 256 * 1024


class DecompressionError(InputError):
    """The payload does not decompress, or decompresses beyond the limits (EBMS:0303)."""

    default_ebms_code = EbmsError.DECOMPRESSION_FAILURE


def gzip_compress(data: bytes | memoryview, *, level: int | None = None) -> bytes:
    """One gzip member of ``data`` (no file name, mtime 0: the output is reproducible)."""
    return b"".join(gzip_stream([data], level=level))


def gzip_stream(
    chunks: Iterable[bytes | memoryview], *, level: int | None = None
) -> Iterator[bytes]:
    """One gzip member of the concatenated ``chunks``, produced as they come (empty pieces skipped)."""
    compressor = deflate.compressobj(level, _GZIP_WBITS)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def gunzip(data: bytes | memoryview, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The decompressed payload; all members of a multi-member stream are joined (RFC 1952 2.2)."""
    view = memoryview(data)
    whole = _one_member(view, limits)
    if whole is not None:
        return whole
    # Slices of the memoryview: the input is never copied whole.
    pieces = (view[i : i + _CHUNK] for i in range(0, len(view), _CHUNK))
    # Into one growing buffer: a list of pieces joined at the end would hold the payload twice.
    out = io.BytesIO()
    for piece in gunzip_stream(pieces, compressed_size=len(view), limits=limits):
        out.write(piece)
    return out.getvalue()


def gunzip_head(
    data: bytes | memoryview, *, enough: Callable[[bytes], bool], most: int
) -> bytes | None:
    """The first bytes of the payload in ``data``, decompressed a little at a time until
    ``enough`` holds for them; None when it does not within ``most`` bytes, or the first gzip
    member ends, or its start does not inflate. A way to read the start of a payload early
    (its SBDH) while another thread decompresses the whole; never a check of the data:
    :func:`gunzip` says what is wrong with it. When :func:`gunzip` succeeds, the bytes given
    are its first bytes (RFC 1952 2.2: the payload starts with the first member's data)."""
    view = memoryview(data)
    try:
        start = gzip_header_length(view) if bytes(view[:2]) == _MAGIC else None
    except DecompressionError:
        return None
    if start is None:
        return None
    inflater = deflate.decompressobj(_GZIP_WBITS)
    head: bytes = b""
    at, end, step = 0, start + _FIRST_STEP, _FIRST_STEP
    try:
        while at < len(view) and len(head) < most:
            # The header whole in the first call (see _Inflating._next_member); then growing
            # slices of the input, the output bounded by what is left of ``most``.
            head += inflater.decompress(view[at:end], most - len(head))
            if enough(head):
                return head
            if inflater.eof:
                return None
            step = min(step * 2, _CHUNK)
            at, end = end, end + step
    except deflate.errors:
        return None
    return None


def gzip_header_length(data: bytes | memoryview) -> int | None:
    """The length of the gzip member header at the start of ``data`` (RFC 1952 2.3), None when
    ``data`` ends inside it. Refuses a compression method other than deflate, reserved flag
    bits (2.3.1.2: "a compliant decompressor must give an error") and a header longer than
    :data:`MAX_GZIP_HEADER_BYTES`. ``data`` starts with the two magic bytes."""
    fixed = bytes(data[:10])
    if len(fixed) < 10:
        return None
    if fixed[2] != 8:
        raise DecompressionError("the gzip member is not deflate-compressed", rule="gzip:corrupt")
    flags = fixed[3]
    if flags & _FRESERVED:
        raise DecompressionError("the gzip header sets reserved flag bits", rule="gzip:corrupt")
    if not flags & (_FEXTRA | _FNAME | _FCOMMENT | _FHCRC):
        return 10  # the usual header: nothing optional
    head = bytes(data[:MAX_GZIP_HEADER_BYTES])
    end: int | None = 10
    if flags & _FEXTRA:
        end = 12 + int.from_bytes(head[10:12], "little") if len(head) >= 12 else None
    for flag in (_FNAME, _FCOMMENT):  # zero-terminated, in this order
        if end is not None and flags & flag:
            zero = head.find(b"\0", end)
            end = zero + 1 if zero >= 0 else None
    if end is not None and flags & _FHCRC:
        end += 2
    if end is not None and end <= len(head):
        return end
    if len(head) >= MAX_GZIP_HEADER_BYTES:
        raise DecompressionError(
            f"the gzip header is longer than {MAX_GZIP_HEADER_BYTES} bytes", rule="gzip:corrupt"
        )
    return None


def _one_member(view: memoryview, limits: Limits) -> bytes | None:
    """The payload of a gzip stream of exactly one member, inflated in one call; None when the
    data is anything else (several members, padding, truncated, not gzip), which the general
    path below then reads and judges.

    One call whose output buffer is sized by the trailer's ISIZE (RFC 1952 2.3.1: the size
    mod 2**32), bounded by cap + 1 bytes: a bomb stops there, as in the general path. ISIZE is
    only a hint: a stream that does not end within it goes the general way.
    """
    if len(view) < 18 or bytes(view[:2]) != _MAGIC or gzip_header_length(view) is None:
        return None
    cap = _cap(len(view), limits)
    hint = int.from_bytes(view[-4:], "little")
    try:
        out, eof, unused = deflate.inflate_once(view, _GZIP_WBITS, min(cap, hint) + 1)
    except deflate.errors as exc:
        raise DecompressionError(f"the gzip data is corrupt: {exc}", rule="gzip:corrupt") from None
    if len(out) > cap:
        raise _too_large(cap)
    if not eof or unused:
        return None
    return out


def _cap(compressed_size: int, limits: Limits) -> int:
    return min(
        limits.max_decompressed_bytes, max(compressed_size, 1) * limits.max_compression_ratio
    )


def _too_large(cap: int) -> DecompressionError:
    return DecompressionError(
        f"the payload decompresses to more than {cap} bytes (limit or ratio)",
        rule="gzip:too-large",
    )


def gunzip_stream(
    chunks: Iterable[bytes | memoryview],
    *,
    compressed_size: int,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[bytes]:
    """The decompressed payload of the gzip data in ``chunks``, in pieces of at most 1 MiB.

    ``compressed_size`` (the total length of ``chunks``) sets the ratio cap. Raises
    :class:`DecompressionError` as soon as a limit is passed or the data turns out corrupt or
    truncated; output already produced must then be discarded by the caller.
    """
    cap = _cap(compressed_size, limits)
    if compressed_size < 18:
        raise DecompressionError("the payload is not gzip data", rule="gzip:not-gzip")
    state = _Inflating(cap, limits)
    try:
        for chunk in chunks:
            yield from state.feed(memoryview(chunk))
        state.finish()
    except deflate.errors as exc:
        raise DecompressionError(f"the gzip data is corrupt: {exc}", rule="gzip:corrupt") from None


class _Inflating:
    """The state of one streamed decompression: the member being inflated, or what follows."""

    def __init__(self, cap: int, limits: Limits) -> None:
        self.cap = cap
        self.limits = limits
        self.produced = 0
        self.members = 0
        self.inflater: Any = None
        self.between = b""  # bytes after a member (or at the start), not yet a new member
        self.padding = False  # only zero bytes may follow
        self.step = _FIRST_STEP

    def feed(self, data: memoryview) -> Iterator[bytes]:
        queue = [data]  # what is left of this chunk, after a member's unused input
        while queue:
            view = queue.pop()
            while view:
                if self.padding:
                    # Trailing zero padding after the last member is tolerated (as gzip(1)).
                    if bytes(view).strip(b"\0"):
                        raise DecompressionError(
                            "data after the gzip stream is not gzip", rule="gzip:corrupt"
                        )
                    break
                if self.inflater is None:
                    view, extra = self._next_member(view)
                    if extra:  # input after the member's header: the inflater's, first
                        queue.append(view)
                        view = extra
                    continue
                # Input is fed in growing slices and output taken in bounded steps: neither
                # the input nor zlib's leftovers (unconsumed_tail, unused_data) are ever
                # copied whole, and a member's leftover is at most twice what it consumed.
                pending: bytes | memoryview = view[: self.step]
                view = view[len(pending) :]
                self.step = min(self.step * 2, _CHUNK)
                while pending and not self.inflater.eof:
                    chunk = self.inflater.decompress(pending, _CHUNK)
                    self.produced += len(chunk)
                    if self.produced > self.cap:
                        raise _too_large(self.cap)
                    if chunk:
                        yield chunk
                    pending = self.inflater.unconsumed_tail
                if self.inflater.eof:
                    queue += [view, memoryview(self.inflater.unused_data)]
                    self.inflater = None
                    break

    def _next_member(self, view: memoryview) -> tuple[memoryview, memoryview]:
        """Gather what follows a member (or starts the stream) into ``between``: two bytes
        decide between a new member and padding; a member's whole header is then handed to a
        new inflater in one call (python-isal 1.9 loses the state of a gzip header split
        between calls, with FHCRC, FEXTRA, FNAME or FCOMMENT). Returns the rest of ``view``
        and the input gathered past the header."""
        if len(self.between) < 2:
            need = 2 - len(self.between)
            self.between += bytes(view[:need])
            view = view[need:]
            if len(self.between) < 2:
                return view, memoryview(b"")
            if self.between != _MAGIC:
                self._not_a_member()
                return view, memoryview(b"")
        length = gzip_header_length(self.between)
        while length is None and view:
            take = max(512, len(self.between))  # doubling: the header is gathered in linear time
            self.between += bytes(view[:take])
            view = view[take:]
            length = gzip_header_length(self.between)
        if length is None:
            return view, memoryview(b"")
        header, extra = self.between[:length], self.between[length:]
        self.between = b""
        self._start_member(header)
        return view, memoryview(extra)

    def _not_a_member(self) -> None:
        start, self.between = self.between, b""
        if self.members == 0:
            raise DecompressionError("the payload is not gzip data", rule="gzip:not-gzip")
        if start.strip(b"\0"):
            raise DecompressionError("data after the gzip stream is not gzip", rule="gzip:corrupt")
        self.padding = True

    def _start_member(self, header: bytes) -> None:
        # Another member follows (RFC 1952 2.2): continue with it.
        self.members += 1
        if self.members > self.limits.max_gzip_members:
            raise DecompressionError(
                f"more than {self.limits.max_gzip_members} gzip members",
                rule="gzip:too-many-members",
            )
        self.inflater = deflate.decompressobj(_GZIP_WBITS)
        self.step = _FIRST_STEP
        self.inflater.decompress(header)  # the whole header, no output

    def finish(self) -> None:
        if self.inflater is not None or (self.members == 0 and not self.padding):
            raise DecompressionError("the gzip data is truncated", rule="gzip:truncated")
        if self.between and self.between.strip(b"\0"):
            raise DecompressionError("the gzip data is truncated", rule="gzip:truncated")

"""The zip layer of the ASiC-E document package: the defensive reader, and the public names of
the writer (:mod:`.zip_write`) and of the format both use (:mod:`.zip_format`).

Reading refuses what could hurt the receiver before any inflating is done: more entries
than ``Limits.max_zip_entries``, a declared total above ``max_package_bytes`` or a compression
ratio above ``max_compression_ratio`` (zip bombs), overlapping entries, unsafe names (``..``,
absolute, backslashes, drive letters, control characters), duplicate names (also differing only
in case: e-Boks refuses those, dpi.md 9.10), encryption, methods other than STORED/DEFLATED,
a local header, a local zip64 field or a data descriptor that differs from the central
directory (a reader that streams the zip would see another content), a data descriptor on a
stored entry, bytes after an entry's deflate stream, bytes no entry accounts for (before,
between or after the entries, the central directory and the end records, which must tile the
file: where Java's ZipInputStream finds entries the central directory hides), an end record
whose comment does not end the file or a zip64 end record it disagrees with, a name NUL cuts
short or a non-ASCII one without the UTF-8 flag, and a ``mimetype`` entry that is not first,
compressed, or carries an extra field. Inflated sizes are bounded by the declared ones and
CRC-checked. tests/test_zip_never_laxer.py holds this reader to the JDK's two.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Mapping
from typing import IO

from .. import deflate
from ..errors import InputError
from ..limits import DEFAULT_LIMITS, Limits
from .zip_format import (
    ASIC_E_MIME_TYPE,
    END,
    END64,
    END64_LOCATOR,
    FLAG_DESCRIPTOR,
    FLAG_ENCRYPTED,
    FLAG_PATCHED,
    FLAG_STRONG_ENCRYPTION,
    FLAG_UTF8,
    LOCAL,
    MAX_16,
    MAX_DESCRIPTOR_BYTES,
    MIMETYPE_BYTES,
    SIG_LOCAL,
    EndRecords,
    LocalHeader,
    check_entry_name,
    descriptor_length,
    end_records,
    local_header_problem,
    local_zip64_sizes,
)
from .zip_write import Sink, ZipEntryWriter

__all__ = [
    "ASIC_E_MIME_TYPE",
    "AsicZip",
    "PackageError",
    "Sink",
    "ZipEntryWriter",
    "check_entry_name",
    "open_zip",
    "read_zip",
]

_RATIO_FLOOR = 64 * 1024  # entries smaller than this are not ratio-checked
# The end record with the longest comment, and a zip64 end record and its locator before it
# (and the end of a package's end as commonly written, read first).
_MAX_END_BYTES = END.size + MAX_16 + END64_LOCATOR.size + END64.size + 1024
_SHORT_END_BYTES = 1024


class PackageError(InputError):
    """The document package (zip, manifest, signature) breaks a rule; ``rule`` says which."""


_READ_CHUNK = 1024 * 1024
# Entries up to this size, of a package in memory, are inflated in one call (fastest); larger
# ones in chunks into one buffer (peak memory: the document once).
_ONE_CALL_BYTES = 8 * 1024 * 1024
_INFLATE_INPUT = 256 * 1024  # compressed bytes fed to the inflater at a time


def _fail(message: str, rule: str) -> PackageError:
    return PackageError(message, rule=f"asic:{rule}")


def _read_at(source: IO[bytes], offset: int, length: int) -> bytes:
    if offset < 0:  # a damaged central directory: nothing is there, as a bytes slice would say
        return b""
    source.seek(offset)
    return source.read(length)


def _check_layout(
    source: IO[bytes], directory: EndRecords, infos: list[zipfile.ZipInfo], limits: Limits
) -> dict[str, int]:
    """Every check of the directory and the local headers; returns where each entry's data
    starts, by name."""
    if len(infos) > limits.max_zip_entries:
        raise _fail(
            f"the package has {len(infos)} entries, more than {limits.max_zip_entries}",
            "too-many-entries",
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        # (zipfile cuts a name at a NUL; the name as stored is what other readers see)
        problem = check_entry_name(info.orig_filename)
        if problem is None and not info.flag_bits & FLAG_UTF8 and not info.filename.isascii():
            # APPNOTE 4.4.4 and appendix D: without bit 11 a name is CP437, to Java UTF-8.
            problem = "is not ASCII, and not marked UTF-8 (two readers, two names)"
        if problem is not None:
            raise _fail(f"entry name {info.orig_filename!r} {problem}", "unsafe-name")
        folded = info.filename.casefold()
        if folded in seen:
            raise _fail(f"entry {info.filename!r} occurs more than once", "duplicate-entry")
        seen.add(folded)
        if info.flag_bits & FLAG_ENCRYPTED:
            raise _fail(f"entry {info.filename!r} is encrypted", "encrypted-entry")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _fail(
                f"entry {info.filename!r} uses compression method {info.compress_type}",
                "compression-method",
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise _corrupt(info, "a stored entry's sizes differ")
        total += info.file_size
        if total > limits.max_package_bytes:
            raise _fail(
                f"the package inflates to more than {limits.max_package_bytes} bytes", "too-large"
            )
        if (
            info.file_size > _RATIO_FLOOR
            and info.file_size > max(info.compress_size, 1) * limits.max_compression_ratio
        ):
            raise _fail(
                f"entry {info.filename!r} has a compression ratio above "
                f"{limits.max_compression_ratio}",
                "compression-ratio",
            )
    # No two entries may share bytes (the overlapping-entry zip bomb), and no byte may lie
    # outside an entry (the layout check below).
    ordered = sorted(infos, key=lambda i: i.header_offset)
    starts: dict[str, int] = {}
    ends: list[int] = []  # where each entry ends, its data descriptor included
    for info, following in zip(ordered, [*ordered[1:], None][: len(ordered)], strict=True):
        local = _read_at(source, info.header_offset, LOCAL.size)
        if len(local) != LOCAL.size or LOCAL.unpack(local)[0] != SIG_LOCAL:
            raise _fail(f"entry {info.filename!r} has no local header", "not-a-zip")
        header = LocalHeader._make(LOCAL.unpack(local))
        _check_local_name(info, header.flags, source.read(header.name_length))
        try:
            zip64 = local_zip64_sizes(source.read(header.extra_length))
        except ValueError as exc:
            raise _corrupt(info, f"its local extra field is malformed ({exc})") from None
        problem = local_header_problem(info, header, zip64)
        if problem is not None:
            raise _corrupt(info, problem)
        starts[info.filename] = (
            info.header_offset + LOCAL.size + header.name_length + header.extra_length
        )
        end = starts[info.filename] + info.compress_size
        limit = following.header_offset if following is not None else directory.offset
        if end > limit:
            raise _fail(f"entry {info.filename!r} overlaps the next one", "overlapping-entries")
        if info.flag_bits & FLAG_DESCRIPTOR:
            end += _descriptor(source, info, end, limit, zip64=zip64 is not None)
        ends.append(end)
    # ETSI TS 102 918 A.1: "mimetype" is the first entry, stored, without extra field.
    first = infos[0] if infos else None
    if first is None or first.filename != "mimetype" or first.header_offset != 0:
        raise _fail("the first entry of an ASiC-E package must be 'mimetype'", "mimetype-first")
    if first.compress_type != zipfile.ZIP_STORED:
        raise _fail("the 'mimetype' entry must be stored, not compressed", "mimetype-compressed")
    if first.extra or LOCAL.unpack(_read_at(source, 0, LOCAL.size))[10]:
        raise _fail("the 'mimetype' entry must have no extra field", "mimetype-extra-field")
    _check_tiling(ordered, ends, directory)
    return starts


def _descriptor(
    source: IO[bytes], info: zipfile.ZipInfo, end: int, limit: int, *, zip64: bool
) -> int:
    """The length of the data descriptor after the entry's data, which must fill the bytes up
    to the next record exactly (APPNOTE 4.3.9)."""
    if info.compress_type == zipfile.ZIP_STORED:
        # Java's ZipInputStream refuses it ("only DEFLATED entries can have EXT descriptor"):
        # a stored entry's end is known only from its sizes.
        raise _corrupt(info, "a stored entry has a data descriptor")
    after = _read_at(source, end, min(MAX_DESCRIPTOR_BYTES + 1, limit - end))
    length = descriptor_length(info, after, zip64=zip64)
    if length is None:
        raise _corrupt(info, "its data descriptor is missing or gives another CRC-32 or size")
    return length


def _check_tiling(ordered: list[zipfile.ZipInfo], ends: list[int], directory: EndRecords) -> None:
    """The entries, then the central directory, then the end records, with nothing between,
    before or after them (APPNOTE 4.3.6). Bytes no central record accounts for are where a
    streaming reader (Java's ZipInputStream reads local headers in file order) finds entries,
    or stops, where the receiver saw none."""
    if directory.entries != len(ordered):
        raise _fail(
            f"the end record counts {directory.entries} entries, the central directory "
            f"holds {len(ordered)}",
            "layout",
        )
    expected = 0
    for info, end in zip(ordered, ends, strict=True):
        if info.header_offset != expected:
            raise _fail(f"bytes no entry accounts for lie before {info.filename!r}", "layout")
        expected = end
    if expected != directory.offset:
        raise _fail("bytes no entry accounts for lie before the central directory", "layout")


def _check_local_name(info: zipfile.ZipInfo, flags: int, name: bytes) -> None:
    """The local header names the file the central directory names (as zipfile checks before
    reading an entry), and the entry uses no patched data or strong encryption."""
    try:
        local_name = name.decode("utf-8" if flags & FLAG_UTF8 else "cp437")
    except UnicodeDecodeError:
        local_name = None
    if local_name != info.orig_filename:
        raise _corrupt(info, "its local header names another file")
    if info.flag_bits & (FLAG_PATCHED | FLAG_STRONG_ENCRYPTION):
        raise _corrupt(info, "it uses patched data or strong encryption")


class AsicZip:
    """An ASiC-E zip that passed :func:`open_zip`'s checks: its entries (``infos``, in
    archive order) and their content, inflated on request.

    Entries are inflated here, not by :mod:`zipfile` (which only parses the central
    directory): with the package's deflate engine (ISA-L when installed, several times faster
    than zlib), straight from the package's bytes without copying them, CRC-checked and never
    longer than their declared size.
    """

    def __init__(
        self,
        source: IO[bytes],
        view: memoryview | None,
        infos: list[zipfile.ZipInfo],
        starts: dict[str, int],
    ):
        self._source = source
        self._view = view  # the package's bytes, when it came as bytes
        self.infos = infos
        self._starts = starts  # where each entry's data begins (local headers checked)

    def __enter__(self) -> AsicZip:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release (kept for ``with``): the source belongs to the caller."""

    def _raw(self, info: zipfile.ZipInfo, chunk: int) -> Iterator[bytes | memoryview]:
        """The entry's bytes as stored in the zip, ``chunk`` bytes at a time (views of the
        package's bytes when it came as bytes)."""
        start = self._starts[info.filename]
        end = start + info.compress_size
        if self._view is not None:
            for offset in range(start, min(end, len(self._view)), chunk):
                yield self._view[offset : min(offset + chunk, end)]
            return
        self._source.seek(start)
        left = info.compress_size
        while left:
            piece = self._source.read(min(chunk, left))
            if not piece:
                break
            left -= len(piece)
            yield piece

    def chunks(self, info: zipfile.ZipInfo, *, chunk: int = _READ_CHUNK) -> Iterator[bytes]:
        """The inflated content of entry ``info``, at most ``chunk`` bytes at a time, CRC-checked
        and exactly its declared size (else ``asic:corrupt-entry``)."""
        declared, crc, produced = info.file_size, 0, 0
        if info.compress_type == zipfile.ZIP_STORED:  # (its sizes agree: open_zip checked)
            pieces: Iterator[bytes | memoryview] = self._raw(info, chunk)
        else:
            pieces = self._inflated(info, chunk)
        for piece in pieces:
            produced += len(piece)
            if produced > declared:
                raise _corrupt(info, "it is longer than its declared size")
            crc = deflate.crc32(piece, crc)
            yield bytes(piece)
        _check_whole(info, produced, crc)

    def _inflated(self, info: zipfile.ZipInfo, chunk: int) -> Iterator[bytes]:
        # One byte more than declared may come out: enough to tell that an entry is too long,
        # never more than a chunk in memory (max_length bounds what a zip bomb can produce).
        inflater = deflate.decompressobj(-15)
        limit = min(chunk, info.file_size + 1)
        try:
            # Input in pieces small enough that what one call leaves unconsumed (which the
            # inflater copies) stays small; views of a package in memory are not copied.
            for compressed in self._raw(info, _INFLATE_INPUT):
                if inflater.eof and len(compressed):
                    raise _trailing(info)
                piece: bytes | memoryview = compressed
                while piece and not inflater.eof:
                    out = inflater.decompress(piece, limit)
                    if out:
                        yield out
                    piece = inflater.unconsumed_tail
            while not inflater.eof:  # what a call stopped by ``limit`` left inside the inflater
                out = inflater.decompress(b"", limit)
                if not out:
                    break
                yield out
        except deflate.errors as exc:
            raise _corrupt(info, f"it does not inflate ({exc})") from None
        if not inflater.eof:
            raise _unended(info)
        if inflater.unused_data:
            raise _trailing(info)

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The whole inflated content of entry ``info`` (see :meth:`chunks`): inflated in one
        step into one buffer when the package is in memory."""
        if (
            self._view is None
            or info.compress_type == zipfile.ZIP_STORED
            or info.file_size > _ONE_CALL_BYTES
        ):
            # Into one growing buffer, which getvalue hands over without a copy (joining the
            # chunks, or an inflater's output blocks, would hold a large document twice).
            buffer = io.BytesIO()
            for piece in self.chunks(info):
                buffer.write(piece)
            return buffer.getvalue()
        start = self._starts[info.filename]
        raw = self._view[start : start + info.compress_size]
        # The whole deflate stream in one call into one buffer sized by the declared size; one
        # byte more than declared would come out of an entry that is too long. What
        # :meth:`chunks` checks, for one piece.
        try:
            inflated = deflate.inflate_once(raw, -15, info.file_size + 1)
        except deflate.errors as exc:
            raise _corrupt(info, f"it does not inflate ({exc})") from None
        data = inflated.data
        if not inflated.eof and len(data) <= info.file_size:
            raise _unended(info)
        if inflated.unused_data:
            raise _trailing(info)
        _check_whole(info, len(data), deflate.crc32(data))
        return data


def _check_whole(info: zipfile.ZipInfo, size: int, crc: int) -> None:
    """An entry read to its end has its declared size and CRC-32."""
    if size != info.file_size:
        raise _corrupt(info, "it does not have its declared size")
    if crc != info.CRC:
        raise _corrupt(info, "its CRC-32 does not match")


def _unended(info: zipfile.ZipInfo) -> PackageError:
    # RFC 1951 3.2.3: a deflate stream ends with a block whose BFINAL bit is set. Without it
    # the entry is cut short, whatever came out so far (zipfile and some readers accept it when
    # the size and CRC happen to match; a reader of the same bytes must not see more later).
    return _corrupt(info, "its deflate stream has no final block")


def _trailing(info: zipfile.ZipInfo) -> PackageError:
    # The entry's compressed size must be its deflate stream's: a reader that streams the zip
    # (Java's ZipInputStream) refuses bytes between the stream's end and the next record.
    return _corrupt(info, "bytes follow the end of its deflate stream")


def _corrupt(info: zipfile.ZipInfo, why: str) -> PackageError:
    return _fail(f"entry {info.filename!r} is corrupt: {why}", "corrupt-entry")


def open_zip(data: bytes | IO[bytes], *, limits: Limits = DEFAULT_LIMITS) -> AsicZip:
    """An ASiC-E zip (bytes, or a seekable file holding only the zip) opened after every
    structural check and the ``mimetype`` entry's content; nothing else is inflated yet. Read
    its entries with :meth:`AsicZip.chunks` or :meth:`AsicZip.read`. Raises
    :class:`PackageError` (rules: see :func:`read_zip`)."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    size = source.seek(0, io.SEEK_END)
    if size > limits.max_package_bytes:
        raise _fail(f"the package is larger than {limits.max_package_bytes} bytes", "too-large")
    for length in (_SHORT_END_BYTES, _MAX_END_BYTES):  # (a short comment: a short read)
        tail = _read_at(source, max(0, size - length), length)
        ends = end_records(tail, size)
        if not isinstance(ends, str) or len(tail) == size:
            break
    if isinstance(ends, str):
        raise _fail(f"the package is not a readable zip: {ends}", "not-a-zip")
    try:
        # zipfile reads the central directory only; it never sees an entry's content.
        with zipfile.ZipFile(source) as directory:
            infos = directory.infolist()
            # (zipfile moves every offset by the bytes it finds before the zip)
            moved = directory.start_dir != ends.offset
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise _fail(f"the package is not a readable zip: {exc}", "not-a-zip") from None
    if moved:
        raise _fail("bytes the end record does not count lie before the zip", "layout")
    starts = _check_layout(source, ends, infos, limits)
    view = memoryview(data) if isinstance(data, bytes) else None
    archive = AsicZip(source, view, infos, starts)
    try:
        if archive.read(infos[0]) != MIMETYPE_BYTES:
            raise _fail(f"the 'mimetype' entry must be exactly {ASIC_E_MIME_TYPE}", "mimetype")
    except BaseException:
        archive.close()
        raise
    return archive


def read_zip(data: bytes | IO[bytes], *, limits: Limits = DEFAULT_LIMITS) -> Mapping[str, bytes]:
    """The entries of an ASiC-E zip (bytes, or a seekable file holding only the zip), in
    archive order, after every structural check.

    Raises :class:`PackageError` with rules ``asic:not-a-zip``, ``asic:too-many-entries``,
    ``asic:unsafe-name``, ``asic:duplicate-entry``, ``asic:encrypted-entry``,
    ``asic:compression-method``, ``asic:too-large``, ``asic:compression-ratio``,
    ``asic:overlapping-entries``, ``asic:layout``, ``asic:mimetype-first``,
    ``asic:mimetype-compressed``, ``asic:mimetype-extra-field``, ``asic:mimetype`` or
    ``asic:corrupt-entry``.
    """
    with open_zip(data, limits=limits) as archive:
        first, *rest = archive.infos
        # open_zip has read the first entry, "mimetype": exactly the ASiC-E type, not read again.
        entries = {first.filename: MIMETYPE_BYTES}
        entries.update((info.filename, archive.read(info)) for info in rest)
        return entries

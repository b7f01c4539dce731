"""The zip format as the ASiC-E package uses it (ETSI TS 102 918 A.1, dpi.md 3.1; PKWARE
APPNOTE 4.3): the record layouts, signatures and flags, the ``mimetype`` entry, and which entry
names are safe. Shared by the writer (:mod:`.zip_write`) and the reader (:mod:`.container`).
"""

from __future__ import annotations

import re
import struct
import zipfile
from typing import Final, NamedTuple

__all__ = [
    "ASIC_E_MIME_TYPE",
    "CENTRAL",
    "COMMENT",
    "DESCRIPTOR",
    "END",
    "LOCAL",
    "MAX_32",
    "MAX_DESCRIPTOR_BYTES",
    "MIMETYPE_BYTES",
    "SIG_CENTRAL",
    "SIG_DESCRIPTOR",
    "SIG_END",
    "SIG_LOCAL",
    "EndRecords",
    "LocalHeader",
    "check_entry_name",
    "descriptor_length",
    "end_records",
    "local_header_problem",
    "local_zip64_sizes",
]

#: The ``mimetype`` entry's content (ETSI TS 102 918 A.1).
ASIC_E_MIME_TYPE: Final = "application/vnd.etsi.asic-e+zip"
MIMETYPE_BYTES: Final = ASIC_E_MIME_TYPE.encode("ascii")
COMMENT: Final = b"mimetype=" + MIMETYPE_BYTES

# PKWARE APPNOTE 4.3.7 local file header, 4.3.9 data descriptor (with its signature), 4.3.12
# central directory header, 4.3.16 end of central directory record: the fixed parts, before
# the name, extra field and comment.
LOCAL = struct.Struct("<IHHHHHIIIHH")
DESCRIPTOR = struct.Struct("<IIII")
CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
END = struct.Struct("<IHHHHIIH")
SIG_LOCAL, SIG_DESCRIPTOR, SIG_CENTRAL, SIG_END = (
    0x04034B50,
    0x08074B50,
    0x02014B50,
    0x06054B50,
)
FLAG_DESCRIPTOR, FLAG_UTF8, FLAG_ENCRYPTED = 0x0008, 0x0800, 0x0001
FLAG_PATCHED, FLAG_STRONG_ENCRYPTION = 0x0020, 0x0040
MAX_16, MAX_32 = 0xFFFF, 0xFFFFFFFF
# APPNOTE 4.3.14 zip64 end of central directory record (its fixed part) and 4.3.15 its locator.
END64 = struct.Struct("<IQHHIIQQQQ")
END64_LOCATOR = struct.Struct("<IIQI")
SIG_END64, SIG_END64_LOCATOR = 0x06064B50, 0x07064B50
_ZIP64_EXTRA = 0x0001  # APPNOTE 4.5.3
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def check_entry_name(name: str) -> str | None:
    """Why ``name`` is not a safe zip entry name, or None when it is."""
    if not name:
        return "is empty"
    if len(name.encode("utf-8")) > 0xFFFF:
        return "is too long"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "is absolute"
    if "\\" in name:
        return "contains a backslash"
    if _CONTROL.search(name):
        return "contains a control character"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return "has an empty, '.' or '..' path segment"
    return None


#: The data descriptor's length (APPNOTE 4.3.9): 32-bit sizes, or 64-bit ones in a zip64 entry
#: (4.3.9.2), each with or without the optional signature.
_DESCRIBED = {
    12: (False, struct.Struct("<III")),
    16: (True, struct.Struct("<III")),
    20: (False, struct.Struct("<IQQ")),
    24: (True, struct.Struct("<IQQ")),
}
_SIGNATURE = SIG_DESCRIPTOR.to_bytes(4, "little")
#: The most bytes a data descriptor takes (signature, CRC-32, two 64-bit sizes).
MAX_DESCRIPTOR_BYTES: Final = 24


class LocalHeader(NamedTuple):
    """The fixed part of a local file header (APPNOTE 4.3.7), as :data:`LOCAL` unpacks it."""

    signature: int
    version: int
    flags: int
    method: int
    time: int
    date: int
    crc: int
    csize: int
    size: int
    name_length: int
    extra_length: int


def local_header_problem(
    info: zipfile.ZipInfo, local: LocalHeader, zip64: tuple[int, int] | None
) -> str | None:
    """Why the ``local`` header disagrees with the central directory's record ``info``, or
    None.

    APPNOTE 4.4: the local header repeats the central record. A reader that streams the zip
    (Java's ZipInputStream, which mailbox providers may use) sees only the local header, so
    where the two differ such a reader would inflate other bytes, or take the entry for
    encrypted or stored, than the receiver checked: one package, two contents. ``zip64``: the
    sizes of the local zip64 extra field (:func:`local_zip64_sizes`), which such a reader takes
    for the sizes when the header's are 0xFFFFFFFF (4.5.3).
    """
    flags, crc, csize, size = local.flags, local.crc, local.csize, local.size
    if zip64 is not None and MAX_32 in (csize, size):
        size, csize = zip64
    elif MAX_32 in (csize, size):
        return "its local header's sizes are in a zip64 field it does not have"
    if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION):
        return "its local header says it is encrypted"
    if local.method != info.compress_type:
        return "its local header gives another compression method"
    if (flags ^ info.flag_bits) & (FLAG_DESCRIPTOR | FLAG_PATCHED):
        return "its local header's flags differ from the central directory's"
    central = (info.CRC, info.compress_size, info.file_size)
    if flags & FLAG_DESCRIPTOR:
        # 4.4.4: with a data descriptor the local CRC and sizes are zero (some writers repeat
        # the true values: taken too).
        described = (crc, csize, size)
        if described not in ((0, 0, 0), central):
            return "its local header gives another CRC-32 or size than the central directory"
        return None
    if (crc, csize, size) != central:
        return "its local header gives another CRC-32 or size than the central directory"
    return None


def descriptor_length(info: zipfile.ZipInfo, after: bytes, *, zip64: bool) -> int | None:
    """The length of the data descriptor that is all of ``after`` (the bytes between the
    entry's data and the next record), or None when it is no descriptor of this entry.

    APPNOTE 4.3.9: CRC-32 and both sizes, after an optional signature; 64-bit sizes only in a
    zip64 entry (4.3.9.2; Java's ZipInputStream refuses them elsewhere). A streaming reader
    takes them for the entry's true values, so they must be the central directory's; and
    nothing may follow them before the next record (the layout is checked whole).
    """
    form = _DESCRIBED.get(len(after))
    if form is None or (len(after) >= 20) != zip64:
        return None
    signed, fields = form
    if signed and after[:4] != _SIGNATURE:
        return None
    body = after[4:] if signed else after
    if fields.unpack(body) != (info.CRC, info.compress_size, info.file_size):
        return None
    return len(after)


def local_zip64_sizes(extra: bytes) -> tuple[int, int] | None:
    """The (uncompressed, compressed) sizes of a local header's zip64 extra field (APPNOTE
    4.5.3: a local header's has both), None without one; ValueError when it is malformed."""
    offset = 0
    while offset + 4 <= len(extra):
        header_id, length = struct.unpack_from("<HH", extra, offset)
        data = extra[offset + 4 : offset + 4 + length]
        if len(data) != length:
            raise ValueError("an extra field runs past its end")
        if header_id == _ZIP64_EXTRA:
            if length < 16:
                raise ValueError("a local zip64 field without both sizes")
            size, csize = struct.unpack_from("<QQ", data)
            return size, csize
        offset += 4 + length
    if offset != len(extra):
        raise ValueError("an extra field runs past its end")
    return None


class EndRecords(NamedTuple):
    """What the end of central directory record (and a zip64 one) say, checked against each
    other: the entry count and where the central directory starts (it ends where they
    begin)."""

    entries: int
    offset: int


def end_records(data: bytes, size: int) -> EndRecords | str:
    """The end records at the end of ``data`` (the last ``len(data)`` bytes of a zip of
    ``size`` bytes, at least the 22 of the end record and its comment), or why there are none
    that a strict reader can take.

    APPNOTE 4.3.16: the end record, with its comment, ends the file: Java's ZipFile refuses a
    comment cut short, and bytes after it are a second layout the first does not describe. A
    zip64 end record (4.3.14) is taken only where the end record says so (its value 0xFFFF or
    0xFFFFFFFF) or agrees: zipfile takes the zip64 values whatever the end record says, the JDK
    only then, so that a zip64 record hiding a central record gave two readers two listings.
    """
    base = size - len(data)
    position = data.rfind(SIG_END.to_bytes(4, "little"))
    while position >= 0 and position + END.size + _comment_length(data, position) != len(data):
        position = data.rfind(SIG_END.to_bytes(4, "little"), 0, position)
    if position < 0:
        return "it has no end of central directory record ending the file"
    _, disk, cd_disk, on_disk, total, cd_size, cd_offset, _ = END.unpack_from(data, position)
    if disk or cd_disk or on_disk != total:
        return "it spans several disks"
    directory_end = base + position
    locator = position - END64_LOCATOR.size
    if locator >= 0 and END64_LOCATOR.unpack_from(data, locator)[0] == SIG_END64_LOCATOR:
        _, _, record_offset, _ = END64_LOCATOR.unpack_from(data, locator)
        at = record_offset - base
        if at < 0 or at + END64.size > locator:
            return "its zip64 end record is not where its locator says"
        fields = END64.unpack_from(data, at)
        signature, record_size, _, _, disk64, cd_disk64, on_disk64, total64, size64, offset64 = (
            fields
        )
        if signature != SIG_END64 or at + 12 + record_size != locator:
            return "its zip64 end record is not where its locator says"
        if disk64 or cd_disk64 or on_disk64 != total64:
            return "it spans several disks"
        pairs = ((total, total64, MAX_16), (cd_size, size64, MAX_32), (cd_offset, offset64, MAX_32))
        if any(value not in (marker, value64) for value, value64, marker in pairs):
            return "its end record and its zip64 end record disagree"
        total, cd_size, cd_offset, directory_end = total64, size64, offset64, record_offset
    if cd_offset + cd_size != directory_end:
        return "its central directory does not end where its end record begins"
    return EndRecords(total, cd_offset)


def _comment_length(data: bytes, position: int) -> int:
    if position + END.size > len(data):
        return len(data)  # (no room for the record: never a match)
    return int(END.unpack_from(data, position)[7])

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
    "LocalHeader",
    "check_entry_name",
    "descriptor_problem",
    "local_header_problem",
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
MAX_32 = 0xFFFFFFFF
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


# A data descriptor's fixed parts after its optional signature (APPNOTE 4.3.9.3): 32-bit sizes,
# or 64-bit ones in a zip64 archive (4.3.9.2).
_DESCRIBED_32 = struct.Struct("<III")
_DESCRIBED_64 = struct.Struct("<IQQ")
_SIGNATURE = SIG_DESCRIPTOR.to_bytes(4, "little")
#: The most bytes a data descriptor takes (signature, CRC-32, two 64-bit sizes).
MAX_DESCRIPTOR_BYTES: Final = 4 + _DESCRIBED_64.size


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


def local_header_problem(info: zipfile.ZipInfo, local: LocalHeader) -> str | None:
    """Why the ``local`` header disagrees with the central directory's record ``info``, or
    None.

    APPNOTE 4.4: the local header repeats the central record. A reader that streams the zip
    (Java's ZipInputStream, which mailbox providers may use) sees only the local header, so
    where the two differ such a reader would inflate other bytes, or take the entry for
    encrypted or stored, than the receiver checked: one package, two contents.
    """
    flags, crc, csize, size = local.flags, local.crc, local.csize, local.size
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
    if crc != info.CRC or (MAX_32 not in (csize, size) and (csize, size) != central[1:]):
        # (sizes of 0xFFFFFFFF: in the zip64 extra field, 4.5.3, which zipfile has read)
        return "its local header gives another CRC-32 or size than the central directory"
    return None


def descriptor_problem(info: zipfile.ZipInfo, after: bytes) -> str | None:
    """Why the data descriptor at the start of ``after`` (the bytes after the entry's data, up
    to the next record) is missing or disagrees with the central directory, or None.

    APPNOTE 4.3.9: CRC-32 and both sizes, after an optional signature; 64-bit sizes in zip64.
    A streaming reader takes them as the entry's true values.
    """
    central = (info.CRC, info.compress_size, info.file_size)
    # With the signature, or without it (a CRC-32 may happen to equal the signature).
    bodies = (after[4:], after) if after[:4] == _SIGNATURE else (after,)
    for body in bodies:
        for form in (_DESCRIBED_32, _DESCRIBED_64):
            if len(body) >= form.size and form.unpack_from(body) == central:
                return None
    return "its data descriptor is missing or gives another CRC-32 or size"

"""The zip format as the ASiC-E package uses it (ETSI TS 102 918 A.1, dpi.md 3.1; PKWARE
APPNOTE 4.3): the record layouts, signatures and flags, the ``mimetype`` entry, and which entry
names are safe. Shared by the writer (:mod:`.zip_write`) and the reader (:mod:`.container`).
"""

from __future__ import annotations

import re
import struct
from typing import Final

__all__ = [
    "ASIC_E_MIME_TYPE",
    "CENTRAL",
    "COMMENT",
    "DESCRIPTOR",
    "END",
    "LOCAL",
    "MAX_32",
    "MIMETYPE_BYTES",
    "SIG_CENTRAL",
    "SIG_DESCRIPTOR",
    "SIG_END",
    "SIG_LOCAL",
    "check_entry_name",
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

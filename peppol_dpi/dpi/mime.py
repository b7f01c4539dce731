"""The MIME types a DPI document package may carry (dpi.md 3.1).

Source: Digdir, "MIME type" (DOCS ``sikkerDigitalPost/forretningslag/Dokumentformat/mimetypes.md``,
also ``nyinf/dokumentpakke``): the mailbox providers display these; executables are never
allowed. The extension metadata types (``application/vnd.difi.dpi.*+xml``) describe a
document (its ``data`` file in the SDP manifest), they are not documents themselves.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = [
    "DOCUMENT_MIME_TYPES",
    "METADATA_MIME_TYPES",
    "mime_type_for",
]

#: File extension (lower case, without the dot) -> MIME type, for every allowed document type.
_BY_EXTENSION: Final = MappingProxyType(
    {
        "pdf": "application/pdf",
        "html": "text/html",
        "htm": "text/html",
        "xml": "application/ehf+xml",
        "txt": "text/plain",
        "odf": "application/vnd.oasis.opendocument.formula",
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "fods": "application/vnd.oasis.opendocument.spreadsheet",
        "odp": "application/vnd.oasis.opendocument.presentation",
        "fodp": "application/vnd.oasis.opendocument.presentation",
        "odg": "application/vnd.oasis.opendocument.graphics",
        "fodg": "application/vnd.oasis.opendocument.graphics",
        "gif": "image/gif",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "zip": "application/octet-stream",
    }
)

#: The MIME types allowed for a main document or an attachment.
DOCUMENT_MIME_TYPES: Final = frozenset(_BY_EXTENSION.values())

#: The extension metadata types ("utvidelser"), allowed for a document's ``data`` file only.
METADATA_MIME_TYPES: Final = frozenset(
    {
        "application/vnd.difi.dpi.bevis+xml",
        "application/vnd.difi.dpi.lenke+xml",
        "application/vnd.difi.dpi.arrangement+xml",
    }
)


def mime_type_for(file_name: str) -> str | None:
    """The DPI MIME type for a file name's extension; None when the extension is not allowed."""
    _, dot, extension = file_name.rpartition(".")
    return _BY_EXTENSION.get(extension.lower()) if dot else None

"""The Peppol Business Message Envelope 2.0.x (SBDH): build and read Standard Business Documents.

>>> sbd = build_sbd(SbdHeader.for_payload(payload, sender=..., ...), payload)   # doctest: +SKIP
>>> doc = read_sbd(sbd)                                                        # doctest: +SKIP

See docs/sbdh.md for the envelope, its rules and their sources.
"""

from .build import build_sbd, format_created
from .header_reader import parse_created
from .model import (
    BinaryContent,
    MlsType,
    Payload,
    SbdDocument,
    SbdHeader,
    Scope,
    TextContent,
    XmlPayload,
)
from .read import read_sbd, read_sbdh
from .rules import ScopeType

__all__ = [
    "BinaryContent",
    "MlsType",
    "Payload",
    "SbdDocument",
    "SbdHeader",
    "Scope",
    "ScopeType",
    "TextContent",
    "XmlPayload",
    "build_sbd",
    "format_created",
    "parse_created",
    "read_sbd",
    "read_sbdh",
]

"""The SBDH of an AS4 payload: read fast, validated by :mod:`peppol_dpi.sbdh`.

The AS4 layer compares sender, receiver, document type and process of the SBDH with its ebMS
headers (Peppol AS4 2.0.3 section 5). Only the header is parsed, incrementally: a 50 MB invoice
costs no more than its first kilobytes. This module is the one place the AS4 layer depends on
the envelope rules.
"""

from __future__ import annotations

from lxml import etree

from ..errors import EbmsError, InputError
from ..limits import DEFAULT_LIMITS, Limits
from ..ns import SBDH
from ..sbdh import SbdHeader, read_sbdh
from ..xmlparse import Element
from .profile import SbdRouting

__all__ = ["SbdhError", "read_header", "read_routing", "routing_of"]


class SbdhError(InputError):
    """The payload is not a Peppol SBD whose header can be read (EBMS:0003)."""

    default_ebms_code = EbmsError.VALUE_INCONSISTENT


def _q(local: str) -> str:
    return f"{{{SBDH}}}{local}"


_CHUNK = 64 * 1024


def _header_element(sbd: bytes | memoryview, limits: Limits) -> Element:
    """The StandardBusinessDocumentHeader, parsed without reading the (large) business payload.

    The header comes first (SBDH 1.3): an incremental parse stops at its end tag, so a 50 MB
    invoice costs no more than its first kilobytes. The same hardening as ``parse_xml``: no
    DTD, no entities, no network.
    """
    view = memoryview(sbd)
    if b"<!DOCTYPE" in bytes(view[:_CHUNK]):
        raise SbdhError("the SBD contains a DOCTYPE, which is forbidden", rule="xml:dtd-forbidden")
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    depth = 0
    try:
        for offset in range(0, max(len(view), 1), _CHUNK):
            parser.feed(bytes(view[offset : offset + _CHUNK]))
            for event, element in parser.read_events():
                if not isinstance(element, etree._Element):  # pragma: no cover - start/end only
                    continue
                depth += 1 if event == "start" else -1
                if depth > limits.max_xml_depth:
                    raise SbdhError("the SBDH nests too deep", rule="xml:too-deep")
                if (
                    event == "start"
                    and depth == 1
                    and element.tag != _q("StandardBusinessDocument")
                ):
                    raise SbdhError(
                        "the payload is not a Standard Business Document", rule="sbdh:not-sbd"
                    )
                if event == "end" and element.tag == _q("StandardBusinessDocumentHeader"):
                    if depth != 1:
                        raise SbdhError("the SBDH is misplaced", rule="sbdh:not-sbd")
                    return element
                if event == "end" and depth == 1:  # a first child that is not the header
                    raise SbdhError("the SBD does not start with its header", rule="sbdh:not-sbd")
    except etree.XMLSyntaxError as exc:
        raise SbdhError(
            f"the SBD payload is not well-formed XML: {exc}", rule="xml:not-well-formed"
        ) from None
    raise SbdhError("the payload is not a Standard Business Document", rule="sbdh:not-sbd")


def read_header(sbd: bytes | memoryview, *, limits: Limits = DEFAULT_LIMITS) -> SbdHeader:
    """The SBDH of an SBD, validated with every Peppol Envelope 2.0 header rule (and schema).

    Only the header is parsed (incrementally) and handed to :func:`peppol_dpi.sbdh.read_sbdh`
    as a document of its own; the business payload is left to the application.
    """
    header = _header_element(sbd, limits)
    document = etree.Element(_q("StandardBusinessDocument"), nsmap={None: SBDH})  # type: ignore[dict-item]
    document.append(header)
    try:
        return read_sbdh(etree.tostring(document), limits=limits)
    except InputError as exc:  # the payload is inconsistent, whatever the SBDH module's code
        raise SbdhError(f"the payload's SBDH is invalid: {exc.message}", rule=exc.rule) from None


def routing_of(header: SbdHeader) -> SbdRouting:
    """What the ebMS headers must agree with (Peppol AS4 2.0.3 section 5)."""
    return SbdRouting(
        sender=header.sender,
        receiver=header.receiver,
        document_type=header.document_type,
        process=header.process,
    )


def read_routing(sbd: bytes | memoryview, *, limits: Limits = DEFAULT_LIMITS) -> SbdRouting:
    """Sender, receiver, document type and process of an SBD, its header validated."""
    return routing_of(read_header(sbd, limits=limits))

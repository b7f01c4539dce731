"""The SBDH routing fields the AS4 layer compares with its headers (Peppol AS4 2.0.3 section 5).

A deliberately small reader: sender, receiver, document type and process from the
StandardBusinessDocumentHeader (Peppol Envelope 2.0 section 2). The full envelope rules live in
:mod:`peppol_dpi.sbdh`; this function is the one place the AS4 layer depends on them.
"""

from __future__ import annotations

from lxml import etree

from ..errors import EbmsError, InputError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..limits import DEFAULT_LIMITS, Limits
from ..ns import SBDH
from ..xmlparse import Element
from .profile import SbdRouting

__all__ = ["SbdhError", "read_routing"]


class SbdhError(InputError):
    """The payload is not a Peppol SBD whose header can be read (EBMS:0003)."""

    default_ebms_code = EbmsError.VALUE_INCONSISTENT


def _q(local: str) -> str:
    return f"{{{SBDH}}}{local}"


def _text(parent: Element, path: str, what: str) -> Element:
    found = parent.find(path)
    if found is None or not (found.text or "").strip():
        raise SbdhError(f"the SBDH has no {what}", rule="sbdh:missing")
    return found


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


def read_routing(sbd: bytes | memoryview, *, limits: Limits = DEFAULT_LIMITS) -> SbdRouting:
    """Sender, receiver, document type and process of an SBD (Peppol Envelope 2.0 section 2)."""
    header = _header_element(sbd, limits)
    sender = _text(header, f"{_q('Sender')}/{_q('Identifier')}", "Sender/Identifier")
    receiver = _text(header, f"{_q('Receiver')}/{_q('Identifier')}", "Receiver/Identifier")
    scopes: dict[str, tuple[str, str | None]] = {}
    for scope in header.iterfind(f"{_q('BusinessScope')}/{_q('Scope')}"):
        kind = (scope.findtext(_q("Type")) or "").strip()
        value = (scope.findtext(_q("InstanceIdentifier")) or "").strip()
        scheme = scope.findtext(_q("Identifier"))
        scopes[kind] = (value, scheme.strip() if scheme else None)
    if "DOCUMENTID" not in scopes or "PROCESSID" not in scopes:
        raise SbdhError("the SBDH lacks the DOCUMENTID or PROCESSID scope", rule="sbdh:missing")
    doc_value, doc_scheme = scopes["DOCUMENTID"]
    proc_value, proc_scheme = scopes["PROCESSID"]
    try:
        return SbdRouting(
            sender=ParticipantId.parse(f"{sender.get('Authority')}::{(sender.text or '').strip()}"),
            receiver=ParticipantId.parse(
                f"{receiver.get('Authority')}::{(receiver.text or '').strip()}"
            ),
            # Envelope 2.0 2.3: without Identifier the schemes default to busdox-docid-qns / cenbii-procid-ubl.
            document_type=DocumentTypeId.parse(f"{doc_scheme or 'busdox-docid-qns'}::{doc_value}"),
            process=ProcessId.parse(f"{proc_scheme or 'cenbii-procid-ubl'}::{proc_value}"),
        )
    except InputError as exc:
        raise SbdhError(f"the SBDH routing is invalid: {exc.message}", rule=exc.rule) from None

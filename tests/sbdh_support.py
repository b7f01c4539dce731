"""Shared pieces of the SBDH tests: sample values and the official-XSD oracle."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from peppol_dpi import ns
from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
from peppol_dpi.sbdh import Payload, SbdHeader

BIS3_INVOICE = DocumentTypeId(
    value="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
    "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
FACTUR_X = DocumentTypeId(
    value="urn:peppol:doctype:pdf+xml"
    "##urn:cen.eu:en16931:2017#conformant#urn:peppol:france:billing:Factur-X:1.0::D22B"
)
BILLING = ProcessId(value="urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")
SENDER = ParticipantId.norwegian("974761076")
RECEIVER = ParticipantId.norwegian("987464291")
CREATED = datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)

# peppol-commons' samples in ../shared/fixtures/peppol/sbdh: all good ones must be accepted, and
# each bad one refused for the rule its file name gives.
GOOD = [
    "good-additional-scopes.xml",
    "good-bis3-full.xml",
    "good-bis3.xml",
    "good-hybrid-invoice.xml",
    "good-with-timezone.xml",
]
# The rule each bad sample must be refused for (its file name says why).
BAD = {
    "bad-invalid-creation-date-and-time.xml": "sbdh:creation-date-and-time",
    "bad-invalid-sender-authority.xml": "sbdh:sender-authority",
    "bad-invalid-standard.xml": "sbdh:standard",
    "bad-no-business-message.xml": "sbdh:business-message",
    "bad-no-country-c1.xml": "sbdh:country-c1",
    "bad-too-few-scopes.xml": "sbdh:too-few-scopes",
}

INVOICE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
    b' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
    b"<cbc:ID>INV-1</cbc:ID><cbc:Note>bl\xc3\xa5b\xc3\xa6r &amp; &lt;is&gt;</cbc:Note></Invoice>"
)


def header_for(payload: Payload, **changes: object) -> SbdHeader:
    """A header for ``payload`` with the sample values, some of them replaced."""
    values: dict[str, object] = {
        "sender": SENDER,
        "receiver": RECEIVER,
        "document_type": BIS3_INVOICE,
        "process": BILLING,
        "country_c1": "NO",
        "instance_id": "5c8a1d52-3f0e-4c59-9a57-7f3f3c9a3d21",
        "created": CREATED,
    }
    values.update(changes)
    return SbdHeader.for_payload(payload, **values)  # type: ignore[arg-type]


@functools.cache
def official_schema(xsd_root: Path) -> etree.XMLSchema:
    """The official UN/CEFACT SBDH 1.3 and Peppol envelope 1.2 XSDs, combined.

    A driver document imports both, so that the SBD's lax wildcard validates Peppol's
    BinaryContent/TextContent just as the project's schema does.
    """
    sbdh = (xsd_root / "sbdh" / "StandardBusinessDocumentHeader.xsd").as_uri()
    envelope = (
        xsd_root / "peppol" / "PEPPOL-EDN-Business-Message-Envelope-1.2-2019-02-01.xsd"
    ).as_uri()
    driver = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:test:driver">'
        f'<xs:import namespace="{ns.SBDH}" schemaLocation="{sbdh}"/>'
        f'<xs:import namespace="{ns.PEPPOL_ENVELOPE}" schemaLocation="{envelope}"/>'
        "</xs:schema>"
    )
    return etree.XMLSchema(etree.fromstring(driver.encode()))


def official_valid(xsd_root: Path, document: bytes) -> bool:
    parser = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)
    return official_schema(xsd_root).validate(etree.fromstring(document, parser))

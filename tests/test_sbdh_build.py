"""Building envelopes: the model's rules, official-XSD validity and the round trip."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree
from sbdh_support import (
    BIS3_INVOICE,
    CREATED,
    FACTUR_X,
    INVOICE,
    header_for,
    official_valid,
)

from peppol_dpi.errors import UsageError, ValidationError, XmlSecurityError
from peppol_dpi.ids import DocumentTypeId, ParticipantId
from peppol_dpi.sbdh import (
    BinaryContent,
    MlsType,
    SbdHeader,
    Scope,
    TextContent,
    XmlPayload,
    build_sbd,
    format_created,
    read_sbd,
)
from peppol_dpi.xmlparse import c14n, parse_xml

PAYLOADS = {
    "xml": XmlPayload(data=INVOICE),
    "binary": BinaryContent(data=bytes(range(256)) * 40, mime_type="application/pdf"),
    "binary-text": BinaryContent(
        data="Blåbær\n".encode("iso-8859-1"), mime_type="text/csv", encoding="ISO-8859-1"
    ),
    "text": TextContent(text="a;b\r\n<æ>&]]>\n", mime_type="text/csv"),
}


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_round_trip_and_official_xsd(shared: Path, kind: str) -> None:
    payload = PAYLOADS[kind]
    document_type = BIS3_INVOICE if kind == "xml" else FACTUR_X
    header = header_for(
        payload,
        document_type=document_type,
        mls_to=ParticipantId(value="0242:000123"),
        mls_type=MlsType.FAILURE_ONLY,
        scopes=(Scope(type="any", instance_identifier="v"), Scope(type="empty")),
    )
    sbd = build_sbd(header, payload)
    assert official_valid(shared / "xsd", sbd)
    doc = read_sbd(sbd)
    assert doc.header == header
    assert doc.payload == payload
    assert doc.payload.data == payload.data
    # Writing what was read gives the same bytes again.
    assert build_sbd(doc.header, doc.payload) == sbd


def test_xml_payload_comes_back_as_the_same_document() -> None:
    sbd = build_sbd(header_for(XmlPayload(data=INVOICE)), XmlPayload(data=INVOICE))
    back = read_sbd(sbd).payload.data
    assert c14n(parse_xml(back)) == c14n(parse_xml(INVOICE))
    assert back.split(b"\n", 1)[1] == INVOICE.split(b"\n", 1)[1]


def test_non_utf8_xml_payload_is_carried_in_utf8() -> None:
    latin = INVOICE.decode().replace("UTF-8", "ISO-8859-1").encode("iso-8859-1")
    payload = XmlPayload(data=latin)
    sbd = build_sbd(header_for(payload), payload)
    assert "blåbær".encode() in sbd  # one encoding for envelope and payload (Envelope 2.0 §2)
    assert c14n(parse_xml(read_sbd(sbd).payload.data)) == c14n(parse_xml(INVOICE))


def test_header_values_are_written_as_peppol_requires() -> None:
    sbd = build_sbd(header_for(XmlPayload(data=INVOICE)), XmlPayload(data=INVOICE))
    root = parse_xml(sbd)
    sh = {"sh": "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"}

    def text(path: str) -> str:
        found = root.xpath(f"string({path})", namespaces=sh)
        assert isinstance(found, str)
        return found

    h = "sh:StandardBusinessDocumentHeader"
    assert text(f"{h}/sh:HeaderVersion") == "1.0"
    assert text(f"{h}/sh:Sender/sh:Identifier/@Authority") == "iso6523-actorid-upis"
    assert text(f"{h}/sh:DocumentIdentification/sh:Standard") == (
        "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    )
    assert text(f"{h}/sh:DocumentIdentification/sh:Type") == "Invoice"
    assert text(f"{h}/sh:DocumentIdentification/sh:TypeVersion") == "2.1"
    assert text(f"{h}/sh:DocumentIdentification/sh:CreationDateAndTime") == (
        "2026-01-02T03:04:05.123Z"
    )
    scopes = root.xpath(f"{h}/sh:BusinessScope/sh:Scope/sh:Type/text()", namespaces=sh)
    assert scopes == ["DOCUMENTID", "PROCESSID", "COUNTRY_C1"]
    assert text(f"{h}/sh:BusinessScope/sh:Scope[1]/sh:Identifier") == "busdox-docid-qns"
    assert text(f"{h}/sh:BusinessScope/sh:Scope[2]/sh:Identifier") == "cenbii-procid-ubl"


def test_non_xml_header_comes_from_the_document_type() -> None:
    header = header_for(PAYLOADS["binary"], document_type=FACTUR_X)
    assert (header.standard, header.type, header.type_version) == (
        "urn:peppol:doctype:pdf+xml",
        "BinaryContent",
        "D22B",
    )
    header = header_for(PAYLOADS["text"], document_type=BIS3_INVOICE)
    assert (header.standard, header.type, header.type_version) == (
        "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
        "Invoice",
        "2.1",
    )


def test_build_refuses_a_header_that_does_not_fit_the_xml_payload() -> None:
    payload = XmlPayload(data=INVOICE)
    header = dataclasses.replace(
        header_for(payload),
        standard="urn:x",
        type="Order",
        type_version="3:0",
    )
    with pytest.raises(ValidationError) as info:
        build_sbd(header, payload)
    assert [p.rule for p in info.value.problems] == [
        "sbdh:standard",
        "sbdh:type-version",
        "sbdh:type",
    ]
    other = DocumentTypeId(value="urn:x::Invoice##c::2.1")
    with pytest.raises(ValidationError) as info:
        build_sbd(dataclasses.replace(header_for(payload), document_type=other), payload)
    assert [p.rule for p in info.value.problems] == ["sbdh:standard"]


def test_the_header_checks_itself_and_reports_everything() -> None:
    with pytest.raises(ValidationError) as info:
        header_for(
            XmlPayload(data=INVOICE),
            country_c1="no",
            instance_id="",
            created=datetime(2026, 1, 2, 3, 4, 5),
            scopes=(Scope(type="x"), Scope(type="x")),
        )
    assert [p.rule for p in info.value.problems] == [
        "sbdh:instance-identifier",
        "sbdh:creation-date-and-time",
        "sbdh:country-c1",
        "sbdh:duplicate-scope",
    ]
    with pytest.raises(ValidationError) as scope_info:
        Scope(type="DOCUMENTID", instance_identifier="x")
    assert scope_info.value.rule == "sbdh:scope-reserved"
    with pytest.raises(ValidationError) as mls_info:
        header_for(XmlPayload(data=INVOICE), mls_type="SOMETIMES")
    assert mls_info.value.rule == "sbdh:mls-type"
    assert header_for(XmlPayload(data=INVOICE), mls_type="ALWAYS_SEND").mls_type is (
        MlsType.ALWAYS_SEND
    )
    with pytest.raises(UsageError):
        header_for(XmlPayload(data=INVOICE), sender="0192:974761076")


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"<Invoice><ID/></Invoice>", "sbdh:standard"),
        (
            b'<StandardBusinessDocument xmlns="http://www.unece.org/cefact/namespaces/'
            b'StandardBusinessDocumentHeader"/>',
            "sbdh:nested-envelope",
        ),
        (
            b'<BinaryContent xmlns="http://peppol.eu/xsd/ticc/envelope/1.0"/>',
            "sbdh:business-message",
        ),
    ],
)
def test_xml_payload_rules(data: bytes, rule: str) -> None:
    with pytest.raises(ValidationError) as info:
        XmlPayload(data=data)
    assert info.value.rule == rule


def test_payload_value_rules() -> None:
    with pytest.raises(XmlSecurityError):
        XmlPayload(data=b'<!DOCTYPE x [<!ENTITY a "b">]><x xmlns="urn:x">&a;</x>')
    with pytest.raises(ValidationError) as info:
        BinaryContent(data=b"x", mime_type="pdf")
    assert info.value.rule == "sbdh:mime-type"
    with pytest.raises(ValidationError) as info:
        TextContent(text="bell \x07")
    assert info.value.rule == "sbdh:text-content"
    assert (
        repr(BinaryContent(data=b"x" * 10)) == "BinaryContent(application/octet-stream, 10 bytes)"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05Z"),
        (CREATED, "2026-01-02T03:04:05.123Z"),
        (
            datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=timezone(timedelta(hours=1))),
            "2026-01-02T03:04:05.000007+01:00",
        ),
    ],
)
def test_format_created(value: datetime, text: str) -> None:
    assert format_created(value) == text


def test_large_binary_payload_round_trip(shared: Path) -> None:
    data = os.urandom(8 * 1024 * 1024)
    payload = BinaryContent(data=data, mime_type="application/pdf")
    sbd = build_sbd(header_for(payload, document_type=FACTUR_X), payload)
    assert len(sbd) < len(data) * 4 // 3 + 4096
    assert official_valid(shared / "xsd", sbd)
    assert read_sbd(sbd).payload.data == data


def test_sbdheader_is_frozen() -> None:
    header = header_for(XmlPayload(data=INVOICE))
    with pytest.raises(dataclasses.FrozenInstanceError):
        header.country_c1 = "SE"  # type: ignore[misc]
    assert isinstance(header, SbdHeader)
    assert etree is not None


def test_values_xml_cannot_carry_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        header_for(XmlPayload(data=INVOICE), instance_id="id\x01")
    assert info.value.rule == "sbdh:instance-identifier"
    with pytest.raises(ValidationError) as info:
        Scope(type="key", instance_identifier="value\x0b")
    assert info.value.rule == "sbdh:scope"

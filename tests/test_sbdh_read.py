"""Reading envelopes: peppol-commons' good and bad samples, every problem reported, header only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sbdh_support import BAD, FACTUR_X, GOOD, INVOICE, header_for

from peppol_dpi.errors import ValidationError, XmlSecurityError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.limits import Limits
from peppol_dpi.sbdh import (
    BinaryContent,
    MlsType,
    Scope,
    XmlPayload,
    build_sbd,
    parse_created,
    read_sbd,
    read_sbdh,
)


def test_the_sample_folders_hold_what_we_test(shared: Path) -> None:
    folder = shared / "peppol" / "sbdh"
    assert sorted(p.name for p in (folder / "good").iterdir()) == GOOD
    assert sorted(p.name for p in (folder / "bad").iterdir()) == sorted(BAD)


@pytest.mark.parametrize("name", GOOD)
def test_good_samples_are_accepted(shared: Path, name: str) -> None:
    doc = read_sbd((shared / "peppol" / "sbdh" / "good" / name).read_bytes())
    assert doc.header.country_c1 == "AT"
    assert doc.header.created.tzinfo is not None
    assert doc.header.type == "Invoice"


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_samples_are_refused_for_their_reason(shared: Path, name: str) -> None:
    with pytest.raises(ValidationError) as info:
        read_sbd((shared / "peppol" / "sbdh" / "bad" / name).read_bytes())
    assert info.value.rule == BAD[name]
    assert BAD[name] in {p.rule for p in info.value.problems}


def test_sample_values_are_read_exactly(shared: Path) -> None:
    doc = read_sbd((shared / "peppol/sbdh/good/good-bis3-full.xml").read_bytes())
    h = doc.header
    assert str(h.sender) == "iso6523-actorid-upis::0088:7315458756324"
    assert str(h.receiver) == "iso6523-actorid-upis::0088:4562458856624"
    assert h.document_type.version == "2.1"
    assert str(h.process) == "cenbii-procid-ubl::urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    assert h.instance_id == "a593a0aa-6ff7-48b0-8906-5534fa5212e0"
    assert h.created == datetime(2019, 4, 25, 15, 46, 10, tzinfo=UTC)
    assert h.mls_to == ParticipantId(value="9915:test")
    assert h.mls_type is MlsType.ALWAYS_SEND
    assert isinstance(doc.payload, XmlPayload)
    assert doc.payload.local_name == "Invoice"
    # The payload is a standalone document: it declares the namespace it uses itself.
    assert doc.payload.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<ns4:Invoice')
    assert b'xmlns:ns4="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"' in doc.payload.data


def test_prefixes_declared_on_the_envelope_move_into_the_payload(shared: Path) -> None:
    doc = read_sbd((shared / "peppol/sbdh/good/good-bis3.xml").read_bytes())
    assert doc.payload.data.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
    )


def test_extra_scopes_are_kept_in_order(shared: Path) -> None:
    doc = read_sbd((shared / "peppol/sbdh/good/good-additional-scopes.xml").read_bytes())
    assert doc.header.scopes == (
        Scope(type="any", instance_identifier="other"),
        Scope(type="any2", instance_identifier="other2"),
    )


def test_hybrid_binary_payload_is_decoded(shared: Path) -> None:
    doc = read_sbd((shared / "peppol/sbdh/good/good-hybrid-invoice.xml").read_bytes())
    assert isinstance(doc.payload, BinaryContent)
    assert doc.payload.mime_type == "application/pdf"
    assert doc.payload.data.startswith(b"%PDF-1.6") and doc.payload.data.rstrip().endswith(b"%%EOF")
    assert doc.header.created.utcoffset() == timedelta(hours=2)
    assert doc.header.document_type.is_xml is False


def _mutated(old: bytes, new: bytes) -> bytes:
    sbd = build_sbd(header_for(XmlPayload(data=INVOICE)), XmlPayload(data=INVOICE))
    assert old in sbd
    return sbd.replace(old, new, 1)


def test_every_problem_is_reported_together() -> None:
    sbd = build_sbd(header_for(XmlPayload(data=INVOICE)), XmlPayload(data=INVOICE))
    for old, new in [
        (b">1.0<", b">2.0<"),
        (b'Authority="iso6523-actorid-upis">0192:974761076', b'Authority="x">0192:974761076'),
        (b"0192:987464291", b"0192:987464290"),  # wrong check digit
        (b"<sh:Type>Invoice<", b"<sh:Type>CreditNote<"),
        (b"<sh:TypeVersion>2.1<", b"<sh:TypeVersion>2.2<"),
        (b"2026-01-02T03:04:05.123Z", b"2026-01-02T03:04:05.123"),
        (b">NO<", b">Norway<"),
        (b"cenbii-procid-ubl<", b"cenbii-procid-xyz<"),
        (b"<sh:HeaderVersion>", b"<sh:Unknown/><sh:HeaderVersion>"),
    ]:
        assert old in sbd, old
        sbd = sbd.replace(old, new, 1)
    with pytest.raises(ValidationError) as info:
        read_sbd(sbd)
    rules = [p.rule for p in info.value.problems]
    assert rules == [
        "sbdh:header-version",
        "sbdh:sender-authority",
        "sbdh:receiver",
        "sbdh:creation-date-and-time",
        "sbdh:process",
        "sbdh:country-c1",
        "sbdh:type-version",
        "sbdh:type",
        "sbdh:schema",
    ]
    assert "id:org-number" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        (b"<sh:Scope><sh:Type>COUNTRY_C1", b"<sh:Scope><sh:Type>COUNTRY_C2", "sbdh:country-c1"),
        (b"<sh:Type>DOCUMENTID</sh:Type>", b"<sh:Type>DOCUMENTIDX</sh:Type>", "sbdh:document-type"),
        (b"busdox-docid-qns<", b"busdox-docid-xyz<", "sbdh:document-type"),
        (b"<sh:Type>PROCESSID</sh:Type>", b"<sh:Type>other</sh:Type>", "sbdh:process"),
        (
            b"<sh:Standard>urn:oasis:names:specification:ubl:schema:xsd:Invoice-2<",
            b"<sh:Standard>urn:oasis:names:specification:ubl:schema:xsd:Order-2<",
            "sbdh:standard",
        ),
        (
            b">5c8a1d52-3f0e-4c59-9a57-7f3f3c9a3d21<",
            b"> <",
            "sbdh:instance-identifier",
        ),
        (
            b"<sh:Receiver>",
            b"<sh:Receiver><sh:Identifier Authority='iso6523-actorid-upis'>0192:974761076</sh:Identifier></sh:Receiver><sh:Receiver>",
            "sbdh:receiver-count",
        ),
        (
            b"</sh:BusinessScope>",
            b"<sh:Scope><sh:Type>COUNTRY_C1</sh:Type><sh:InstanceIdentifier>SE</sh:InstanceIdentifier></sh:Scope></sh:BusinessScope>",
            "sbdh:duplicate-scope",
        ),
        (
            b"</sh:BusinessScope>",
            b"<sh:Scope><sh:Type>MLS_TYPE</sh:Type><sh:InstanceIdentifier>SOMETIMES</sh:InstanceIdentifier></sh:Scope></sh:BusinessScope>",
            "sbdh:mls-type",
        ),
        (
            b"</sh:BusinessScope>",
            b"<sh:Scope><sh:Type>MLS_TO</sh:Type><sh:InstanceIdentifier>0242:000001</sh:InstanceIdentifier></sh:Scope></sh:BusinessScope>",
            "sbdh:mls-to",
        ),
        (
            b"</sh:BusinessScope>",
            b"<sh:Scope><sh:Type>x</sh:Type><sh:InstanceIdentifier/></sh:Scope><sh:Scope><sh:Type>x</sh:Type><sh:InstanceIdentifier/></sh:Scope></sh:BusinessScope>",
            "sbdh:duplicate-scope",
        ),
        (
            b"</sh:BusinessScope>",
            b"<sh:Scope><sh:Type> </sh:Type><sh:InstanceIdentifier/></sh:Scope></sh:BusinessScope>",
            "sbdh:scope",
        ),
        (
            b"</sh:StandardBusinessDocument>",
            b"<Other xmlns='urn:x'/></sh:StandardBusinessDocument>",
            "sbdh:business-message",
        ),
        (
            b"<Invoice xmlns=",
            b"<sh:StandardBusinessDocument/><Invoice xmlns=",
            "sbdh:business-message",
        ),
    ],
)
def test_each_rule_is_named(old: bytes, new: bytes, rule: str) -> None:
    with pytest.raises(ValidationError) as info:
        read_sbd(_mutated(old, new))
    assert rule in [p.rule for p in info.value.problems], info.value


def test_a_nested_envelope_is_refused() -> None:
    inner = build_sbd(header_for(XmlPayload(data=INVOICE)), XmlPayload(data=INVOICE))
    sbd = _mutated(INVOICE.split(b"\n", 1)[1], inner.split(b"\n", 1)[1])
    with pytest.raises(ValidationError) as info:
        read_sbd(sbd)
    assert "sbdh:nested-envelope" in [p.rule for p in info.value.problems]


def test_not_an_envelope_and_hostile_xml() -> None:
    with pytest.raises(ValidationError) as info:
        read_sbd(INVOICE)
    assert info.value.rule == "sbdh:not-sbd"
    with pytest.raises(XmlSecurityError) as xml_info:
        read_sbd(b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
    assert xml_info.value.rule == "xml:dtd-forbidden"


def test_read_sbdh_reads_the_header_alone(shared: Path) -> None:
    data = (shared / "peppol/sbdh/good/good-hybrid-invoice.xml").read_bytes()
    assert read_sbdh(data) == read_sbd(data).header
    # The header checks still apply; the payload's are not made.
    bad = (shared / "peppol/sbdh/bad/bad-invalid-sender-authority.xml").read_bytes()
    with pytest.raises(ValidationError) as info:
        read_sbdh(bad)
    assert info.value.rule == "sbdh:sender-authority"
    mismatched = (shared / "peppol/sbdh/bad/bad-invalid-standard.xml").read_bytes()
    assert read_sbdh(mismatched).standard == "Error"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-04-25T15:46:10Z", datetime(2019, 4, 25, 15, 46, 10, tzinfo=UTC)),
        (
            "2025-05-11T00:39:44.285+02:00",
            datetime(2025, 5, 11, 0, 39, 44, 285000, tzinfo=timezone(timedelta(hours=2))),
        ),
        (
            "2019-04-25T15:46:10.123456789-05:30",
            datetime(
                2019, 4, 25, 15, 46, 10, 123456, tzinfo=timezone(-timedelta(hours=5, minutes=30))
            ),
        ),
        ("2019-12-31T24:00:00Z", datetime(2020, 1, 1, tzinfo=UTC)),
        ("2019-04-25T15:46:10", datetime(2019, 4, 25, 15, 46, 10)),
        ("2019-02-30T15:46:10Z", None),
        ("2019-04-25 15:46:10Z", None),
        ("", None),
        ("2019-04-25T15:46:10+15:00", None),
    ],
)
def test_parse_created(text: str, expected: datetime | None) -> None:
    assert parse_created(text) == expected


@pytest.mark.parametrize("junk", [b"QUJD*RUY=", b"QUJDRUY", b"@@@@"])
def test_base64_is_checked_strictly(junk: bytes) -> None:
    payload = BinaryContent(data=b"ABCEF", mime_type="application/pdf")
    sbd = build_sbd(header_for(payload, document_type=FACTUR_X), payload)
    assert b">QUJDRUY=<" in sbd
    with pytest.raises(ValidationError) as info:
        read_sbd(sbd.replace(b">QUJDRUY=<", b">" + junk + b"<"))
    assert info.value.rule == "sbdh:binary-content"


def test_base64_may_be_broken_into_lines() -> None:
    payload = BinaryContent(data=bytes(range(200)), mime_type="application/pdf")
    sbd = build_sbd(header_for(payload, document_type=FACTUR_X), payload)
    start = sbd.index(b'pdf">') + 5
    end = sbd.index(b"</BinaryContent>")
    lines = b"\r\n".join(sbd[i : min(i + 76, end)] for i in range(start, end, 76))
    assert read_sbd(sbd[:start] + lines + b"\n" + sbd[end:]).payload == payload


def test_limits_apply(shared: Path) -> None:
    data = (shared / "peppol/sbdh/good/good-hybrid-invoice.xml").read_bytes()
    with pytest.raises(XmlSecurityError) as info:
        read_sbd(data, limits=Limits(max_xml_bytes=len(data) - 1))
    assert info.value.rule == "xml:too-large"
    with pytest.raises(XmlSecurityError) as info:
        read_sbdh(data, limits=Limits(max_xml_elements=10))
    assert info.value.rule == "xml:too-many-elements"


def test_read_sbdh_does_not_parse_the_payload(shared: Path) -> None:
    data = (shared / "peppol/sbdh/good/good-bis3.xml").read_bytes()
    end = data.index(b"</StandardBusinessDocumentHeader>") + 33
    broken = data[:end] + b"<ubl:Invoice>" + b"<x>" * 10_000 + b"&nope;"
    assert read_sbdh(broken) == read_sbd(data).header
    with pytest.raises(XmlSecurityError):
        read_sbd(broken)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (INVOICE, "sbdh:missing-header"),
        (
            b'<sh:StandardBusinessDocumentHeader xmlns:sh="http://www.unece.org/cefact/'
            b'namespaces/StandardBusinessDocumentHeader"/>',
            "sbdh:missing-header",
        ),
        (
            b'<x:Other xmlns:x="urn:x" xmlns:sh="http://www.unece.org/cefact/namespaces/'
            b'StandardBusinessDocumentHeader"><sh:StandardBusinessDocumentHeader/></x:Other>',
            "sbdh:not-sbd",
        ),
    ],
)
def test_read_sbdh_needs_an_envelope(data: bytes, rule: str) -> None:
    with pytest.raises(ValidationError) as info:
        read_sbdh(data)
    assert info.value.rule == rule

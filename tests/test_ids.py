from __future__ import annotations

import pytest

from peppol_dpi.errors import InputError
from peppol_dpi.ids import (
    DocumentTypeId,
    DocumentTypeScheme,
    IdentifierError,
    ParticipantId,
    ProcessId,
    is_valid_norwegian_org_number,
)

INVOICE = (
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
    "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)


@pytest.mark.parametrize(
    "number", ["974761076", "991825827", "984661185", "922020175", "810969342"]
)
def test_valid_org_numbers(number: str) -> None:
    assert is_valid_norwegian_org_number(number)


@pytest.mark.parametrize(
    "number", ["974761077", "97476107", "9747610760", "abcdefghi", "٩٧٤٧٦١٠٧٦"]
)
def test_invalid_org_numbers(number: str) -> None:
    assert not is_valid_norwegian_org_number(number)


def test_participant_parse_and_str() -> None:
    pid = ParticipantId.parse("iso6523-actorid-upis::0192:974761076")
    assert pid.icd == "0192" and pid.org_number == "974761076"
    assert str(pid) == "iso6523-actorid-upis::0192:974761076"
    assert ParticipantId.parse("0192:974761076") == pid
    assert ParticipantId.norwegian("974761076") == pid


def test_participant_case_insensitive() -> None:
    a = ParticipantId.parse("9925:BE0123456789")
    b = ParticipantId.parse("9925:be0123456789")
    assert a == b and hash(a) == hash(b)
    assert a.value == "9925:BE0123456789"  # the original spelling is kept


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("0192:974761077", "id:org-number"),
        ("1234:abc", "id:participant-icd"),
        ("974761076", "id:participant-format"),
        ("iso6523-actorid-upis::", "id:empty"),
        ("0088:" + "1" * 131, "id:length"),
        ("0088:1234\n", "id:charset"),
        ("0088:bjørn", "id:charset"),
        ("Bad_Scheme::0192:974761076", "id:scheme"),
        ("other-scheme-x::0192:974761076", "id:scheme"),
    ],
)
def test_participant_rules(text: str, rule: str) -> None:
    with pytest.raises(IdentifierError) as info:
        ParticipantId.parse(text)
    assert info.value.rule == rule
    assert isinstance(info.value, InputError)


def test_document_type_parts() -> None:
    doc = DocumentTypeId.parse("busdox-docid-qns::" + INVOICE)
    assert doc == DocumentTypeId.parse(INVOICE)
    assert doc.root_namespace == "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    assert doc.local_name == "Invoice"
    assert doc.customization_id.startswith("urn:cen.eu:en16931:2017#compliant")
    assert doc.version == "2.1"
    wildcard = DocumentTypeId.parse("peppol-doctype-wildcard::" + INVOICE)
    assert wildcard.scheme is DocumentTypeScheme.PEPPOL_DOCTYPE_WILDCARD


def test_document_type_is_case_sensitive_and_bounded() -> None:
    assert DocumentTypeId.parse(INVOICE) != DocumentTypeId.parse(INVOICE.upper())
    with pytest.raises(IdentifierError, match="more than 500"):
        DocumentTypeId(value="a::b##c::" + "1" * 500)
    with pytest.raises(IdentifierError) as info:
        DocumentTypeId(value="urn:no-separators")
    assert info.value.rule == "id:document-type-format"


def test_process() -> None:
    proc = ProcessId.parse("cenbii-procid-ubl::urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")
    assert proc.value == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    assert proc == ProcessId.parse("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")
    with pytest.raises(IdentifierError):
        ProcessId(value="x" * 201)


def test_values_are_frozen() -> None:
    pid = ParticipantId.parse("0192:974761076")
    with pytest.raises(AttributeError):
        pid.value = "0192:991825827"  # type: ignore[misc]


def test_random_uuid_is_a_canonical_version_4_uuid() -> None:
    import uuid

    from peppol_dpi.ids import random_uuid

    made = [random_uuid() for _ in range(200)]
    assert len(set(made)) == 200
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # canonical: lower case, 8-4-4-4-12
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122

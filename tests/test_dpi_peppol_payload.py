"""The DPI message in a Peppol SBDH (corner 2 to corner 3) and back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dpi_samples
import pki
import pytest
from sbdh_support import official_valid

from peppol_dpi import ns
from peppol_dpi.dpi.identifiers import DpiProcess, MessageType
from peppol_dpi.dpi.innbyggerpost import Innbyggerpost
from peppol_dpi.dpi.peppol_payload import unwrap, wrap
from peppol_dpi.dpi.signed import sign_business_message
from peppol_dpi.errors import ValidationError
from peppol_dpi.sbdh import read_sbd

CREATED = datetime(2026, 3, 16, 13, 16, 8, tzinfo=UTC)


def innbyggerpost(message_type: MessageType = MessageType.DIGITAL) -> Innbyggerpost:
    message = dpi_samples.message(message_type)
    key = pki.business_key("eboks" if message_type.is_receipt else "sender")
    return Innbyggerpost(
        forretningsmelding=sign_business_message(message, key), dokumentpakke=b"CMS bytes"
    )


@pytest.mark.parametrize("message_type", [MessageType.DIGITAL, MessageType.UTSKRIFT, MessageType.FLYTTET])  # fmt: skip
def test_wrap_and_unwrap(shared: Path, message_type: MessageType) -> None:
    payload = innbyggerpost(message_type)
    sbd = wrap(payload, instance_id="c2-0001", created=CREATED)
    assert official_valid(shared / "xsd", sbd)  # UN/CEFACT SBDH XSD
    read = unwrap(sbd)
    assert read.innbyggerpost == payload
    assert read.message == dpi_samples.message(message_type)
    assert read.header.document_type == message_type.document_type
    assert read.header.process == DpiProcess[message_type.name].process_id
    assert read.header.sender == read.message.sender and read.header.country_c1 == "NO"
    assert (read.header.standard, read.header.type) == (ns.INNBYGGERPOST, "Innbyggerpost")


def test_digdir_sample_envelope_shape(shared: Path) -> None:
    # Digdir's draft sample routes with DOCUMENTID/PROCESSID scopes, as we do; its identifiers
    # are an early draft (xsd::Innbyggerpost, ICD 0088 receiver) and its content placeholders.
    sample = (shared / "dpi" / "digitalpost_c2_c3.xml").read_text(encoding="utf-8")
    ours = wrap(innbyggerpost(), instance_id="x", created=CREATED).decode()
    for element in ("<sh:Type>DOCUMENTID</sh:Type>", "<sh:Type>PROCESSID</sh:Type>"):
        assert element.replace("sh:", "") in sample and element in ours
    assert "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0" in sample
    assert 'Innbyggerpost xmlns="http://digdir.no/dpi/innbyggerpost"' in sample and 'Innbyggerpost xmlns="http://digdir.no/dpi/innbyggerpost"' in ours  # fmt: skip


def test_the_generic_reader_refuses_dpi_document_types() -> None:
    # Pinned conflict (docs/dpi.md): peppol-commons wants the document type to start with
    # Standard; Digdir's DPI document type cannot. unwrap applies every other rule.
    with pytest.raises(ValidationError) as caught:
        read_sbd(wrap(innbyggerpost(), instance_id="x", created=CREATED))
    assert {p.rule for p in caught.value.problems} == {"sbdh:standard"}


def test_envelope_must_route_what_the_message_says() -> None:
    sbd = wrap(innbyggerpost(), instance_id="x", created=CREATED)
    tampered = sbd.replace(b"innbyggerpost:digital:ver1.0</sh:InstanceIdentifier>", b"innbyggerpost:utskrift:ver1.0</sh:InstanceIdentifier>")  # fmt: skip
    assert tampered != sbd
    with pytest.raises(ValidationError) as caught:
        unwrap(tampered)
    assert caught.value.rule == "dpi:envelope"
    assert "BusinessScope/PROCESSID" in caught.value.problems[0].location
    other = sbd.replace(b"0192:922020175</sh:Identifier>", b"0192:984661185</sh:Identifier>")
    with pytest.raises(ValidationError) as caught:
        unwrap(other)
    assert {p.location.rsplit("/", 1)[-1] for p in caught.value.problems} == {"Receiver"}


def test_receipts_travel_back_the_same_way() -> None:
    read = unwrap(wrap(innbyggerpost(MessageType.LEVERINGSKVITTERING), instance_id="x", created=CREATED))  # fmt: skip
    assert read.message.type is MessageType.LEVERINGSKVITTERING
    assert read.header.receiver == dpi_samples.SENDER

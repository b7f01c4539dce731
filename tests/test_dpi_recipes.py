"""The two ends of the flow: the sender recipe and every check corner 4 makes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pki
import pytest

from peppol_dpi.dpi.asic import AsicBuilder, Document
from peppol_dpi.dpi.bodies import Adresse, Retur, Returposthaandtering, Utskriftstype
from peppol_dpi.dpi.identifiers import DpiProcess, MessageType
from peppol_dpi.dpi.mailbox import OpenedPackage, receive
from peppol_dpi.dpi.package import open_package, seal
from peppol_dpi.dpi.sender import (
    DigitalRecipient,
    Ids,
    OutgoingMessage,
    PrintRecipient,
    Sender,
    digital_message,
    outgoing,
    send_digital,
    send_print,
)
from peppol_dpi.dpi.signed import sign_business_message, verify_business_message
from peppol_dpi.dpi.token import DPI_SCOPE
from peppol_dpi.errors import CertificateError, DecryptionError, SignatureError, UsageError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.keys import PrivateKey
from peppol_dpi.trust import RevocationMode, TrustPolicy

NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
LEGAL = ParticipantId.norwegian("991825827")
PROCESSOR = ParticipantId.norwegian("810969342")
DIGIPOST = ParticipantId.norwegian("984661185")
PRINT = ParticipantId.norwegian("922020175")  # e-Boks' test certificate plays the print service
MAILBOX = "ola.nordmann#9YDT"
DOCUMENTS = (
    Document(name="vedtak.pdf", content=b"%PDF-1.4 vedtak", title="Vedtak"),
    Document(name="vedlegg.txt", content=b"vedlegg"),
)


def trust() -> TrustPolicy:
    return pki.business_trust(revocation=RevocationMode.OFF)


def token(consumer: ParticipantId = LEGAL, supplier: ParticipantId | None = PROCESSOR, key: Any = None) -> str:  # fmt: skip
    claims: dict[str, Any] = {
        "scope": DPI_SCOPE,
        "iss": "https://test.maskinporten.no/",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(seconds=120)).timestamp()),
        "consumer": {"authority": "iso6523-actorid-upis", "ID": consumer.value},
    }
    if supplier is not None:
        claims["supplier"] = {"authority": "iso6523-actorid-upis", "ID": supplier.value}
    signer = key or pki.maskinporten_key().key
    return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": "mp"})


def sender(on_behalf: bool = True) -> Sender:
    if on_behalf:
        return Sender(key=pki.business_key("processor"), organisation=LEGAL, processor=PROCESSOR)
    return Sender(key=pki.business_key("sender"), organisation=LEGAL)


def recipient() -> DigitalRecipient:
    return DigitalRecipient(
        postkasseadresse=MAILBOX,
        provider=DIGIPOST,
        certificate=pki.business_key("digipost").certificate,
    )


def opener(key: PrivateKey) -> Callable[[bytes], OpenedPackage]:
    return lambda cms: open_package(cms, key, trust=trust(), at=NOW)


def arrive(parts: OutgoingMessage, mailbox: str = "digipost", **kwargs: Any) -> Any:
    key = pki.business_key(mailbox)
    options: dict[str, Any] = {
        "trust": trust(),
        "open_package": opener(key),
        "maskinporten_keys": {"mp": pki.maskinporten_key().certificate.public_key()},
        "maskinporten_issuer": "https://test.maskinporten.no/",
        "at": NOW,
    }
    options.update(kwargs)
    return receive(parts.forretningsmelding, parts.dokumentpakke, **options)


def send(**overrides: Any) -> OutgoingMessage:
    arguments: dict[str, Any] = {
        "sender": sender(),
        "recipient": recipient(),
        "documents": DOCUMENTS,
        "token": token(),
        "title": "Vedtak om barnehageplass",
        "created": NOW,
        "ids": Ids(message_id=uuid.UUID(int=1), conversation_id=uuid.UUID(int=2)),
    }
    arguments.update(overrides)
    return send_digital(**arguments)


@pytest.mark.parametrize("on_behalf", [True, False])
def test_digital_from_documents_to_the_mailbox(on_behalf: bool) -> None:
    supplier = PROCESSOR if on_behalf else None
    parts = send(sender=sender(on_behalf), token=token(supplier=supplier))
    assert parts.message_id == uuid.UUID(int=1) and parts.conversation_id == uuid.UUID(int=2)
    assert parts.message.sender == (PROCESSOR if on_behalf else LEGAL)
    assert parts.message.receiver == DIGIPOST
    received = arrive(parts)
    assert received.message.message == parts.message
    assert received.token.consumer == LEGAL and received.token.supplier == supplier
    assert received.package.mailbox == MAILBOX and received.package.sender == LEGAL
    assert received.package.main.content == DOCUMENTS[0].content  # type: ignore[attr-defined]


def test_print_from_documents_to_the_print_service() -> None:
    address = Adresse(navn="Ola", adresselinje1="Vei 1", postnummer="1234", poststed="Nordby")
    parts = send_print(
        sender=sender(),
        recipient=PrintRecipient(
            adresse=address,
            provider=PRINT,
            certificate=pki.business_key("eboks").certificate,
            retur=Retur(mottaker=address, returposthaandtering=Returposthaandtering.DIREKTE_RETUR),
            utskriftstype=Utskriftstype.FARGE,
        ),
        documents=DOCUMENTS[:1],
        token=token(),
        created=NOW,
    )
    assert parts.message.type is MessageType.UTSKRIFT
    assert parts.message.process is DpiProcess.UTSKRIFT
    received = arrive(parts, mailbox="eboks")
    assert received.package.mailbox is None


def test_the_wrong_mailbox_key_cannot_open_it() -> None:
    with pytest.raises(DecryptionError):
        arrive(send(), mailbox="eboks")


def _repackaged(builder: AsicBuilder, key: PrivateKey, *, token_text: str | None = None) -> OutgoingMessage:  # fmt: skip
    """A message made for a package built by ``builder`` and signed with ``key``."""
    package = seal(builder, key, recipient=pki.business_key("digipost").certificate, signing_time=NOW)  # fmt: skip
    message = digital_message(
        sender=sender(),
        recipient=recipient(),
        package=package,
        token=token_text or token(),
        title="t",
        created=NOW,
    )
    return outgoing(message, package, sender())


def _builder(organisation: ParticipantId = LEGAL, mailbox: str = MAILBOX) -> AsicBuilder:
    return AsicBuilder().sender(organisation).mailbox(mailbox).main_document(DOCUMENTS[0])


@pytest.mark.parametrize(
    ("make", "rule"),
    [
        (lambda: send(token=token(consumer=ParticipantId.norwegian("974761076"))), "dpi:token-consumer"),
        (lambda: send(token=token(supplier=None)), "dpi:token-signer"),
        (lambda: send(token=token(supplier=DIGIPOST)), "dpi:token-signer"),
        (lambda: send(token=token(key=pki.business_key("sender").key)), "jws:signature"),
        (lambda: _repackaged(_builder(), pki.business_key("sender")), "dpi:package-signer"),
        (lambda: _repackaged(_builder(ParticipantId.norwegian("974761076")), pki.business_key("processor")), "dpi:package-sender"),
        (lambda: _repackaged(_builder(mailbox="kari#1"), pki.business_key("processor")), "dpi:package-mailbox"),
    ],
)  # fmt: skip
def test_corner_4_refuses(make: Callable[[], OutgoingMessage], rule: str) -> None:
    with pytest.raises(SignatureError) as caught:
        arrive(make())
    assert caught.value.rule == rule


def test_corner_4_refuses_a_swapped_package() -> None:
    first, second = send(), send(title="another letter")
    swapped = OutgoingMessage(
        forretningsmelding=first.forretningsmelding,
        dokumentpakke=second.dokumentpakke,
        message=first.message,
    )
    with pytest.raises(SignatureError) as caught:
        arrive(swapped)
    assert caught.value.rule == "dpi:fingerprint"


def test_corner_4_refuses_an_untrusted_signer() -> None:
    other = TrustPolicy(anchors=(pki.other_root_ca(),), revocation=RevocationMode.OFF)
    with pytest.raises(CertificateError) as caught:
        arrive(send(), trust=other)
    assert caught.value.rule == "cert:untrusted"


def test_corner_4_refuses_a_receipt_as_a_delivery() -> None:
    import dpi_samples

    receipt = dpi_samples.message(MessageType.LEVERINGSKVITTERING)
    token_jws = sign_business_message(receipt, pki.business_key("eboks"))
    parts = OutgoingMessage(forretningsmelding=token_jws, dokumentpakke=b"x", message=receipt)
    with pytest.raises(SignatureError) as caught:
        arrive(parts)
    assert caught.value.rule == "dpi:message-type"
    # ...while the sender verifies it as the receipt it is.
    assert (
        verify_business_message(token_jws, trust=trust()).message.type
        is MessageType.LEVERINGSKVITTERING
    )


def test_sender_refuses_a_key_of_another_organisation() -> None:
    with pytest.raises(UsageError):
        Sender(key=pki.business_key("processor"), organisation=LEGAL)
    with pytest.raises(UsageError):
        send(recipient=DigitalRecipient(postkasseadresse=MAILBOX, provider=DIGIPOST))


@pytest.mark.parametrize("message_type", sorted(t for t in DpiProcess.DIGITAL.message_types if t.is_receipt))  # fmt: skip
def test_receipts_go_back_to_the_technical_sender(message_type: MessageType) -> None:
    from peppol_dpi.dpi.bodies import Feiltype, Varslingskanal
    from peppol_dpi.dpi.mailbox import receipt

    parts = send(sender=Sender(key=pki.business_key("processor"), organisation=LEGAL, processor=PROCESSOR, avsenderidentifikator="barnehage"))  # fmt: skip
    original = arrive(parts).message.message
    made = receipt(
        original,
        message_type=message_type,
        provider=DIGIPOST,
        created=NOW,
        message_id=uuid.UUID(int=99),
        varslingskanal=Varslingskanal.EPOST,
        feiltype=Feiltype.KLIENT,
    )
    signed = verify_business_message(
        sign_business_message(made, pki.business_key("digipost")), trust=trust()
    )
    message = signed.message
    assert message.type is message_type
    assert message.sender == DIGIPOST and message.receiver == PROCESSOR
    assert (
        message.conversation_id == parts.conversation_id and message.process is DpiProcess.DIGITAL
    )
    assert message.body.mottaker.virksomhetsidentifikator == LEGAL  # type: ignore[union-attr]
    assert message.body.mottaker.motakeridentifikator == "barnehage"  # type: ignore[union-attr]


def test_print_receipts_do_not_answer_digital_post() -> None:
    from peppol_dpi.dpi.mailbox import receipt
    from peppol_dpi.errors import ValidationError

    original = send().message
    with pytest.raises(ValidationError) as caught:
        receipt(original, message_type=MessageType.MOTTAKSKVITTERING, provider=DIGIPOST, created=NOW, message_id=uuid.uuid4())  # fmt: skip
    assert caught.value.rule == "dpi:process"

"""Sender side (corner 1): the business message for a document package, signed.

``POST /messages/out`` takes two parts (docs/dpi.md, "Corner 2 API"): ``forretningsmelding``,
the signed business message (JWS), and ``dokumentpakke``, the encrypted package (CMS). The
message carries the package's fingerprint and the Maskinporten token that also authenticates
the request.

* :func:`send_digital` / :func:`send_print`: from the documents to both parts in one call
  (package built, signed and encrypted by :mod:`.package`; message built and signed);
* :func:`digital_message` / :func:`print_message` build the message for a package made
  elsewhere, and :func:`outgoing` signs it.

Who is who (Digdir ``struktur_forretningsmelding.md``, sample ``digital-pa-vegne-av``):

* ``Sender.organisation`` is the legal sender (behandlingsansvarlig): ``avsender`` in the
  message and in the package manifest, and the token's ``consumer``;
* ``Sender.processor``, when a data processor (databehandler) sends on its behalf, is the SBDH
  ``sender``, the token's ``supplier``, and the holder of the certificate that signs both the
  message and the package. Without a processor the legal sender is all of these.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from cryptography import x509

from ..arguments import require_instance, require_items, require_optional, require_time
from ..certinfo import norwegian_org_number
from ..errors import UsageError
from ..ids import ParticipantId
from ..keys import PrivateKey, require_certificate, require_key
from .asic import AsicBuilder, Document
from .bodies import (
    Adresse,
    Avsender,
    Digital,
    Fingeravtrykk,
    Personmottaker,
    Posttype,
    Retur,
    Sikkerhetsnivaa,
    Utskrift,
    Utskriftstype,
    Varsler,
)
from .identifiers import MessageType
from .message import BusinessMessage, Sbdh
from .package import seal
from .signed import sign_business_message

__all__ = [
    "DigitalOptions",
    "DigitalRecipient",
    "Ids",
    "OutgoingMessage",
    "PrintRecipient",
    "Sender",
    "digital_message",
    "outgoing",
    "print_message",
    "send_digital",
    "send_print",
]


@dataclass(frozen=True, kw_only=True)
class Sender:
    """The sending side: its signing key, the legal sender and an optional data processor."""

    key: PrivateKey
    organisation: ParticipantId
    processor: ParticipantId | None = None
    avsenderidentifikator: str | None = None
    faktura_referanse: str | None = None

    def __post_init__(self) -> None:
        require_key(self.key, caller="Sender")
        require_instance(self.organisation, ParticipantId, caller="Sender", name="organisation")
        require_optional(self.processor, ParticipantId, caller="Sender", name="processor")
        # Digdir nyinfrastruktur: the SBDH sender signs the message and the package with the
        # same business certificate; corner 4 checks it against the token.
        signer = norwegian_org_number(self.key.certificate)
        if signer != self.sbdh_sender.org_number:
            raise UsageError(
                f"the key's certificate belongs to organisation {signer}, but the SBDH sender "
                f"is {self.sbdh_sender.value}: sign with the sender's (or processor's) certificate"
            )

    @property
    def sbdh_sender(self) -> ParticipantId:
        return self.processor if self.processor is not None else self.organisation

    @property
    def avsender(self) -> Avsender:
        return Avsender(
            virksomhetsidentifikator=self.organisation,
            avsenderidentifikator=self.avsenderidentifikator,
            faktura_referanse=self.faktura_referanse,
        )


@dataclass(frozen=True, kw_only=True)
class DigitalRecipient:
    """A citizen reachable digitally (from the contact register, KRR): the mailbox address,
    the mailbox provider (SBDH receiver) and the certificate to encrypt the package to."""

    postkasseadresse: str
    provider: ParticipantId
    certificate: x509.Certificate | None = None  # needed to encrypt the package, not here

    def __post_init__(self) -> None:
        require_instance(
            self.postkasseadresse, str, caller="DigitalRecipient", name="postkasseadresse"
        )
        _require_provider(self, "DigitalRecipient")


@dataclass(frozen=True, kw_only=True)
class PrintRecipient:
    """A letter to print: the address, the print provider and its certificate (KRR
    ``printSertifikat``), and where returned letters go."""

    adresse: Adresse
    provider: ParticipantId
    retur: Retur
    certificate: x509.Certificate | None = None  # needed to encrypt the package, not here
    utskriftstype: Utskriftstype = Utskriftstype.SORT_HVIT
    posttype: Posttype | None = None

    def __post_init__(self) -> None:
        caller = "PrintRecipient"
        require_instance(self.adresse, Adresse, caller=caller, name="adresse")
        require_instance(self.retur, Retur, caller=caller, name="retur")
        _require_provider(self, caller)


def _require_provider(recipient: DigitalRecipient | PrintRecipient, caller: str) -> None:
    require_instance(recipient.provider, ParticipantId, caller=caller, name="provider")
    if recipient.certificate is not None:
        require_certificate(recipient.certificate, caller=caller, name="certificate")


@dataclass(frozen=True, kw_only=True)
class DigitalOptions:
    """The optional parts of a ``digital`` message (defaults as Digdir's client sends them)."""

    spraak: str = "no"
    sikkerhetsnivaa: Sikkerhetsnivaa = Sikkerhetsnivaa.NIVAA_3
    virkningsdato: date | None = None
    virkningstidspunkt: datetime | None = None
    aapningskvittering: bool | None = None
    varsler: Varsler | None = None


@dataclass(frozen=True, kw_only=True)
class Ids:
    """Injected identifiers and clock for one message."""

    message_id: uuid.UUID = field(default_factory=uuid.uuid4)
    conversation_id: uuid.UUID = field(default_factory=uuid.uuid4)


def _message(
    body: Digital | Utskrift,
    sender: Sender,
    recipient: DigitalRecipient | PrintRecipient,
    created: datetime,
    *,
    ids: Ids | None,
    expected_response: datetime | None,
) -> BusinessMessage:
    """``body`` under its SBDH, from the SBDH sender (the processor, if any) to the
    recipient's provider."""
    message_type = MessageType.DIGITAL if isinstance(body, Digital) else MessageType.UTSKRIFT
    ids = ids or Ids()
    header = Sbdh.create(
        message_type=message_type,
        sender=sender.sbdh_sender,
        receiver=recipient.provider,
        message_id=ids.message_id,
        conversation_id=ids.conversation_id,
        created=created,
        expected_response=expected_response,
    )
    return BusinessMessage(header=header, body=body)


def digital_message(
    *,
    sender: Sender,
    recipient: DigitalRecipient,
    package: bytes,
    token: str,
    title: str,
    created: datetime,
    ids: Ids | None = None,
    options: DigitalOptions | None = None,
    expected_response: datetime | None = None,
) -> BusinessMessage:
    """The ``digital`` business message for an encrypted package (its exact CMS bytes)."""
    options = options or DigitalOptions()
    body = Digital(
        avsender=sender.avsender,
        mottaker=Personmottaker(postkasseadresse=recipient.postkasseadresse),
        dokumentpakkefingeravtrykk=Fingeravtrykk.of(package),
        maskinportentoken=token,
        sikkerhetsnivaa=options.sikkerhetsnivaa,
        virkningsdato=options.virkningsdato,
        virkningstidspunkt=options.virkningstidspunkt,
        aapningskvittering=options.aapningskvittering,
        ikkesensitivtittel=title,
        spraak=options.spraak,
        varsler=options.varsler,
    )
    return _message(body, sender, recipient, created, ids=ids, expected_response=expected_response)


def print_message(
    *,
    sender: Sender,
    recipient: PrintRecipient,
    package: bytes,
    token: str,
    created: datetime,
    ids: Ids | None = None,
    expected_response: datetime | None = None,
) -> BusinessMessage:
    """The ``utskrift`` business message for an encrypted package."""
    body = Utskrift(
        avsender=sender.avsender,
        mottaker=recipient.adresse,
        dokumentpakkefingeravtrykk=Fingeravtrykk.of(package),
        maskinportentoken=token,
        utskriftstype=recipient.utskriftstype,
        retur=recipient.retur,
        posttype=recipient.posttype,
    )
    return _message(body, sender, recipient, created, ids=ids, expected_response=expected_response)


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """The two parts of ``POST /messages/out``, and the message they carry."""

    forretningsmelding: bytes  # the JWS (part "forretningsmelding", application/jwt)
    dokumentpakke: bytes  # the CMS (part "dokumentpakke", application/cms)
    message: BusinessMessage

    @property
    def message_id(self) -> uuid.UUID:
        """The id C2's status API is keyed by (``GET /messages/out/{id}/statuses``)."""
        return self.message.message_id

    @property
    def conversation_id(self) -> uuid.UUID:
        return self.message.conversation_id


def outgoing(message: BusinessMessage, package: bytes, sender: Sender) -> OutgoingMessage:
    """Sign ``message`` with the sender's key and pair it with its package."""
    fingerprint = getattr(message.body, "dokumentpakkefingeravtrykk", None)
    if fingerprint is None or not fingerprint.matches(package):
        raise UsageError("the message's fingerprint is not that of this package")
    if message.sender != sender.sbdh_sender:
        raise UsageError("the message's SBDH sender is not this sender")
    return OutgoingMessage(
        forretningsmelding=sign_business_message(message, sender.key),
        dokumentpakke=package,
        message=message,
    )


def _package(
    sender: Sender,
    documents: tuple[Document, ...],
    certificate: x509.Certificate | None,
    mailbox: str | None,
    created: datetime,
) -> bytes:
    if not documents:
        raise UsageError("a package needs a main document")
    if certificate is None:
        raise UsageError("the recipient's certificate is needed to encrypt the package")
    builder = AsicBuilder().sender(
        sender.organisation,
        sender_identifier=sender.avsenderidentifikator,
        invoice_reference=sender.faktura_referanse,
    )
    if mailbox is not None:
        builder = builder.mailbox(mailbox)
    builder = builder.main_document(documents[0])
    for attachment in documents[1:]:
        builder = builder.add_attachment(attachment)
    # The package and the message are signed with the same key (Digdir nyinfrastruktur).
    return seal(builder, sender.key, recipient=certificate, signing_time=created)


def _check_send(
    caller: str,
    *,
    sender: object,
    recipient: object,
    recipient_type: type[DigitalRecipient | PrintRecipient],
    documents: object,
    token: object,
    created: object,
    ids: object,
) -> None:
    """The arguments :func:`send_digital` and :func:`send_print` share, checked before any work."""
    require_instance(sender, Sender, caller=caller, name="sender")
    require_instance(recipient, recipient_type, caller=caller, name="recipient")
    require_items(
        documents, Document, caller=caller, name="documents", expected="a tuple of Document"
    )
    require_instance(
        token, str, caller=caller, name="token", expected="a str (the Maskinporten token)"
    )
    require_time(created, caller=caller, name="created")
    require_optional(ids, Ids, caller=caller, name="ids")


def send_digital(
    *,
    sender: Sender,
    recipient: DigitalRecipient,
    documents: tuple[Document, ...],
    token: str,
    title: str,
    created: datetime,
    ids: Ids | None = None,
    options: DigitalOptions | None = None,
) -> OutgoingMessage:
    """Digital post from documents (the first is the main document) to both request parts."""
    _check_send(
        "send_digital",
        sender=sender,
        recipient=recipient,
        recipient_type=DigitalRecipient,
        documents=documents,
        token=token,
        created=created,
        ids=ids,
    )
    require_instance(title, str, caller="send_digital", name="title")
    require_optional(options, DigitalOptions, caller="send_digital", name="options")
    package = _package(
        sender, documents, recipient.certificate, recipient.postkasseadresse, created
    )
    message = digital_message(
        sender=sender,
        recipient=recipient,
        package=package,
        token=token,
        title=title,
        created=created,
        ids=ids,
        options=options,
    )
    return outgoing(message, package, sender)


def send_print(
    *,
    sender: Sender,
    recipient: PrintRecipient,
    documents: tuple[Document, ...],
    token: str,
    created: datetime,
    ids: Ids | None = None,
) -> OutgoingMessage:
    """A letter to print from documents to both request parts (no mailbox in the manifest)."""
    _check_send(
        "send_print",
        sender=sender,
        recipient=recipient,
        recipient_type=PrintRecipient,
        documents=documents,
        token=token,
        created=created,
        ids=ids,
    )
    package = _package(sender, documents, recipient.certificate, None, created)
    message = print_message(
        sender=sender, recipient=recipient, package=package, token=token, created=created, ids=ids
    )
    return outgoing(message, package, sender)

"""Mailbox side (corner 4): everything a mailbox or print provider checks on arrival.

Digdir ``nyinfrastruktur.md`` section 3 lists what corner 4 validates; :func:`receive` does all
of it and reports the first failure by its rule:

1. the JWS of the business message, its signer certificate against ``trust`` (``cert:*``,
   ``jws:*``), every rule of the message (``dpi-schema:*``, ``dpi:*``), and that the signer's
   organisation number is the SBDH sender's (``dpi:signer``);
2. the fingerprint: SHA-256 of the exact CMS bytes (``dpi:fingerprint``), computed in chunks
   when the package is a file;
3. the Maskinporten token in the message, verified with Maskinporten's key (``token:*``):
   scope, ``consumer`` = the message's ``avsender`` (``dpi:token-consumer``), and the signer
   = the token's ``supplier`` when present, else its ``consumer`` (``dpi:token-signer``);
4. the document package: decrypted and its XAdES signature and file digests verified by the
   package reader (dpipkg's ``open_package``), signed by the same certificate as the message
   (``dpi:package-signer``), naming the same ``avsender`` (``dpi:package-sender``) and, for
   digital post, the same mailbox (``dpi:package-mailbox``).

:func:`receipt` builds the receipts corner 4 sends back.

The package reader is passed in as ``open_package`` (any callable returning an object with
``signer``, ``sender`` and ``mailbox``), so this module does not depend on how packages are read.
The package is the CMS bytes, or a seekable binary file (a spool of a large delivery) that
``open_package`` is given positioned where the package begins: with
:func:`~.package.open_package_to` neither the package nor its documents are held in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, Protocol, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ..arguments import require_binary_file, require_callable, require_instance, require_time
from ..errors import ArgumentTypeError, SignatureError, UsageError
from ..ids import ParticipantId
from ..limits import DEFAULT_LIMITS, Limits
from ..lookup.maskinporten import TokenClaims
from ..trust import TrustPolicy, require_trust, subject_of
from .bodies import (
    Avsender,
    Digital,
    Feil,
    Feiltype,
    Flyttet,
    Kvittering,
    Utskrift,
    VarslingfeiletKvittering,
    Varslingskanal,
    Virksomhetmottaker,
)
from .identifiers import MessageType
from .message import BusinessMessage, Sbdh
from .signed import (
    MessageSignatureError,
    SignedBusinessMessage,
    check_fingerprint,
    verify_business_message,
)
from .token import acting_party, verify_maskinporten_token

__all__ = ["OpenedPackage", "ReceivedMessage", "receipt", "receive"]


class OpenedPackage(Protocol):
    """What the package reader established (dpipkg's ``VerifiedPackage`` is one)."""

    @property
    def signer(self) -> x509.Certificate: ...

    @property
    def sender(self) -> ParticipantId: ...

    @property
    def mailbox(self) -> str | None: ...


@dataclass(frozen=True, kw_only=True)
class ReceivedMessage:
    """A business message and its package that passed every corner 4 check."""

    message: SignedBusinessMessage
    package: OpenedPackage
    token: TokenClaims


#: The package as bytes, or as a seekable binary file read from its current position.
_Package = TypeVar("_Package", bytes, IO[bytes])


def _fail(message: str, rule: str) -> SignatureError:
    return MessageSignatureError(message, rule=rule)


def receive(
    forretningsmelding: bytes,
    dokumentpakke: _Package,
    *,
    trust: TrustPolicy,
    open_package: Callable[[_Package], OpenedPackage],
    maskinporten_keys: dict[str, rsa.RSAPublicKey] | rsa.RSAPublicKey | x509.Certificate,
    maskinporten_issuer: str | None = None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ReceivedMessage:
    """Check an arriving DPI message end to end (see the module docstring).

    ``dokumentpakke`` is the CMS bytes or a seekable binary file; the same checks run in the
    same order either way, and ``open_package`` is given it as it was passed (a file at the
    position it had)."""
    caller = "receive"
    if trust is None:
        raise ArgumentTypeError(
            f"{caller}: corner 4 must check the signer: pass a TrustPolicy as trust"
        )
    require_trust(trust, caller=caller)
    require_instance(
        forretningsmelding,
        (bytes, str),
        caller=caller,
        name="forretningsmelding",
        expected="bytes or a str (the compact JWS)",
    )
    if not isinstance(dokumentpakke, bytes):
        require_binary_file(
            dokumentpakke, caller=caller, name="dokumentpakke", expected="bytes or a binary file"
        )
    require_callable(open_package, caller=caller, name="open_package")
    require_time(at, caller=caller, name="at", optional=True)
    when = at if at is not None else datetime.now(UTC)
    signed = verify_business_message(forretningsmelding, trust=trust, at=at, limits=limits)
    body = signed.message.body
    if not isinstance(body, Digital | Utskrift | Flyttet):
        raise _fail(f"a {signed.message.type} carries no document package", "dpi:message-type")
    check_fingerprint(signed.message, dokumentpakke)
    token = verify_maskinporten_token(
        body.maskinportentoken,
        keys=maskinporten_keys,
        at=when,
        issuer=maskinporten_issuer,
        limits=limits,
    )
    avsender = body.avsender.virksomhetsidentifikator
    consumer = token.consumer
    if consumer != avsender:
        found = consumer.value if consumer is not None else None
        raise _fail(
            f"the token's consumer {found} is not the avsender {avsender.value}",
            "dpi:token-consumer",
        )
    if acting_party(token) != signed.message.sender:
        role = "supplier" if token.supplier is not None else "consumer"
        raise _fail(
            f"the message is signed for {signed.message.sender.value}, but the token's {role} "
            f"is {acting_party(token).value}",
            "dpi:token-signer",
        )
    package = open_package(dokumentpakke)
    if package.signer != signed.signer:
        raise _fail(
            f"the package is signed by {subject_of(package.signer)}, the message by "
            f"{subject_of(signed.signer)}: they must be signed with the same certificate",
            "dpi:package-signer",
        )
    if package.sender != avsender:
        raise _fail(
            f"the package names the sender {package.sender.value}, the message {avsender.value}",
            "dpi:package-sender",
        )
    if isinstance(body, Digital) and package.mailbox not in (None, body.mottaker.postkasseadresse):
        raise _fail(
            f"the package is for mailbox {package.mailbox!r}, the message for "
            f"{body.mottaker.postkasseadresse!r}",
            "dpi:package-mailbox",
        )
    return ReceivedMessage(message=signed, package=package, token=token)


def receipt(
    original: BusinessMessage,
    *,
    message_type: MessageType,
    provider: ParticipantId,
    created: datetime,
    message_id: uuid.UUID,
    varslingskanal: Varslingskanal | None = None,
    beskrivelse: str | None = None,
    feiltype: Feiltype | None = None,
    detaljer: str | None = None,
) -> BusinessMessage:
    """The receipt a provider sends back for ``original`` (sign it with
    :func:`~.signed.sign_business_message` and the provider's key).

    Digdir ``dpi_forretningsmeldinger.md`` and Digipost's receipts: SBDH sender = the provider,
    receiver = the original SBDH sender (the data processor, if one sent it); the same
    ConversationId and process; ``avsender`` = the provider, ``mottaker`` = the original legal
    sender with its ``avsenderidentifikator`` as ``motakeridentifikator``.
    """
    if not message_type.is_receipt:
        raise UsageError(f"{message_type} is not a receipt")
    if original.type.is_receipt:
        raise UsageError("receipts answer digital, utskrift or flyttet messages")
    avsender = original.body.avsender
    parts: dict[str, Any] = {
        "avsender": Avsender(virksomhetsidentifikator=provider),
        "mottaker": Virksomhetmottaker(
            virksomhetsidentifikator=avsender.virksomhetsidentifikator,
            motakeridentifikator=avsender.avsenderidentifikator,
        ),
        "tidspunkt": created,
    }
    body: Kvittering | VarslingfeiletKvittering | Feil
    if message_type is MessageType.VARSLINGFEILETKVITTERING:
        if varslingskanal is None:
            raise UsageError("a varslingfeiletkvittering names its varslingskanal")
        body = VarslingfeiletKvittering(
            **parts, varslingskanal=varslingskanal, beskrivelse=beskrivelse
        )
    elif message_type is MessageType.FEIL:
        if feiltype is None:
            raise UsageError("a feil names its feiltype")
        body = Feil(**parts, feiltype=feiltype, detaljer=detaljer)
    else:
        body = Kvittering(**parts)
    header = Sbdh.create(
        message_type=message_type,
        sender=provider,
        receiver=original.sender,
        message_id=message_id,
        conversation_id=original.conversation_id,
        created=created,
        process=original.process,
    )
    return BusinessMessage(header=header, body=body)

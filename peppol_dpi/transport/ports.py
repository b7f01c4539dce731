"""What the access points need from the rest of the package, as small protocols.

The services in this package do I/O and keep state; the formats (AS4, the Innbyggerpost payload,
business messages and their JWS, SML/SMP) are the pure core. These protocols are the seams between
the two, so that each side can be tested alone and a different implementation (an HSM-backed AS4
signer, a cached lookup) can be put in.

* :class:`As4Codec` - build, open and answer Peppol AS4 messages (peppol.md 1).
* :class:`PayloadCodec` - the C2-C3 payload: Innbyggerpost XML in a Peppol SBDH (dpi.md 1.8).
* :class:`BusinessMessageReader` - verify and read a DPI business message or receipt (dpi.md 1).
* :class:`EndpointLocator` - where a participant receives a document type (SML/SMP, peppol.md 3).
* :class:`Corner4` - hand a received message to the mailbox provider (the delivery interface).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Protocol, runtime_checkable

from cryptography import x509

from ..errors import InputError, UsageError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from .wire import WireMessage

__all__ = [
    "As4Codec",
    "BusinessMessageReader",
    "Corner4",
    "Endpoint",
    "EndpointLocator",
    "OpenedAs4",
    "PayloadCodec",
    "ReadBusinessMessage",
    "ReadReceipt",
    "UnwrappedPayload",
    "by_participant",
]


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """An AS4 endpoint found in the SMP: its URL and the receiver's AP certificate."""

    url: str
    certificate: x509.Certificate

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise UsageError(f"endpoint URL must be http(s): {self.url!r}")


@dataclass(frozen=True, kw_only=True)
class OpenedAs4:
    """An AS4 user message received, verified and decrypted.

    ``context`` is whatever the codec needs to build the receipt for it (the references it
    signed, for the non-repudiation information); the services pass it back untouched.
    """

    message_id: str
    from_party: str
    #: The SBD (Peppol envelope), decompressed, in a seekable file (a spool) that the caller
    #: closes when done with the message.
    payload: IO[bytes]
    context: object


@dataclass(frozen=True, kw_only=True)
class UnwrappedPayload:
    """What the C2-C3 payload carries (dpi.md 1.8)."""

    business_message: str  # <SignertForretningsmelding>: the JWS
    #: <Dokumentpakke>: the CMS bytes, in the seekable file given to :meth:`PayloadCodec.unwrap`
    #: (at its start); None when there are none (receipts carry none).
    package: IO[bytes] | None


@dataclass(frozen=True, kw_only=True)
class ReadBusinessMessage:
    """The facts corner 2 checks and routes on, read from a verified business message."""

    message_id: str  # SBDH documentIdentification.instanceIdentifier
    conversation_id: str  # SBDH ConversationId scope
    type: str  # documentIdentification.type: digital, utskrift, ...
    sender: ParticipantId  # SBDH sender: the technical sender (signer)
    receiver: ParticipantId  # SBDH receiver: mailbox or print provider
    avsender: ParticipantId  # <type>.avsender.virksomhetsidentifikator: the legal sender
    avsenderidentifikator: str | None
    fingerprint: bytes  # dokumentpakkefingeravtrykk.digestValue, decoded (SHA-256)
    maskinportentoken: str
    signer_org: str | None  # organisation number of the JWS signing certificate
    document_type: DocumentTypeId
    process: ProcessId


@dataclass(frozen=True, kw_only=True)
class ReadReceipt:
    """The routing facts of a receipt (leveringskvittering, feil, ...) from corner 4."""

    message_id: str
    conversation_id: str
    type: str
    sender: ParticipantId  # the mailbox or print provider
    receiver: ParticipantId  # the original technical sender: who gets it on GET /messages/in
    motakeridentifikator: str | None
    document_type: DocumentTypeId
    process: ProcessId


@runtime_checkable
class As4Codec(Protocol):
    """One access point's Peppol AS4 layer (its keys, trust and clock are inside)."""

    def build(
        self,
        *,
        payload: IO[bytes],
        sender: ParticipantId,
        receiver: ParticipantId,
        document_type: DocumentTypeId,
        process: ProcessId,
        conversation_id: str,
        receiver_certificate: x509.Certificate,
        sink: IO[bytes],
    ) -> str:
        """Write the signed and encrypted user message carrying ``payload`` (an SBD in a
        seekable file, read from its start) to
        ``sink`` in dump form (:class:`~.wire.WireMessage`: header lines, an empty line, the
        body), in pieces; return its ebMS message id."""
        ...

    def check_response(
        self,
        *,
        sent: IO[bytes],
        status: int,
        response: WireMessage,
        receiver_certificate: x509.Certificate,
    ) -> None:
        """Accept only a valid signed receipt for ``sent`` (the dump :meth:`build` wrote, a
        seekable file).

        Raises :class:`~peppol_dpi.errors.RemoteError` (with the ``ebms_code`` the peer sent)
        for an error signal or SOAP fault, another :class:`~peppol_dpi.errors.InputError`
        for a receipt that does not verify.
        """
        ...

    def open(self, headers: Sequence[tuple[str, str]], body: IO[bytes]) -> OpenedAs4:
        """Verify and decrypt a received user message; InputError with ``ebms_code`` if bad.

        ``body`` is the HTTP body in a seekable file (the server spools it there), so that
        the message is opened without holding it in memory; the payload comes out in a file
        too (:attr:`OpenedAs4.payload`), which the caller closes.
        """
        ...

    def receipt(self, opened: OpenedAs4) -> WireMessage:
        """The signed non-repudiation receipt for ``opened``."""
        ...

    def error(self, error: InputError, ref_to_message_id: str | None) -> tuple[int, WireMessage]:
        """The HTTP status and ebMS error signal telling the sender about ``error``."""
        ...


@runtime_checkable
class PayloadCodec(Protocol):
    """The C2-C3 payload, written and read in pieces: a 50 MiB package travels as 67 MiB of
    base64 text, held whole neither way (issue 8)."""

    def wrap(
        self,
        *,
        business_message: str,
        package: IO[bytes] | None,
        sender: ParticipantId,
        receiver: ParticipantId,
        document_type: DocumentTypeId,
        process: ProcessId,
        instance_id: str,
        now: datetime,
        sink: IO[bytes],
    ) -> None:
        """Write the Peppol SBD carrying the Innbyggerpost payload to ``sink``; ``package``
        is read from its position to its end."""
        ...

    def unwrap(self, payload: IO[bytes], package_sink: IO[bytes]) -> UnwrappedPayload:
        """Read the SBD in the seekable file ``payload``; the package is written to
        ``package_sink`` (a seekable file) and handed back in :attr:`UnwrappedPayload.package`."""
        ...


@runtime_checkable
class BusinessMessageReader(Protocol):
    def read_message(self, jws: str, *, now: datetime) -> ReadBusinessMessage:
        """Verify the JWS (signature, certificate) and the schema; read the routing facts."""
        ...

    def read_receipt(self, jws: str, *, now: datetime) -> ReadReceipt:
        """Verify a receipt JWS from corner 4 and read its routing facts."""
        ...


@runtime_checkable
class EndpointLocator(Protocol):
    def locate(
        self, participant: ParticipantId, document_type: DocumentTypeId, process: ProcessId
    ) -> Endpoint:
        """Raise :class:`~peppol_dpi.errors.TransportError` when the lookup could not be made
        (retry later) and :class:`~peppol_dpi.errors.InputError` when the participant is not
        registered for the document type (give up)."""
        ...


@runtime_checkable
class Corner4(Protocol):
    """The delivery interface from corner 3 to the mailbox provider.

    ``deliver`` must be idempotent on ``message_id``: corner 3 delivers at least once and
    retries after a crash, so the receiver keeps the ids it has accepted. Raise
    :class:`~peppol_dpi.errors.TransportError` to be retried later, any other
    :class:`~peppol_dpi.errors.PeppolDpiError` to give the delivery up.
    """

    def deliver(
        self,
        *,
        message_id: str,
        receiver: ParticipantId,
        business_message: str,
        package: IO[bytes] | None,
    ) -> None:
        """``package``: a seekable binary file, read from its start."""
        ...


def by_participant(urls: Mapping[str, str], what: str) -> dict[ParticipantId, str]:
    """A configured table of participant value (``0192:<orgnr>``) -> URL, keyed by the parsed
    identifier: looked up with the receiver of a message, it matches as Peppol identifiers do
    (PFUOI 4.4: participant values compare case-insensitively) and whatever way the
    configuration wrote the scheme. A key that is no participant identifier, or a participant
    given twice, is a UsageError naming ``what``, when the service is built, not when a message
    for it arrives."""
    table: dict[ParticipantId, str] = {}
    for value, url in urls.items():
        try:
            participant = ParticipantId.parse(value)
        except InputError as exc:
            raise UsageError(
                f"{what}: {value!r} is not a participant identifier ({exc.message})"
            ) from None
        if participant in table:
            raise UsageError(f"{what}: {participant} is configured twice")
        table[participant] = url
    return table

"""Peppol AS4 receiver recipes: open a message, or receive it and always have an answer.

Parse MIME and the envelope, match PartInfo to attachments, verify the signature and the
signer's certificate and check the Peppol profile (authentication comes before decryption:
the receiver's private key is used only for a sender the trust policy accepts), decrypt and
check the attachments' digests, decompress within the limits, compare the SBDH with the ebMS
headers. :func:`open_message` raises the first failure (an InputError carrying its EBMS code);
:func:`receive` never raises for a peer's fault and always lets the caller build the answer
(a signed receipt or an error signal), as the ``as4`` package's ``parse_error`` +
``build_signal``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from cryptography import x509

from ..arguments import (
    require_buffer,
    require_callable,
    require_instance,
    require_limits,
    require_time,
)
from ..certinfo import peppol_seat_id
from ..errors import EbmsError, InputError, ValidationError
from ..ids import random_uuid
from ..keys import PrivateKey, require_key
from ..limits import DEFAULT_LIMITS, Limits
from ..offload import offload, worth_offloading
from ..sbdh import SbdHeader
from ..trust import TrustPolicy, ValidatedCertificate, require_trust
from ..xmldsig import id_attributes
from ..xmltext import is_xml_space
from .compression import GZIP, gunzip, gunzip_head
from .ebms_xml import parse_messaging
from .mime import Headers, MimeMessage, parse_message
from .model import Ebms3HeaderError, SignalMessage, SignedReference, UserMessage
from .profile import PEPPOL_PROFILE, PeppolProfile, SbdRouting, check_user_message, routing_problems
from .receipt import receipt_signal
from .sbd_routing import (
    EARLY_SBDH_BYTES,
    header_may_end,
    read_header,
    require_header_end,
    routing_of,
)
from .signals import error_signal, write_signal
from .soap import SoapEnvelope, parse_envelope
from .wss_encrypt import decrypt_attachments
from .wss_tokens import SecurityIds, SecurityPolicyError
from .wss_verify import WssVerification, verify_envelope

__all__ = [
    "Acceptor",
    "OpenedMessage",
    "Opening",
    "ReceivedMessage",
    "Reception",
    "open_message",
    "receive",
    "reception_of",
    "require_encrypted",
]


@dataclass(frozen=True, kw_only=True)
class OpenedMessage:
    """What opening a message established, however its payload is held: the user message,
    the signer and its validation, the digests it signed (for the receipt), the SBDH."""

    user_message: UserMessage
    payload_mime_type: str | None
    signer: x509.Certificate
    validated: ValidatedCertificate
    signed_references: tuple[SignedReference, ...]
    routing: SbdRouting
    #: The payload's SBDH, validated with every Peppol Envelope 2.0 header rule.
    sbdh: SbdHeader

    @property
    def message_id(self) -> str:
        return self.user_message.message_id


@dataclass(frozen=True, kw_only=True)
class ReceivedMessage(OpenedMessage):
    """A message that was decrypted, verified, checked against the profile and decompressed."""

    payload: bytes

    @property
    def payload_sha256(self) -> bytes:
        return hashlib.sha256(self.payload).digest()


#: Called with a message that passed every check; raise an InputError (NotServicedError, say)
#: to refuse it. The error is answered like any other.
Acceptor = Callable[["ReceivedMessage"], None]


class Opening:
    """One attempt to open a message; remembers the message id once it is known.

    Its steps (:meth:`envelope_of`, :meth:`authenticate`, :meth:`check_sbdh`) are shared with the
    streaming opener (:mod:`.stream_receive`), which decrypts and decompresses differently.
    ``caller`` names the public function in the ArgumentTypeError raised for an argument of
    the wrong type (:meth:`arguments`; ``trust`` and ``limits`` on construction).
    """

    def __init__(self, limits: Limits, trust: TrustPolicy, *, caller: str) -> None:
        # Safe defaults: nothing is trusted without the caller's TrustPolicy.
        require_trust(trust, caller=caller)
        self.trust = trust
        require_limits(limits, caller=caller)
        self.limits = limits
        self.caller = caller
        self.message_id: str | None = None

    def arguments(
        self,
        headers: Headers | Mapping[str, str],
        *,
        key: object,
        at: object,
        profile: object,
        accept: object = None,
    ) -> tuple[Headers, PrivateKey]:
        """The caller's headers and key, with every argument's type checked before any work."""
        caller = self.caller
        require_time(at, caller=caller, name="at", optional=True)
        require_callable(accept, caller=caller, name="accept", optional=True)
        require_instance(profile, PeppolProfile, caller=caller, name="profile")
        return Headers.of(headers, caller=caller), require_key(key, caller=caller)

    def run(
        self,
        headers: Headers | Mapping[str, str],
        body: bytes | memoryview,
        *,
        key: PrivateKey,
        at: datetime | None,
        profile: PeppolProfile,
        accept: Acceptor | None,
    ) -> ReceivedMessage:
        limits = self.limits
        hdrs, key = self.arguments(headers, key=key, at=at, profile=profile, accept=accept)
        body = require_buffer(body, caller=self.caller, name="body")
        mime = parse_message(hdrs, body, limits=limits)
        envelope, parsed = self.envelope_of(mime)
        ids, verification = self.authenticate(
            envelope, parsed, at=at, profile=profile, attachment_count=len(mime.attachments)
        )
        decrypted = decrypt_attachments(ids, mime, key)
        require_encrypted(parsed, decrypted)
        signed = {cid: (found.mime_type, found.content) for cid, found in decrypted.items()}
        part = parsed.parts[0]
        content = decrypted[part.content_id or ""].content
        gzipped = part.compression_type == GZIP
        if gzipped and worth_offloading(len(content)):
            finished = self._decompress_beside_checks(parsed, verification, signed, content)
        else:
            finished = self._decompress_then_check(
                parsed, verification, signed, content, gzipped=gzipped
            )
        verification, payload, (sbdh, routing) = finished
        assert verification.validated is not None
        received = ReceivedMessage(
            user_message=parsed,
            payload=payload,
            payload_mime_type=part.mime_type,
            signer=verification.signer,
            validated=verification.validated,
            signed_references=verification.references,
            routing=routing,
            sbdh=sbdh,
        )
        if accept is not None:  # e.g. raise NotServicedError (Peppol AS4 2.0.3 section 4)
            accept(received)
        return received

    def _decompress_then_check(
        self,
        parsed: UserMessage,
        verification: WssVerification,
        signed: Mapping[str, tuple[str | None, bytes]],
        content: bytes,
        *,
        gzipped: bool,
    ) -> tuple[WssVerification, bytes, tuple[SbdHeader, SbdRouting]]:
        """The payload decompressed, its SBDH read and the attachments' digests checked, in
        line; a failed attachment check comes before the payload's faults."""
        limits = self.limits
        try:
            payload = gunzip(content, limits=limits) if gzipped else content
            sbdh_routing = self.check_sbdh(parsed, payload)
        except InputError:
            verification.with_attachments(signed, limits=limits)
            raise
        return verification.with_attachments(signed, limits=limits), payload, sbdh_routing

    def _decompress_beside_checks(
        self,
        parsed: UserMessage,
        verification: WssVerification,
        signed: Mapping[str, tuple[str | None, bytes]],
        content: bytes,
    ) -> tuple[WssVerification, bytes, tuple[SbdHeader, SbdRouting]]:
        """The payload decompressed here while a second core (:mod:`~peppol_dpi.offload`)
        checks the attachments' digests and reads the SBDH from the payload's first bytes,
        decompressed there on their own. The answer and the order of the refusals are those
        of :meth:`_decompress_then_check`: a failed attachment check first, then a payload
        that does not decompress, then the SBDH (read again from the whole payload unless
        the early read succeeded, which then says what the whole would)."""
        pending = offload(
            functools.partial(self._checks_beside, parsed, verification, signed, content),
            size=len(content),
            kind="as4-attachment-checks",
        )
        try:
            payload = gunzip(content, limits=self.limits)
        except InputError:
            pending.result()  # a failed attachment check comes first
            raise
        verification, early = pending.result()
        return verification, payload, early if early else self.check_sbdh(parsed, payload)

    def _checks_beside(
        self,
        parsed: UserMessage,
        verification: WssVerification,
        signed: Mapping[str, tuple[str | None, bytes]],
        content: bytes,
    ) -> tuple[WssVerification, tuple[SbdHeader, SbdRouting] | None]:
        verification = verification.with_attachments(signed, limits=self.limits)
        head = gunzip_head(content, enough=header_may_end, most=EARLY_SBDH_BYTES)
        if head is not None:
            try:
                return verification, self.check_sbdh(parsed, head)
            except InputError:
                pass  # read again from the whole payload, which decides
        return verification, None

    def envelope_of(self, mime: MimeMessage) -> tuple[SoapEnvelope, UserMessage]:
        """The envelope and its user message, their structure checked (nothing decrypted yet)."""
        envelope = parse_envelope(mime.root.body, limits=self.limits)
        if envelope.messaging is None:
            raise Ebms3HeaderError(
                "the message has no eb:Messaging header", rule="as4:header-missing"
            )
        parsed = parse_messaging(envelope.messaging)
        self.message_id = parsed.message_id
        if isinstance(parsed, SignalMessage):
            raise Ebms3HeaderError(
                "a signal message was sent where a user message was expected",
                rule="as4:not-user-message",
                ebms_code=EbmsError.VALUE_INCONSISTENT,
            )
        _match_parts(parsed, mime)
        if len(envelope.body) or not is_xml_space(envelope.body.text):
            # Peppol AS4 2.0.3 section 3: payloads are attachments, the Body stays empty
            # (phase4 answers a Body payload without PartInfo with EBMS:0003).
            raise Ebms3HeaderError(
                "the SOAP Body must be empty (payloads travel as attachments)",
                rule="as4:body-not-empty",
                ebms_code=EbmsError.VALUE_INCONSISTENT,
            )
        if envelope.security is None:
            raise SecurityPolicyError(
                "the message is neither signed nor encrypted", rule="wss:unsigned"
            )
        return envelope, parsed

    def authenticate(
        self,
        envelope: SoapEnvelope,
        parsed: UserMessage,
        *,
        at: datetime | None,
        profile: PeppolProfile,
        attachment_count: int,
    ) -> tuple[SecurityIds, WssVerification]:
        """The envelope's id index, and its signature, signer and Peppol profile checked with
        the attachments' digests left to :meth:`~.wss_verify.WssVerification.with_attachments`:
        a message is authenticated before anything in it is decrypted, so that a sender the
        trust policy refuses never gets the receiver's private key used (nor a large
        attachment decrypted) at all."""
        assert envelope.security is not None  # (envelope_of refuses an unsigned message)
        # One pass over the envelope's ids for the signature, the tokens and the decryption.
        ids = SecurityIds(envelope.security, id_attributes(envelope.root))
        verification = verify_envelope(
            envelope,
            attachments=None,
            trust=self.trust,
            at=at,
            limits=self.limits,
            security_ids=ids,
        )
        if profile.sender_is_signer and parsed.sender.id != peppol_seat_id(verification.signer):
            raise InputError(
                f"From PartyId {parsed.sender.id!r} is not the signer's seat id "
                f"{peppol_seat_id(verification.signer)!r}",
                rule="peppol:sender-not-signer",
                ebms_code=EbmsError.FAILED_AUTHENTICATION,
            )
        check_user_message(parsed, attachment_count=attachment_count, profile=profile)
        return ids, verification

    def check_sbdh(
        self, parsed: UserMessage, payload: bytes | memoryview
    ) -> tuple[SbdHeader, SbdRouting]:
        """The payload's SBDH, compared with the ebMS headers. Only the first
        ``Limits.max_sbdh_bytes`` of the payload are looked at, and the header must end within
        them (``sbdh:header-too-large``): what the streaming opener holds back, so both
        answer alike. Of those, no more than ``Limits.max_xml_bytes`` are parsed: the XML
        limits bind the header, not the payload after it."""
        limits = self.limits
        prefix = memoryview(payload)[: limits.max_sbdh_bytes]
        require_header_end(prefix, limits=limits)
        sbdh = read_header(prefix[: limits.max_xml_bytes], limits=limits)
        routing = routing_of(sbdh)
        # Peppol AS4 5: originalSender/finalRecipient, Service and Action agree with the SBDH.
        ValidationError.raise_if_any(
            routing_problems(parsed, routing),
            what="Peppol AS4 user message",
            ebms_code=EbmsError.VALUE_INCONSISTENT,
        )
        return sbdh, routing


def require_encrypted(parsed: UserMessage, decrypted: Collection[str]) -> None:
    """Every payload part was encrypted (``decrypted``: the Content-IDs that were)."""
    for part in parsed.parts:
        if part.content_id not in decrypted:
            # Peppol AS4 5: the payload must be encrypted (phase4 refuses plain payloads).
            raise SecurityPolicyError(
                f"the attachment <{part.content_id}> is not encrypted", rule="wss:not-encrypted"
            )


def _match_parts(um: UserMessage, mime: MimeMessage) -> None:
    # ebMS3 core 5.2.2.13 / phase4: every PartInfo names an attachment and every attachment is
    # named; a count mismatch is EBMS:0011 ExternalPayloadError, a wrong id EBMS:0003.
    for part in um.parts:
        if part.content_id is None:
            raise Ebms3HeaderError(
                f"PartInfo href {part.href!r} is not a cid: reference", rule="as4:part-href"
            )
    if len(um.parts) != len(mime.attachments):
        raise Ebms3HeaderError(
            f"{len(um.parts)} PartInfo for {len(mime.attachments)} attachments",
            rule="as4:part-count",
            ebms_code=EbmsError.EXTERNAL_PAYLOAD_ERROR,
        )
    for part in um.parts:
        if mime.attachment(part.content_id or "") is None:
            raise Ebms3HeaderError(
                f"no attachment with Content-ID <{part.content_id}>",
                rule="as4:part-missing",
                ebms_code=EbmsError.VALUE_INCONSISTENT,
            )


def open_message(
    headers: Headers | Mapping[str, str],
    body: bytes | memoryview,
    *,
    key: PrivateKey,
    trust: TrustPolicy,
    at: datetime | None = None,
    profile: PeppolProfile = PEPPOL_PROFILE,
    limits: Limits = DEFAULT_LIMITS,
    accept: Acceptor | None = None,
) -> ReceivedMessage:
    """Open a received Peppol AS4 message or raise an InputError carrying its EBMS code."""
    return Opening(limits, trust, caller="open_message").run(
        headers, body, key=key, at=at, profile=profile, accept=accept
    )


MessageT = TypeVar("MessageT", bound=OpenedMessage)


@dataclass(frozen=True)
class Reception(Generic[MessageT]):
    """The outcome of :func:`receive` (or of ``receive_from``, the streaming variant): the
    message, or the error to report, never both."""

    message: MessageT | None
    error: InputError | None
    ref_to_message_id: str | None

    @property
    def ok(self) -> bool:
        return self.message is not None

    def signal(self, *, now: datetime, message_id: str) -> SignalMessage:
        """The answer: a receipt for a good message, an error signal otherwise."""
        if self.message is not None:
            return receipt_signal(
                ref_to_message_id=self.message.message_id,
                references=self.message.signed_references,
                now=now,
                message_id=message_id,
            )
        assert self.error is not None
        return error_signal(
            self.error, ref_to_message_id=self.ref_to_message_id, now=now, message_id=message_id
        )

    def answer(
        self,
        *,
        key: PrivateKey,
        now: datetime,
        message_id: str,
        new_id: Callable[[], str] = random_uuid,
    ) -> tuple[int, dict[str, str], bytes]:
        """HTTP status, headers and body of the signed answer (errors with 200, as phase4)."""
        headers, body = write_signal(
            self.signal(now=now, message_id=message_id), key=key, new_id=new_id
        )
        return 200, headers, body


def receive(
    headers: Headers | Mapping[str, str],
    body: bytes | memoryview,
    *,
    key: PrivateKey,
    trust: TrustPolicy,
    at: datetime | None = None,
    profile: PeppolProfile = PEPPOL_PROFILE,
    limits: Limits = DEFAULT_LIMITS,
    accept: Acceptor | None = None,
) -> Reception[ReceivedMessage]:
    """Like :func:`open_message`, but a peer's fault becomes ``Reception.error``, not an exception."""
    opening = Opening(limits, trust, caller="receive")
    return reception_of(
        opening,
        lambda: opening.run(headers, body, key=key, at=at, profile=profile, accept=accept),
    )


def reception_of(opening: Opening, open_it: Callable[[], MessageT]) -> Reception[MessageT]:
    """Run ``open_it``; a peer's fault becomes the Reception's error (with the message id
    ``opening`` saw, for the error signal's RefToMessageId)."""
    try:
        message = open_it()
    except InputError as exc:
        return Reception(message=None, error=exc, ref_to_message_id=opening.message_id)
    return Reception(message=message, error=None, ref_to_message_id=message.message_id)

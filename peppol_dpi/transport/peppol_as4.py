"""The access points' AS4 layer: :class:`~.ports.As4Codec` over :mod:`peppol_dpi.as4`.

One :class:`PeppolAs4` per access point holds its AP key (signing, decryption), the trust
policy for the other access points' certificates (the Peppol AP CA), the clock and the message
id generator. Sending builds the signed and encrypted message (peppol.md 1.9, sender) and
accepts only a signed receipt whose RefToMessageId is the message sent, whose non-repudiation
digests are the ones signed, and whose signer is the receiver's certificate from the SMP.
Receiving opens and checks the message (peppol.md 1.9, receiver) and answers with the signed
receipt or an error signal.

The receipt check works from the sent bytes alone (the message id and the signed references
are read back from the frozen AS4 message), so a worker that restarts after a crash can check
the receipt of a message another process built.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import IO

from cryptography import x509

from .. import ns
from ..as4 import (
    PEPPOL_NOT_SERVICED,
    InvalidReceiptError,
    Reception,
    check_receipt,
    read_answer,
)
from ..as4.ebms_xml import parse_messaging, read_signed_reference
from ..as4.message_file import read_dump_from
from ..as4.mime import Headers, multipart_headers, new_boundary
from ..as4.mime_stream import scan_message
from ..as4.model import SignedReference, UserMessage
from ..as4.soap import parse_envelope
from ..as4.stream_receive import StreamedMessage, open_message_from
from ..as4.stream_send import build_message_to
from ..errors import EbmsError, InputError, RemoteError, UsageError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..keys import PrivateKey
from ..limits import DEFAULT_LIMITS, Limits
from ..spool import spool
from ..trust import TrustPolicy
from .ports import OpenedAs4
from .wire import WireMessage, dump_head

__all__ = ["PeppolAs4", "sent_references"]


def sent_references(
    sent: IO[bytes], *, limits: Limits = DEFAULT_LIMITS
) -> tuple[str, tuple[SignedReference, ...]]:
    """The ebMS message id and the signed references of an AS4 user message we built, read
    from its dump (a seekable file) without reading the attachment."""
    with read_dump_from(sent, limits=limits) as (headers, body):
        scanned = scan_message(headers, body, size=body.seek(0, os.SEEK_END), limits=limits)
    envelope = parse_envelope(scanned.mime.root.body, limits=limits)
    if envelope.messaging is None or envelope.security is None:
        raise UsageError("the frozen AS4 message has no eb:Messaging or wsse:Security")
    user_message = parse_messaging(envelope.messaging)
    if not isinstance(user_message, UserMessage):
        raise UsageError("the frozen AS4 message is not a user message")
    signed_info = envelope.security.find(f"{{{ns.DS}}}Signature/{{{ns.DS}}}SignedInfo")
    if signed_info is None:
        raise UsageError("the frozen AS4 message is not signed")
    references = tuple(
        read_signed_reference(ref) for ref in signed_info.iterfind(f"{{{ns.DS}}}Reference")
    )
    return user_message.message_id, references


class PeppolAs4:
    """Peppol AS4 for one access point (its key, the AP trust policy, clock, id generator)."""

    def __init__(
        self,
        *,
        key: PrivateKey,
        trust: TrustPolicy,
        clock: Callable[[], datetime],
        new_message_id: Callable[[], str],
        limits: Limits = DEFAULT_LIMITS,
        spool_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if not isinstance(trust, TrustPolicy):
            raise UsageError("PeppolAs4 needs a TrustPolicy: nothing is trusted by default")
        self.key, self.trust, self.clock = key, trust, clock
        self.new_message_id, self.limits = new_message_id, limits
        #: Where large messages are spooled (the system's temporary directory when None).
        self.spool_dir = spool_dir

    # -- sending -----------------------------------------------------------------------------
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
        # Service, Action, originalSender and finalRecipient come from the payload's SBDH
        # (Peppol AS4 2.0.3 5: they must agree with it), From/To from the two AP certificates.
        # Streamed (issue 8): gzip, digest and AES-GCM work chunk by chunk through a spool;
        # the dump's headers depend only on the boundary, so they are written first.
        boundary = new_boundary()
        sink.write(dump_head(tuple(multipart_headers(boundary).items())))
        payload.seek(0)
        _, sent = build_message_to(
            payload,
            sink,
            key=self.key,
            receiver_cert=receiver_certificate,
            now=self.clock(),
            message_id=self.new_message_id(),
            conversation_id=conversation_id,
            boundary=boundary,
            limits=self.limits,
            spool_dir=self.spool_dir,
        )
        return sent.message_id

    def check_response(
        self,
        *,
        sent: IO[bytes],
        status: int,
        response: WireMessage,
        receiver_certificate: x509.Certificate,
    ) -> None:
        message_id, references = sent_references(sent, limits=self.limits)
        answer = read_answer(
            status,
            dict(response.headers),
            response.body,
            trust=self.trust,
            at=self.clock(),
            limits=self.limits,
        )
        if answer.not_serviced:
            # Peppol AS4 2.0.3 4: the receiving AP does not serve this receiver (final).
            raise RemoteError(
                f"{PEPPOL_NOT_SERVICED}: the receiving access point does not serve the receiver "
                f"({'; '.join(str(e) for e in answer.errors)})",
                rule=PEPPOL_NOT_SERVICED,
                ebms_code=EbmsError.OTHER,
            )
        # An error signal raises RemoteError with its EBMS code; a receipt must name the
        # message and repeat exactly the digests we signed (AS4 5.1.8, peppol.md 1.7).
        check_receipt(answer, message_id=message_id, signed_references=references)
        assert answer.verification is not None  # check_receipt requires a signed receipt
        if answer.verification.signer != receiver_certificate:
            raise InvalidReceiptError(
                "the receipt is signed by "
                f"{answer.verification.signer.subject.rfc4514_string()}, not by the receiving "
                "access point named in the SMP",
                rule="receipt:signer",
            )

    # -- receiving ---------------------------------------------------------------------------
    def open(self, headers: Sequence[tuple[str, str]], body: IO[bytes]) -> OpenedAs4:
        # Streamed (issue 8): the body stays in its file and the payload (the SBD the
        # Innbyggerpost is read from) goes to a spool the caller closes.
        payload = spool(self.spool_dir)
        try:
            received = open_message_from(
                body,
                Headers.of(headers),
                key=self.key,
                trust=self.trust,
                payload_sink=payload,
                at=self.clock(),
                limits=self.limits,
                spool_dir=self.spool_dir,
            )
        except BaseException:
            payload.close()
            raise
        payload.seek(0)
        return OpenedAs4(
            message_id=received.message_id,
            from_party=received.user_message.sender.id,
            payload=payload,
            context=received,
        )

    def receipt(self, opened: OpenedAs4) -> WireMessage:
        if not isinstance(opened.context, StreamedMessage):
            raise UsageError("receipt() needs a message opened by this codec")
        reception = Reception(
            message=opened.context, error=None, ref_to_message_id=opened.message_id
        )
        return self._answer(reception)[1]

    def error(self, error: InputError, ref_to_message_id: str | None) -> tuple[int, WireMessage]:
        return self._answer(
            Reception(message=None, error=error, ref_to_message_id=ref_to_message_id)
        )

    def _answer(self, reception: Reception[StreamedMessage]) -> tuple[int, WireMessage]:
        status, headers, body = reception.answer(
            key=self.key, now=self.clock(), message_id=self.new_message_id()
        )
        return status, WireMessage(headers=tuple(headers.items()), body=body)

"""Corner 3 (the receivers' access point) and corner 2's receiving side.

Corner 3 serves:

* the AS4 endpoint (``as4_path``): an :class:`~.inbox.As4Inbox` whose sink,
  :func:`delivery_sink`, reads the business message and queues it for corner 4 - committed
  together with the AS4 message id before the signed receipt is returned;
* ``POST /receipts``: receipts from corner 4 (body: the receipt JWS, ``application/jwt``),
  queued in corner 3's outbox and sent back to the original sender's corner 2 as AS4, with the
  same worker and retries as corner 2 uses. A repeated receipt (same instanceIdentifier) is
  acknowledged without being queued twice.

Corner 2 uses :func:`receipt_sink` on its own AS4 endpoint: receipts become available on
``GET /messages/in`` to the caller that sent the original message, tagged with its kanal.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..as4 import NotServicedError
from ..errors import EbmsError, InputError
from ..ids import ParticipantId
from ..limits import DEFAULT_LIMITS
from .http import HttpError, Request, Response
from .inbox import Kept, Sink
from .ports import BusinessMessageReader, OpenedAs4, UnwrappedPayload
from .store import (
    Delivery,
    DuplicateMessageError,
    IncomingReceipt,
    OutboundMessage,
    Store,
)

__all__ = ["Corner3Receipts", "delivery_sink", "receipt_sink"]

log = logging.getLogger("peppol_dpi.transport.corner3")


def delivery_sink(
    reader: BusinessMessageReader, served: Callable[[ParticipantId], bool] = lambda _: True
) -> Sink:
    """Corner 3: keep a received letter (digital, utskrift, flyttet) for corner 4.

    ``served`` says whether this access point serves a receiver; one it does not serve is
    refused with EBMS:0004 ``PEPPOL:NOT_SERVICED`` (Peppol AS4 2.0.3 section 4).
    """

    def keep(opened: OpenedAs4, payload: UnwrappedPayload, now: datetime) -> Kept:
        if payload.package is None:
            raise InputError(
                "the Innbyggerpost payload has no Dokumentpakke",
                rule="c3:no-package",
                ebms_code=EbmsError.VALUE_INCONSISTENT,
            )
        try:
            message = reader.read_message(payload.business_message, now=now)
        except InputError as exc:
            raise InputError(exc.message, rule=exc.rule, ebms_code=EbmsError.OTHER) from None
        if not served(message.receiver):
            raise NotServicedError(f"{message.receiver.value} is not served by this access point")
        delivery = Delivery(
            id=message.message_id,
            as4_message_id=opened.message_id,
            receiver=str(message.receiver),
            business_message=payload.business_message,
            received_at=now,
        )
        return Kept(
            delivery=delivery, package=payload.package, conversation_id=message.conversation_id
        )

    return keep


def receipt_sink(reader: BusinessMessageReader, store: Store) -> Sink:
    """Corner 2: keep a receipt for the caller that sent the message it answers."""

    def keep(opened: OpenedAs4, payload: UnwrappedPayload, now: datetime) -> Kept:
        try:
            receipt = reader.read_receipt(payload.business_message, now=now)
        except InputError as exc:
            raise InputError(exc.message, rule=exc.rule, ebms_code=EbmsError.OTHER) from None
        original = store.find_outbound_by_conversation(receipt.conversation_id)
        # The receipt is addressed to the original SBDH sender (dpi.md 1.7), which is the
        # caller that owns the conversation; the original message adds kanal (dpi.md 4).
        owner = original.owner if original is not None else receipt.receiver.value
        kept = IncomingReceipt(
            id=receipt.message_id,
            owner=owner,
            conversation_id=receipt.conversation_id,
            business_message=payload.business_message,
            kanal=original.kanal if original is not None else None,
            avsenderidentifikator=(
                original.avsenderidentifikator
                if original is not None
                else receipt.motakeridentifikator
            ),
            received_at=now,
        )
        return Kept(receipt=kept, conversation_id=receipt.conversation_id)

    return keep


@dataclass(frozen=True, kw_only=True)
class Corner3Receipts:
    """``POST /receipts``: a receipt JWS from corner 4 into corner 3's outbox."""

    store: Store
    reader: BusinessMessageReader
    clock: Callable[[], datetime]
    send_deadline: timedelta = timedelta(days=1)
    #: When set, corner 4 must send ``Authorization: Bearer <api_key>``.
    api_key: str | None = None
    on_accepted: Callable[[], None] = lambda: None

    def __call__(self, request: Request) -> Response:
        if request.method != "POST":
            raise HttpError(405, "method not allowed", rule="http:method")
        if self.api_key is not None:
            given = (request.header("Authorization") or "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), self.api_key.encode()):
                raise HttpError(401, "corner 4 credentials required", rule="c3:unauthenticated")
        # A receipt is one compact JWS (and perhaps a line end): not the 64 MiB a request to
        # this service may have.
        body = request.body_within(DEFAULT_LIMITS.max_jws_bytes + 2)
        try:
            jws = body.decode("ascii").strip()
            now = self.clock()
            receipt = self.reader.read_receipt(jws, now=now)
        except (UnicodeDecodeError, InputError) as exc:
            detail = exc.message if isinstance(exc, InputError) else "not a compact JWS"
            raise HttpError(400, f"receipt: {detail}", rule="c3:receipt") from None
        message = OutboundMessage(
            message_id=receipt.message_id,
            conversation_id=receipt.conversation_id,
            owner="",
            sender=str(receipt.sender),
            receiver=str(receipt.receiver),
            document_type=str(receipt.document_type),
            process=str(receipt.process),
            business_message=jws,
            created_at=now,
            deadline=now + self.send_deadline,
        )
        try:
            self.store.add_outbound(message, None)
        except DuplicateMessageError:
            return Response(status=200)  # corner 4 retried; already queued
        log.info(
            "receipt queued",
            extra={"message_id": receipt.message_id, "conversation_id": receipt.conversation_id},
        )
        self.on_accepted()
        return Response(status=201)

"""The receiving side of an access point: one AS4 endpoint, with duplicate detection.

Processing order (peppol.md 1.9, receiver): open the message (verify, decrypt, check the ebMS
header), answer a message id seen before with the receipt stored for it (peppol.md 1.8: "on
duplicate, return the cached signed receipt"), unwrap the Innbyggerpost payload, let the
service decide what to keep (a :data:`Sink`), build the signed receipt, and commit the message
id, the receipt and what the sink kept in ONE transaction before the receipt is sent. A crash
before the commit means no receipt was sent, so the sender retries; a crash after it means the
retry is answered from the store. Either way the message is kept exactly once.

Corner 3 keeps deliveries for corner 4; corner 2 keeps receipts for ``GET /messages/in``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from ..errors import InputError
from ..spool import spool
from .http import Request, Response
from .ports import As4Codec, OpenedAs4, PayloadCodec, UnwrappedPayload
from .store import Delivery, InboundRecord, IncomingReceipt, Store
from .wire import WireDump, WireMessage

__all__ = ["As4Inbox", "Kept", "Sink"]

log = logging.getLogger("peppol_dpi.transport.inbox")


@dataclass(frozen=True, kw_only=True)
class Kept:
    """What a sink keeps from one received message (committed with its message id)."""

    receipt: IncomingReceipt | None = None
    delivery: Delivery | None = None
    package: IO[bytes] | None = None  # a seekable file, copied into the store in pieces
    conversation_id: str | None = None


#: Decides what to keep of a received message; raises InputError to refuse it.
Sink = Callable[[OpenedAs4, UnwrappedPayload, datetime], Kept]


@dataclass(frozen=True, kw_only=True)
class As4Inbox:
    store: Store
    as4: As4Codec
    payloads: PayloadCodec
    sink: Sink
    clock: Callable[[], datetime]
    dump: WireDump | None = None
    #: Where the package is decoded while the payload is read (system temp if None).
    spool_dir: str | os.PathLike[str] | None = None

    def __call__(self, request: Request) -> Response:
        headers = tuple((k.title(), v) for k, v in request.headers.items())
        now = self.clock()
        try:
            # The body is opened from the server's spool, never read into memory whole.
            opened = self.as4.open(headers, request.body_file)
        except InputError as exc:
            return self._refuse(exc, None, now)
        with opened.payload, spool(self.spool_dir) as package:
            return self._handle(request, headers, opened, package, now)

    def _handle(
        self,
        request: Request,
        headers: tuple[tuple[str, str], ...],
        opened: OpenedAs4,
        package: IO[bytes],
        now: datetime,
    ) -> Response:
        message_id = opened.message_id
        try:
            if self.dump is not None:
                self.dump.write_stream(
                    incoming=True,
                    message_id=message_id,
                    headers=headers,
                    body=request.body_file,
                    now=now,
                )
            stored = self.store.inbound_receipt(message_id)
            if stored is not None:
                log.info(
                    "duplicate answered with its stored receipt",
                    extra={"as4_message_id": message_id},
                )
                return self._answer(WireMessage.from_dump(stored), 200, message_id, now)
            # The payload is read from its spool and the package decoded into another
            # (issue 8: neither the base64 text nor the package is held in memory).
            kept = self.sink(opened, self.payloads.unwrap(opened.payload, package), now)
            receipt = self.as4.receipt(opened)
            answer = self.store.accept_inbound(
                InboundRecord(
                    as4_message_id=message_id,
                    from_party=opened.from_party,
                    receipt=receipt.to_dump(),
                    received_at=now,
                ),
                receipt=kept.receipt,
                delivery=kept.delivery,
                package=kept.package,
            )
        except InputError as exc:
            return self._refuse(exc, message_id, now)
        log.info(
            "received",
            extra={"as4_message_id": message_id, "conversation_id": kept.conversation_id},
        )
        return self._answer(WireMessage.from_dump(answer), 200, message_id, now)

    def _refuse(self, exc: InputError, message_id: str | None, now: datetime) -> Response:
        log.warning(
            "refused AS4 message: %s", exc, extra={"as4_message_id": message_id, "rule": exc.rule}
        )
        status, signal = self.as4.error(exc, message_id)
        return self._answer(signal, status, message_id or "error", now)

    def _answer(
        self, message: WireMessage, status: int, message_id: str, now: datetime
    ) -> Response:
        if self.dump is not None:
            self.dump.write(incoming=False, message_id=message_id, message=message, now=now)
        return Response(status=status, headers=message.headers, body=message.body)

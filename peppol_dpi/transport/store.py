"""The durable store of the reference access points: one small interface, several backends.

Everything an access point must not lose lives here, and every state change is one
transaction:

* the **outbox**: business messages accepted for sending (corner 2: from ``POST /messages/out``;
  corner 3: receipts from corner 4 going back to corner 2), with their status history
  (OPPRETTET, SENDT, FEILET; dpi.md 4), attempts, next attempt time, a lease held by the worker
  that is sending it, and the AS4 message frozen on the first attempt so that every retry sends
  the same bytes (peppol.md 1.8: "On retry the sender MUST resend byte-identical signed parts");
* the **inbound log**: the ebMS message id of every AS4 message received, with the signed receipt
  that answered it, so that a retried message is answered again with that receipt and not
  processed twice (peppol.md 1.8, recommendation);
* **incoming receipts** (corner 2): receipt JWTs for ``GET /messages/in``, per owner, with
  ``kanal`` and a read flag;
* the **delivery queue** (corner 3): messages received by AS4 waiting to be handed to corner 4.

A worker that crashes at any point leaves a lease that expires; the next worker takes the job
again. Accepted work is never dropped, and the frozen AS4 message plus the receiver's duplicate
detection make a resend harmless.

:class:`Store` is the interface; :mod:`.sqlite_store` the embedded default. A PostgreSQL backend
implements the same methods (``SELECT ... FOR UPDATE SKIP LOCKED`` for the claims).
"""

from __future__ import annotations

import enum
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

from ..errors import InputError, UsageError
from ..instants import require_aware

__all__ = [
    "Blob",
    "Delivery",
    "DeliveryClaim",
    "DuplicateMessageError",
    "InboundRecord",
    "IncomingReceipt",
    "OutboundClaim",
    "OutboundMessage",
    "Status",
    "StatusEntry",
    "Store",
    "normalize_kanal",
]

# dpi.md 4 / OpenAPI: kanal is [a-zA-Z0-9_-], at most 28 characters, case-insensitive.
_KANAL_RE = re.compile(r"[A-Za-z0-9_-]{1,28}")


def normalize_kanal(kanal: str | None) -> str | None:
    """The canonical (lower-case) kanal, or None; refuses a kanal the OpenAPI does not allow."""
    if kanal is None or kanal == "":
        return None
    if not _KANAL_RE.fullmatch(kanal):
        raise InputError(
            "kanal must be 1 to 28 characters of a-z, A-Z, 0-9, '_' and '-'", rule="c2:kanal"
        )
    return kanal.lower()


class Status(enum.StrEnum):
    """Corner 2 transport status of an outgoing message (OpenAPI ``status`` enum)."""

    OPPRETTET = "OPPRETTET"  # accepted and stored by the access point
    SENDT = "SENDT"  # receiver's access point returned a valid receipt
    FEILET = "FEILET"  # given up: permanent error or deadline passed


class DuplicateMessageError(InputError):
    """A message id that was already used (dpi.md 4: "messageId not reused")."""

    def __init__(self, message_id: str) -> None:
        super().__init__(f"message id {message_id} was already used", rule="c2:message-id-reused")


@dataclass(frozen=True, kw_only=True)
class OutboundMessage:
    """A business message to send over AS4, as the outbox keeps it.

    ``owner`` is who may see it through the API (the organisation number of the authenticated
    technical sender; empty for corner 3's own receipts). Participants and ids are kept as
    their text forms: ``sender``/``receiver`` as ``scheme::value``, ``document_type`` and
    ``process`` as ``scheme::value``.
    """

    message_id: str
    conversation_id: str
    owner: str
    sender: str
    receiver: str
    document_type: str
    process: str
    business_message: str
    kanal: str | None = None
    avsenderidentifikator: str | None = None
    created_at: datetime
    deadline: datetime

    def __post_init__(self) -> None:
        for name in ("message_id", "conversation_id", "sender", "receiver", "business_message"):
            if not getattr(self, name):
                raise UsageError(f"OutboundMessage.{name} must not be empty")
        require_aware(self.created_at, "created_at")
        require_aware(self.deadline, "deadline")


@dataclass(frozen=True, kw_only=True)
class StatusEntry:
    status: Status
    timestamp: datetime
    beskrivelse: str | None = None


@dataclass(frozen=True)
class Blob:
    """Bytes the store keeps (a package, a frozen AS4 message), read only when asked for:
    a batch of claims holds none of them in memory (issue 8: packages up to 50 MiB)."""

    inline: bytes | None = None
    file: Path | None = None

    def __post_init__(self) -> None:
        if (self.inline is None) == (self.file is None):
            raise UsageError("a Blob is either inline bytes or a file")

    def read(self) -> bytes:
        if self.inline is not None:
            return self.inline
        assert self.file is not None
        return self.file.read_bytes()

    def open(self) -> IO[bytes]:
        """The bytes as a seekable binary file (close it when done)."""
        if self.inline is not None:
            return io.BytesIO(self.inline)
        assert self.file is not None
        return self.file.open("rb")


@dataclass(frozen=True, kw_only=True)
class OutboundClaim:
    """An outbox job leased to one worker: what it needs to (re)send the message."""

    message: OutboundMessage
    package_blob: Blob | None
    attempts: int  # attempts made before this one
    #: The AS4 message frozen on the first attempt (dump format), if built.
    wire_blob: Blob | None
    as4_message_id: str | None

    @property
    def package(self) -> bytes | None:
        """The package, read now (each call reads it again: keep it no longer than needed)."""
        return self.package_blob.read() if self.package_blob is not None else None

    @property
    def wire(self) -> bytes | None:
        """The frozen AS4 message, read now (:attr:`wire_blob` opens it as a file)."""
        return self.wire_blob.read() if self.wire_blob is not None else None


@dataclass(frozen=True, kw_only=True)
class IncomingReceipt:
    """A receipt JWT that reached corner 2, waiting for its owner's ``GET /messages/in``."""

    id: str  # the receipt's own SBDH instanceIdentifier (``POST /messages/in/{id}/read``)
    owner: str
    conversation_id: str
    business_message: str
    kanal: str | None = None
    avsenderidentifikator: str | None = None
    received_at: datetime


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """A message corner 3 received and must hand to corner 4."""

    id: str  # the DPI message id (SBDH instanceIdentifier): the idempotency key towards corner 4
    as4_message_id: str
    receiver: str
    business_message: str
    received_at: datetime


@dataclass(frozen=True, kw_only=True)
class DeliveryClaim:
    delivery: Delivery
    package_blob: Blob | None
    attempts: int

    @property
    def package(self) -> bytes | None:
        """The package, read now (each call reads it again: keep it no longer than needed)."""
        return self.package_blob.read() if self.package_blob is not None else None


@dataclass(frozen=True, kw_only=True)
class InboundRecord:
    """One AS4 message received, for duplicate detection (peppol.md 1.8)."""

    as4_message_id: str
    from_party: str
    receipt: bytes  # the signed receipt that answered it, in dump format
    received_at: datetime


@runtime_checkable
class Store(Protocol):
    """The access points' durable state. Every method is one transaction.

    Methods taking ``worker`` change a job only while that worker holds its lease, and return
    False when it does not (the lease expired and another worker took the job over).
    """

    # -- outbox ------------------------------------------------------------------------------
    def add_outbound(self, message: OutboundMessage, package: bytes | IO[bytes] | None) -> None:
        """Store a new message with status OPPRETTET, due at once (``package``: bytes, or a
        seekable file copied from its start in pieces). Raises
        :class:`DuplicateMessageError` when the message id was ever used before."""
        ...

    def statuses(self, message_id: str, owner: str) -> Sequence[StatusEntry] | None:
        """The status history of ``owner``'s message, oldest first; None if not theirs."""
        ...

    def claim_outbound(
        self, *, worker: str, now: datetime, lease_seconds: float, limit: int
    ) -> list[OutboundClaim]:
        """Lease up to ``limit`` due messages (not final, due, lease free or expired)."""
        ...

    def freeze_wire(
        self, message_id: str, *, worker: str, as4_message_id: str, wire: bytes | IO[bytes]
    ) -> bool:
        """Keep the AS4 message built on the first attempt (dump format: bytes, or a seekable
        file copied from its start in pieces); later attempts resend it."""
        ...

    def mark_sent(
        self, message_id: str, *, worker: str, now: datetime, beskrivelse: str
    ) -> bool: ...

    def mark_retry(
        self, message_id: str, *, worker: str, next_attempt: datetime, error: str
    ) -> bool: ...

    def mark_failed(self, message_id: str, *, worker: str, now: datetime, reason: str) -> bool: ...

    def next_outbound_due(self) -> datetime | None:
        """When the earliest unfinished message is due (for the worker's sleep)."""
        ...

    def find_outbound_by_conversation(self, conversation_id: str) -> OutboundMessage | None:
        """The first message of a conversation (to tag its receipts with kanal and owner)."""
        ...

    # -- inbound AS4 -------------------------------------------------------------------------
    def inbound_receipt(self, as4_message_id: str) -> bytes | None:
        """The receipt that answered an AS4 message already received, or None."""
        ...

    def accept_inbound(
        self,
        record: InboundRecord,
        *,
        receipt: IncomingReceipt | None = None,
        delivery: Delivery | None = None,
        package: bytes | IO[bytes] | None = None,
    ) -> bytes:
        """Record a received AS4 message and what it carried, in one transaction.

        Returns the receipt to answer with: ``record.receipt``, or, when the same message id
        was recorded meanwhile (a concurrent retry), the receipt stored then.
        """
        ...

    # -- incoming receipts (corner 2) --------------------------------------------------------
    def list_incoming(
        self,
        owner: str,
        *,
        kanal: str | None,
        avsenderidentifikator: str | None,
        page: int,
        page_size: int,
    ) -> list[IncomingReceipt]:
        """Unread receipts of ``owner``, oldest first, one page (pages count from 0)."""
        ...

    def mark_read(self, owner: str, receipt_id: str) -> bool:
        """Mark ``owner``'s receipt read; False when there is no such receipt of theirs."""
        ...

    # -- delivery queue (corner 3) -----------------------------------------------------------
    def claim_deliveries(
        self, *, worker: str, now: datetime, lease_seconds: float, limit: int
    ) -> list[DeliveryClaim]: ...

    def mark_delivered(self, delivery_id: str, *, worker: str, now: datetime) -> bool: ...

    def mark_delivery_retry(
        self, delivery_id: str, *, worker: str, next_attempt: datetime, error: str
    ) -> bool: ...

    def mark_delivery_failed(
        self, delivery_id: str, *, worker: str, now: datetime, reason: str
    ) -> bool: ...

    def next_delivery_due(self) -> datetime | None: ...

    # -- retention ---------------------------------------------------------------------------
    def prune(self, before: datetime) -> dict[str, int]:
        """Forget finished work older than ``before`` (see :meth:`SqliteStore.prune`)."""
        ...

    def close(self) -> None: ...

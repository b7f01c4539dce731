"""The embedded :class:`~.store.Store`: SQLite, one transaction per state change.

The outbox, the inbound log, the incoming receipts and the delivery queue as SQL; the
connections, transactions, blob files, leases and retention are in :mod:`.sqlite_base`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import IO, Any

from ..errors import UsageError
from .sqlite_base import (
    DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    PENDING,
    SqliteBase,
    epoch,
    from_epoch,
)
from .store import (
    Delivery,
    DeliveryClaim,
    DuplicateMessageError,
    InboundRecord,
    IncomingReceipt,
    OutboundClaim,
    OutboundMessage,
    Status,
    StatusEntry,
)

__all__ = ["SqliteStore"]


class SqliteStore(SqliteBase):
    """A :class:`~.store.Store` in one SQLite file (created with its schema when missing)."""

    # -- outbox ------------------------------------------------------------------------------
    def add_outbound(self, message: OutboundMessage, package: bytes | IO[bytes] | None) -> None:
        inline, file = self._put_blob(package)
        with self._write() as db:
            try:
                db.execute(
                    "INSERT INTO outbound (message_id, conversation_id, owner, sender, receiver,"
                    " document_type, process, business_message, kanal, avsenderidentifikator,"
                    " created_at, deadline, package, package_file, state, next_attempt)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        message.message_id,
                        message.conversation_id,
                        message.owner,
                        message.sender,
                        message.receiver,
                        message.document_type,
                        message.process,
                        message.business_message,
                        message.kanal,
                        message.avsenderidentifikator,
                        epoch(message.created_at),
                        epoch(message.deadline),
                        inline,
                        file,
                        PENDING,
                        epoch(message.created_at),
                    ),
                )
            except sqlite3.IntegrityError:
                raise DuplicateMessageError(message.message_id) from None
            self._add_status(db, message.message_id, Status.OPPRETTET, message.created_at, None)

    @staticmethod
    def _add_status(
        db: sqlite3.Connection,
        message_id: str,
        status: Status,
        when: datetime,
        beskrivelse: str | None,
    ) -> None:
        db.execute(
            "INSERT INTO outbound_status (message_id, status, beskrivelse, timestamp)"
            " VALUES (?,?,?,?)",
            (message_id, status.value, beskrivelse, when.isoformat()),
        )

    def statuses(self, message_id: str, owner: str) -> Sequence[StatusEntry] | None:
        db = self._db()
        found = db.execute(
            "SELECT 1 FROM outbound WHERE message_id = ? AND owner = ?", (message_id, owner)
        ).fetchone()
        if found is None:
            return None
        rows = db.execute(
            "SELECT status, beskrivelse, timestamp FROM outbound_status"
            " WHERE message_id = ? ORDER BY seq",
            (message_id,),
        ).fetchall()
        return [
            StatusEntry(status=Status(s), beskrivelse=b, timestamp=datetime.fromisoformat(t))
            for s, b, t in rows
        ]

    _OUTBOUND_COLUMNS = (
        "message_id, conversation_id, owner, sender, receiver, document_type, process,"
        " business_message, kanal, avsenderidentifikator, created_at, deadline"
    )

    @staticmethod
    def _outbound(row: Sequence[Any]) -> OutboundMessage:
        return OutboundMessage(
            message_id=row[0],
            conversation_id=row[1],
            owner=row[2],
            sender=row[3],
            receiver=row[4],
            document_type=row[5],
            process=row[6],
            business_message=row[7],
            kanal=row[8],
            avsenderidentifikator=row[9],
            created_at=from_epoch(row[10]),
            deadline=from_epoch(row[11]),
        )

    def claim_outbound(
        self, *, worker: str, now: datetime, lease_seconds: float, limit: int
    ) -> list[OutboundClaim]:
        rows = self._claim(
            "outbound",
            f"{self._OUTBOUND_COLUMNS}, package, package_file, attempts, wire, wire_file,"
            " as4_message_id",
            PENDING,
            worker=worker,
            now=now,
            lease_seconds=lease_seconds,
            limit=limit,
        )
        return [
            OutboundClaim(
                message=self._outbound(row),
                package_blob=self._blob(row[12], row[13]),
                attempts=row[14],
                wire_blob=self._blob(row[15], row[16]),
                as4_message_id=row[17],
            )
            for row in rows
        ]

    def freeze_wire(
        self, message_id: str, *, worker: str, as4_message_id: str, wire: bytes | IO[bytes]
    ) -> bool:
        inline, file = self._put_blob(wire)
        with self._write() as db:
            return self._update_leased(
                db,
                "outbound",
                "message_id",
                job=message_id,
                worker=worker,
                sets="wire = ?, wire_file = ?, as4_message_id = ?",
                args=(inline, file, as4_message_id),
            )

    def _finish(
        self, message_id: str, worker: str, status: Status, now: datetime, text: str
    ) -> bool:
        with self._write() as db:
            done = self._update_leased(
                db,
                "outbound",
                "message_id",
                job=message_id,
                worker=worker,
                sets="state = ?, lease_owner = NULL, lease_until = NULL, last_error = ?",
                args=(status.value, text if status is Status.FEILET else None),
            )
            if done:
                self._add_status(db, message_id, status, now, text)
                if status is Status.SENDT:  # delivered: the bytes are not needed any more
                    db.execute(
                        "UPDATE outbound SET package = NULL, package_file = NULL, wire = NULL,"
                        " wire_file = NULL WHERE message_id = ?",
                        (message_id,),
                    )
            return done

    def mark_sent(self, message_id: str, *, worker: str, now: datetime, beskrivelse: str) -> bool:
        return self._finish(message_id, worker, Status.SENDT, now, beskrivelse)

    def mark_failed(self, message_id: str, *, worker: str, now: datetime, reason: str) -> bool:
        return self._finish(message_id, worker, Status.FEILET, now, reason)

    def mark_retry(
        self, message_id: str, *, worker: str, next_attempt: datetime, error: str
    ) -> bool:
        return self._retry_later(
            "outbound",
            "message_id",
            message_id,
            worker=worker,
            next_attempt=next_attempt,
            error=error,
        )

    def _retry_later(
        self,
        table: str,
        key_column: str,
        job: str,
        *,
        worker: str,
        next_attempt: datetime,
        error: str,
    ) -> bool:
        """Release a leased job for another attempt at ``next_attempt`` (one transaction)."""
        with self._write() as db:
            return self._update_leased(
                db,
                table,
                key_column,
                job=job,
                worker=worker,
                sets="next_attempt = ?, lease_owner = NULL, lease_until = NULL, last_error = ?",
                args=(epoch(next_attempt), error),
            )

    def next_outbound_due(self) -> datetime | None:
        return self._next_due("outbound", PENDING)

    def find_outbound_by_conversation(self, conversation_id: str) -> OutboundMessage | None:
        row = (
            self._db()
            .execute(
                f"SELECT {self._OUTBOUND_COLUMNS} FROM outbound WHERE conversation_id = ?"  # noqa: S608
                " ORDER BY created_at LIMIT 1",
                (conversation_id,),
            )
            .fetchone()
        )
        return None if row is None else self._outbound(row)

    # -- inbound AS4 -------------------------------------------------------------------------
    def inbound_receipt(self, as4_message_id: str) -> bytes | None:
        row = (
            self._db()
            .execute("SELECT receipt FROM inbound WHERE as4_message_id = ?", (as4_message_id,))
            .fetchone()
        )
        return None if row is None else bytes(row[0])

    def accept_inbound(
        self,
        record: InboundRecord,
        *,
        receipt: IncomingReceipt | None = None,
        delivery: Delivery | None = None,
        package: bytes | IO[bytes] | None = None,
    ) -> bytes:
        inline, file = self._put_blob(package) if delivery is not None else (None, None)
        with self._write() as db:
            earlier = db.execute(
                "SELECT receipt FROM inbound WHERE as4_message_id = ?", (record.as4_message_id,)
            ).fetchone()
            if earlier is not None:
                return bytes(earlier[0])
            db.execute(
                "INSERT INTO inbound (as4_message_id, from_party, receipt, received_at)"
                " VALUES (?,?,?,?)",
                (
                    record.as4_message_id,
                    record.from_party,
                    record.receipt,
                    epoch(record.received_at),
                ),
            )
            if receipt is not None:
                db.execute(
                    "INSERT OR IGNORE INTO incoming (id, owner, conversation_id, business_message,"
                    " kanal, avsenderidentifikator, received_at) VALUES (?,?,?,?,?,?,?)",
                    (
                        receipt.id,
                        receipt.owner,
                        receipt.conversation_id,
                        receipt.business_message,
                        receipt.kanal,
                        receipt.avsenderidentifikator,
                        epoch(receipt.received_at),
                    ),
                )
            if delivery is not None:
                db.execute(
                    "INSERT OR IGNORE INTO deliveries (id, as4_message_id, receiver,"
                    " business_message, received_at, package, package_file, state, next_attempt)"
                    " VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        delivery.id,
                        delivery.as4_message_id,
                        delivery.receiver,
                        delivery.business_message,
                        epoch(delivery.received_at),
                        inline,
                        file,
                        DELIVERY_PENDING,
                        epoch(delivery.received_at),
                    ),
                )
        return record.receipt

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
        if page < 0 or page_size < 1:
            raise UsageError("page must be >= 0 and page_size >= 1")
        where, args = ["owner = ?", "read = 0"], [owner]
        if kanal is not None:
            where.append("kanal = ?")
            args.append(kanal)
        if avsenderidentifikator is not None:
            where.append("avsenderidentifikator = ?")
            args.append(avsenderidentifikator)
        rows = (
            self._db()
            .execute(
                "SELECT id, owner, conversation_id, business_message, kanal,"  # noqa: S608
                f" avsenderidentifikator, received_at FROM incoming WHERE {' AND '.join(where)}"
                " ORDER BY seq LIMIT ? OFFSET ?",
                (*args, page_size, page * page_size),
            )
            .fetchall()
        )
        return [
            IncomingReceipt(
                id=r[0],
                owner=r[1],
                conversation_id=r[2],
                business_message=r[3],
                kanal=r[4],
                avsenderidentifikator=r[5],
                received_at=from_epoch(r[6]),
            )
            for r in rows
        ]

    def mark_read(self, owner: str, receipt_id: str) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE incoming SET read = 1 WHERE id = ? AND owner = ?", (receipt_id, owner)
            )
            return cursor.rowcount == 1

    # -- delivery queue (corner 3) -----------------------------------------------------------
    def claim_deliveries(
        self, *, worker: str, now: datetime, lease_seconds: float, limit: int
    ) -> list[DeliveryClaim]:
        rows = self._claim(
            "deliveries",
            "id, as4_message_id, receiver, business_message, received_at, package, package_file,"
            " attempts",
            DELIVERY_PENDING,
            worker=worker,
            now=now,
            lease_seconds=lease_seconds,
            limit=limit,
        )
        return [
            DeliveryClaim(
                delivery=Delivery(
                    id=r[0],
                    as4_message_id=r[1],
                    receiver=r[2],
                    business_message=r[3],
                    received_at=from_epoch(r[4]),
                ),
                package_blob=self._blob(r[5], r[6]),
                attempts=r[7],
            )
            for r in rows
        ]

    def _finish_delivery(
        self, delivery_id: str, worker: str, state: str, error: str | None
    ) -> bool:
        # A delivered message's package is corner 4's now; a failed one keeps it for inspection.
        package = ", package = NULL, package_file = NULL" if state == DELIVERED else ""
        with self._write() as db:
            return self._update_leased(
                db,
                "deliveries",
                "id",
                job=delivery_id,
                worker=worker,
                sets=f"state = ?, lease_owner = NULL, lease_until = NULL, last_error = ?{package}",
                args=(state, error),
            )

    def mark_delivered(self, delivery_id: str, *, worker: str, now: datetime) -> bool:
        return self._finish_delivery(delivery_id, worker, DELIVERED, None)

    def mark_delivery_failed(
        self, delivery_id: str, *, worker: str, now: datetime, reason: str
    ) -> bool:
        return self._finish_delivery(delivery_id, worker, DELIVERY_FAILED, reason)

    def mark_delivery_retry(
        self, delivery_id: str, *, worker: str, next_attempt: datetime, error: str
    ) -> bool:
        return self._retry_later(
            "deliveries", "id", delivery_id, worker=worker, next_attempt=next_attempt, error=error
        )

    def next_delivery_due(self) -> datetime | None:
        return self._next_due("deliveries", DELIVERY_PENDING)

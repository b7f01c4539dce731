"""The embedded :class:`~.store.Store`: SQLite in WAL mode, one transaction per state change.

* ``journal_mode=WAL`` lets the API threads read while the worker writes; ``synchronous=FULL``
  makes a committed transaction survive a power cut, so "201 Created" means stored on disk.
* Writes take the database lock up front (``BEGIN IMMEDIATE``): a claim is a read-then-write and
  must not interleave with another claim.
* Each thread has its own connection (sqlite3 connections are not shared between threads).
* Package and wire bytes above ``inline_max_bytes`` go to files in ``blob_dir`` (written, fsynced
  and renamed into place before the row that names them is committed); smaller ones are kept in
  the row. A crash between the file and the commit leaves an unreferenced file, never a row
  without its bytes.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import UsageError
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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbound (
    message_id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    document_type TEXT NOT NULL,
    process TEXT NOT NULL,
    business_message TEXT NOT NULL,
    kanal TEXT,
    avsenderidentifikator TEXT,
    created_at REAL NOT NULL,
    deadline REAL NOT NULL,
    package BLOB,
    package_file TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    lease_owner TEXT,
    lease_until REAL,
    wire BLOB,
    wire_file TEXT,
    as4_message_id TEXT,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbound_due ON outbound (state, next_attempt);
CREATE INDEX IF NOT EXISTS outbound_conversation ON outbound (conversation_id);
CREATE TABLE IF NOT EXISTS outbound_status (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL REFERENCES outbound (message_id),
    status TEXT NOT NULL,
    beskrivelse TEXT,
    timestamp TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbound_status_message ON outbound_status (message_id, seq);
CREATE TABLE IF NOT EXISTS inbound (
    as4_message_id TEXT PRIMARY KEY,
    from_party TEXT NOT NULL,
    receipt BLOB NOT NULL,
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS incoming (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    business_message TEXT NOT NULL,
    kanal TEXT,
    avsenderidentifikator TEXT,
    received_at REAL NOT NULL,
    read INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS incoming_owner ON incoming (owner, read, seq);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    as4_message_id TEXT NOT NULL,
    receiver TEXT NOT NULL,
    business_message TEXT NOT NULL,
    received_at REAL NOT NULL,
    package BLOB,
    package_file TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    lease_owner TEXT,
    lease_until REAL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt);
"""

_PENDING = Status.OPPRETTET.value
_DELIVERY_PENDING, _DELIVERED, _DELIVERY_FAILED = "pending", "delivered", "failed"


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class SqliteStore:
    """A :class:`~.store.Store` in one SQLite file (created with its schema when missing)."""

    def __init__(
        self,
        path: Path | str,
        *,
        blob_dir: Path | str | None = None,
        inline_max_bytes: int = 1024 * 1024,
        busy_timeout_seconds: float = 30.0,
    ) -> None:
        if inline_max_bytes < 0:
            raise UsageError("inline_max_bytes must not be negative")
        self.path = Path(path)
        self.blob_dir = Path(blob_dir) if blob_dir is not None else self.path.parent / "blobs"
        self.inline_max_bytes = inline_max_bytes
        self._busy_timeout = busy_timeout_seconds
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._db().executescript(_SCHEMA)  # its own transaction (executescript commits)

    # -- connections and transactions --------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    # -- blobs -------------------------------------------------------------------------------
    def _put_blob(self, data: bytes | None) -> tuple[bytes | None, str | None]:
        if data is None or len(data) <= self.inline_max_bytes:
            return data, None
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(data).hexdigest()
        final = self.blob_dir / name
        if not final.exists():
            temporary = final.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        return None, name

    def _get_blob(self, inline: bytes | None, name: str | None) -> bytes | None:
        if name is None:
            return inline
        return (self.blob_dir / name).read_bytes()

    # -- outbox ------------------------------------------------------------------------------
    def add_outbound(self, message: OutboundMessage, package: bytes | None) -> None:
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
                        _ts(message.created_at),
                        _ts(message.deadline),
                        inline,
                        file,
                        _PENDING,
                        _ts(message.created_at),
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
            created_at=_dt(row[10]),
            deadline=_dt(row[11]),
        )

    def claim_outbound(
        self, *, worker: str, now: datetime, lease_seconds: float, limit: int
    ) -> list[OutboundClaim]:
        moment = _ts(now)
        with self._write() as db:
            rows = db.execute(
                f"SELECT {self._OUTBOUND_COLUMNS}, package, package_file, attempts, wire,"  # noqa: S608
                " wire_file, as4_message_id FROM outbound"
                " WHERE state = ? AND next_attempt <= ? AND (lease_until IS NULL OR lease_until < ?)"
                " ORDER BY next_attempt LIMIT ?",
                (_PENDING, moment, moment, limit),
            ).fetchall()
            db.executemany(
                "UPDATE outbound SET lease_owner = ?, lease_until = ?, attempts = attempts + 1"
                " WHERE message_id = ?",
                [(worker, moment + lease_seconds, row[0]) for row in rows],
            )
        return [
            OutboundClaim(
                message=self._outbound(row),
                package=self._get_blob(row[12], row[13]),
                attempts=row[14],
                wire=self._get_blob(row[15], row[16]),
                as4_message_id=row[17],
            )
            for row in rows
        ]

    @staticmethod
    def _update_leased(
        db: sqlite3.Connection,
        table: str,
        key: str,
        *,
        job: str,
        worker: str,
        sets: str,
        args: tuple[Any, ...],
    ) -> bool:
        cursor = db.execute(
            f"UPDATE {table} SET {sets} WHERE {key} = ? AND lease_owner = ?",  # noqa: S608 - fixed names
            (*args, job, worker),
        )
        return cursor.rowcount == 1

    def freeze_wire(
        self, message_id: str, *, worker: str, as4_message_id: str, wire: bytes
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
            return done

    def mark_sent(self, message_id: str, *, worker: str, now: datetime, beskrivelse: str) -> bool:
        return self._finish(message_id, worker, Status.SENDT, now, beskrivelse)

    def mark_failed(self, message_id: str, *, worker: str, now: datetime, reason: str) -> bool:
        return self._finish(message_id, worker, Status.FEILET, now, reason)

    def mark_retry(
        self, message_id: str, *, worker: str, next_attempt: datetime, error: str
    ) -> bool:
        with self._write() as db:
            return self._update_leased(
                db,
                "outbound",
                "message_id",
                job=message_id,
                worker=worker,
                sets="next_attempt = ?, lease_owner = NULL, lease_until = NULL, last_error = ?",
                args=(_ts(next_attempt), error),
            )

    def _next_due(self, table: str, state: str) -> datetime | None:
        row = (
            self._db()
            .execute(
                f"SELECT MIN(MAX(next_attempt, COALESCE(lease_until, 0))) FROM {table}"  # noqa: S608
                " WHERE state = ?",
                (state,),
            )
            .fetchone()
        )
        return None if row is None or row[0] is None else _dt(row[0])

    def next_outbound_due(self) -> datetime | None:
        return self._next_due("outbound", _PENDING)

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
        package: bytes | None = None,
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
                (record.as4_message_id, record.from_party, record.receipt, _ts(record.received_at)),
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
                        _ts(receipt.received_at),
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
                        _ts(delivery.received_at),
                        inline,
                        file,
                        _DELIVERY_PENDING,
                        _ts(delivery.received_at),
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
                received_at=_dt(r[6]),
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
        moment = _ts(now)
        with self._write() as db:
            rows = db.execute(
                "SELECT id, as4_message_id, receiver, business_message, received_at, package,"
                " package_file, attempts FROM deliveries WHERE state = ? AND next_attempt <= ?"
                " AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt LIMIT ?",
                (_DELIVERY_PENDING, moment, moment, limit),
            ).fetchall()
            db.executemany(
                "UPDATE deliveries SET lease_owner = ?, lease_until = ?, attempts = attempts + 1"
                " WHERE id = ?",
                [(worker, moment + lease_seconds, row[0]) for row in rows],
            )
        return [
            DeliveryClaim(
                delivery=Delivery(
                    id=r[0],
                    as4_message_id=r[1],
                    receiver=r[2],
                    business_message=r[3],
                    received_at=_dt(r[4]),
                ),
                package=self._get_blob(r[5], r[6]),
                attempts=r[7],
            )
            for r in rows
        ]

    def _finish_delivery(
        self, delivery_id: str, worker: str, state: str, error: str | None
    ) -> bool:
        with self._write() as db:
            return self._update_leased(
                db,
                "deliveries",
                "id",
                job=delivery_id,
                worker=worker,
                sets="state = ?, lease_owner = NULL, lease_until = NULL, last_error = ?",
                args=(state, error),
            )

    def mark_delivered(self, delivery_id: str, *, worker: str, now: datetime) -> bool:
        return self._finish_delivery(delivery_id, worker, _DELIVERED, None)

    def mark_delivery_failed(
        self, delivery_id: str, *, worker: str, now: datetime, reason: str
    ) -> bool:
        return self._finish_delivery(delivery_id, worker, _DELIVERY_FAILED, reason)

    def mark_delivery_retry(
        self, delivery_id: str, *, worker: str, next_attempt: datetime, error: str
    ) -> bool:
        with self._write() as db:
            return self._update_leased(
                db,
                "deliveries",
                "id",
                job=delivery_id,
                worker=worker,
                sets="next_attempt = ?, lease_owner = NULL, lease_until = NULL, last_error = ?",
                args=(_ts(next_attempt), error),
            )

    def next_delivery_due(self) -> datetime | None:
        return self._next_due("deliveries", _DELIVERY_PENDING)

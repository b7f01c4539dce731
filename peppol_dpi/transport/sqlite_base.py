"""The SQLite side of :class:`~.sqlite_store.SqliteStore`: schema, connections, transactions,
blob files, leases and retention.

* ``journal_mode=WAL`` lets the API threads read while the worker writes; ``synchronous=FULL``
  makes a committed transaction survive a power cut, so "201 Created" means stored on disk.
* Writes take the database lock up front (``BEGIN IMMEDIATE``): a claim is a read-then-write and
  must not interleave with another claim.
* Each thread has its own connection (sqlite3 connections are not shared between threads).
* Package and wire bytes above ``inline_max_bytes`` go to files in ``blob_dir`` (written, fsynced
  and renamed into place before the row that names them is committed); smaller ones are kept in
  the row. A crash between the file and the commit leaves an unreferenced file, never a row
  without its bytes; :meth:`SqliteBase.prune` removes such files later.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..errors import UsageError
from ..spool import copy_chunks
from .store import Blob, Status

__all__ = [
    "DELIVERED",
    "DELIVERY_FAILED",
    "DELIVERY_PENDING",
    "PENDING",
    "SqliteBase",
    "epoch",
    "from_epoch",
]

# The columns of a leased job (the outbox and the delivery queue): its bytes, its state, when
# it is due, and which worker holds it until when.
_JOB = """    package BLOB,
    package_file TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    lease_owner TEXT,
    lease_until REAL,
"""

_SCHEMA = f"""
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
{_JOB}    wire BLOB,
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
{_JOB}    last_error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt);
"""

PENDING = Status.OPPRETTET.value
DELIVERY_PENDING, DELIVERED, DELIVERY_FAILED = "pending", "delivered", "failed"


def epoch(value: datetime) -> float:
    return value.timestamp()


def from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class SqliteBase:
    """Connections, transactions, blobs, leases and retention; the Store methods are in
    :class:`~.sqlite_store.SqliteStore`."""

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
    def _put_blob(self, data: bytes | IO[bytes] | None) -> tuple[bytes | None, str | None]:
        """Keep ``data`` (bytes, or a seekable file read from its start in pieces): inline
        when small, else as a file in ``blob_dir`` named by its SHA-256, fsynced before the
        row that names it is committed."""
        if data is None:
            return None, None
        if isinstance(data, bytes):
            if len(data) <= self.inline_max_bytes:
                return data, None
            return None, self._write_blob([data])
        size = data.seek(0, os.SEEK_END)
        data.seek(0)
        if size <= self.inline_max_bytes:
            return data.read(), None
        return None, self._write_blob(copy_chunks(data))

    def _write_blob(self, pieces: Iterable[bytes]) -> str:
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.blob_dir / f".{os.getpid()}.{threading.get_ident()}.{uuid.uuid4().hex}.tmp"
        digest = hashlib.sha256()
        try:
            with open(temporary, "wb") as handle:
                for piece in pieces:
                    digest.update(piece)
                    handle.write(piece)
                handle.flush()
                os.fsync(handle.fileno())
            name = digest.hexdigest()
            os.replace(temporary, self.blob_dir / name)  # the same content if it was there
        finally:
            temporary.unlink(missing_ok=True)
        return name

    def _blob(self, inline: bytes | None, name: str | None) -> Blob | None:
        if name is not None:
            return Blob(file=self.blob_dir / name)
        return Blob(inline=inline) if inline is not None else None

    def _claim(
        self,
        table: str,
        columns: str,
        state: str,
        *,
        worker: str,
        now: datetime,
        lease_seconds: float,
        limit: int,
    ) -> list[Any]:
        """Lease to ``worker`` up to ``limit`` jobs of ``table`` (the outbox or the delivery
        queue) in ``state`` that are due and whose lease is free or expired, earliest due
        first, counting an attempt on each; their ``columns``, the first of which is the key."""
        moment = epoch(now)
        key = columns.split(",", 1)[0].strip()
        with self._write() as db:
            rows = db.execute(
                f"SELECT {columns} FROM {table} WHERE state = ? AND next_attempt <= ?"  # noqa: S608 - fixed names
                " AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt LIMIT ?",
                (state, moment, moment, limit),
            ).fetchall()
            db.executemany(
                f"UPDATE {table} SET lease_owner = ?, lease_until = ?, attempts = attempts + 1"  # noqa: S608 - fixed names
                f" WHERE {key} = ?",
                [(worker, moment + lease_seconds, row[0]) for row in rows],
            )
        return rows

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
        return None if row is None or row[0] is None else from_epoch(row[0])

    # -- retention ---------------------------------------------------------------------------
    def prune(self, before: datetime) -> dict[str, int]:
        """Forget what is finished and older than ``before``: sent or failed messages (with
        their statuses), delivered or failed deliveries, read receipts, and inbound message ids
        (the duplicate-detection window ends at ``before``). Unreferenced blob files older
        than ``before`` go too. Returns the number of rows removed per table."""
        moment = epoch(before)
        finished = (Status.SENDT.value, Status.FEILET.value)
        with self._write() as db:
            old = "SELECT message_id FROM outbound WHERE state IN (?, ?) AND created_at < ?"
            counts = {
                "outbound_status": db.execute(
                    f"DELETE FROM outbound_status WHERE message_id IN ({old})",  # noqa: S608
                    (*finished, moment),
                ).rowcount,
                "outbound": db.execute(
                    "DELETE FROM outbound WHERE state IN (?, ?) AND created_at < ?",
                    (*finished, moment),
                ).rowcount,
                "deliveries": db.execute(
                    "DELETE FROM deliveries WHERE state IN (?, ?) AND received_at < ?",
                    (DELIVERED, DELIVERY_FAILED, moment),
                ).rowcount,
                "incoming": db.execute(
                    "DELETE FROM incoming WHERE read = 1 AND received_at < ?", (moment,)
                ).rowcount,
                "inbound": db.execute(
                    "DELETE FROM inbound WHERE received_at < ?", (moment,)
                ).rowcount,
            }
            referenced = {
                row[0]
                for row in db.execute(
                    "SELECT package_file FROM outbound UNION SELECT wire_file FROM outbound"
                    " UNION SELECT package_file FROM deliveries"
                )
                if row[0] is not None
            }
        if self.blob_dir.is_dir():
            for file in self.blob_dir.iterdir():
                # a file newer than ``before`` may belong to a row being committed right now
                if file.name not in referenced and file.stat().st_mtime < moment:
                    file.unlink(missing_ok=True)
        return counts

"""The mailbox provider's store: the letters it keeps, the message ids it refused, and the
receipts it signed (queued until corner 3 takes them).

:class:`MailboxStore` is the interface; :class:`MemoryMailboxStore` keeps everything in memory
behind one lock (the reference mailbox and the demo). A persistent store implements the same
methods, each one transaction.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..dpi.identifiers import MessageType
from ..dpi.message import BusinessMessage

__all__ = ["Letter", "MailboxStore", "MemoryMailboxStore", "SentReceipt"]


@dataclass(frozen=True, kw_only=True)
class Letter:
    """A letter in a citizen's mailbox (or at the print service)."""

    id: str  # the DPI message id
    conversation_id: str
    kind: str  # digital | utskrift
    mailbox: str  # postkasseadresse, or the addressee's name for print
    sender: str  # the legal sender (avsender), 0192:<orgnr>
    sender_name: str | None
    signed_by: str  # the SBDH sender (a data processor, or the sender itself)
    title: str | None
    documents: tuple[tuple[str, str, int], ...]  # (name, MIME type, size)
    received_at: datetime
    message: BusinessMessage = field(repr=False)
    opened: bool = False
    receipts: tuple[str, ...] = ()  # types of the receipts sent for it

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "type": self.kind,
            "mailbox": self.mailbox,
            "sender": self.sender,
            "sender_name": self.sender_name,
            "signed_by": self.signed_by,
            "title": self.title,
            "documents": [{"name": n, "mime": m, "size": s} for n, m, s in self.documents],
            "received_at": self.received_at.isoformat(),
            "opened": self.opened,
            "receipts": list(self.receipts),
        }


@dataclass(frozen=True, kw_only=True)
class SentReceipt:
    """A signed receipt waiting for (or taken by) corner 3."""

    id: str
    type: MessageType
    conversation_id: str
    jws: bytes = field(repr=False)
    delivered: bool = False
    attempts: int = 0


class MailboxStore(Protocol):
    def add_letter(self, letter: Letter) -> bool:
        """Keep ``letter``; False if its id is already kept (a repeated delivery)."""
        ...

    def letter(self, letter_id: str) -> Letter | None: ...

    def letters(self, mailbox: str | None = None) -> list[Letter]: ...

    def update_letter(self, letter: Letter) -> None: ...

    def refuse(self, message_id: str, rule: str) -> bool:
        """Remember a refused message id; False if it was refused before."""
        ...

    def refused(self) -> dict[str, str]: ...

    def queue_receipt(self, sent: SentReceipt) -> None: ...

    def pending_receipts(self) -> list[SentReceipt]: ...

    def receipts(self) -> list[SentReceipt]: ...

    def update_receipt(self, sent: SentReceipt) -> None: ...


@dataclass
class MemoryMailboxStore:
    """:class:`MailboxStore` in memory, guarded by one lock."""

    _letters: dict[str, Letter] = field(default_factory=dict)
    _refused: dict[str, str] = field(default_factory=dict)
    _receipts: dict[str, SentReceipt] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_letter(self, letter: Letter) -> bool:
        with self._lock:
            if letter.id in self._letters:
                return False
            self._letters[letter.id] = letter
            return True

    def letter(self, letter_id: str) -> Letter | None:
        with self._lock:
            return self._letters.get(letter_id)

    def letters(self, mailbox: str | None = None) -> list[Letter]:
        with self._lock:
            return [x for x in self._letters.values() if mailbox in (None, x.mailbox)]

    def update_letter(self, letter: Letter) -> None:
        with self._lock:
            self._letters[letter.id] = letter

    def refuse(self, message_id: str, rule: str) -> bool:
        with self._lock:
            if message_id in self._refused:
                return False
            self._refused[message_id] = rule
            return True

    def refused(self) -> dict[str, str]:
        with self._lock:
            return dict(self._refused)

    def queue_receipt(self, sent: SentReceipt) -> None:
        with self._lock:
            self._receipts[sent.id] = sent

    def pending_receipts(self) -> list[SentReceipt]:
        with self._lock:
            return [r for r in self._receipts.values() if not r.delivered]

    def receipts(self) -> list[SentReceipt]:
        with self._lock:
            return list(self._receipts.values())

    def update_receipt(self, sent: SentReceipt) -> None:
        with self._lock:
            self._receipts[sent.id] = sent

"""A small thread-safe cache whose entries expire: SMP answers, Maskinporten tokens."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from ..errors import UsageError

__all__ = ["TtlCache"]

V = TypeVar("V")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TtlCache(Generic[V]):
    """Entries live until their expiry instant; the oldest go first beyond ``max_entries``.

    The clock is injected (``clock``), so tests and replays control time.
    """

    def __init__(
        self,
        *,
        ttl: timedelta = timedelta(hours=1),
        max_entries: int = 1024,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if ttl <= timedelta(0) or max_entries <= 0:
            raise UsageError("a cache needs a positive ttl and size")
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[datetime, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if now >= entry[0]:
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: Hashable, value: V, *, expires: datetime | None = None) -> None:
        """Store ``value`` until ``expires`` (default: now + ttl, and never later than that)."""
        limit = self.clock() + self.ttl
        until = min(expires, limit) if expires is not None else limit
        with self._lock:
            self._entries[key] = (until, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

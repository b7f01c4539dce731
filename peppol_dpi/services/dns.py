"""A DNS server for a local SML zone: NAPTR (U-NAPTR ``Meta:SMP``) and CNAME records.

Names that are not in the table answer NXDOMAIN; a name with records of another type answers
NOERROR with no data (RFC 2308). Records can be added and removed while the server runs, which
is how the local SMP registers a participant in its "SML".
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from dnslib import CNAME, NAPTR, QTYPE, RCODE, RR, DNSLabel
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from .base import RunningService

__all__ = ["DnsZone", "serve_dns"]

_log = logging.getLogger(__name__)


@dataclass
class DnsZone:
    """A thread-safe table of records, answered by :func:`serve_dns`."""

    ttl: int = 60
    _records: dict[str, list[tuple[int, Any]]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @staticmethod
    def _key(name: str) -> str:
        return name.rstrip(".").lower()

    def add_naptr(
        self,
        name: str,
        *,
        regexp: str,
        order: int = 100,
        preference: int = 10,
        flags: str = "U",
        service: str = "Meta:SMP",
        replacement: str = ".",
    ) -> None:
        """Add a NAPTR record (for an SMP: ``regexp="!.*!https://smp.example/!"``)."""
        rdata = NAPTR(
            order,
            preference,
            flags.encode("ascii"),
            service.encode("ascii"),
            regexp.encode("utf-8"),
            replacement,
        )
        self._add(name, QTYPE.NAPTR, rdata)

    def add_smp(self, name: str, smp_url: str) -> None:
        """The record the Peppol SML publishes for a participant: ``!.*!<smp_url>!``."""
        self.add_naptr(name, regexp=f"!.*!{smp_url}!")

    def add_cname(self, name: str, target: str) -> None:
        self._add(name, QTYPE.CNAME, CNAME(target))

    def remove(self, name: str) -> None:
        with self._lock:
            self._records.pop(self._key(name), None)

    def _add(self, name: str, qtype: int, rdata: Any) -> None:
        with self._lock:
            self._records.setdefault(self._key(name), []).append((qtype, rdata))

    def lookup(self, name: str) -> list[tuple[int, Any]] | None:
        with self._lock:
            found = self._records.get(self._key(name))
            return list(found) if found is not None else None


class _ZoneResolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, zone: DnsZone) -> None:
        self.zone = zone

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        qname = request.q.qname
        records = self.zone.lookup(str(qname))
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for qtype, rdata in records:
            if request.q.qtype in (qtype, QTYPE.ANY) or qtype == QTYPE.CNAME:
                reply.add_answer(RR(DNSLabel(qname), qtype, ttl=self.zone.ttl, rdata=rdata))
        return reply


def serve_dns(zone: DnsZone, *, host: str = "127.0.0.1", port: int = 0) -> RunningService:
    """Answer ``zone`` over UDP on ``host:port`` (0 = a free port) in a daemon thread."""
    server = DNSServer(
        _ZoneResolver(zone),
        address=host,
        port=port,
        logger=DNSLogger(prefix=False, logf=_log.debug),
    )
    server.start_thread()
    bound_port = int(server.server.server_address[1])

    def stop() -> None:
        server.stop()
        server.server.server_close()

    return RunningService(url=f"{host}:{bound_port}", host=host, port=bound_port, _stop=stop)

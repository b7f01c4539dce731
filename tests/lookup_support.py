"""What the lookup tests share: the DPI digital identifiers, a receiver, a fixed instant, SMP
endpoints and metadata built with one thing changed, a WSGI application that gives every
request the same answer, and a DNS server on 127.0.0.1 that answers as a test says."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import dns.resolver
import pki

from peppol_dpi.dpi.identifiers import DpiProcess, MessageType
from peppol_dpi.ids import ParticipantId, ProcessId
from peppol_dpi.lookup.smp import Endpoint, ProcessMetadata, ServiceMetadata, TransportProfile

NOW = datetime(2026, 6, 1, tzinfo=UTC)
RECEIVER = ParticipantId.parse("0192:984661185")
DIGITAL = MessageType.DIGITAL.document_type
DIGITAL_PROCESS = DpiProcess.DIGITAL.process_id

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]


def answering_app(
    status: str, body: bytes, content_type: str = "application/json", **headers: str
) -> WsgiApp:
    """A WSGI application answering every request with the same response."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, [("Content-Type", content_type), *headers.items()])
        return [body]

    return app


def smp_endpoint(**changes: Any) -> Endpoint:
    """Corner 3's AS4 endpoint, with ``changes``."""
    values: dict[str, Any] = {
        "transport_profile": TransportProfile.PEPPOL_AS4_V2,
        "url": "https://ap.example/as4",
        "certificate": pki.ap_key("c3").certificate,
        "description": "corner 3",
        "technical_contact": "mailto:ops@example.test",
    }
    return Endpoint(**(values | changes))


def smp_metadata(
    *endpoints: Endpoint, participant: ParticipantId = RECEIVER, processes: int = 1
) -> ServiceMetadata:
    """The digital document type of ``participant`` in one process (two: another after it)."""
    process_ids = [DIGITAL_PROCESS, ProcessId.parse("urn:other:process")][:processes]
    return ServiceMetadata(
        participant=participant,
        document_type=DIGITAL,
        processes=tuple(
            ProcessMetadata(process=p, endpoints=endpoints or (smp_endpoint(),))
            for p in process_ids
        ),
    )


@contextmanager
def udp_dns(answer: Callable[[bytes], bytes | None]) -> Iterator[dns.resolver.Resolver]:
    """A UDP DNS server on 127.0.0.1 that answers each query (the wire bytes) with
    ``answer(query)``, or not at all when that is None; yields a resolver asking only it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                query, peer = sock.recvfrom(4096)
            except OSError:
                continue
            reply = answer(query)
            if reply is not None:
                sock.sendto(reply, peer)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = sock.getsockname()[1]
    try:
        yield resolver
    finally:
        stop.set()
        thread.join()
        sock.close()

"""Corner 3 served over HTTPS; corner 2's worker trusts it only through the configured CA."""

from __future__ import annotations

from pathlib import Path

import pki
import requests
from transport_doubles import MAILBOX_ORG, RecordingCorner4, StaticLocator, utcnow
from transport_harness import FAST_RETRY, FAST_WORKER, Keys, Sender, corner2, wait_for

from peppol_dpi.transport.build import http_session
from peppol_dpi.transport.config import ServerConfig, ServerTls, TlsConfig
from peppol_dpi.transport.delivery import HttpCorner4
from peppol_dpi.transport.server import corner3_service
from peppol_dpi.transport.sqlite_store import SqliteStore


def _tls_files() -> tuple[ServerTls, Path]:
    """The fixtures PKI's localhost server certificate, and the root CA that issued it."""
    chain, key = pki.tls_files()
    return ServerTls(certificate=chain, key=key), pki.path("root-ca.cert.pem")


def test_as4_over_tls_with_the_configured_ca(tmp_path):
    from transport_doubles import JsonAs4, JsonPayloads

    keys, corner4 = Keys.make(), RecordingCorner4()
    tls, ca_file = _tls_files()
    c3 = corner3_service(
        store=SqliteStore(tmp_path / "c3.sqlite3"),
        reader=keys.reader(),
        as4=JsonAs4("c3"),
        payloads=JsonPayloads(),
        locator=StaticLocator(keys.ap.certificate),
        corner4=HttpCorner4(session=requests.Session(), urls={}, default_url=corner4.url),
        session=requests.Session(),
        clock=utcnow,
        server=ServerConfig(tls=tls),
        retry=FAST_RETRY,
        worker=FAST_WORKER,
    ).start()
    assert c3.as4_url.startswith("https://127.0.0.1:")
    to_c3 = StaticLocator(keys.ap.certificate, {f"0192:{MAILBOX_ORG}": c3.as4_url})
    untrusting = corner2(keys, tmp_path / "c2a.sqlite3", to_c3).start()
    try:
        # the system CAs do not know the test CA: the handshake fails and the message waits
        sender = Sender(keys, untrusting.url)
        _, waiting = sender.post()
        wait_for(
            lambda: (
                untrusting.store._db()
                .execute("SELECT last_error FROM outbound WHERE message_id = ?", (waiting,))
                .fetchone()[0]
                is not None
            ),
            what="a failed TLS attempt",
        )
        assert sender.statuses(waiting) == ["OPPRETTET"]
        assert (
            "SSL"
            in untrusting.store._db()
            .execute("SELECT last_error FROM outbound WHERE message_id = ?", (waiting,))
            .fetchone()[0]
        )
    finally:
        untrusting.stop()
    trusting = corner2(keys, tmp_path / "c2b.sqlite3", to_c3)
    for worker in trusting.workers:
        worker.session = http_session(TlsConfig(ca_file=ca_file))  # type: ignore[union-attr]
    trusting.start()
    try:
        sender = Sender(keys, trusting.url)
        _, message_id = sender.post()
        wait_for(lambda: sender.statuses(message_id)[-1] == "SENDT", what="SENDT over TLS")
        wait_for(lambda: message_id in corner4.delivered, what="delivery")
    finally:
        trusting.stop()
        c3.stop()
        corner4.stop()

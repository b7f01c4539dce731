"""Corner 3 served over HTTPS; corner 2's worker trusts it only through the configured CA."""

from __future__ import annotations

from pathlib import Path

import pki
from transport_doubles import MAILBOX_ORG, RecordingCorner4
from transport_harness import Keys, Sender, corner2, corner3, wait_for

from peppol_dpi.transport.build import http_session
from peppol_dpi.transport.config import ServerConfig, ServerTls, TlsConfig
from peppol_dpi.transport.locate import FixedLocator


def _tls_files() -> tuple[ServerTls, Path]:
    """The fixtures PKI's localhost server certificate, and the root CA that issued it."""
    chain, key = pki.tls_files()
    return ServerTls(certificate=chain, key=key), pki.path("root-ca.cert.pem")


def _last_error(service, message_id: str) -> str | None:
    row = (
        service.store._db()
        .execute("SELECT last_error FROM outbound WHERE message_id = ?", (message_id,))
        .fetchone()
    )
    return row[0]


def test_as4_over_tls_with_the_configured_ca(tmp_path):
    keys, corner4 = Keys.make(), RecordingCorner4()
    tls, ca_file = _tls_files()
    c3 = corner3(
        keys,
        tmp_path / "c3.sqlite3",
        FixedLocator(urls={}, certificate=pki.ap_key("c2").certificate),
        corner4.url,
        server=ServerConfig(tls=tls),
    ).start()
    assert c3.as4_url.startswith("https://127.0.0.1:")
    to_c3 = FixedLocator(
        urls={f"0192:{MAILBOX_ORG}": c3.as4_url}, certificate=pki.ap_key("c3").certificate
    )
    untrusting = corner2(keys, tmp_path / "c2a.sqlite3", to_c3).start()
    try:
        # the system CAs do not know the test root: the handshake fails and the message waits
        sender = Sender(keys, untrusting.url)
        _, waiting = sender.post()
        wait_for(lambda: _last_error(untrusting, waiting) is not None, what="a failed TLS attempt")
        assert sender.statuses(waiting) == ["OPPRETTET"]
        assert "CERTIFICATE_VERIFY_FAILED" in (_last_error(untrusting, waiting) or "")
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

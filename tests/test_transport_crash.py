"""Corner 2 killed for real (SIGKILL) in the middle of its work, then restarted.

Corner 2 runs in its own process. A proxy in front of corner 3 passes the first AS4 message
through and holds corner 3's receipt back; corner 2 is killed while it waits for that receipt
(corner 3 has the message, corner 2 has not recorded SENDT) and while the other messages are
stored but not yet sent. After the restart every message is SENDT, the first one was resent
(same AS4 message id) and answered from corner 3's duplicate store, and corner 4 got each
message exactly once.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pki
import pytest
import requests
from transport_doubles import MAILBOX_ORG, RecordingCorner4, utcnow
from transport_harness import Keys, Sender, corner3, process_config, wait_for
from transport_network import LETTERS, Network

from peppol_dpi.transport.http import Request, Response, wsgi_app
from peppol_dpi.transport.peppol_as4 import sent_references
from peppol_dpi.transport.server import WsgiServer
from peppol_dpi.transport.wire import WireMessage

HARNESS = Path(__file__).with_name("transport_harness.py")


class HoldingProxy:
    """Forwards AS4 requests to corner 3; holds the first response until released."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.forwarded: Counter[str] = Counter()
        self.first_forwarded = threading.Event()
        self.release = threading.Event()
        self.server = WsgiServer(wsgi_app(self._handle, max_body=64 << 20), threads=4)
        self.server.start()

    def _handle(self, request: Request) -> Response:
        headers = {"Content-Type": request.header("Content-Type") or ""}
        answer = requests.post(self.target, data=request.body, headers=headers, timeout=10)
        sent = WireMessage(headers=tuple(request.headers.items()), body=request.body)
        self.forwarded[sent_references(io.BytesIO(sent.to_dump()))[0]] += 1
        if not self.first_forwarded.is_set():
            self.first_forwarded.set()
            self.release.wait(30)
        return Response(
            status=answer.status_code,
            headers=(("Content-Type", answer.headers["Content-Type"]),),
            body=answer.content,
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_corner2(config: Path) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, str(HARNESS), "corner2", str(config)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HARNESS.parents[1])},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("READY"), line
    return process, int(line.split()[1])


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_corner2_killed_between_storing_and_sending_loses_and_duplicates_nothing(tmp_path):
    keys, network, corner4 = Keys.make(), Network(), RecordingCorner4()
    c3 = corner3(keys, tmp_path / "c3.sqlite3", network.locator(utcnow), corner4.url).start()
    proxy = HoldingProxy(c3.as4_url)
    network.register(
        f"0192:{MAILBOX_ORG}",
        url=proxy.server.url + "/as4",
        certificate=pki.ap_key("c3").certificate,
        types=LETTERS,
    )
    config = tmp_path / "c2.json"
    port = _free_port()
    config.write_text(json.dumps(process_config(keys, tmp_path / "c2.sqlite3", network, port)))
    process, port = _start_corner2(config)
    restarted = None
    try:
        sender = Sender(keys, f"http://127.0.0.1:{port}")
        ids = []
        for _ in range(5):
            response, message_id = sender.post()
            assert response.status_code == 201, response.text
            ids.append(message_id)
        assert proxy.first_forwarded.wait(20), "corner 2 never sent"
        wait_for(lambda: len(corner4.delivered) == 1, what="first delivery")
        # corner 2 now waits for the receipt the proxy holds (its HTTP timeout is 4 s): one
        # message is in flight, the other four are stored and not yet sent
        assert sum(proxy.forwarded.values()) == 1
        process.send_signal(signal.SIGKILL)
        assert process.wait(10) == -signal.SIGKILL
        proxy.release.set()

        restarted, port2 = _start_corner2(config)
        assert port2 == port
        wait_for(
            lambda: all(sender.statuses(i)[-1] == "SENDT" for i in ids),
            timeout=40,
            what="all SENDT",
        )
        assert all(sender.statuses(i) == ["OPPRETTET", "SENDT"] for i in ids)
        wait_for(lambda: set(corner4.delivered) == set(ids), what="all delivered")
        assert all(corner4.posts[i] == 1 for i in ids), corner4.posts
        # the message in flight at the kill was sent again with the same AS4 id ...
        assert sorted(proxy.forwarded.values()) == [1, 1, 1, 1, 2]
        # ... and corner 3 kept it once
        assert c3.store._db().execute("SELECT COUNT(*) FROM inbound").fetchone()[0] == 5  # type: ignore[attr-defined]
    finally:
        for p in (process, restarted):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(10)
        proxy.release.set()
        proxy.server.stop()
        c3.stop()
        corner4.stop()
        network.stop()

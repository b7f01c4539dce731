"""The access points move large AS4 messages through files (issue 8): the server spools a
request body in pieces within its limit, corner 3 opens the AS4 message from that spool,
corner 2 builds into a spool, freezes the message from it and posts it from it."""

from __future__ import annotations

import hashlib
import io
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from transport_harness import Flow, Sender, wait_for

from peppol_dpi.spool import CHUNK_BYTES, SPOOL_IN_MEMORY_BYTES
from peppol_dpi.transport.http import Request, Response, wsgi_app
from peppol_dpi.transport.sqlite_store import SqliteStore
from peppol_dpi.transport.store import OutboundMessage
from peppol_dpi.transport.wire import WireMessage

MiB = 1024 * 1024


class _Input:
    """wsgi.input that records how much each read asked for."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.asked: list[int] = []

    def read(self, size: int = -1) -> bytes:
        self.asked.append(size)
        if size < 0:
            raise AssertionError("the whole body was asked for at once")
        return self._data.read(size)


def _call(app: Any, body: _Input, length: int) -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/as4",
        "CONTENT_LENGTH": str(length),
        "CONTENT_TYPE": "application/octet-stream",
        "wsgi.input": body,
    }
    statuses: list[str] = []
    out = b"".join(app(environ, lambda status, headers: statuses.append(status)))
    return statuses[0], out


def test_a_request_body_is_read_in_pieces_into_a_spool() -> None:
    data = os.urandom(SPOOL_IN_MEMORY_BYTES + 3 * MiB)
    seen: dict[str, Any] = {}

    def handler(request: Request) -> Response:
        seen["digest"] = hashlib.sha256(request.body_file.read()).hexdigest()
        seen["file"] = request.body_file
        return Response(status=200)

    source = _Input(data)
    status, _ = _call(wsgi_app(handler, max_body=64 * MiB), source, len(data))
    assert status.startswith("200")
    assert seen["digest"] == hashlib.sha256(data).hexdigest()
    assert max(source.asked) <= CHUNK_BYTES and sum(source.asked) == len(data)
    assert seen["file"].closed  # the spool is gone once the answer is made


def test_a_request_body_beyond_the_memory_spool_goes_to_the_spool_dir(tmp_path) -> None:
    data = os.urandom(SPOOL_IN_MEMORY_BYTES + 1)
    seen: dict[str, str] = {}

    def handler(request: Request) -> Response:
        # The spool's file is already unlinked; its descriptor still names where it was made.
        seen["path"] = os.readlink(f"/proc/self/fd/{request.body_file.fileno()}")
        return Response(status=200)

    app = wsgi_app(handler, max_body=64 * MiB, spool_dir=tmp_path)
    status, _ = _call(app, _Input(data), len(data))
    assert status.startswith("200")
    assert seen["path"].startswith(f"{tmp_path}/"), seen


def test_a_body_beyond_the_limit_is_refused_before_it_is_read() -> None:
    source = _Input(b"x" * 2048)
    status, out = _call(wsgi_app(lambda r: Response(status=200), max_body=1024), source, 2048)
    assert status.startswith("413")
    assert json.loads(out)["type"] == "urn:peppol-dpi:problem:http:too-large"
    assert source.asked == []


def test_a_body_shorter_than_its_content_length_reaches_the_handler_short() -> None:
    source = _Input(b"x" * 100)
    status, out = _call(wsgi_app(lambda r: Response(status=200, body=r.body), max_body=1024), source, 500)  # fmt: skip
    assert status.startswith("200") and out == b"x" * 100


def test_the_store_freezes_a_wire_file_in_pieces(tmp_path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3", inline_max_bytes=64)
    try:
        now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
        store.add_outbound(
            OutboundMessage(
                message_id="m1", conversation_id="c", owner="o", sender="s", receiver="r",
                document_type="d", process="p", business_message="jws", created_at=now,
                deadline=now + timedelta(hours=1),
            ),
            None,
        )  # fmt: skip
        store.claim_outbound(worker="a", now=now, lease_seconds=10, limit=1)
        wire = b"Content-Type: x\r\n\r\n" + os.urandom(3 * CHUNK_BYTES + 5)
        assert store.freeze_wire("m1", worker="a", as4_message_id="x", wire=io.BytesIO(wire))
        blob = store.blob_dir / hashlib.sha256(wire).hexdigest()
        assert blob.read_bytes() == wire  # named by its digest, as a bytes wire is
        assert [p.name for p in store.blob_dir.iterdir()] == [blob.name]  # no temporary left
        assert store.mark_retry("m1", worker="a", next_attempt=now, error="x")
        [claim] = store.claim_outbound(worker="b", now=now, lease_seconds=10, limit=1)
        assert claim.wire_blob is not None and claim.wire_blob.file == blob  # not read yet
        assert claim.wire == wire
        with claim.wire_blob.open() as frozen:  # what a retry posts from
            assert frozen.read() == wire
    finally:
        store.close()


@pytest.fixture
def flow(tmp_path):
    running = Flow(tmp_path)
    yield running
    running.stop()


def _failed_once_with_a_frozen_file(flow: Flow, message_id: str) -> bool:
    row = (
        flow.c2.store._db()  # type: ignore[attr-defined]
        .execute("SELECT wire_file, last_error FROM outbound WHERE message_id = ?", (message_id,))
        .fetchone()
    )
    return row is not None and row[0] is not None and row[1] is not None


def test_a_letter_larger_than_a_memory_spool_goes_through_both_access_points(flow) -> None:
    flow.c3.stop()  # the first attempt fails: the retry posts the frozen message's file
    package = b"\x30\x80" + os.urandom(12 * MiB)
    sender = Sender(flow.keys, flow.c2.url)
    response, message_id = sender.post(package)
    assert response.status_code == 201, response.text
    wait_for(lambda: _failed_once_with_a_frozen_file(flow, message_id), what="a failed attempt")
    flow.restart_corner3()
    wait_for(lambda: sender.statuses(message_id)[-1] == "SENDT", timeout=60, what="SENDT")
    wait_for(lambda: message_id in flow.corner4.delivered, timeout=60, what="delivery")
    assert flow.corner4.delivered[message_id][1] == package
    assert flow.corner4.posts[message_id] == 1
    assert sender.statuses(message_id) == ["OPPRETTET", "SENDT"]
    # The AS4 message was larger than a spool keeps in memory, so corner 2 built it in a
    # file (frozen as a blob file) and corner 3 spooled it to one. Every attempt sent the
    # very same bytes (peppol.md 1.8), the retries from the store's file.
    dumps = sorted(flow.wire.glob("*.as4out"))
    assert len(dumps) >= 2
    assert len({d.read_bytes() for d in dumps}) == 1
    sent = WireMessage.from_dump(dumps[0].read_bytes())
    assert len(sent.body) > SPOOL_IN_MEMORY_BYTES
    assert sent.content_type.startswith("multipart/related")

"""Corner 1 -> corner 2 -> corner 3 -> corner 4 and the receipts back, on loopback.

The AS4 and payload formats are the JSON stand-ins of transport_doubles (the durability,
retry and duplicate mechanics are what these tests are about); tokens and business message
signatures are real RS256.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from transport_doubles import (
    MAILBOX_ORG,
    SENDER_ORG,
    RecordingCorner4,
    StaticLocator,
    receipt_message,
)
from transport_harness import Keys, Sender, corner2, corner3, wait_for

from peppol_dpi.errors import EbmsError, InputError, RemoteError, TransportError
from peppol_dpi.transport.http import Response, wsgi_app
from peppol_dpi.transport.server import WsgiServer
from peppol_dpi.transport.wire import WireMessage
from peppol_dpi.transport.worker import RetryPolicy, is_retryable


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.make()


@pytest.fixture
def corner4():
    c4 = RecordingCorner4()
    yield c4
    c4.stop()


def _network(keys: Keys, tmp_path: Path, corner4: RecordingCorner4):
    to_c3 = StaticLocator(keys.ap.certificate)
    to_c2 = StaticLocator(keys.ap.certificate)
    c2 = corner2(keys, tmp_path / "c2.sqlite3", to_c3).start()
    c3 = corner3(keys, tmp_path / "c3.sqlite3", to_c2, corner4.url).start()
    to_c3.urls[f"0192:{MAILBOX_ORG}"] = c3.as4_url
    to_c2.urls[f"0192:{SENDER_ORG}"] = c2.as4_url
    return c2, c3, to_c3


def test_letter_reaches_corner4_once_and_receipt_comes_back(keys, tmp_path, corner4):
    c2, c3, _ = _network(keys, tmp_path, corner4)
    try:
        sender = Sender(keys, c2.url)
        package = b"\x30\x80 pretend CMS \x00\r\n\xff" * 100
        response, message_id = sender.post(package=package, avsenderidentifikator="avd-1")
        assert response.status_code == 201, response.text
        wait_for(lambda: message_id in corner4.delivered, what="delivery to corner 4")
        wait_for(lambda: sender.statuses(message_id)[-1] == "SENDT", what="SENDT")
        assert sender.statuses(message_id) == ["OPPRETTET", "SENDT"]
        jws, delivered_package = corner4.delivered[message_id]
        assert delivered_package == package
        assert corner4.posts[message_id] == 1

        # corner 4 answers with a leveringskvittering through corner 3, back to corner 2
        receipt, receipt_id = receipt_message(keys.mailbox, original=jws)
        answer = requests.post(f"{c3.url}/receipts", data=receipt, timeout=10)
        assert answer.status_code == 201
        again = requests.post(f"{c3.url}/receipts", data=receipt, timeout=10)
        assert again.status_code == 200  # a repeated receipt is not queued twice

        token = keys.maskinporten.token()
        auth = {"Authorization": f"Bearer {token}"}

        def incoming() -> list[str]:
            r = requests.get(f"{c2.url}/messages/in", headers=auth, timeout=10)
            return [] if r.status_code == 204 else [m["forretningsmelding"] for m in r.json()]

        wait_for(lambda: incoming() == [receipt], what="receipt on GET /messages/in")
        assert requests.get(
            f"{c2.url}/messages/in",
            params={"avsenderidentifikator": "avd-1"},
            headers=auth,
            timeout=10,
        ).json() == [{"forretningsmelding": receipt}]
        # another organisation does not see it
        other = {"Authorization": f"Bearer {keys.maskinporten.token('910076787')}"}
        assert requests.get(f"{c2.url}/messages/in", headers=other, timeout=10).status_code == 204
        assert (
            requests.post(
                f"{c2.url}/messages/in/{receipt_id}/read", headers=other, timeout=10
            ).status_code
            == 404
        )
        assert (
            requests.post(
                f"{c2.url}/messages/in/{receipt_id}/read", headers=auth, timeout=10
            ).status_code
            == 200
        )
        assert requests.get(f"{c2.url}/messages/in", headers=auth, timeout=10).status_code == 204
    finally:
        c2.stop()
        c3.stop()


def test_corner3_down_messages_wait_and_arrive_once(keys, tmp_path, corner4):
    c2, c3, _ = _network(keys, tmp_path, corner4)
    try:
        port = c3.server.port
        c3.stop()
        sender = Sender(keys, c2.url)
        ids = []
        for _ in range(10):
            response, message_id = sender.post()
            assert response.status_code == 201
            ids.append(message_id)
        # every message is tried (and fails) while corner 3 is down, and stays OPPRETTET
        wait_for(lambda: all(_attempted(c2, i) for i in ids), what="first attempts")
        assert all(sender.statuses(i) == ["OPPRETTET"] for i in ids)
        assert not corner4.delivered
        c3 = corner3(
            keys,
            tmp_path / "c3.sqlite3",
            StaticLocator(keys.ap.certificate),
            corner4.url,
            port=port,
        ).start()
        wait_for(lambda: all(sender.statuses(i)[-1] == "SENDT" for i in ids), what="all SENDT")
        wait_for(lambda: set(corner4.delivered) == set(ids), what="all delivered")
        assert all(sender.statuses(i) == ["OPPRETTET", "SENDT"] for i in ids)
        assert all(corner4.posts[i] == 1 for i in ids)
    finally:
        c2.stop()
        c3.stop()


def _attempted(service, message_id: str) -> bool:
    row = (
        service.store._db()
        .execute("SELECT attempts, last_error FROM outbound WHERE message_id = ?", (message_id,))
        .fetchone()
    )
    return row is not None and row[0] >= 1 and row[1] is not None


def test_duplicate_as4_message_answered_with_stored_receipt_and_not_delivered_twice(
    keys, tmp_path, corner4
):
    c2, c3, _ = _network(keys, tmp_path, corner4)
    try:
        sender = Sender(keys, c2.url)
        _, message_id = sender.post()
        wait_for(lambda: sender.statuses(message_id)[-1] == "SENDT", what="SENDT")
        wire = (
            c2.store._db()
            .execute("SELECT wire FROM outbound WHERE message_id = ?", (message_id,))
            .fetchone()[0]
        )
        sent = WireMessage.from_dump(bytes(wire))
        first = c3.store.inbound_receipt(json.loads(sent.body)["id"])
        replay = requests.post(c3.as4_url, data=sent.body, headers=dict(sent.headers), timeout=10)
        assert replay.status_code == 200
        assert replay.content == WireMessage.from_dump(first).body  # the very same receipt
        wait_for(lambda: message_id in corner4.delivered, what="delivery")
        assert corner4.posts[message_id] == 1
    finally:
        c2.stop()
        c3.stop()


def test_corner4_unavailable_delivery_retried(keys, tmp_path, corner4):
    corner4.fail_next = 3
    c2, c3, _ = _network(keys, tmp_path, corner4)
    try:
        sender = Sender(keys, c2.url)
        _, message_id = sender.post()
        wait_for(lambda: message_id in corner4.delivered, what="delivery after 503s")
        assert corner4.posts[message_id] == 1
        assert corner4.fail_next == 0
    finally:
        c2.stop()
        c3.stop()


def test_unknown_receiver_fails_with_reason(keys, tmp_path, corner4):
    c2, c3, to_c3 = _network(keys, tmp_path, corner4)
    try:
        to_c3.urls.clear()
        sender = Sender(keys, c2.url)
        _, message_id = sender.post()
        wait_for(lambda: sender.statuses(message_id)[-1] == "FEILET", what="FEILET")
        token = keys.maskinporten.token()
        statuses = requests.get(
            f"{c2.url}/messages/out/{message_id}/statuses",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        assert [s["status"] for s in statuses] == ["OPPRETTET", "FEILET"]
        assert "not registered" in statuses[-1]["beskrivelse"]
    finally:
        c2.stop()
        c3.stop()


def test_garbage_answer_is_retried_and_error_signals_by_category(keys, tmp_path, corner4):
    c2, c3, to_c3 = _network(keys, tmp_path, corner4)
    answers = ["garbage", "error:EBMS:0202", "forward"]

    def flaky(request):
        kind = answers.pop(0) if answers else "forward"
        if kind == "garbage":
            return Response(
                status=200, headers=(("Content-Type", "text/html"),), body=b"<html>proxy</html>"
            )
        if kind.startswith("error:"):
            body = json.dumps({"error": kind[6:], "detail": "try later"}).encode()
            return Response(status=200, headers=(("Content-Type", "application/json"),), body=body)
        answer = requests.post(
            c3.as4_url, data=request.body, headers={"Content-Type": "application/json"}, timeout=10
        )
        return Response(
            status=answer.status_code,
            headers=(("Content-Type", "application/json"),),
            body=answer.content,
        )

    proxy = WsgiServer(wsgi_app(flaky, max_body=1 << 20))
    proxy.start()
    to_c3.urls[f"0192:{MAILBOX_ORG}"] = proxy.url + "/as4"
    try:
        sender = Sender(keys, c2.url)
        _, message_id = sender.post()
        wait_for(
            lambda: sender.statuses(message_id)[-1] == "SENDT", what="SENDT after garbage and 0202"
        )
        assert not answers
        wait_for(lambda: message_id in corner4.delivered, what="delivery")
        assert corner4.posts[message_id] == 1
        # a Content-category error is final
        answers.append("error:EBMS:0004")
        _, failing = sender.post()
        wait_for(lambda: sender.statuses(failing)[-1] == "FEILET", what="FEILET on EBMS:0004")
    finally:
        proxy.stop()
        c2.stop()
        c3.stop()


def test_retry_classification():
    assert is_retryable(TransportError("refused"))
    assert is_retryable(RemoteError("x", rule="r", ebms_code=EbmsError.CONNECTION_FAILURE))
    assert is_retryable(RemoteError("x", rule="r", ebms_code=EbmsError.DELIVERY_FAILURE))
    assert not is_retryable(RemoteError("x", rule="r", ebms_code=EbmsError.DECOMPRESSION_FAILURE))
    assert not is_retryable(RemoteError("x", rule="r", ebms_code=EbmsError.FAILED_AUTHENTICATION))
    assert not is_retryable(RemoteError("x", rule="r", ebms_code=EbmsError.OTHER))
    assert is_retryable(InputError("x", rule="r", ebms_code=EbmsError.INVALID_RECEIPT))
    assert not is_retryable(InputError("x", rule="r"))
    policy = RetryPolicy(first_delay=timedelta(seconds=1), factor=2, max_delay=timedelta(seconds=5))
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4, 10)] == [1, 2, 4, 5, 5]

"""Corner 1 -> corner 2 -> corner 3 -> corner 4 and the receipts back, on loopback, for real.

Real business messages and receipts (peppol_dpi.dpi), real Peppol AS4 (signed, encrypted,
receipts verified), corner 3 found through a DNS server (SML) and a signing SMP, the fixtures
PKI for every key. What is asserted: exactly-once delivery, statuses, waiting while corner 3
is down, duplicate AS4 messages, retries, ownership of receipts.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pki
import pytest
import requests
from transport_doubles import (
    MAILBOX_ORG,
    OTHER_ORG,
    PROCESSOR_ORG,
    SENDER_ORG,
    RecordingCorner4,
    letter,
    receipt_for,
    utcnow,
)
from transport_harness import Flow, Sender, wait_for

from peppol_dpi.dpi.asic import Document
from peppol_dpi.dpi.bodies import Adresse, Retur, Returposthaandtering, Utskriftstype
from peppol_dpi.dpi.identifiers import MessageType
from peppol_dpi.dpi.mailbox import receive
from peppol_dpi.dpi.package import open_package
from peppol_dpi.dpi.sender import DigitalRecipient, PrintRecipient, send_digital, send_print
from peppol_dpi.dpi.sender import Sender as DpiSender
from peppol_dpi.dpi.signed import verify_business_message
from peppol_dpi.errors import EbmsError, InputError, RemoteError, TransportError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.transport.http import Response, wsgi_app
from peppol_dpi.transport.peppol_as4 import sent_references
from peppol_dpi.transport.server import WsgiServer
from peppol_dpi.transport.wire import WireMessage
from peppol_dpi.transport.worker import RetryPolicy, is_retryable


@pytest.fixture
def flow(tmp_path):
    running = Flow(tmp_path)
    yield running
    running.stop()


def _incoming(flow: Flow, token: str, **params: str) -> list[str]:
    response = requests.get(
        f"{flow.c2.url}/messages/in",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    if response.status_code == 204:
        return []
    response.raise_for_status()
    return [m["forretningsmelding"] for m in response.json()]


def test_letter_reaches_the_mailbox_once_and_its_receipt_comes_back(tmp_path):
    keys_for_mailbox = pki.business_key("digipost")

    def mailbox_checks(jws: bytes, package: bytes | None) -> None:
        # everything a corner 4 checks: JWS, XAdES, fingerprint, token vs sender and signer
        assert package is not None
        receive(
            jws,
            package,
            trust=pki.business_trust(),
            open_package=lambda cms: open_package(
                cms, keys_for_mailbox, trust=pki.business_trust()
            ),
            maskinporten_keys=pki.maskinporten_key().certificate,
            maskinporten_issuer=flow.keys.maskinporten.issuer,
        )

    flow = Flow(tmp_path, corner4=RecordingCorner4(check=mailbox_checks))
    try:
        sender = Sender(flow.keys, flow.c2.url)
        # a real letter: ASiC-E signed by the sender, CMS to the mailbox (dpi.sender.send_digital)
        token = flow.keys.maskinporten.token()
        parts = send_digital(
            sender=DpiSender(
                key=flow.keys.sender,
                organisation=ParticipantId.norwegian(SENDER_ORG),
                avsenderidentifikator="avd-1",
            ),
            recipient=DigitalRecipient(
                postkasseadresse="ola.nordmann#9YDT",
                provider=ParticipantId.norwegian(MAILBOX_ORG),
                certificate=keys_for_mailbox.certificate,
            ),
            documents=(Document(name="vedtak.pdf", content=b"%PDF-1.4 vedtak", title="Vedtak"),),
            token=token,
            title="Vedtak",
            created=utcnow(),
        )
        package = parts.dokumentpakke
        message_id = str(parts.message_id)
        response = sender.post_parts(
            parts.forretningsmelding.decode(), package, token=token, kanal="Kanal_1"
        )
        assert response.status_code == 201, response.text
        wait_for(lambda: message_id in flow.corner4.delivered, what="delivery to corner 4")
        wait_for(lambda: sender.statuses(message_id)[-1] == "SENDT", what="SENDT")
        assert sender.statuses(message_id) == ["OPPRETTET", "SENDT"]
        jws, delivered_package = flow.corner4.delivered[message_id]
        assert jws == parts.forretningsmelding.decode() and delivered_package == package
        assert flow.corner4.posts[message_id] == 1

        # corner 4 answers with a signed leveringskvittering through corner 3, back over AS4
        receipt, receipt_id = receipt_for(jws, keys_for_mailbox)
        assert requests.post(f"{flow.c3.url}/receipts", data=receipt, timeout=10).status_code == 201
        again = requests.post(f"{flow.c3.url}/receipts", data=receipt, timeout=10)
        assert again.status_code == 200  # a repeated receipt is not queued twice

        token = flow.keys.maskinporten.token()
        wait_for(lambda: _incoming(flow, token) == [receipt], what="receipt on GET /messages/in")
        checked = verify_business_message(receipt, trust=pki.business_trust())
        assert checked.message.conversation_id == parts.conversation_id
        assert _incoming(flow, token, kanal="kanal_1", avsenderidentifikator="avd-1") == [receipt]
        assert _incoming(flow, token, kanal="other") == []
        # another organisation sees nothing and cannot mark it read
        other = {"Authorization": f"Bearer {flow.keys.maskinporten.token(OTHER_ORG)}"}
        assert (
            requests.get(f"{flow.c2.url}/messages/in", headers=other, timeout=10).status_code == 204
        )
        read_url = f"{flow.c2.url}/messages/in/{receipt_id}/read"
        assert requests.post(read_url, headers=other, timeout=10).status_code == 404
        auth = {"Authorization": f"Bearer {token}"}
        assert requests.post(read_url, headers=auth, timeout=10).status_code == 200
        assert _incoming(flow, token) == []
    finally:
        flow.stop()


def test_corner3_down_messages_wait_and_arrive_once(flow):
    flow.c3.stop()
    sender = Sender(flow.keys, flow.c2.url)
    ids = []
    for _ in range(6):
        response, message_id = sender.post()
        assert response.status_code == 201, response.text
        ids.append(message_id)
    # every message is tried and fails while corner 3 is down, and stays OPPRETTET
    wait_for(lambda: all(_attempted(flow, i) for i in ids), what="first attempts")
    assert all(sender.statuses(i) == ["OPPRETTET"] for i in ids)
    assert not flow.corner4.delivered
    flow.restart_corner3()
    wait_for(lambda: all(sender.statuses(i)[-1] == "SENDT" for i in ids), what="all SENDT")
    wait_for(lambda: set(flow.corner4.delivered) == set(ids), what="all delivered")
    assert all(sender.statuses(i) == ["OPPRETTET", "SENDT"] for i in ids)
    assert all(flow.corner4.posts[i] == 1 for i in ids)


def _statuses(flow: Flow, message_id: str) -> list[dict[str, str]]:
    token = flow.keys.maskinporten.token()
    response = requests.get(
        f"{flow.c2.url}/messages/out/{message_id}/statuses",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json())


def _attempted(flow: Flow, message_id: str) -> bool:
    row = (
        flow.c2.store._db()  # type: ignore[attr-defined]
        .execute("SELECT attempts, last_error FROM outbound WHERE message_id = ?", (message_id,))
        .fetchone()
    )
    return row is not None and row[0] >= 1 and row[1] is not None


def test_replayed_as4_message_gets_the_stored_receipt_and_is_not_delivered_twice(flow):
    sender = Sender(flow.keys, flow.c2.url)
    _, message_id = sender.post()
    wait_for(lambda: sender.statuses(message_id)[-1] == "SENDT", what="SENDT")
    # the wire dump holds the AS4 message exactly as corner 2 sent it, and corner 3's answer
    [sent_file] = flow.wire.glob("*.as4out")
    [answer_file] = flow.wire.glob("*.as4in")
    sent = WireMessage.from_dump(sent_file.read_bytes())
    as4_id = sent_references(io.BytesIO(sent_file.read_bytes()))[0]
    assert as4_id in sent_file.name
    first = flow.c3.store.inbound_receipt(as4_id)
    assert first is not None
    assert WireMessage.from_dump(answer_file.read_bytes()).body == WireMessage.from_dump(first).body
    replay = requests.post(flow.c3.as4_url, data=sent.body, headers=dict(sent.headers), timeout=10)
    assert replay.status_code == 200
    assert replay.content == WireMessage.from_dump(first).body  # the very same signed receipt
    wait_for(lambda: message_id in flow.corner4.delivered, what="delivery")
    assert flow.corner4.posts[message_id] == 1
    # corner 2 dropped the package and the frozen message once SENDT
    row = (
        flow.c2.store._db()
        .execute(  # type: ignore[attr-defined]
            "SELECT package, wire FROM outbound WHERE message_id = ?", (message_id,)
        )
        .fetchone()
    )
    assert row == (None, None)


def test_corner4_unavailable_delivery_retried(flow):
    flow.corner4.fail_next = 3
    sender = Sender(flow.keys, flow.c2.url)
    _, message_id = sender.post()
    wait_for(lambda: message_id in flow.corner4.delivered, what="delivery after 503s")
    assert flow.corner4.posts[message_id] == 1 and flow.corner4.fail_next == 0


def test_receiver_not_in_the_smp_fails_with_the_reason(flow):
    sender = Sender(flow.keys, flow.c2.url)
    _, message_id = sender.post(receiver="922020175")  # e-Boks: nobody registered it
    wait_for(lambda: sender.statuses(message_id)[-1] == "FEILET", what="FEILET")
    statuses = _statuses(flow, message_id)
    assert [s["status"] for s in statuses] == ["OPPRETTET", "FEILET"]
    assert "922020175" in statuses[-1]["beskrivelse"]


def test_garbage_answer_and_retryable_error_signal_are_retried_a_content_error_is_final(flow):
    answers = ["garbage", "EBMS:0202", "forward"]

    def flaky(request):
        kind = answers.pop(0) if answers else "forward"
        if kind == "garbage":
            return Response(
                status=200, headers=(("Content-Type", "text/html"),), body=b"<html>proxy</html>"
            )
        if kind.startswith("EBMS:"):
            status, signal = flow.c3.inbox_codec.error(  # type: ignore[attr-defined]
                InputError("try later", rule="test", ebms_code=EbmsError(kind)), None
            )
            return Response(status=status, headers=signal.headers, body=signal.body)
        answer = requests.post(
            flow.c3.as4_url,
            data=request.body,
            headers={"Content-Type": request.header("Content-Type") or ""},
            timeout=10,
        )
        return Response(
            status=answer.status_code,
            headers=(("Content-Type", answer.headers["Content-Type"]),),
            body=answer.content,
        )

    from transport_harness import as4_codec

    flow.c3.inbox_codec = as4_codec("c3")  # type: ignore[attr-defined]
    proxy = WsgiServer(wsgi_app(flaky, max_body=1 << 24))
    proxy.start()
    flow.register_corner3(proxy.url + "/as4")
    try:
        sender = Sender(flow.keys, flow.c2.url)
        _, message_id = sender.post()
        wait_for(
            lambda: sender.statuses(message_id)[-1] == "SENDT", what="SENDT after garbage and 0202"
        )
        assert not answers
        wait_for(lambda: message_id in flow.corner4.delivered, what="delivery")
        assert flow.corner4.posts[message_id] == 1
        answers.append("EBMS:0004")  # Content category: not retried
        _, failing = sender.post()
        wait_for(lambda: sender.statuses(failing)[-1] == "FEILET", what="FEILET on EBMS:0004")
        assert failing not in flow.corner4.delivered
    finally:
        proxy.stop()


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


def test_receiver_not_served_by_corner3_is_refused_not_serviced_and_not_retried(flow):
    flow.c3.stop()
    flow.restart_corner3(served=lambda participant: participant.value == "0192:922020175")
    sender = Sender(flow.keys, flow.c2.url)
    _, message_id = sender.post()
    wait_for(lambda: sender.statuses(message_id)[-1] == "FEILET", what="FEILET")
    statuses = _statuses(flow, message_id)
    assert "PEPPOL:NOT_SERVICED" in statuses[-1]["beskrivelse"]
    assert "EBMS:0004" in statuses[-1]["beskrivelse"]
    assert message_id not in flow.corner4.delivered
    attempts = (
        flow.c2.store._db()
        .execute(  # type: ignore[attr-defined]
            "SELECT attempts FROM outbound WHERE message_id = ?", (message_id,)
        )
        .fetchone()[0]
    )
    assert attempts == 1


def test_data_processor_sends_for_the_sender_and_alone_sees_the_receipt(flow):
    """On behalf of (dpi.md 2): the processor signs and is the SBDH sender; the token has
    consumer = the legal sender, supplier = the processor; the receipt goes back to the
    processor, and only a caller authenticated as that supplier sees it."""
    token = flow.keys.maskinporten.token(SENDER_ORG, supplier=PROCESSOR_ORG)
    sent = letter(flow.keys.processor, token=token, package=b"CMS", processor=PROCESSOR_ORG)
    response = Sender(flow.keys, flow.c2.url).post_parts(sent.jws, b"CMS", token=token)
    assert response.status_code == 201, response.text
    wait_for(lambda: sent.message_id in flow.corner4.delivered, what="delivery")
    receipt, _ = receipt_for(sent.jws, pki.business_key("digipost"))
    assert requests.post(f"{flow.c3.url}/receipts", data=receipt, timeout=10).status_code == 201
    processor = flow.keys.maskinporten.token(SENDER_ORG, supplier=PROCESSOR_ORG)
    wait_for(lambda: _incoming(flow, processor) == [receipt], what="receipt for the processor")
    assert _incoming(flow, flow.keys.maskinporten.token(SENDER_ORG)) == []


def test_print_letter_travels_in_the_utskrift_process_and_its_mottakskvittering_back(flow):
    """An utskrift letter to a print provider served by corner 3, and the print provider's
    mottakskvittering back (dpi.md 1.5, 1.7: process utskrift)."""
    printer = pki.business_key("eboks")
    flow.register_corner3_for("0192:922020175")
    token = flow.keys.maskinporten.token()
    address = Adresse(navn="Ola", adresselinje1="Vei 1", postnummer="1234", poststed="Nordby")
    parts = send_print(
        sender=DpiSender(key=flow.keys.sender, organisation=ParticipantId.norwegian(SENDER_ORG)),
        recipient=PrintRecipient(
            adresse=address,
            provider=ParticipantId.norwegian("922020175"),
            certificate=printer.certificate,
            retur=Retur(mottaker=address, returposthaandtering=Returposthaandtering.DIREKTE_RETUR),
            utskriftstype=Utskriftstype.SORT_HVIT,
        ),
        documents=(Document(name="brev.pdf", content=b"%PDF-1.4 brev", title="Brev"),),
        token=token,
        created=utcnow(),
    )
    sender = Sender(flow.keys, flow.c2.url)
    response = sender.post_parts(
        parts.forretningsmelding.decode(), parts.dokumentpakke, token=token
    )
    assert response.status_code == 201, response.text
    message_id = str(parts.message_id)
    wait_for(lambda: message_id in flow.corner4.delivered, what="delivery to the print provider")
    # Corner 3 may hand the letter on before corner 2's worker has recorded the AS4 receipt.
    wait_for(lambda: sender.statuses(message_id)[-1] == "SENDT", what="SENDT")
    assert sender.statuses(message_id) == ["OPPRETTET", "SENDT"]
    receipt, _ = receipt_for(
        flow.corner4.delivered[message_id][0], printer, kind=MessageType.MOTTAKSKVITTERING
    )
    assert requests.post(f"{flow.c3.url}/receipts", data=receipt, timeout=10).status_code == 201
    token = flow.keys.maskinporten.token()
    wait_for(lambda: _incoming(flow, token) == [receipt], what="mottakskvittering")

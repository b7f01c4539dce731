"""The reference mailbox (corner 4) refuses bad deliveries with the answer its module promises.

Each test drives one crafted delivery or request through the mailbox running on 127.0.0.1 and
pins the exact answer: the HTTP status, the error text, what the mailbox kept, and the receipts it
sent (or not) to corner 3.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dpi_samples
import pki
import pytest
import requests
from test_dpi_recipes import DIGIPOST, NOW, send, sender, token, trust

from peppol_dpi.dpi.bodies import Fingeravtrykk, Flyttet, Personmottaker, Sikkerhetsnivaa
from peppol_dpi.dpi.identifiers import MessageType
from peppol_dpi.dpi.jws import decode_unverified, sign_jws
from peppol_dpi.dpi.message import BusinessMessage, Sbdh, parse_business_message
from peppol_dpi.dpi.sender import Ids, OutgoingMessage, outgoing
from peppol_dpi.limits import Limits
from peppol_dpi.services.base import serve_wsgi_in_thread
from peppol_dpi.services.mailbox import MailboxEvent, MailboxService
from peppol_dpi.services.mailbox_store import SentReceipt
from peppol_dpi.transport.delivery import encode_form_data

# -- the mailbox (services.mailbox, services.mailbox_store) -----------------------------------


class _Maskinporten:
    """Maskinporten's JWKS as the mailbox sees it (the key test_dpi_recipes signs tokens with)."""

    def keys(self, *, refresh: bool = False) -> dict[str, Any]:
        return {"mp": pki.maskinporten_key().certificate.public_key()}


class _Body:
    """An answer body that is empty (what ``bounded_request`` reads from ``raw``)."""

    def read1(self, size: int, decode_content: bool = False) -> bytes:
        return b""


class _Answer:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers = {"Content-Length": "0"}
        self.raw = _Body()

    def __enter__(self) -> _Answer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _Corner3:
    """A stand-in for the session the receipt sender posts to corner 3 with (its ``request``,
    as ``httpclient.bounded_request`` calls it)."""

    def __init__(self, answer: int | Exception = 201) -> None:
        self.answer = answer
        self.posts: list[tuple[str, bytes, dict[str, str]]] = []
        self.posted = threading.Event()
        self.on_post: Any = None

    def request(
        self, method: str, url: str, *, data: bytes, headers: dict[str, str], **_: Any
    ) -> Any:
        assert method == "POST"
        self.posts.append((url, data, dict(headers)))
        if self.on_post is not None:
            self.on_post()
        self.posted.set()
        if isinstance(self.answer, Exception):
            raise self.answer
        return _Answer(self.answer)


def _service(**changes: Any) -> MailboxService:
    package_limit = len(send().dokumentpakke) + 100
    values: dict[str, Any] = {
        "organisation": DIGIPOST,
        "key": pki.business_key("digipost"),
        "trust": trust(),
        "maskinporten": _Maskinporten(),
        "maskinporten_issuer": "https://test.maskinporten.no/",
        "receipts_url": "http://corner3.invalid/receipts",
        "session": _Corner3(),
        "clock": lambda: NOW,
        "limits": Limits(max_dpi_package_bytes=package_limit, max_jws_bytes=64 * 1024),
    }
    values |= changes
    if values["clock"] is None:  # the service's own default: the system clock
        del values["clock"]
    return MailboxService(**values)


@pytest.fixture
def mailbox() -> Iterator[tuple[MailboxService, str, list[MailboxEvent]]]:
    """A mailbox on 127.0.0.1 whose receipt sender is not started: receipts stay queued."""
    events: list[MailboxEvent] = []
    service = _service(observer=events.append)
    running = serve_wsgi_in_thread(service.app)
    yield service, running.url, events
    running.stop()


def _deliver(url: str, parts: OutgoingMessage, key: str | None = None) -> requests.Response:
    content_type, body = encode_form_data(
        [
            ("forretningsmelding", "sbd.jwt", "application/jwt", parts.forretningsmelding),
            ("dokumentpakke", "asic.cms", "application/cms", parts.dokumentpakke),
        ]
    )
    headers = {"Content-Type": content_type}
    if key is not None:
        headers["Idempotency-Key"] = key
    return requests.post(f"{url}/deliveries", data=body, headers=headers, timeout=10)


def _kept(url: str) -> str:
    """Deliver a valid digital letter (no aapningskvittering asked); its id."""
    parts = send(ids=Ids(message_id=uuid.uuid4(), conversation_id=uuid.uuid4()))
    answer = _deliver(url, parts, str(parts.message_id))
    assert answer.status_code == 201, answer.text
    return str(parts.message_id)


def _receipt_types(service: MailboxService) -> list[str]:
    return [r.type.value for r in service.store.receipts()]


def test_a_delivery_that_is_not_posted_is_refused(mailbox: Any) -> None:
    _, url, _ = mailbox
    answer = requests.get(f"{url}/deliveries", timeout=5)
    assert (answer.status_code, answer.json()) == (405, {"error": "POST a delivery"})


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("GET", "/letters/no-such-letter", None, 404, "no letter no-such-letter"),
        ("POST", "/letters/no-such-letter/open", None, 404, "no letter no-such-letter"),
        ("POST", "/letters/no-such-letter/returned", None, 404, "no letter no-such-letter"),
        ("POST", "/letters/no-such-letter/shred", None, 404, "no action shred"),
        ("PUT", "/senders/991825827", b'{"navn": "Kommune"}', 400, 'the body is {"name": "..."}'),
        ("PUT", "/senders/991825827", b'{"name": ""}', 400, 'the body is {"name": "..."}'),
        ("PUT", "/senders/991825827", b'["Kommune"]', 400, 'the body is {"name": "..."}'),
        ("DELETE", "/letters", None, 404, "no such resource"),
        ("GET", "/letters/a/b/c", None, 404, "no such resource"),
    ],
)
def test_the_mailbox_refuses_what_it_does_not_serve(
    mailbox: Any, method: str, path: str, body: bytes | None, status: int, error: str
) -> None:
    service, url, _ = mailbox
    answer = requests.request(method, url + path, data=body, timeout=5)
    assert (answer.status_code, answer.json()) == (status, {"error": error})
    assert service.senders == {} and service.store.receipts() == []


def test_a_kept_letter_is_served_and_an_unknown_kanal_is_refused(mailbox: Any) -> None:
    service, url, _ = mailbox
    letter_id = _kept(url)
    answer = requests.get(f"{url}/letters/{letter_id}", timeout=5)
    assert answer.status_code == 200
    assert answer.json()["id"] == letter_id and answer.json()["mailbox"] == "ola.nordmann#9YDT"
    refused = requests.post(
        f"{url}/letters/{letter_id}/notification-failed?kanal=brevdue", timeout=5
    )
    assert (refused.status_code, refused.json()) == (400, {"error": "kanal is sms or epost"})
    assert _receipt_types(service) == ["leveringskvittering"]
    failed = requests.post(f"{url}/letters/{letter_id}/notification-failed?kanal=epost", timeout=5)
    assert failed.json() == {"receipt": "varslingfeiletkvittering"}


def test_opening_a_letter_whose_sender_asked_no_receipt_sends_none(mailbox: Any) -> None:
    # Digdir: an aapningskvittering only when the sender asked (digital.aapningskvittering).
    service, url, _ = mailbox
    letter_id = _kept(url)
    answer = requests.post(f"{url}/letters/{letter_id}/open", timeout=5)
    assert (answer.status_code, answer.json()) == (200, {"receipt": None})
    letter = service.store.letter(letter_id)
    assert letter is not None and letter.opened and letter.receipts == ("leveringskvittering",)
    assert _receipt_types(service) == ["leveringskvittering"]


def test_a_letter_delivered_again_under_another_key_is_kept_once_and_answered_200(
    mailbox: Any,
) -> None:
    # Corner 3 delivers at least once; without the same Idempotency-Key the store notices.
    service, url, _ = mailbox
    parts = send()
    assert _deliver(url, parts, key=None).status_code == 201
    again = _deliver(url, parts, key="another-key")
    assert (again.status_code, again.json()) == (
        200,
        {"id": str(parts.message_id), "status": "already delivered"},
    )
    assert [x.id for x in service.store.letters()] == [str(parts.message_id)]
    assert _receipt_types(service) == ["leveringskvittering"]


def _swapped() -> OutgoingMessage:
    first, second = send(), send(title="another letter")
    return replace(first, dokumentpakke=second.dokumentpakke)


def test_a_refused_message_delivered_again_gets_one_feil_receipt(mailbox: Any) -> None:
    service, url, events = mailbox
    swapped = _swapped()
    first = _deliver(url, swapped, str(swapped.message_id))
    second = _deliver(url, swapped, str(swapped.message_id))
    assert first.status_code == second.status_code == 400
    assert first.json() == second.json()
    assert service.store.refused() == {str(swapped.message_id): "dpi:fingerprint"}
    assert _receipt_types(service) == ["feil"]
    assert [(e.kind, e.rule) for e in events if e.kind == "refused"] == [
        ("refused", "dpi:fingerprint")
    ] * 2


def _signed(payload: bytes, signer: str = "processor") -> bytes:
    return sign_jws(payload, pki.business_key(signer))


#: Deliveries no feil receipt can answer: a JWS that cannot be read, a signed payload that is
#: no business message, and a receipt (receipts are not answered with receipts).
UNANSWERABLE = {
    "not a JWS": (lambda: b"not a JWS at all", "jws:format"),
    "not a business message": (
        lambda: _signed(b'{"hello": "corner 4"}'),
        "dpi-schema:additionalProperties",
    ),
    "a receipt": (
        lambda: _signed(dpi_samples.message(MessageType.LEVERINGSKVITTERING).to_bytes(), "eboks"),
        "dpi:message-type",
    ),
}


@pytest.mark.parametrize("case", UNANSWERABLE)
def test_a_delivery_whose_message_cannot_be_answered_is_refused_without_a_receipt(
    mailbox: Any, case: str
) -> None:
    # A feil receipt needs the original's header (Digdir: feil answers a message).
    service, url, events = mailbox
    make, rule = UNANSWERABLE[case]
    parts = replace(send(), forretningsmelding=make())
    answer = _deliver(url, parts, "k-1")
    assert answer.status_code == 400
    assert [(e.kind, e.message_id, e.rule) for e in events] == [("refused", "k-1", rule)]
    assert service.store.refused() == {} and service.store.receipts() == []


def _flyttet() -> OutgoingMessage:
    """A flyttet message (post moved from another provider) for a real package to Digipost."""
    package = send().dokumentpakke
    body = Flyttet(
        avsender=sender().avsender,
        mottaker=Personmottaker(postkasseadresse="ola.nordmann#9YDT"),
        maskinportentoken=token(),
        tidspunkt=NOW,
        dokumentpakkefingeravtrykk=Fingeravtrykk.of(package),
        mottakstidspunkt=date(2026, 3, 16),
        sikkerhetsnivaa=Sikkerhetsnivaa.NIVAA_3,
        ikkesensitivtittel="Flyttet post",
        spraak="nb",
    )
    header = Sbdh.create(
        message_type=MessageType.FLYTTET,
        sender=sender().sbdh_sender,
        receiver=DIGIPOST,
        message_id=uuid.UUID(int=7),
        conversation_id=uuid.UUID(int=8),
        created=NOW,
        expected_response=NOW + timedelta(days=1),
    )
    return outgoing(BusinessMessage(header=header, body=body), package, sender())


def test_a_flyttet_message_passes_the_checks_but_is_not_kept(mailbox: Any) -> None:
    # The reference mailbox keeps digital and utskrift letters only (rule c4:type).
    service, url, _ = mailbox
    parts = _flyttet()
    answer = _deliver(url, parts, str(parts.message_id))
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": "a flyttet is not kept in a mailbox [c4:type]"},
    )
    assert service.store.letters() == []
    assert service.store.refused() == {str(parts.message_id): "c4:type"}
    assert _receipt_types(service) == ["feil"]


def _run_sender(service: MailboxService) -> SentReceipt:
    """Queue one receipt with the sender running, wait for its first post, stop the sender."""
    corner3: _Corner3 = service.session  # type: ignore[assignment]
    service.start()
    try:
        sent = service.send_receipt(send().message, MessageType.LEVERINGSKVITTERING)
        assert corner3.posted.wait(5)
    finally:
        service.stop()
    return sent


def test_receipts_are_posted_to_corner_3_with_its_api_key() -> None:
    service = _service(corner3_api_key="c3-key", retry_seconds=60)
    sent = _run_sender(service)
    corner3: _Corner3 = service.session  # type: ignore[assignment]
    assert corner3.posts == [
        (
            "http://corner3.invalid/receipts",
            sent.jws,
            {"Content-Type": "application/jwt", "Authorization": "Bearer c3-key"},
        )
    ]
    assert service.store.receipts() == [replace(sent, delivered=True, attempts=1)]


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        (
            requests.ConnectionError("connection refused"),
            "POST http://corner3.invalid/receipts failed: connection refused",
        ),
        (503, "HTTP 503"),
    ],
)
def test_a_receipt_corner_3_does_not_take_stays_queued(
    caplog: pytest.LogCaptureFixture, answer: int | Exception, detail: str
) -> None:
    service = _service(session=_Corner3(answer), retry_seconds=60)
    with caplog.at_level(logging.WARNING, logger="peppol_dpi.services.mailbox"):
        sent = _run_sender(service)
    assert service.store.receipts() == [replace(sent, delivered=False, attempts=1)]
    assert service.store.pending_receipts() == [replace(sent, delivered=False, attempts=1)]
    assert [r.getMessage() for r in caplog.records] == [
        f"corner 3 did not take receipt {sent.id}: {detail}"
    ]


def test_a_stopped_receipt_sender_posts_no_more_receipts() -> None:
    # Two receipts are pending; the sender is stopped while it posts the first one.
    corner3 = _Corner3()
    service = _service(session=corner3, retry_seconds=60)
    original = send().message
    for _ in range(2):
        service.send_receipt(original, MessageType.LEVERINGSKVITTERING)
    corner3.on_post = service._stop.set  # what stop() does first, seen from the sender thread
    service.start()
    try:
        assert corner3.posted.wait(5)
    finally:
        service.stop()
    assert len(corner3.posts) == 1
    assert sorted(r.delivered for r in service.store.receipts()) == [False, True]


def test_a_receipt_is_dated_by_the_system_clock_by_default() -> None:
    service = _service(clock=None)
    before = datetime.now(UTC)
    sent = service.send_receipt(send().message, MessageType.LEVERINGSKVITTERING)
    after = datetime.now(UTC)
    body = parse_business_message(decode_unverified(sent.jws)).body
    assert before - timedelta(seconds=1) <= body.tidspunkt <= after + timedelta(seconds=1)  # type: ignore[union-attr]

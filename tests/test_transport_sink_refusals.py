"""The access points' receiving side: corner 2's API and the corner 2 and 3 sinks behind a real
AS4 inbox answer each crafted bad message with the right ebMS error and rule."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pki
import pytest
from lookup_support import DIGITAL, DIGITAL_PROCESS, RECEIVER
from transport_doubles import SENDER_ORG, letter, make_key, receipt_for, sign_as, utcnow
from transport_harness import Keys, as4_codec

from peppol_dpi.dpi.jws import decode_unverified
from peppol_dpi.dpi.message import parse_business_message
from peppol_dpi.ids import ParticipantId
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.limits import DEFAULT_LIMITS
from peppol_dpi.transport.auth import TokenClaims
from peppol_dpi.transport.corner2 import Corner2Api
from peppol_dpi.transport.corner3 import Corner3Receipts, delivery_sink, receipt_sink
from peppol_dpi.transport.delivery import encode_form_data
from peppol_dpi.transport.dpi_formats import DpiPayloads
from peppol_dpi.transport.http import HttpError, Request
from peppol_dpi.transport.inbox import As4Inbox, Sink
from peppol_dpi.transport.ports import ReadBusinessMessage
from peppol_dpi.transport.sqlite_store import SqliteStore
from peppol_dpi.transport.wire import WireMessage

# -- shared helpers ----------------------------------------------------------------------------


# -- transport/corner2.py ----------------------------------------------------------------------


def _request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> Request:
    return Request(
        method=method,
        path=path,
        query={},
        headers={k.lower(): v for k, v in (headers or {}).items()},
        body_file=io.BytesIO(body),
    )


class _Tokens:
    """A token verifier that accepts one token for one organisation."""

    def verify(self, token: str, *, now: datetime) -> TokenClaims:
        return TokenClaims(
            token=token,
            issuer="https://maskinporten.test/",
            scopes=frozenset({"digitalpostinnbygger:send"}),
            consumer=ParticipantId.norwegian(SENDER_ORG),
            supplier=None,
            client_id="c",
            expires_at=now + timedelta(minutes=2),
        )


class _ReaderWithoutSignerCheck:
    """A business message reader (the port can be another implementation than DpiReader)
    that reports the signer's organisation but does not compare it with the SBDH sender."""

    def __init__(self, package: bytes, signer_org: str) -> None:
        self.package, self.signer_org = package, signer_org

    def read_message(self, jws: str, *, now: datetime) -> ReadBusinessMessage:
        sender = ParticipantId.norwegian(SENDER_ORG)
        return ReadBusinessMessage(
            message_id=str(uuid.uuid4()),
            conversation_id=str(uuid.uuid4()),
            type="digital",
            sender=sender,
            receiver=RECEIVER,
            avsender=sender,
            avsenderidentifikator=None,
            fingerprint=hashlib.sha256(self.package).digest(),
            maskinportentoken="the-token",
            signer_org=self.signer_org,
            document_type=DIGITAL,
            process=DIGITAL_PROCESS,
        )

    def read_receipt(self, jws: str, *, now: datetime) -> Any:
        raise AssertionError("not used")


def _corner2(tmp_path: Path, reader: Any) -> Corner2Api:
    return Corner2Api(
        store=SqliteStore(tmp_path / "c2.sqlite3"), tokens=_Tokens(), reader=reader, clock=utcnow
    )


def test_corner2_answers_404_for_an_unknown_messages_path(tmp_path: Path) -> None:
    api = _corner2(tmp_path, _ReaderWithoutSignerCheck(b"CMS", SENDER_ORG))
    with pytest.raises(HttpError) as info:
        api(_request("GET", "/messages/nothing"))
    assert (info.value.status, info.value.rule) == (404, "http:not-found")


def test_corner2_refuses_a_letter_signed_by_another_organisation_whatever_the_reader(
    tmp_path: Path,
) -> None:
    # dpi.md 1.2/4: the letter is signed with the technical sender's business certificate.
    package = b"CMS"
    api = _corner2(tmp_path, _ReaderWithoutSignerCheck(package, "910076787"))
    content_type, body = encode_form_data(
        [
            ("forretningsmelding", "sbd.jwt", "application/jwt", b"a.b.c"),
            ("dokumentpakke", "asic.cms", "application/cms", package),
        ]
    )
    request = _request(
        "POST",
        "/messages/out",
        body,
        {"Content-Type": content_type, "Authorization": "Bearer the-token"},
    )
    with pytest.raises(HttpError) as info:
        api(request)
    assert (info.value.status, info.value.rule) == (403, "c2:signer")
    assert api.store.next_outbound_due() is None  # nothing was queued


# -- transport/corner3.py, transport/inbox.py --------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.make()


def _as4_message(keys: Keys, jws: str, package: bytes | None, routing_jws: str) -> WireMessage:
    """The AS4 message corner 2 sends for ``jws`` (and ``package``), routed as ``routing_jws``."""
    facts = keys.reader().read_message(routing_jws, now=utcnow())
    sbd = io.BytesIO()
    DpiPayloads().wrap(
        business_message=jws,
        package=None if package is None else io.BytesIO(package),
        sender=facts.sender,
        receiver=facts.receiver,
        document_type=facts.document_type,
        process=facts.process,
        instance_id=str(uuid.uuid4()),
        now=utcnow(),
        sink=sbd,
    )
    sbd.seek(0)
    sink = io.BytesIO()
    as4_codec("c2").build(
        payload=sbd,
        sender=facts.sender,
        receiver=facts.receiver,
        document_type=facts.document_type,
        process=facts.process,
        conversation_id=facts.conversation_id,
        receiver_certificate=pki.ap_key("c3").certificate,
        sink=sink,
    )
    return WireMessage.from_dump(sink.getvalue())


def _inbox(tmp_path: Path, sink: Callable[[SqliteStore], Sink]) -> As4Inbox:
    store = SqliteStore(tmp_path / "inbox.sqlite3")
    return As4Inbox(
        store=store, as4=as4_codec("c3"), payloads=DpiPayloads(), sink=sink(store), clock=utcnow
    )


def _receive(
    inbox: As4Inbox, headers: tuple[tuple[str, str], ...], body: bytes, caplog: Any
) -> tuple[str, str]:
    """(the ebMS errorCode answered, the rule logged) for a message the inbox refuses."""
    with caplog.at_level(logging.WARNING, logger="peppol_dpi.transport.inbox"):
        response = inbox(_request("POST", "/as4", body, dict(headers)))
    assert response.status == 200  # an ebMS error signal, answered on the back channel
    codes = re.findall(rb'errorCode="([^"]+)"', response.body)
    refusals = [r for r in caplog.records if r.getMessage().startswith("refused AS4 message")]
    assert len(codes) == 1 and len(refusals) == 1
    return codes[0].decode(), refusals[0].rule  # type: ignore[attr-defined]


def _stranger_signed(jws: str) -> str:
    stranger = make_key("stranger", SENDER_ORG)  # right organisation, no trusted business CA
    key = LocalPrivateKey(key=stranger.key, certificate=stranger.certificate)
    return sign_as(parse_business_message(decode_unverified(jws)), key)


def test_corner3_refuses_a_message_without_a_package(
    keys: Keys, tmp_path: Path, caplog: Any
) -> None:
    # A receipt carries no Dokumentpakke; sent to corner 3 as if it were a letter, it is refused
    # with EBMS:0003 before its business message is even read.
    sent = letter(keys.sender, token=keys.maskinporten.token(), package=b"CMS")
    receipt, _ = receipt_for(sent.jws, keys.mailbox)
    wire = _as4_message(keys, receipt, None, sent.jws)
    inbox = _inbox(tmp_path, lambda _: delivery_sink(keys.reader()))
    assert _receive(inbox, wire.headers, wire.body, caplog) == ("EBMS:0003", "c3:no-package")


def test_corner3_answers_a_refused_business_message_with_ebms_0004(
    keys: Keys, tmp_path: Path, caplog: Any
) -> None:
    # The reader's CertificateError would be EBMS:0101 (an AS4 authentication failure); the
    # business message inside a valid AS4 message is content: EBMS:0004, the rule kept.
    sent = letter(keys.sender, token=keys.maskinporten.token(), package=b"CMS")
    wire = _as4_message(keys, _stranger_signed(sent.jws), b"CMS", sent.jws)
    inbox = _inbox(tmp_path, lambda _: delivery_sink(keys.reader()))
    assert _receive(inbox, wire.headers, wire.body, caplog) == ("EBMS:0004", "cert:untrusted")


def test_corner2_answers_a_refused_receipt_with_ebms_0004(
    keys: Keys, tmp_path: Path, caplog: Any
) -> None:
    sent = letter(keys.sender, token=keys.maskinporten.token(), package=b"CMS")
    receipt, _ = receipt_for(sent.jws, keys.mailbox)
    wire = _as4_message(keys, _stranger_signed(receipt), None, sent.jws)
    inbox = _inbox(tmp_path, lambda store: receipt_sink(keys.reader(), store))
    assert _receive(inbox, wire.headers, wire.body, caplog) == ("EBMS:0004", "cert:untrusted")


def test_an_as4_message_that_does_not_open_is_answered_with_its_ebms_error(
    keys: Keys, tmp_path: Path, caplog: Any
) -> None:
    inbox = _inbox(tmp_path, lambda _: delivery_sink(keys.reader()))
    headers = (("Content-Type", "application/soap+xml"),)
    assert _receive(inbox, headers, b"not a SOAP envelope", caplog) == (
        "EBMS:0009",
        "xml:not-well-formed",
    )


@pytest.mark.parametrize("body", [b"\xff\xfenot ascii", b"not.a.jws"])
def test_corner3_refuses_a_receipt_from_corner4_that_does_not_read(
    keys: Keys, tmp_path: Path, body: bytes
) -> None:
    store = SqliteStore(tmp_path / "c3.sqlite3")
    receipts = Corner3Receipts(store=store, reader=keys.reader(), clock=utcnow)
    with pytest.raises(HttpError) as info:
        receipts(_request("POST", "/receipts", body, {"Content-Type": "application/jwt"}))
    assert (info.value.status, info.value.rule) == (400, "c3:receipt")
    assert store.next_outbound_due() is None


def test_corner3_refuses_a_receipt_body_larger_than_a_jws_without_reading_it(
    keys: Keys, tmp_path: Path
) -> None:
    # POST /receipts takes one compact JWS: a body beyond max_jws_bytes (the service takes up
    # to 64 MiB) is refused before it is read into memory.
    store = SqliteStore(tmp_path / "c3.sqlite3")
    receipts = Corner3Receipts(store=store, reader=keys.reader(), clock=utcnow)
    body = b"a" * (DEFAULT_LIMITS.max_jws_bytes + 3)
    with pytest.raises(HttpError) as info:
        receipts(_request("POST", "/receipts", body, {"Content-Type": "application/jwt"}))
    assert (info.value.status, info.value.rule) == (413, "http:too-large")
    assert store.next_outbound_due() is None

"""Refusals of the transport layer that no other test drives: JWKS entries and key rotation of
corner 2's token check, what the workers do with bad answers, lost leases and deadlines, the
corner 4 client, configuration refusals, the frozen AS4 message, wire dumps, store blobs and
spools. Each test breaks one thing and asserts the exact error (class, rule) or outcome.
"""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pki
import pytest
import requests
from test_transport_peppol_as4 import C3, _open, _send
from transport_doubles import MAILBOX_ORG, Maskinporten, letter, make_key, receipt_for

from peppol_dpi.errors import InputError, RemoteError, TransportError, UsageError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.spool import spooled_copy
from peppol_dpi.transport.auth import (
    AuthenticationError,
    HttpJwks,
    JwksError,
    MaskinportenTokenVerifier,
    StaticJwks,
    jwks_keys,
)
from peppol_dpi.transport.build import (
    Formats,
    build_corner2,
    formats_from_config,
    http_session,
)
from peppol_dpi.transport.config import (
    As4Config,
    Corner2Config,
    Corner3Config,
    LookupConfig,
    TlsConfig,
    load_config,
)
from peppol_dpi.transport.delivery import HttpCorner4
from peppol_dpi.transport.dpi_formats import DpiReader
from peppol_dpi.transport.http import Response, wsgi_app
from peppol_dpi.transport.peppol_as4 import PeppolAs4, sent_references
from peppol_dpi.transport.ports import Endpoint, OpenedAs4
from peppol_dpi.transport.server import WsgiServer
from peppol_dpi.transport.sqlite_store import SqliteStore
from peppol_dpi.transport.store import Blob, Delivery, InboundRecord, OutboundMessage, Status
from peppol_dpi.transport.wire import WireMessage
from peppol_dpi.transport.worker import (
    DeliveryWorker,
    OutboundWorker,
    PruneWorker,
    RetryPolicy,
)

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SENDER = "iso6523-actorid-upis::0192:991825827"
RECEIVER = "iso6523-actorid-upis::0192:984661185"
PACKAGE = b"a package larger than the inline limit, so kept in a file"


# -- corner 2 tokens: the JWKS (auth.py) ----------------------------------------------------
MP = Maskinporten(make_key("mp-refusals"))
GOOD_JWK = MP.jwks["keys"][0]


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("not an object", id="not-an-object"),
        pytest.param({k: v for k, v in GOOD_JWK.items() if k != "kid"}, id="no-kid"),
        pytest.param({**GOOD_JWK, "kid": 7}, id="kid-not-a-string"),
        pytest.param({**GOOD_JWK, "use": "enc"}, id="encryption-key"),
        pytest.param({"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}, id="ec"),
        pytest.param({**GOOD_JWK, "n": "!!not base64url!!"}, id="bad-modulus"),
    ],
)
def test_a_jwks_entry_that_is_not_an_rsa_signing_key_with_a_kid_is_skipped(entry):
    # RFC 7517 4.2/4.5: only "sig" RSA keys named by a kid may verify Maskinporten tokens.
    other = {**GOOD_JWK, "kid": "kept"}
    assert set(jwks_keys({"keys": [entry, other]})) == {"kept"}


def test_a_jwks_without_a_usable_signing_key_is_refused():
    with pytest.raises(UsageError, match="no RSA signing key"):
        StaticJwks({"keys": [{**GOOD_JWK, "use": "enc"}]})


class _RotatingJwks:
    """Maskinporten rotated its key: the cached JWKS lacks it, a refreshed one has it."""

    def __init__(self) -> None:
        self.calls: list[bool] = []
        self.old = jwks_keys({"keys": [{**make_jwk_of(make_key("old")), "kid": "old"}]})
        self.new = jwks_keys(MP.jwks)

    def keys(self, *, refresh: bool = False) -> dict[str, Any]:
        self.calls.append(refresh)
        return self.new if refresh else self.old


def make_jwk_of(pair: Any) -> dict[str, Any]:
    return Maskinporten(pair).jwks["keys"][0]


def test_an_unknown_kid_refreshes_the_jwks_once_and_then_verifies():
    jwks = _RotatingJwks()
    verifier = MaskinportenTokenVerifier(issuer=MP.issuer, jwks=jwks)
    claims = verifier.verify(MP.token(), now=datetime.now(UTC))
    assert claims.owner == "0192:991825827"
    assert jwks.calls == [False, True]


def test_a_kid_still_unknown_after_the_refresh_is_refused():
    verifier = MaskinportenTokenVerifier(issuer=MP.issuer, jwks=StaticJwks(MP.jwks))
    stranger = Maskinporten(MP.keys, kid="not-published")
    with pytest.raises(AuthenticationError) as info:
        verifier.verify(stranger.token(), now=datetime.now(UTC))
    assert info.value.rule == "jws:kid"


# -- workers (worker.py) ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"first_delay": timedelta(0)}, id="no-first-delay"),
        pytest.param({"factor": 0.5}, id="shrinking"),
        pytest.param(
            {"first_delay": timedelta(seconds=20), "max_delay": timedelta(seconds=10)},
            id="max-below-first",
        ),
    ],
)
def test_a_retry_policy_that_does_not_back_off_is_refused(kwargs):
    with pytest.raises(UsageError, match="retry policy needs"):
        RetryPolicy(**kwargs)


@pytest.mark.parametrize(
    "retention, interval",
    [(timedelta(0), timedelta(hours=1)), (timedelta(days=1), timedelta(seconds=-1))],
)
def test_a_prune_worker_without_positive_retention_and_interval_is_refused(retention, interval):
    with pytest.raises(UsageError, match="retention and interval must be positive"):
        PruneWorker(store=None, clock=lambda: T0, retention=retention, interval=interval)  # type: ignore[arg-type]


class _SpyStore(SqliteStore):
    """The real store, recording how the workers finish their jobs."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, inline_max_bytes=16)  # PACKAGE goes to a blob file
        self.finished: list[tuple[str, str]] = []

    def mark_retry(self, message_id: str, *, worker: str, next_attempt: datetime, error: str):
        self.finished.append(("retry", error))
        return super().mark_retry(message_id, worker=worker, next_attempt=next_attempt, error=error)

    def mark_failed(self, message_id: str, *, worker: str, now: datetime, reason: str):
        self.finished.append(("failed", reason))
        return super().mark_failed(message_id, worker=worker, now=now, reason=reason)

    def mark_delivery_retry(self, delivery_id: str, *, worker: str, next_attempt, error: str):
        self.finished.append(("retry", error))
        return super().mark_delivery_retry(
            delivery_id, worker=worker, next_attempt=next_attempt, error=error
        )

    def mark_delivery_failed(self, delivery_id: str, *, worker: str, now: datetime, reason: str):
        self.finished.append(("failed", reason))
        return super().mark_delivery_failed(delivery_id, worker=worker, now=now, reason=reason)


@pytest.fixture
def store(tmp_path):
    s = _SpyStore(tmp_path / "s.sqlite3")
    yield s
    s.close()


def _outbound(store: SqliteStore, *, deadline: timedelta = timedelta(hours=1)) -> None:
    store.add_outbound(
        OutboundMessage(
            message_id="m1",
            conversation_id="conv",
            owner="0192:991825827",
            sender=SENDER,
            receiver=RECEIVER,
            document_type="busdox-docid-qns::a::b##c::1.0",
            process="cenbii-procid-ubl::p",
            business_message="header.payload.signature",
            created_at=T0,
            deadline=T0 + deadline,
        ),
        PACKAGE,
    )


class _Payloads:
    """Wraps by copying the package (read from the store's blob file)."""

    def wrap(self, *, package: IO[bytes] | None, sink: IO[bytes], **_: Any) -> None:
        assert package is not None
        sink.write(package.read())


class _As4:
    """Builds a dump of the payload; every answer is one it cannot read."""

    def __init__(self) -> None:
        self.built = 0

    def build(self, *, payload: IO[bytes], sink: IO[bytes], **_: Any) -> str:
        self.built += 1
        payload.seek(0)
        sink.write(b"Content-Type: application/octet-stream\r\n\r\n" + payload.read())
        return "as4-1@refusals.test"

    def check_response(self, **_: Any) -> None:
        raise InputError("not an AS4 answer", rule="as4:not-soap")


@dataclass
class _Locator:
    url: str = "http://127.0.0.1:9/as4"
    error: Exception | None = None
    on_locate: Any = None

    def locate(self, *_: Any) -> Endpoint:
        if self.on_locate is not None:
            self.on_locate()
        if self.error is not None:
            raise self.error
        return Endpoint(url=self.url, certificate=pki.ap_key("c3").certificate)


class _NoNetwork(requests.Session):
    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("nothing may be posted")


def _worker(store: SqliteStore, locator: _Locator, **kwargs: Any) -> OutboundWorker:
    return OutboundWorker(
        store=store,
        as4=kwargs.pop("as4", _As4()),
        payloads=_Payloads(),
        locator=locator,
        session=kwargs.pop("session", _NoNetwork()),
        clock=lambda: T0,
        retry=RetryPolicy(first_delay=timedelta(seconds=10)),
        lease_seconds=30,
        timeout_seconds=5,
        worker_id="me",
        **kwargs,
    )


def test_an_outbound_worker_whose_lease_ends_before_its_http_timeout_is_refused(store):
    with pytest.raises(UsageError, match="lease must outlast"):
        OutboundWorker(
            store=store, as4=_As4(), payloads=_Payloads(), locator=_Locator(),
            session=_NoNetwork(), clock=lambda: T0, lease_seconds=60, timeout_seconds=60,
        )  # fmt: skip


def test_a_worker_started_twice_is_refused(store):
    worker = PruneWorker(store=store, clock=lambda: T0, interval=timedelta(hours=1))
    worker.start()
    try:
        with pytest.raises(UsageError, match="already started"):
            worker.start()
    finally:
        worker.stop(timeout=5)


def test_a_worker_loop_survives_an_unexpected_error(caplog):
    calls: list[datetime] = []
    again = threading.Event()

    class FlakyStore:
        def prune(self, before: datetime) -> dict[str, int]:
            calls.append(before)
            if len(calls) == 1:
                raise RuntimeError("disk hiccup")
            again.set()
            return {}

    worker = PruneWorker(
        store=FlakyStore(),  # type: ignore[arg-type]
        clock=lambda: T0,
        retention=timedelta(days=1),
        interval=timedelta(milliseconds=10),
    )
    with caplog.at_level(logging.ERROR, logger="peppol_dpi.transport.worker"):
        worker.start()
        try:
            assert again.wait(5), "the loop died with the first error"
        finally:
            worker.stop(timeout=5)
    assert calls[:2] == [T0 - timedelta(days=1)] * 2
    assert "prune-worker: unexpected error; continuing" in caplog.messages


def test_a_job_whose_lease_was_lost_before_freezing_is_not_sent(store, caplog):
    # Another worker took the job over (our lease ran out while we looked the receiver up):
    # we must neither freeze our build nor post it (worker.py: "lease lost before sending").
    _outbound(store)

    def taken_over() -> None:
        [claim] = store.claim_outbound(
            worker="other", now=T0 + timedelta(seconds=31), lease_seconds=30, limit=1
        )
        assert claim.attempts == 1

    as4 = _As4()
    worker = _worker(store, _Locator(on_locate=taken_over), as4=as4)
    with caplog.at_level(logging.WARNING, logger="peppol_dpi.transport.worker"):
        assert worker.run_once() == 1
    assert as4.built == 1 and "lease lost before sending" in caplog.messages
    assert store.finished == []
    [again] = store.claim_outbound(
        worker="third", now=T0 + timedelta(minutes=2), lease_seconds=30, limit=1
    )
    assert again.wire_blob is None and again.as4_message_id is None  # nothing was frozen


@pytest.mark.parametrize(
    "error, recorded",
    [
        pytest.param(
            TransportError("DNS timed out"),
            "lookup of 0192:984661185 failed: DNS timed out",
            id="lookup-transport-error",
        ),
        pytest.param(
            requests.ConnectionError("SMP reset"),
            "HTTP: SMP reset",
            id="requests-error-from-a-locator",
        ),
    ],
)
def test_a_failed_lookup_is_retried(store, error, recorded):
    _outbound(store)
    assert _worker(store, _Locator(error=error)).run_once() == 1
    assert store.finished == [("retry", recorded)]
    assert store.next_outbound_due() == T0 + timedelta(seconds=10)


def test_a_retryable_failure_at_the_deadline_gives_up(store):
    _outbound(store, deadline=timedelta(seconds=5))  # the next attempt would be after it
    _worker(store, _Locator(error=TransportError("DNS timed out"))).run_once()
    reason = "gave up after 1 attempts at the deadline: lookup of 0192:984661185 failed: "
    assert store.finished == [("failed", reason + "DNS timed out")]
    assert [e.status for e in store.statuses("m1", "0192:991825827")] == [
        Status.OPPRETTET,
        Status.FEILET,
    ]


@pytest.fixture
def busy_server():
    server = WsgiServer(
        wsgi_app(
            lambda request: Response(
                status=503, headers=(("Content-Type", "text/plain"),), body=b"busy"
            ),
            max_body=1 << 20,
        )
    )
    server.start()
    yield server
    server.stop()


def test_an_http_5xx_that_is_not_an_as4_answer_is_retried_as_a_transport_error(store, busy_server):
    # A proxy's 503 page is not an error signal: the message may be resent (peppol.md 1.8).
    _outbound(store)
    url = busy_server.url + "/as4"
    worker = _worker(store, _Locator(url=url), session=requests.Session())
    assert worker.run_once() == 1
    assert store.finished == [("retry", f"HTTP 503 from {url}")]


def _delivery(store: SqliteStore) -> None:
    store.accept_inbound(
        InboundRecord(as4_message_id="as4-1", from_party="POP000001", receipt=b"r", received_at=T0),
        delivery=Delivery(
            id="d1",
            as4_message_id="as4-1",
            receiver=RECEIVER,
            business_message="header.payload.signature",
            received_at=T0,
        ),
        package=PACKAGE,
    )


def test_a_delivery_failing_past_its_deadline_is_given_up(store):
    packages: list[bytes] = []

    class DownCorner4:
        def deliver(self, *, package: IO[bytes] | None, **_: Any) -> None:
            assert package is not None
            packages.append(package.read())
            raise TransportError("corner 4 down")

    _delivery(store)
    worker = DeliveryWorker(
        store=store,
        corner4=DownCorner4(),
        clock=lambda: T0,
        retry=RetryPolicy(first_delay=timedelta(seconds=10)),
        deadline=timedelta(seconds=5),
    )
    assert worker.run_once() == 1
    assert packages == [PACKAGE]  # posted from the store's blob file
    assert store.finished == [("failed", "corner 4 down")]
    assert (
        store.claim_deliveries(worker="x", now=T0 + timedelta(days=1), lease_seconds=9, limit=9)
        == []
    )


# -- the corner 4 client (delivery.py) --------------------------------------------------------
@pytest.mark.parametrize(
    "urls, default_url",
    [({"0192:984661185": "ftp://c4.test/"}, None), ({}, "file:///tmp/c4")],
)
def test_a_corner4_url_that_is_not_http_is_refused(urls, default_url):
    with pytest.raises(UsageError, match="corner 4 URL must be http"):
        HttpCorner4(session=requests.Session(), urls=urls, default_url=default_url)


def test_a_receiver_without_a_corner4_is_refused():
    corner4 = HttpCorner4(session=_NoNetwork(), urls={"0192:910076787": "http://127.0.0.1:9/"})
    with pytest.raises(RemoteError) as info:
        corner4.deliver(
            message_id="d1",
            receiver=ParticipantId.parse(f"0192:{MAILBOX_ORG}"),
            business_message="a.b.c",
            package=None,
        )
    assert info.value.rule == "c3:no-corner4"


def test_corner4_urls_are_keyed_by_participant_identifier():
    # Written with its scheme or without, the configured receiver is the one a message names;
    # served() and the delivery agree (corner 3 must not accept what it then cannot deliver).
    corner4 = HttpCorner4(
        session=_NoNetwork(),
        urls={f"iso6523-actorid-upis::0192:{MAILBOX_ORG}": "http://127.0.0.1:9/c4"},
    )
    receiver = ParticipantId.parse(f"0192:{MAILBOX_ORG}")
    assert corner4.serves(receiver) and corner4.url_for(receiver) == "http://127.0.0.1:9/c4"
    other = ParticipantId.parse("0192:910076787")
    assert not corner4.serves(other) and corner4.url_for(other) is None
    fallback = HttpCorner4(session=_NoNetwork(), urls={}, default_url="http://127.0.0.1:9/")
    assert fallback.serves(other)


def test_a_corner4_url_for_no_participant_is_refused_when_built():
    with pytest.raises(UsageError, match="a corner 4 URL: 'mailbox' is not a participant"):
        HttpCorner4(session=_NoNetwork(), urls={"mailbox": "http://127.0.0.1:9/"})
    twice = {f"0192:{MAILBOX_ORG}": "http://127.0.0.1:9/a"}
    twice[f"iso6523-actorid-upis::0192:{MAILBOX_ORG}"] = "http://127.0.0.1:9/b"
    with pytest.raises(UsageError, match=f"0192:{MAILBOX_ORG} is configured twice"):
        HttpCorner4(session=_NoNetwork(), urls=twice)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_corner4_is_a_transport_error_naming_it():
    url = f"http://127.0.0.1:{_closed_port()}/deliver"
    corner4 = HttpCorner4(session=requests.Session(), urls={}, default_url=url, timeout_seconds=5)
    with pytest.raises(TransportError) as info:
        corner4.deliver(
            message_id="d1",
            receiver=ParticipantId.parse(f"0192:{MAILBOX_ORG}"),
            business_message="a.b.c",
            package=io.BytesIO(b"pkg"),
        )
    assert str(info.value).startswith(f"corner 4 at {url}: POST {url} failed")


# -- configuration (config.py) ---------------------------------------------------------------
def _load(kind: type, tmp_path: Path, data: dict[str, Any] | None = None, **env: str) -> Any:
    path = None
    if data is not None:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(data))
    return load_config(kind, path, env={f"PEPPOL_DPI__{k}": v for k, v in env.items()})


@pytest.mark.parametrize(
    "data, env, message",
    [
        pytest.param(None, {"RETENTION__DAYS": "0"}, "retention: days", id="retention"),
        pytest.param(
            None,
            {"WORKER__LEASE_SECONDS": "60", "WORKER__TIMEOUT_SECONDS": "60"},
            "worker: lease_seconds must outlast",
            id="lease-not-beyond-timeout",
        ),
        pytest.param(None, {"WORKER__BATCH": "0"}, "worker: batch >= 1", id="no-batch"),
        pytest.param(
            {"log_json": True},
            {"LOG_JSON__LEVEL": "1"},
            "PEPPOL_DPI__LOG_JSON__LEVEL: log_json is not a section",
            id="env-below-a-value",
        ),
        pytest.param({"server": 5}, {}, "server.: expected a table", id="section-not-a-table"),
        pytest.param(
            {"server": {"tls": {"certificate": "c.pem"}}},
            {},
            "server.tls.: ServerTls",
            id="missing-required-key",
        ),
        pytest.param(
            {"business_trust_anchors": 5},
            {},
            "business_trust_anchors: expected a list",
            id="list-not-a-list",
        ),
        pytest.param(
            {"corner4_urls": ["http://c4.test/"]},
            {},
            "corner4_urls: expected a table",
            id="mapping-not-a-table",
        ),
        pytest.param(
            None, {"LOG_JSON": "maybe"}, "log_json: expected true or false", id="bool-word"
        ),
        pytest.param({"log_json": 1}, {}, "log_json: expected true or false", id="bool-number"),
        pytest.param(
            None,
            {"CORNER4_URLS": "not json"},
            "corner4_urls: expected a JSON object",
            id="env-json",
        ),
        pytest.param(
            {"server": {"port": 8080.5}}, {}, "server.port: expected an integer", id="int-fraction"
        ),
        pytest.param(
            {"server": {"port": True}}, {}, "server.port: expected an integer", id="int-boolean"
        ),
        pytest.param(
            {"corner4_default_url": 5},
            {},
            "corner4_default_url: expected a string",
            id="string-not-a-string",
        ),
    ],
)
def test_a_bad_configuration_value_is_refused_naming_its_key(tmp_path, data, env, message):
    with pytest.raises(UsageError) as info:
        _load(Corner3Config, tmp_path, data, **env)
    assert str(info.value).startswith(message)


def test_empty_or_null_optional_values_mean_unset_and_mappings_read_json(tmp_path):
    config = _load(
        Corner3Config,
        tmp_path,
        {"corner4_api_key_env": None},
        CORNER4_DEFAULT_URL="",
        CORNER4_URLS='{"0192:984661185": "http://c4.test/"}',
    )
    assert config.corner4_api_key_env is None and config.corner4_default_url is None
    assert config.corner4_urls == {"0192:984661185": "http://c4.test/"}


def test_a_configuration_field_of_an_unsupported_type_is_refused():
    @dataclass(frozen=True, kw_only=True)
    class Custom:
        started: datetime | None = None

    with pytest.raises(UsageError, match="started: unsupported configuration type"):
        load_config(Custom, env={"PEPPOL_DPI__STARTED": "2026-01-01"})


# -- building services from configuration (build.py) ----------------------------------------
def test_tls_verification_can_be_switched_off():
    assert http_session(TlsConfig(verify=False)).verify is False


AS4 = As4Config(key_file=pki.path("ap-c2.p12"), key_password_env="AP_PASSWORD")
ENV = {"AP_PASSWORD": "changeit"}


@pytest.mark.parametrize(
    "config, message",
    [
        pytest.param(Corner2Config(), "as4.key_file is required", id="no-key"),
        pytest.param(
            Corner2Config(as4=AS4, revocation="sometimes"),
            "revocation must be one of ['require', 'soft', 'off']",
            id="unknown-revocation-mode",
        ),
        pytest.param(
            Corner3Config(
                as4=AS4, lookup=LookupConfig(static_endpoints={"0192:984661185": "http://x/"})
            ),
            "lookup.static_endpoints needs lookup.static_certificate",
            id="static-endpoint-without-certificate",
        ),
        pytest.param(
            Corner3Config(as4=AS4), "lookup needs sml_zone (or static_endpoints)", id="no-lookup"
        ),
    ],
)
def test_formats_from_an_incomplete_configuration_are_refused(config, message):
    with pytest.raises(UsageError) as info:
        formats_from_config(config, session=requests.Session(), env=ENV)
    assert str(info.value) == message


@pytest.fixture
def restore_logging():
    logger = logging.getLogger("peppol_dpi")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_corner2_without_a_maskinporten_jwks_is_refused(restore_logging):
    formats = Formats(as4=None, payloads=None, reader=None, locator=None)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="maskinporten_jwks_uri or maskinporten_jwks_file"):
        build_corner2(Corner2Config(), formats)


# -- the DPI reader (dpi_formats.py) ---------------------------------------------------------
@pytest.fixture(scope="module")
def letter_and_receipt() -> tuple[str, str]:
    sent = letter(pki.business_key("sender"), token=MP.token(), package=b"pkg")
    answer, _ = receipt_for(sent.jws, pki.business_key("digipost"))
    return sent.jws, answer


def test_a_receipt_posted_as_a_letter_is_refused(letter_and_receipt):
    # dpi.md 4: only letters are posted to corner 2 and carried to corner 3.
    reader = DpiReader(trust=pki.business_trust())
    with pytest.raises(InputError) as info:
        reader.read_message(letter_and_receipt[1], now=datetime.now(UTC))
    assert info.value.rule == "c2:not-a-letter"


def test_a_letter_returned_as_a_receipt_is_refused(letter_and_receipt):
    reader = DpiReader(trust=pki.business_trust())
    with pytest.raises(InputError) as info:
        reader.read_receipt(letter_and_receipt[0], now=datetime.now(UTC))
    assert info.value.rule == "c3:not-a-receipt"


# -- the AS4 codec (peppol_as4.py) -----------------------------------------------------------
@pytest.mark.parametrize(
    "strip, message",
    [
        (rb"<wsse:Security .*?</wsse:Security>", "has no eb:Messaging or wsse:Security"),
        (rb"<eb:Messaging .*?</eb:Messaging>", "has no eb:Messaging or wsse:Security"),
        (rb"<ds:Signature .*?</ds:Signature>", "is not signed"),
    ],
)
def test_a_frozen_message_without_its_security_parts_is_refused(strip, message):
    wire, _ = _send()
    body, count = re.subn(strip, b"", wire.body, count=1, flags=re.S)
    assert count == 1
    broken = WireMessage(headers=wire.headers, body=body)
    with pytest.raises(UsageError) as info:
        sent_references(io.BytesIO(broken.to_dump()))
    assert str(info.value) == f"the frozen AS4 message {message}"


def test_a_frozen_signal_is_not_a_user_message():
    wire, _ = _send()
    receipt = C3.receipt(_open(C3, wire))
    with pytest.raises(UsageError, match="the frozen AS4 message is not a user message"):
        sent_references(io.BytesIO(receipt.to_dump()))


def test_an_as4_codec_without_a_trust_policy_is_refused():
    with pytest.raises(UsageError, match="needs a TrustPolicy"):
        PeppolAs4(
            key=pki.ap_key("c2"),  # type: ignore[arg-type]
            trust=[pki.root_ca()],  # type: ignore[arg-type]
            clock=lambda: T0,
            new_message_id=lambda: "x@test",
        )


def test_a_receipt_for_a_message_another_codec_opened_is_refused():
    opened = OpenedAs4(message_id="m@x", from_party="POP000001", payload=io.BytesIO(), context={})
    with pytest.raises(UsageError, match="needs a message opened by this codec"):
        C3.receipt(opened)


# -- wire dumps (wire.py) --------------------------------------------------------------------
def test_a_dump_without_headers_is_its_body():
    assert WireMessage.from_dump(b"\r\nbody") == WireMessage(headers=(), body=b"body")


def test_a_dump_with_a_header_line_without_a_colon_is_refused():
    with pytest.raises(InputError) as info:
        WireMessage.from_dump(b"Content-Type: text/plain\r\nno colon here\r\n\r\nbody")
    assert info.value.rule == "wire:dump"


# -- store blobs (store.py) and spools (spool.py) ------------------------------------------
@pytest.mark.parametrize(
    "kwargs", [{}, {"inline": b"x", "file": Path("x")}], ids=["neither", "both"]
)
def test_a_blob_is_either_inline_or_a_file(kwargs):
    with pytest.raises(UsageError, match="either inline bytes or a file"):
        Blob(**kwargs)


def test_a_spooled_copy_that_fails_is_closed(monkeypatch):
    made: list[Any] = []
    spooled = tempfile.SpooledTemporaryFile

    def recording(*args: Any, **kwargs: Any) -> Any:
        made.append(spooled(*args, **kwargs))
        return made[-1]

    class Failing(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError("disk gone")

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", recording)
    with pytest.raises(OSError, match="disk gone"):
        spooled_copy(Failing(b"data"))
    assert len(made) == 1 and made[0].closed


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"[]"),
        (200, b'{"keys": 5}'),
        (200, b'"keys"'),
        (200, b"not json"),
        (500, b'{"keys": []}'),
    ],
    ids=["a-list", "keys-not-a-list", "a-string", "not-json", "http-500"],
)
def test_a_jwks_url_serving_no_jwks_is_a_transport_error(status: int, body: bytes) -> None:
    # RFC 7517 5: a JWKS is an object whose keys member is a list. Anything else from the
    # JWKS URL escaped as AttributeError or TypeError from the token check; with keys cached
    # from an earlier fetch, the cached ones are kept.
    answers = [(200, json.dumps(MP.jwks).encode()), (status, body)]

    def serve(request: Any) -> Response:
        code, data = answers.pop(0) if len(answers) > 1 else answers[0]
        return Response(status=code, body=data, headers=(("Content-Type", "application/json"),))

    server = WsgiServer(wsgi_app(serve, max_body=1024))
    server.start()
    try:
        cached = HttpJwks(server.url + "/jwks", session=requests.Session(), ttl_seconds=0)
        good = cached.keys()
        assert good and cached.keys(refresh=True) == good  # the bad answer kept the good keys
        with pytest.raises(TransportError, match="cannot fetch the JWKS"):
            HttpJwks(server.url + "/jwks", session=requests.Session()).keys()
    finally:
        server.stop()


def test_a_jwks_given_in_configuration_must_be_one() -> None:
    with pytest.raises(UsageError, match="the JWKS given is not one"):
        StaticJwks([])  # type: ignore[arg-type]
    with pytest.raises(JwksError) as info:
        jwks_keys({"keys": {"kid": "x"}})
    assert info.value.rule == "jwks:malformed"

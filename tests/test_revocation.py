"""CRL and OCSP checking against real servers on 127.0.0.1 (ours, and openssl's OCSP responder).

Certificates naming the servers' URLs are made at test time (the port is only known then),
signed by the committed AP CA key: see tests/revocation_server.py.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pki
import pytest
import requests
from revocation_server import CRL_MODES, RevocationServer

from peppol_dpi.errors import CertificateError
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.limits import Limits
from peppol_dpi.revocation import (
    CrlChecker,
    FirstAnswerChecker,
    OcspChecker,
    RevocationSettings,
    revocation_checker,
)
from peppol_dpi.trust import RevocationChecker, RevocationMode, RevocationStatus

NOW = datetime.now(UTC)
GOOD_SERIAL, REVOKED_SERIAL = 0x5001, 0x5002


@pytest.fixture(scope="module")
def server() -> Iterator[RevocationServer]:
    with RevocationServer() as running:
        running.revoke(REVOKED_SERIAL)
        yield running


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    if "server" in request.fixturenames:
        srv: RevocationServer = request.getfixturevalue("server")
        srv.ocsp_mode, srv.crl_mode = "issuer", "good"


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False  # no proxies from the environment: loopback only
        yield s


def _pair(server: RevocationServer, **kw: bool) -> tuple[LocalPrivateKey, LocalPrivateKey]:
    return server.leaf("POP005001", GOOD_SERIAL, **kw), server.leaf(
        "POP005002", REVOKED_SERIAL, **kw
    )


def _status(checker: RevocationChecker, leaf: LocalPrivateKey) -> RevocationStatus:
    return checker.status(leaf.certificate, pki.ap_ca(), NOW)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- through the trust policy: the rules the issue asks for ------------------------------------


def test_revoked_certificate_is_refused_through_the_crl(
    server: RevocationServer, session: requests.Session
) -> None:
    good, revoked = _pair(server, ocsp_=False)
    policy = pki.peppol_trust(revocation_checker=CrlChecker(session=session))
    assert policy.validate(good.certificate, chain=good.chain, at=NOW).revocation_checked
    with pytest.raises(CertificateError) as err:
        policy.validate(revoked.certificate, chain=revoked.chain, at=NOW)
    assert err.value.rule == "cert:revoked"


def test_revoked_certificate_is_refused_through_ocsp(
    server: RevocationServer, session: requests.Session
) -> None:
    good, revoked = _pair(server, crl=False)
    policy = pki.peppol_trust(revocation_checker=OcspChecker(session=session))
    assert policy.validate(good.certificate, at=NOW).revocation_checked
    with pytest.raises(CertificateError) as err:
        policy.validate(revoked.certificate, at=NOW)
    assert err.value.rule == "cert:revoked"
    assert server.hits["ocsp-post"] >= 2


def test_revoked_certificate_was_good_before_its_revocation(
    server: RevocationServer, session: requests.Session
) -> None:
    _, revoked = _pair(server)
    before = datetime(2024, 6, 1, tzinfo=UTC)  # REVOKED_AT is 2025-01-01
    for checker in (CrlChecker(session=session), OcspChecker(session=session)):
        assert checker.status(revoked.certificate, pki.ap_ca(), before) is RevocationStatus.GOOD


def test_unreachable_responders_fail_under_require_and_warn_under_soft(
    session: requests.Session,
) -> None:
    port = _free_port()  # nothing listens there
    leaf = pki.issue_leaf(
        "POP005003",
        serial=0x5003,
        crl_url=f"http://127.0.0.1:{port}/crl",
        ocsp_url=f"http://127.0.0.1:{port}/ocsp",
    )
    checker = revocation_checker(session, settings=RevocationSettings(timeout=5))
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust(revocation_checker=checker).validate(leaf.certificate, at=NOW)
    assert err.value.rule == "cert:revocation-unavailable"
    soft = pki.peppol_trust(revocation=RevocationMode.SOFT, revocation_checker=checker)
    result = soft.validate(leaf.certificate, at=NOW)
    assert not result.revocation_checked
    assert result.warnings and "POP005003" in result.warnings[0]


def test_committed_revoked_certificate_is_refused_offline_with_the_committed_crl() -> None:
    checker = CrlChecker(session=None, crls=[pki.ap_crl()])
    revoked = pki.revoked_key()
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust(revocation_checker=checker).validate(revoked.certificate, at=NOW)
    assert err.value.rule == "cert:revoked"
    assert (
        _status(checker, pki.issue_leaf("POP005004", serial=0x5004, crl_url="http://127.0.0.1:9/x"))
        is RevocationStatus.GOOD
    )
    # Without the CRL and without a session, nothing can be said.
    assert _status(CrlChecker(session=None), revoked) is RevocationStatus.UNREACHABLE
    assert _status(CrlChecker(session=None), pki.ap_key("c2")) is RevocationStatus.NOT_CHECKABLE


# -- OCSP answers that must not be believed ---------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("issuer", RevocationStatus.REVOKED),
        ("delegated", RevocationStatus.REVOKED),
        ("no-nonce", RevocationStatus.REVOKED),
        ("delegated-no-eku", RevocationStatus.UNREACHABLE),
        ("wrong-key", RevocationStatus.UNREACHABLE),
        ("bad-nonce", RevocationStatus.UNREACHABLE),
        ("stale", RevocationStatus.UNREACHABLE),
        ("unauthorized", RevocationStatus.UNREACHABLE),
        ("http-500", RevocationStatus.UNREACHABLE),
        ("huge", RevocationStatus.UNREACHABLE),
        ("huge-unsized", RevocationStatus.UNREACHABLE),
        ("garbage", RevocationStatus.UNREACHABLE),
    ],
)
def test_ocsp_answers(
    server: RevocationServer, session: requests.Session, mode: str, expected: RevocationStatus
) -> None:
    server.ocsp_mode = mode
    _, revoked = _pair(server, crl=False)
    checker = OcspChecker(
        session=session, settings=RevocationSettings(limits=Limits(max_http_response_bytes=65536))
    )
    assert _status(checker, revoked) is expected


def test_ocsp_slow_responder_hits_the_time_budget(
    server: RevocationServer, session: requests.Session
) -> None:
    server.ocsp_mode = "slow"
    good, _ = _pair(server, crl=False)
    started = time.monotonic()
    assert (
        _status(OcspChecker(session=session, settings=RevocationSettings(timeout=0.5)), good)
        is RevocationStatus.UNREACHABLE
    )
    assert time.monotonic() - started < 30  # a guard against hanging, not a timing assertion


def test_ocsp_get_and_the_cache(server: RevocationServer, session: requests.Session) -> None:
    good, revoked = _pair(server, crl=False)
    checker = OcspChecker(session=session, use_get=True, nonce=None)
    before = server.hits["ocsp-get"]
    assert _status(checker, good) is RevocationStatus.GOOD
    assert _status(checker, revoked) is RevocationStatus.REVOKED
    assert _status(checker, good) is RevocationStatus.GOOD  # from the cache
    assert server.hits["ocsp-get"] - before == 2
    assert checker.requests == 2


# -- CRLs that must not be believed -----------------------------------------------------------


@pytest.mark.parametrize("mode", CRL_MODES)
def test_crl_answers(server: RevocationServer, session: requests.Session, mode: str) -> None:
    server.crl_mode = mode
    good, revoked = _pair(server, ocsp_=False)
    checker = CrlChecker(session=session)
    if mode in ("good", "pem"):
        assert _status(checker, revoked) is RevocationStatus.REVOKED
        assert _status(checker, good) is RevocationStatus.GOOD
        assert checker.downloads == 1  # the second answer came from the cache
    else:
        assert _status(checker, revoked) is RevocationStatus.UNREACHABLE


def test_crl_size_limit(server: RevocationServer, session: requests.Session) -> None:
    _, revoked = _pair(server, ocsp_=False)
    tiny = CrlChecker(
        session=session, settings=RevocationSettings(limits=Limits(max_http_response_bytes=100))
    )
    assert _status(tiny, revoked) is RevocationStatus.UNREACHABLE


def test_crl_goes_stale_with_the_clock(server: RevocationServer, session: requests.Session) -> None:
    _, revoked = _pair(server, ocsp_=False)
    later = datetime.now(UTC) + timedelta(days=30)
    checker = CrlChecker(session=session, settings=RevocationSettings(clock=lambda: later))
    # Every CRL the server makes has nextUpdate = now + 1 day: stale a month from now.
    assert checker.status(revoked.certificate, pki.ap_ca(), later) is RevocationStatus.UNREACHABLE


# -- the combined checker ---------------------------------------------------------------------


def test_ocsp_first_then_crl(server: RevocationServer, session: requests.Session) -> None:
    _, revoked = _pair(server)
    server.ocsp_mode = "http-500"
    checker = revocation_checker(session)
    assert _status(checker, revoked) is RevocationStatus.REVOKED  # through the CRL
    server.crl_mode = "http-404"
    assert _status(revocation_checker(session), revoked) is RevocationStatus.UNREACHABLE
    assert _status(checker, pki.ap_key("c2")) is RevocationStatus.NOT_CHECKABLE
    assert _status(FirstAnswerChecker(), revoked) is RevocationStatus.NOT_CHECKABLE


# -- interoperability: openssl's own OCSP responder -------------------------------------------


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_against_the_openssl_ocsp_responder(session: requests.Session, tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    good = pki.issue_leaf("POP006001", serial=0x6001, ocsp_url=url)
    revoked = pki.issue_leaf("POP006002", serial=0x6002, ocsp_url=url)
    index = tmp_path / "index.txt"
    index.write_text(
        "V\t491231000000Z\t\t6001\tunknown\t/CN=POP006001\n"
        "R\t491231000000Z\t250101000000Z,keyCompromise\t6002\tunknown\t/CN=POP006002\n"
    )
    # openssl's responder takes a port number only and listens on every interface (inbound
    # only); the client talks to it on 127.0.0.1.
    responder = subprocess.Popen(
        [
            "openssl", "ocsp", "-index", str(index), "-port", str(port),
            "-CA", str(pki.path("ap-ca.cert.pem")), "-rsigner", str(pki.path("ap-ca.cert.pem")),
            "-rkey", str(pki.path("ap-ca.key.pem")), "-ndays", "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        checker = OcspChecker(session=session, settings=RevocationSettings(timeout=10))
        deadline = time.monotonic() + 20
        status = _status(checker, good)
        while status is RevocationStatus.UNREACHABLE and time.monotonic() < deadline:
            time.sleep(0.1)  # the responder is still starting: connection refused
            status = _status(checker, good)
        assert status is RevocationStatus.GOOD
        assert _status(checker, revoked) is RevocationStatus.REVOKED
    finally:
        responder.kill()
        responder.wait(timeout=10)

"""Revocation answers the checker must not believe, no other test drove: CRLs (each beside a
control CRL that does revoke) and OCSP answers from the local responder, with the reason the
checker logs pinned."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pki
import pytest
import requests
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from revocation_server import RevocationServer

from peppol_dpi.errors import UsageError
from peppol_dpi.keys import (
    LocalPrivateKey,
)
from peppol_dpi.revocation import CrlChecker, OcspChecker, RevocationSettings
from peppol_dpi.trust import RevocationStatus

#: The instant every check runs at, and every CRL and OCSP answer is dated around.
NOW = datetime(2030, 1, 1, tzinfo=UTC)
REVOKED_AT = datetime(2025, 1, 1, tzinfo=UTC)
UNKNOWN_OID = "1.3.6.1.4.1.99999.7"
UNKNOWN_EXTENSION = x509.UnrecognizedExtension(x509.ObjectIdentifier(UNKNOWN_OID), b"\x05\x00")


# -- revocation settings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"timeout": 0}, "timeout must be positive"),
        ({"clock_skew": timedelta(seconds=-1)}, "clock_skew must not be negative"),
    ],
)
def test_revocation_settings_refuse_impossible_values(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        RevocationSettings(**settings)


# -- CRLs the checker must not believe -------------------------------------------------------
# The certificate is the committed revoked AP certificate (its CRL location is never
# downloaded: the checker has no session): a CRL that is used answers REVOKED, one that is not
# leaves UNREACHABLE.


def _crl(
    *,
    signer: str = "ap-ca",
    issuer_name: x509.Name | None = None,
    serial: int | None = None,
    reason: x509.ReasonFlags | None = x509.ReasonFlags.key_compromise,
    this_update: datetime = NOW - timedelta(hours=1),
    next_update: datetime = NOW + timedelta(days=1),
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
) -> x509.CertificateRevocationList:
    ca = pki.ca_issued(signer)
    entry = (
        x509.RevokedCertificateBuilder()
        .serial_number(
            serial if serial is not None else pki.revoked_key().certificate.serial_number
        )
        .revocation_date(REVOKED_AT)
    )
    if reason is not None:
        entry = entry.add_extension(x509.CRLReason(reason), critical=False)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_name if issuer_name is not None else ca.cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_revoked_certificate(entry.build())
    )
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    return builder.sign(ca.key, hashes.SHA256())


def _resign_crl(
    crl: x509.CertificateRevocationList,
    *,
    algorithm: str = "sha256_rsa",
    digest: hashes.HashAlgorithm = hashes.SHA256(),  # noqa: B008 - immutable
    edit: Callable[[Any], None] | None = None,
) -> x509.CertificateRevocationList:
    """``crl`` re-signed by the AP CA with the signature algorithm named (what cryptography's
    builder refuses to make: SHA-1, unknown algorithms, no nextUpdate)."""
    parsed = asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER))
    tbs = parsed["tbs_cert_list"]
    tbs["signature"] = asn1_x509.SignedDigestAlgorithm({"algorithm": algorithm})
    if edit is not None:
        edit(tbs)
    key: rsa.RSAPrivateKey = pki.ca_issued("ap-ca").key
    signature = key.sign(tbs.dump(force=True), padding.PKCS1v15(), digest)
    resigned = asn1_crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": {"algorithm": algorithm},
            "signature": signature,
        }
    )
    return x509.load_der_x509_crl(resigned.dump())


def _no_next_update(tbs: Any) -> None:
    tbs["next_update"] = None


def _idp(
    *, indirect: bool = False, user_certs: bool = False, ca_certs: bool = False
) -> tuple[tuple[x509.ExtensionType, bool], ...]:
    """A critical IssuingDistributionPoint with the scope flags given (RFC 5280 5.2.5)."""
    point = x509.IssuingDistributionPoint(
        full_name=None,
        relative_name=None,
        only_contains_user_certs=user_certs,
        only_contains_ca_certs=ca_certs,
        only_some_reasons=None,
        indirect_crl=indirect,
        only_contains_attribute_certs=False,
    )
    return ((point, True),)


def _crl_status(
    crl: x509.CertificateRevocationList,
    *,
    cert: x509.Certificate | None = None,
    issuer: x509.Certificate | None = None,
    allow_sha1: bool = False,
) -> RevocationStatus:
    checker = CrlChecker(
        session=None,
        crls=[crl],
        settings=RevocationSettings(clock=lambda: NOW, allow_sha1=allow_sha1),
    )
    return checker.status(
        cert if cert is not None else pki.revoked_key().certificate,
        issuer if issuer is not None else pki.ap_ca(),
        NOW,
    )


def test_a_crl_made_here_revokes_the_certificate() -> None:
    # The control for the CRL refusals below: the same construction, nothing broken.
    assert _crl_status(_crl()) is RevocationStatus.REVOKED
    assert _crl_status(_resign_crl(_crl())) is RevocationStatus.REVOKED


@pytest.mark.parametrize(
    "make",
    [
        # RFC 5280 6.3.3 (b)(1): a complete CRL from the certificate's own issuer (here signed
        # with its key, but naming another CA).
        pytest.param(lambda: _crl(issuer_name=pki.other_root_ca().subject), id="another-ca"),
        # SHA-1 only when allowed; an algorithm nobody knows, never.
        pytest.param(
            lambda: _resign_crl(_crl(), algorithm="sha1_rsa", digest=hashes.SHA1()), id="sha1"
        ),
        pytest.param(lambda: _resign_crl(_crl(), algorithm=UNKNOWN_OID), id="unknown-algorithm"),
        # Delta CRLs and unknown critical CRL extensions are not used (RFC 5280 5.2.4, 5.2).
        pytest.param(lambda: _crl(extensions=((x509.DeltaCRLIndicator(1), True),)), id="delta"),
        pytest.param(
            lambda: _crl(extensions=((UNKNOWN_EXTENSION, True),)), id="unknown-critical-extension"
        ),
        # RFC 5280 5.2.5 / 6.3.3 (b)(2): the CRL's scope must cover the certificate.
        pytest.param(lambda: _crl(extensions=_idp(indirect=True)), id="indirect"),
        pytest.param(lambda: _crl(extensions=_idp(ca_certs=True)), id="ca-only"),
        # RFC 5280 6.3.3 (a)(2): the CRL must be current.
        pytest.param(lambda: _resign_crl(_crl(), edit=_no_next_update), id="no-next-update"),
        pytest.param(
            lambda: _crl(this_update=NOW + timedelta(hours=1)), id="this-update-in-the-future"
        ),
    ],
)
def test_a_crl_that_must_not_be_believed_is_not_used(
    make: Callable[[], x509.CertificateRevocationList],
) -> None:
    assert _crl_status(make()) is RevocationStatus.UNREACHABLE


def test_a_sha1_crl_is_used_when_allowed() -> None:
    crl = _resign_crl(_crl(), algorithm="sha1_rsa", digest=hashes.SHA1())
    assert _crl_status(crl, allow_sha1=True) is RevocationStatus.REVOKED


@pytest.mark.parametrize(
    ("issuer", "expected"),
    [
        # RFC 5280 6.3.3 (f): the issuer's key must be allowed to sign CRLs (cRLSign).
        pytest.param(
            lambda: pki.resign(pki.ap_ca(), "root-ca", edit=pki.with_key_usage("key_cert_sign")),
            RevocationStatus.UNREACHABLE,
            id="no-crl-sign",
        ),
        # Without a KeyUsage extension the key is not restricted.
        pytest.param(
            lambda: pki.ap_ca_without("key_usage"), RevocationStatus.REVOKED, id="no-key-usage"
        ),
    ],
)
def test_a_crl_is_used_only_when_its_issuer_may_sign_crls(
    issuer: Callable[[], x509.Certificate], expected: RevocationStatus
) -> None:
    assert _crl_status(_crl(), issuer=issuer()) is expected


@pytest.mark.parametrize(
    ("cert", "issuer", "signer", "expected"),
    [
        pytest.param(
            lambda: pki.revoked_key().certificate,
            pki.ap_ca,
            "ap-ca",
            RevocationStatus.REVOKED,
            id="end-entity",
        ),
        # A certificate without BasicConstraints is no CA.
        pytest.param(
            lambda: pki.resign(
                pki.revoked_key().certificate,
                "ap-ca",
                edit=pki.without_extension("basic_constraints"),
            ),
            pki.ap_ca,
            "ap-ca",
            RevocationStatus.REVOKED,
            id="end-entity-without-basic-constraints",
        ),
        # A CA certificate is out of the CRL's scope (the AP CA names no CRL location).
        pytest.param(pki.ap_ca, pki.root_ca, "root-ca", RevocationStatus.NOT_CHECKABLE, id="ca"),
    ],
)
def test_a_crl_of_end_entity_certificates_covers_only_those(
    cert: Callable[[], x509.Certificate],
    issuer: Callable[[], x509.Certificate],
    signer: str,
    expected: RevocationStatus,
) -> None:
    # RFC 5280 5.2.5: onlyContainsUserCerts.
    subject = cert()
    crl = _crl(signer=signer, serial=subject.serial_number, extensions=_idp(user_certs=True))
    assert _crl_status(crl, cert=subject, issuer=issuer()) is expected


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        pytest.param(None, RevocationStatus.REVOKED, id="no-reason"),
        # RFC 5280 5.3.1: removeFromCRL (delta CRLs) un-revokes the certificate.
        pytest.param(x509.ReasonFlags.remove_from_crl, RevocationStatus.GOOD, id="remove-from-crl"),
    ],
)
def test_crl_entry_reasons(reason: x509.ReasonFlags | None, expected: RevocationStatus) -> None:
    assert _crl_status(_crl(reason=reason)) is expected


# -- OCSP answers the checker must not believe -----------------------------------------------


@pytest.fixture(scope="module")
def ocsp_server() -> Iterator[RevocationServer]:
    with RevocationServer() as running:
        yield running


@pytest.fixture(scope="module")
def ocsp_leaf(ocsp_server: RevocationServer) -> x509.Certificate:
    return ocsp_server.leaf("POP00B201", 0xB201, crl=False).certificate


@cache
def _sha1_responder() -> LocalPrivateKey:
    """A delegated OCSP responder of the AP CA (id-kp-OCSPSigning) signed with SHA-1."""
    responder = pki.issue_leaf(
        "peppol-dpi TEST SHA-1 OCSP responder",
        serial=0xB202,
        extended_key_usage=[ExtendedKeyUsageOID.OCSP_SIGNING],
    )
    cert = pki.resign(responder.certificate, "ap-ca", sha1=True)
    return LocalPrivateKey(key=responder.key, certificate=cert, chain=responder.chain)


def _ocsp_answer(
    request_der: bytes,
    *,
    serial_offset: int = 0,
    status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.REVOKED,
    this_update: datetime = NOW - timedelta(hours=1),
    next_update: datetime | None = NOW + timedelta(hours=1),
    responder: LocalPrivateKey | None = None,
) -> bytes:
    """An answer about the certificate asked for (or another serial), signed by the AP CA or by
    ``responder`` (which it then carries)."""
    request = ocsp.load_der_ocsp_request(request_der)
    revoked = status is ocsp.OCSPCertStatus.REVOKED
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number + serial_offset,
        algorithm=request.hash_algorithm,
        cert_status=status,
        this_update=this_update,
        next_update=next_update,
        revocation_time=REVOKED_AT if revoked else None,
        revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
    )
    if responder is None:
        ca = pki.ca_issued("ap-ca")
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca.cert)
        return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder.certificate)
    builder = builder.certificates([responder.certificate])
    return builder.sign(responder.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _resign_ocsp(answer: bytes, algorithm: str, digest: hashes.HashAlgorithm) -> bytes:
    """An AP CA signed answer re-signed with the algorithm named (cryptography's builder makes
    no SHA-1 signatures)."""
    parsed = asn1_ocsp.OCSPResponse.load(answer)
    basic = parsed["response_bytes"]["response"].parsed
    tbs = basic["tbs_response_data"]
    basic["signature_algorithm"] = {"algorithm": algorithm}
    basic["signature"] = pki.ca_issued("ap-ca").key.sign(tbs.dump(), padding.PKCS1v15(), digest)
    resigned = asn1_ocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
        }
    )
    return bytes(resigned.dump(force=True))


def _flip_last_signature_byte(answer: bytes) -> bytes:
    # An AP CA signed answer carries no certificates: the signature ends the DER.
    return answer[:-1] + bytes([answer[-1] ^ 0x01])


_NOT_ALLOWED = "signed with SHA-1 (not allowed) or an unknown algorithm"
_OCSP_CASES = [
    # (id, answer from the request DER, allow_sha1, status, the reason logged or None)
    ("control", _ocsp_answer, False, RevocationStatus.REVOKED, None),
    (
        "sha1",
        lambda r: _resign_ocsp(_ocsp_answer(r), "sha1_rsa", hashes.SHA1()),
        False,
        RevocationStatus.UNREACHABLE,
        _NOT_ALLOWED,
    ),
    (
        "sha1-allowed",
        lambda r: _resign_ocsp(_ocsp_answer(r), "sha1_rsa", hashes.SHA1()),
        True,
        RevocationStatus.REVOKED,
        None,
    ),
    (
        "unknown-algorithm",
        lambda r: _resign_ocsp(_ocsp_answer(r), UNKNOWN_OID, hashes.SHA256()),
        True,
        RevocationStatus.UNREACHABLE,
        _NOT_ALLOWED,
    ),
    (
        "bad-signature",
        lambda r: _flip_last_signature_byte(_ocsp_answer(r)),
        False,
        RevocationStatus.UNREACHABLE,
        "the signature does not verify",
    ),
    # RFC 6960 3.2 (1): the answer must be about the certificate asked about.
    (
        "another-certificate",
        lambda r: _ocsp_answer(r, serial_offset=1),
        False,
        RevocationStatus.UNREACHABLE,
        "no answer about this certificate",
    ),
    # RFC 6960 3.2 (5)/(6), 4.2.2.1: current, and recent without nextUpdate.
    (
        "this-update-in-the-future",
        lambda r: _ocsp_answer(
            r, this_update=NOW + timedelta(hours=1), next_update=NOW + timedelta(hours=2)
        ),
        False,
        RevocationStatus.UNREACHABLE,
        "thisUpdate is in the future",
    ),
    (
        "old-without-next-update",
        lambda r: _ocsp_answer(r, this_update=NOW - timedelta(days=2), next_update=None),
        False,
        RevocationStatus.UNREACHABLE,
        "too old (no nextUpdate)",
    ),
    (
        "recent-without-next-update",
        lambda r: _ocsp_answer(r, next_update=None),
        False,
        RevocationStatus.REVOKED,
        None,
    ),
    # RFC 6960 4.2.2.2: a delegated responder's certificate must itself be acceptable.
    (
        "sha1-signed-responder",
        lambda r: _ocsp_answer(r, responder=_sha1_responder()),
        False,
        RevocationStatus.UNREACHABLE,
        "signed by neither the issuer nor a responder it authorised",
    ),
    (
        "sha1-signed-responder-allowed",
        lambda r: _ocsp_answer(r, responder=_sha1_responder()),
        True,
        RevocationStatus.REVOKED,
        None,
    ),
    # "unknown": the responder does not know the certificate; nothing to rely on.
    (
        "unknown-status",
        lambda r: _ocsp_answer(r, status=ocsp.OCSPCertStatus.UNKNOWN),
        False,
        RevocationStatus.UNREACHABLE,
        None,
    ),
]


@pytest.mark.parametrize(
    ("answer", "allow_sha1", "expected", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in _OCSP_CASES],
)
def test_ocsp_answers_that_must_not_be_believed(
    ocsp_server: RevocationServer,
    ocsp_leaf: x509.Certificate,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    answer: Callable[[bytes], bytes],
    allow_sha1: bool,
    expected: RevocationStatus,
    reason: str | None,
) -> None:
    monkeypatch.setattr(ocsp_server, "ocsp_body", lambda request: (200, answer(request)))
    settings = RevocationSettings(clock=lambda: NOW, allow_sha1=allow_sha1, timeout=10)
    with requests.Session() as session:
        session.trust_env = False  # no proxies from the environment: loopback only
        checker = OcspChecker(session=session, settings=settings, nonce=None)
        with caplog.at_level(logging.WARNING, logger="peppol_dpi.revocation"):
            status = checker.status(ocsp_leaf, pki.ap_ca(), NOW)
    assert status is expected
    logged = [r.getMessage() for r in caplog.records if r.name == "peppol_dpi.revocation"]
    expected_log = f"OCSP answer from {ocsp_server.base}/ocsp not used: {reason}"
    assert logged == ([expected_log] if reason else [])
    assert checker.requests == 1


# -- answers cryptography cannot decode (it decodes their parts on first use) -----------------
# Each was an exception out of the checker (ValueError, TypeError, InvalidVersion) and so out
# of TrustPolicy.validate; now it is no answer. A man in the middle of plain-HTTP OCSP can put
# a certificate into an answer: that list is outside what the responder signs.

_BROKEN = Path(__file__).parent / "fuzz" / "regressions" / "certificate" / "bad-subject.der"


def _crl_resigned_as_is(der: bytes) -> x509.CertificateRevocationList:
    """The CRL ``der`` (edited by the caller) signed again by the AP CA, its TBS untouched."""
    tbs = asn1_crl.CertificateList.load(der)["tbs_cert_list"]
    signature = pki.ca_issued("ap-ca").key.sign(tbs.dump(), padding.PKCS1v15(), hashes.SHA256())
    resigned = asn1_crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": {"algorithm": "sha256_rsa"},
            "signature": signature,
        }
    )
    return x509.load_der_x509_crl(resigned.dump())


def test_a_signed_crl_whose_entry_cannot_be_decoded_is_not_used() -> None:
    der = _crl().public_bytes(serialization.Encoding.DER)
    reason = b"\x04\x03\x0a\x01\x01"  # the CRLReason extnValue: ENUMERATED keyCompromise
    assert der.count(reason) == 1
    crl = _crl_resigned_as_is(der.replace(reason, b"\x04\x03\x02\x01\x01"))  # an INTEGER
    assert _crl_status(_crl_resigned_as_is(der)) is RevocationStatus.REVOKED  # the control
    assert _crl_status(crl) is RevocationStatus.UNREACHABLE


def test_a_downloaded_crl_of_an_unknown_version_is_not_used(
    ocsp_server: RevocationServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    der = _crl().public_bytes(serialization.Encoding.DER)
    version = b"\x02\x01\x01"  # v2, the first field of the TBSCertList
    assert der.find(version) < 12
    bad = der.replace(version, b"\x02\x01\x21", 1)  # "33": cryptography's InvalidVersion
    monkeypatch.setattr(ocsp_server, "crl_body", lambda: (200, bad))
    leaf = ocsp_server.leaf("POP00B203", 0xB203, ocsp_=False).certificate
    settings = RevocationSettings(clock=lambda: NOW, timeout=10)
    with requests.Session() as session, caplog.at_level(logging.WARNING):
        session.trust_env = False
        status = CrlChecker(session=session, settings=settings).status(leaf, pki.ap_ca(), NOW)
    assert status is RevocationStatus.UNREACHABLE
    assert any("is not a CRL" in r.getMessage() for r in caplog.records)


def test_an_ocsp_answer_carrying_an_undecodable_certificate_is_no_answer(
    ocsp_server: RevocationServer,
    ocsp_leaf: x509.Certificate,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = x509.load_der_x509_certificate(_BROKEN.read_bytes())  # loads; its subject does not
    responder = _sha1_responder()

    def answer(request_der: bytes) -> bytes:
        request = ocsp.load_der_ocsp_request(request_der)
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=request.issuer_name_hash,
                issuer_key_hash=request.issuer_key_hash,
                serial_number=request.serial_number,
                algorithm=request.hash_algorithm,
                cert_status=ocsp.OCSPCertStatus.GOOD,
                this_update=NOW - timedelta(hours=1),
                next_update=NOW + timedelta(hours=1),
                revocation_time=None,
                revocation_reason=None,
            )
            # By name: each certificate's subject is compared, the broken one's first.
            .responder_id(ocsp.OCSPResponderEncoding.NAME, responder.certificate)
            .certificates([broken, responder.certificate])
        )
        return builder.sign(responder.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    monkeypatch.setattr(ocsp_server, "ocsp_body", lambda request: (200, answer(request)))
    settings = RevocationSettings(clock=lambda: NOW, allow_sha1=True, timeout=10)
    with requests.Session() as session, caplog.at_level(logging.WARNING):
        session.trust_env = False
        status = OcspChecker(session=session, settings=settings, nonce=None).status(
            ocsp_leaf, pki.ap_ca(), NOW
        )
    assert status is RevocationStatus.UNREACHABLE
    assert any("answered something unreadable" in r.getMessage() for r in caplog.records)

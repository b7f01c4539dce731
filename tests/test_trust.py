"""TrustPolicy.validate: paths, anchors, validity, CA constraints, key usage, SHA-1, real Peppol PKI."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pki
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from peppol_dpi.errors import CertificateError, UsageError
from peppol_dpi.keys import LocalPrivateKey, load_certificate, load_pkcs12
from peppol_dpi.trust import KeyUsage, RevocationMode, RevocationStatus, TrustPolicy

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _rule(policy: TrustPolicy, leaf: LocalPrivateKey, *, at: datetime = NOW) -> str:
    with pytest.raises(CertificateError) as err:
        policy.validate(leaf.certificate, chain=leaf.chain, at=at)
    return err.value.rule


def test_chain_to_the_root_with_intermediates_from_the_message() -> None:
    leaf = pki.ap_key("c2")
    policy = TrustPolicy(anchors=(pki.root_ca(),))
    result = policy.validate(leaf.certificate, chain=leaf.chain, at=NOW)
    assert result.path == (leaf.certificate, pki.ap_ca(), pki.root_ca())
    assert result.anchor == pki.root_ca()
    assert result.subject.endswith("CN=POP000001") or "CN=POP000001" in result.subject
    assert not result.revocation_checked  # nothing names a CRL or OCSP location
    # Without the intermediate there is no path.
    assert _rule(policy, LocalPrivateKey(key=leaf.key, certificate=leaf.certificate)) == (
        "cert:untrusted"
    )


def test_an_intermediate_as_anchor_need_not_be_self_signed() -> None:
    policy = TrustPolicy(anchors=(pki.ap_ca(),))
    result = policy.validate(pki.ap_key("c3").certificate, at=NOW)
    assert result.path == (pki.ap_key("c3").certificate, pki.ap_ca())
    # ...and does not trust its siblings under the same root.
    assert _rule(policy, pki.smp_key()) == "cert:untrusted"


def test_a_pinned_leaf_is_trusted_alone() -> None:
    leaf = pki.ap_key("c2").certificate
    policy = TrustPolicy(anchors=(leaf,))
    assert policy.validate(leaf, at=NOW).path == (leaf,)
    assert _rule(policy, pki.ap_key("c3")) == "cert:untrusted"


def test_wrong_ca_and_no_anchors() -> None:
    impostor = pki.wrong_ca_key()  # same CN as ap-c2, unrelated CA
    assert _rule(pki.peppol_trust(), impostor) == "cert:untrusted"
    assert _rule(TrustPolicy(anchors=()), pki.ap_key("c2")) == "cert:untrusted"
    # A forged certificate naming the right issuer but signed by another key.
    make = pki.factory()
    forged = make.issue(
        subject=make.make_name("POP000001"),
        serial=0x9001,
        issuer=make.Issued(key=pki.ca_issued("other-root-ca").key, cert=pki.ap_ca()),
        key=pki.spare_key(),
    )
    assert forged.cert.issuer == pki.ap_ca().subject
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(forged.cert, at=NOW)
    assert err.value.rule == "cert:untrusted"


def test_expired_and_not_yet_valid() -> None:
    assert _rule(pki.peppol_trust(), pki.expired_key()) == "cert:expired"
    assert pki.peppol_trust().validate(
        pki.expired_key().certificate, at=datetime(2021, 1, 1, tzinfo=UTC)
    )
    assert _rule(pki.peppol_trust(), pki.ap_key("c2"), at=datetime(2023, 12, 31, tzinfo=UTC)) == (
        "cert:not-yet-valid"
    )
    assert _rule(pki.peppol_trust(), pki.ap_key("c2"), at=datetime(2050, 6, 1, tzinfo=UTC)) == (
        "cert:expired"
    )
    with pytest.raises(UsageError):
        pki.peppol_trust().validate(pki.ap_key("c2").certificate, at=datetime(2026, 1, 1))


def test_an_expired_intermediate_fails_the_leaf() -> None:
    make = pki.factory()
    old_ca = make.issue(
        subject=make.make_name("Short-lived TEST CA"),
        serial=0x9002,
        issuer=pki.ca_issued("root-ca"),
        key=pki.spare_key(),
        ca=True,
        path_length=0,
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2022, 1, 1, tzinfo=UTC),
    )
    leaf = make.issue(subject=make.make_name("POP009003"), serial=0x9003, issuer=old_ca)
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(leaf.cert, chain=[old_ca.cert], at=NOW)
    assert err.value.rule == "cert:expired" and "Short-lived" in str(err.value)


def test_a_non_ca_certificate_cannot_issue() -> None:
    make = pki.factory()
    not_a_ca = pki.ap_key("c2")
    issued = make.issue(
        subject=make.make_name("POP009004"),
        serial=0x9004,
        issuer=make.Issued(key=not_a_ca.key, cert=not_a_ca.certificate),
        key=pki.spare_key(),
    )
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(issued.cert, chain=[not_a_ca.certificate], at=NOW)
    assert err.value.rule == "cert:not-a-ca"


def test_a_ca_without_key_cert_sign_cannot_issue() -> None:
    make = pki.factory()
    ca = make.issue(
        subject=make.make_name("No keyCertSign TEST CA"),
        serial=0x9005,
        issuer=pki.ca_issued("root-ca"),
        key=pki.spare_key(),
        ca=True,
        key_usage=frozenset({"crl_sign"}),
    )
    leaf = make.issue(subject=make.make_name("POP009006"), serial=0x9006, issuer=ca)
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(leaf.cert, chain=[ca.cert], at=NOW)
    assert err.value.rule == "cert:key-usage"


def test_path_length_constraint() -> None:
    # ap-ca has pathLenConstraint 0: a sub-CA below it may not issue.
    make = pki.factory()
    sub_ca = make.issue(
        subject=make.make_name("Sub TEST CA"),
        serial=0x9007,
        issuer=pki.ca_issued("ap-ca"),
        key=pki.spare_key(),
        ca=True,
    )
    leaf = make.issue(subject=make.make_name("POP009008"), serial=0x9008, issuer=sub_ca)
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(leaf.cert, chain=[sub_ca.cert], at=NOW)
    assert err.value.rule == "cert:path-length"


def test_unknown_critical_extension_is_refused() -> None:
    make = pki.factory()
    issued = make.issue(subject=make.make_name("POP009009"), serial=0x9009, key=pki.spare_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(issued.cert.subject)
        .issuer_name(pki.ap_ca().subject)
        .public_key(pki.spare_key().public_key())
        .serial_number(0x9009)
        .not_valid_before(make.LEAF_FROM)
        .not_valid_after(make.LEAF_UNTIL)
        .add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"),
            critical=True,
        )
    )
    cert = builder.sign(pki.ca_issued("ap-ca").key, hashes.SHA256())
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(cert, at=NOW)
    assert err.value.rule == "cert:critical-extension"


def test_malformed_extensions_give_a_certificate_error() -> None:
    def duplicate_basic_constraints(tbs: Any) -> None:
        extensions = tbs["extensions"]
        extensions.append(extensions[0])

    cert = pki.resign(
        pki.issue_leaf("POP009012", serial=0x9012).certificate,
        "ap-ca",
        edit=duplicate_basic_constraints,
    )
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(cert, at=NOW)
    assert err.value.rule == "cert:malformed"


def test_required_key_usage() -> None:
    signer = pki.maskinporten_key()  # digitalSignature only
    policy = pki.business_trust()
    assert policy.with_key_usage(KeyUsage.DIGITAL_SIGNATURE).validate(signer.certificate, at=NOW)
    assert _rule(policy.with_key_usage(KeyUsage.KEY_ENCIPHERMENT), signer) == "cert:key-usage"
    both = policy.with_key_usage(KeyUsage.KEY_ENCIPHERMENT, KeyUsage.CONTENT_COMMITMENT)
    assert both.validate(pki.business_key("digipost").certificate, at=NOW)


def test_sha1_signed_certificates_only_when_allowed() -> None:
    cert = pki.resign(pki.issue_leaf("POP009010", serial=0x9010).certificate, "ap-ca", sha1=True)
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA1)
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(cert, at=NOW)
    assert err.value.rule == "cert:sha1"
    assert pki.peppol_trust(allow_sha1=True).validate(cert, at=NOW).path[1] == pki.ap_ca()


class _Answers:
    """A RevocationChecker that answers from a table and records what it was asked."""

    def __init__(self, status: RevocationStatus) -> None:
        self.answer = status
        self.asked: list[tuple[str, str]] = []

    def status(
        self, cert: x509.Certificate, issuer: x509.Certificate, at: datetime
    ) -> RevocationStatus:
        self.asked.append((cert.subject.rfc4514_string(), issuer.subject.rfc4514_string()))
        return self.answer


def test_revocation_modes_with_an_injected_checker() -> None:
    leaf = pki.issue_leaf("POP009011", serial=0x9011, crl_url="http://127.0.0.1:9/x.crl")
    revoked = _Answers(RevocationStatus.REVOKED)
    assert _rule(pki.peppol_trust(revocation_checker=revoked), leaf) == "cert:revoked"
    assert revoked.asked == [
        (leaf.certificate.subject.rfc4514_string(), pki.ap_ca().subject.rfc4514_string())
    ]  # the CAs name no location: only the leaf is asked about
    off = pki.peppol_trust(revocation=RevocationMode.OFF, revocation_checker=revoked)
    assert not off.validate(leaf.certificate, at=NOW).revocation_checked
    good = pki.peppol_trust(revocation_checker=_Answers(RevocationStatus.GOOD))
    assert good.validate(leaf.certificate, at=NOW).revocation_checked
    unreachable = _Answers(RevocationStatus.UNREACHABLE)
    assert _rule(pki.peppol_trust(revocation_checker=unreachable), leaf) == (
        "cert:revocation-unavailable"
    )
    soft = pki.peppol_trust(revocation=RevocationMode.SOFT, revocation_checker=unreachable)
    assert soft.validate(leaf.certificate, at=NOW).warnings
    with pytest.raises(UsageError):
        TrustPolicy(anchors=(pki.root_ca(),), revocation="off")  # type: ignore[arg-type]


# -- the real Peppol PKI ----------------------------------------------------------------------


def _g3(shared: Path, name: str) -> x509.Certificate:
    return load_certificate((shared / "peppol/pki" / f"{name}.pem").read_bytes())


@pytest.mark.parametrize("kind", ["", "TEST_"])
def test_peppol_g3_cas_load_and_chain_to_their_root(shared: Path, kind: str) -> None:
    root = _g3(shared, f"PEPPOL_Root_{kind}CA-G3")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    # The G3 CAs name CRL locations: offline here, so revocation is off.
    policy = TrustPolicy(anchors=(root,), revocation=RevocationMode.OFF)
    for ca in ("ACCESS_POINT", "SERVICE_METADATA_PUBLISHER"):
        cert = _g3(shared, f"PEPPOL_{ca}_{kind}CA-G3")
        assert policy.validate(cert, at=at).path == (cert, root)
    other_root = _g3(shared, f"PEPPOL_Root_{'TEST_' if not kind else ''}CA-G3")
    with pytest.raises(CertificateError) as err:  # production and test never mix
        TrustPolicy(anchors=(other_root,), revocation=RevocationMode.OFF).validate(
            _g3(shared, f"PEPPOL_ACCESS_POINT_{kind}CA-G3"), at=at
        )
    assert err.value.rule == "cert:untrusted"


def test_real_expired_peppol_ap_certificate(shared: Path) -> None:
    p12 = load_pkcs12(
        (shared / "peppol/keys/peppol-expired-ap-cert-pw-peppol.p12").read_bytes(), b"peppol"
    )
    leaf, (ap_ca, root) = p12.certificate, p12.chain
    valid_then = datetime(2020, 6, 1, tzinfo=UTC)
    # Its CA as the anchor, as in a Peppol trust store; revocation off at a past instant.
    policy = TrustPolicy(anchors=(ap_ca,), revocation=RevocationMode.OFF)
    result = policy.validate(leaf, at=valid_then)
    assert result.path == (leaf, ap_ca)
    assert TrustPolicy(anchors=(root,), revocation=RevocationMode.OFF).validate(
        leaf, chain=[ap_ca], at=valid_then
    ).path == (leaf, ap_ca, root)
    with pytest.raises(CertificateError) as err:
        policy.validate(leaf, at=NOW)
    assert err.value.rule == "cert:expired"
    # It names a CRL and an OCSP responder: without a checker, REQUIRE cannot pass it.
    with pytest.raises(CertificateError) as err:
        TrustPolicy(anchors=(ap_ca,)).validate(leaf, at=valid_then)
    assert err.value.rule == "cert:revocation-unavailable"
    # G2 does not chain to G3.
    with pytest.raises(CertificateError):
        TrustPolicy(anchors=(_g3(shared, "PEPPOL_Root_TEST_CA-G3"),)).validate(leaf, at=valid_then)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_agrees_on_the_g3_test_chain(shared: Path) -> None:
    done = subprocess.run(
        [
            "openssl", "verify", "-attime", str(int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())),
            "-CAfile", str(shared / "peppol/pki/PEPPOL_Root_TEST_CA-G3.pem"),
            str(shared / "peppol/pki/PEPPOL_ACCESS_POINT_TEST_CA-G3.pem"),
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

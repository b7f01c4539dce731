"""The committed test PKI is what fixtures/pki/README.md says it is (checked with openssl too)."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from datetime import UTC, datetime

import pki
import pytest
import requests
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from peppol_dpi.errors import CertificateError
from peppol_dpi.keys import load_pkcs12
from peppol_dpi.trust import RevocationMode

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LEAVES = [
    "ap-c2",
    "ap-c3",
    "smp",
    "tls-localhost",
    *pki.BUSINESS_PARTIES,
    "maskinporten",
    "expired",
    "revoked",
    "wrong-ca",
]


def _cn(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


@pytest.mark.parametrize("stem", LEAVES)
def test_pkcs12_holds_the_same_key_certificate_and_chain(stem: str) -> None:
    from_p12 = load_pkcs12(pki.path(f"{stem}.p12").read_bytes(), pki.PASSWORD)
    from_pem = pki.key(stem)
    assert from_p12.certificate == from_pem.certificate
    assert from_p12.key.private_numbers() == from_pem.key.private_numbers()
    assert set(from_p12.chain) == set(from_pem.chain)
    assert from_pem.chain[-1].issuer == from_pem.chain[-1].subject  # runs up to a root


def test_access_points_carry_seat_ids_and_the_peppol_ap_profile() -> None:
    for corner, seat in (("c2", "POP000001"), ("c3", "POP000002")):
        cert = pki.ap_key(corner).certificate
        assert _cn(cert) == seat
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical and usage.value.digital_signature and usage.value.key_encipherment
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
        assert pki.peppol_trust().validate(cert, at=NOW).path == (cert, pki.ap_ca(), pki.root_ca())


def test_smp_and_business_certificates_chain_to_their_own_roots() -> None:
    smp = pki.smp_key().certificate
    assert pki.peppol_trust().validate(smp, at=NOW).path[1] == pki.smp_ca()
    for party in pki.BUSINESS_PARTIES:
        cert = pki.business_key(party).certificate
        assert pki.business_trust().validate(cert, at=NOW).anchor == pki.business_root_ca()
        with pytest.raises(CertificateError) as err:
            pki.peppol_trust().validate(cert, at=NOW)
        assert err.value.rule == "cert:untrusted"
    assert pki.business_trust().validate(pki.maskinporten_key().certificate, at=NOW)


def test_negative_certificates_fail_for_their_reason() -> None:
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(pki.expired_key().certificate, at=NOW)
    assert err.value.rule == "cert:expired"
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(pki.wrong_ca_key().certificate, at=NOW)
    assert err.value.rule == "cert:untrusted"
    assert _cn(pki.wrong_ca_key().certificate) == "POP000001"
    revoked = pki.revoked_key().certificate
    entry = pki.ap_crl().get_revoked_certificate_by_serial_number(revoked.serial_number)
    assert entry is not None
    assert pki.ap_crl().is_signature_valid(pki.ap_ca().public_key())
    # It names a CRL location that cannot be reached: REQUIRE without a checker refuses it.
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(revoked, at=NOW)
    assert err.value.rule == "cert:revocation-unavailable"
    assert pki.peppol_trust(revocation=RevocationMode.SOFT).validate(revoked, at=NOW).warnings


def test_tls_certificate_names_localhost() -> None:
    cert = pki.tls_key().certificate
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_issue_leaf_makes_certificates_under_the_committed_cas() -> None:
    made = pki.issue_leaf("POP000777", serial=0x7777, crl_url="http://127.0.0.1:1/x.crl")
    assert made.chain == (pki.ap_ca(), pki.root_ca())
    policy = pki.peppol_trust(revocation=RevocationMode.OFF)
    assert policy.validate(made.certificate, at=NOW).anchor == pki.root_ca()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_agrees_on_chains_and_the_crl() -> None:
    def verify(stem: str, root: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "openssl",
                "verify",
                "-attime",
                str(int(NOW.timestamp())),
                "-CAfile",
                str(pki.path(f"{root}.cert.pem")),
                "-untrusted",
                str(pki.path(f"{stem}.chain.pem")),
                *extra,
                str(pki.path(f"{stem}.cert.pem")),
            ],
            capture_output=True,
            text=True,
        )

    for stem in ("ap-c2", "ap-c3", "smp", "tls-localhost"):
        assert verify(stem, "root-ca").returncode == 0, stem
    for party in (*pki.BUSINESS_PARTIES, "maskinporten"):
        assert verify(party, "business-root-ca").returncode == 0, party
    assert verify("expired", "root-ca").returncode != 0
    assert verify("wrong-ca", "root-ca").returncode != 0
    crl = ["-crl_check", "-CRLfile", str(pki.path("ap-ca.crl.pem"))]
    assert verify("ap-c2", "root-ca", *crl).returncode == 0
    revoked = verify("revoked", "root-ca", *crl)
    assert revoked.returncode != 0 and "revoked" in revoked.stdout + revoked.stderr


def test_tls_certificate_serves_https_on_loopback() -> None:
    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*pki.tls_files())
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with requests.Session() as session:
            session.trust_env = False
            for host in ("localhost", "127.0.0.1"):
                answer = session.get(
                    f"https://{host}:{port}/", verify=str(pki.path("root-ca.cert.pem")), timeout=10
                )
                assert answer.content == b"hello"
            with pytest.raises(requests.exceptions.SSLError):  # not trusted without the root
                session.get(
                    f"https://localhost:{port}/",
                    verify=str(pki.path("business-root-ca.cert.pem")),
                    timeout=10,
                )
    finally:
        server.shutdown()
        server.server_close()

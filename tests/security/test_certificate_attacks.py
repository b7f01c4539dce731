"""Certificates from the wire (docs/security.md, section "Certificates").

``cryptography`` parses a certificate's names, extensions and key lazily, so a certificate that
loads may still raise ValueError, TypeError or DuplicateExtension on first use: inside a
validator, a revocation lookup or a log line. The fuzzer (tests/fuzz/fuzz_certificate.py)
found three such certificates; they are kept in tests/fuzz/regressions/certificate/ and must
be refused where they enter.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pki
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from peppol_dpi import ns
from peppol_dpi.errors import CertificateError, SignatureError
from peppol_dpi.keys import KeyFileError, load_certificates
from peppol_dpi.keystore import load_trust_store
from peppol_dpi.trust import RevocationMode
from peppol_dpi.xmldsig import certificates_in
from peppol_dpi.xmlparse import parse_xml

FOUND = Path(__file__).resolve().parents[1] / "fuzz" / "regressions" / "certificate"
NAMES = [*sorted(p.name for p in FOUND.glob("*.der")), "version-4"]


def _der(name: str) -> bytes:
    if name == "version-4":
        # found by fuzz_jks: cryptography raises x509.InvalidVersion (no ValueError) at load
        der = pki.root_ca().public_bytes(Encoding.DER)
        assert der.count(b"\xa0\x03\x02\x01\x02") == 1  # [0] EXPLICIT Version v3 (2)
        return der.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x03")
    return (FOUND / name).read_bytes()


def _pem(der: bytes) -> bytes:
    return (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    )


def test_the_found_certificates_are_there() -> None:
    assert len(NAMES) >= 4


@pytest.mark.parametrize("name", NAMES)
def test_lazily_broken_certificates_are_refused_where_they_enter(name: str) -> None:
    der = _der(name)
    for data in (der, _pem(der)):
        with pytest.raises(KeyFileError) as err:
            load_certificates(data)
        assert err.value.rule == "keys:certificate"
    with pytest.raises(KeyFileError):
        load_trust_store(der)
    signature = parse_xml(
        f'<ds:Signature xmlns:ds="{ns.DS}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{base64.b64encode(der).decode()}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</ds:Signature>".encode()
    )
    with pytest.raises(SignatureError) as dsig_err:
        certificates_in(signature)
    assert dsig_err.value.rule == "dsig:malformed"


@pytest.mark.parametrize("name", NAMES[:-1])  # version 4 does not even load
def test_trust_policy_refuses_them_even_when_loaded_elsewhere(name: str) -> None:
    # A caller that loaded the certificate with cryptography directly still gets an InputError.
    cert = x509.load_der_x509_certificate(_der(name))
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust(revocation=RevocationMode.OFF).validate(cert, chain=(pki.ap_ca(),))
    assert err.value.rule == "cert:malformed"


def test_a_readable_certificate_is_unaffected() -> None:
    der = pki.ap_key("c2").certificate.public_bytes(Encoding.DER)
    assert load_certificates(der) == [pki.ap_key("c2").certificate]

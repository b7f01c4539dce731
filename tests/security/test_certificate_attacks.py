"""Certificates from the wire (docs/security.md, section "Certificates").

``cryptography`` parses a certificate's names, extensions and key lazily, so a certificate that
loads may still raise ValueError, TypeError or DuplicateExtension on first use: inside a
validator, a revocation lookup or a log line. The fuzzer (tests/fuzz/fuzz_certificate.py)
found three such certificates; they are kept in tests/fuzz/regressions/certificate/ and must
be refused where they enter.
"""

from __future__ import annotations

import base64
import warnings
from pathlib import Path

import pki
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from peppol_dpi import keys, ns
from peppol_dpi.errors import CertificateError, SignatureError
from peppol_dpi.keys import KeyFileError, certificate_from_der, load_certificates
from peppol_dpi.keystore import load_trust_store
from peppol_dpi.lookup.errors import SmpError
from peppol_dpi.lookup.smp_xml import parse_certificate
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
    # An SMP answer's endpoint certificate enters the same way (it used to be loaded as is).
    with pytest.raises(SmpError) as smp_err:
        parse_certificate(base64.b64encode(der).decode())
    assert smp_err.value.rule == "smp:bad-certificate"


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


@pytest.mark.parametrize("serial", ["negative", "zero"])
def test_a_serial_number_that_is_not_positive_is_refused_without_a_warning(serial: str) -> None:
    # RFC 5280 4.1.2.2: a positive integer. cryptography loads others with a deprecation
    # warning for now (it will refuse them later): refused here, whatever its version.
    cert = pki.ap_key("c2").certificate
    der = cert.public_bytes(Encoding.DER)
    octets = keys._serial_number_octets(der)
    assert octets is not None
    assert int.from_bytes(octets, "big", signed=True) == cert.serial_number
    at = der.index(bytes([0x02, len(octets)]) + octets) + 2
    bad = b"\x80" + octets[1:] if serial == "negative" else bytes(len(octets))
    bad_der = der[:at] + bad + der[at + len(octets) :]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CertificateError) as err:
            certificate_from_der(bad_der)
        with pytest.raises(KeyFileError) as file_err:
            load_certificates(bad_der)
    assert err.value.rule == "cert:malformed" and "RFC 5280" in err.value.message
    assert file_err.value.rule == "keys:certificate" and "RFC 5280" in file_err.value.message


@pytest.mark.parametrize(
    ("der", "octets"),
    [
        (b"\x30\x0a\x30\x08\xa0\x03\x02\x01\x02\x02\x01\x07", b"\x07"),  # v3: [0] version first
        (b"\x30\x05\x30\x03\x02\x01\x07", b"\x07"),  # v1: no version
        (b"\x30\x81\x06\x30\x82\x00\x03\x02\x01\x09", b"\x09"),  # long-form lengths
        (b"\x30\x05\x30\x03\x04\x01\x07", None),  # not an INTEGER there
        (b"\x31\x05\x30\x03\x02\x01\x07", None),  # not a SEQUENCE
        (b"\x30\x05\x30", None),  # truncated
        (b"\x30\x85\x01", None),  # a length beyond the data
        (b"", None),
    ],
    ids=[
        "v3",
        "v1",
        "long lengths",
        "not an integer",
        "not a sequence",
        "truncated",
        "too long",
        "empty",
    ],
)
def test_the_serial_number_is_found_where_rfc_5280_puts_it(
    der: bytes, octets: bytes | None
) -> None:
    assert keys._serial_number_octets(der) == octets


def test_a_pkcs12_file_holding_a_lazily_broken_certificate_is_refused_where_it_enters() -> None:
    # OpenSSL's PKCS#12 reader passes this one (its CRL distribution points cannot be decoded)
    # and cryptography hands it over undecoded: it raised later, inside TrustPolicy.validate.
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    from peppol_dpi.keystore import load_key_file

    broken = x509.load_der_x509_certificate(_der("bad-crl-distribution-points.der"))
    encryption = BestAvailableEncryption(b"changeit")
    store = pkcs12.serialize_key_and_certificates(b"t", None, None, [broken], encryption)
    with pytest.raises(KeyFileError) as caught:
        load_trust_store(store, b"changeit")
    assert caught.value.rule == "keys:certificate"
    key = pki.ap_key("c2")
    for chain in ([broken], []):
        bundle = pkcs12.serialize_key_and_certificates(
            b"k", key.key, key.certificate, chain, encryption
        )
        if chain:
            with pytest.raises(KeyFileError) as caught:
                load_key_file(bundle, b"changeit")
            assert caught.value.rule == "keys:certificate"
        else:  # the control: the same key file without it
            assert load_key_file(bundle, b"changeit").certificate == key.certificate

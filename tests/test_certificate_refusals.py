"""Refusals of certificates, trust paths and key files no other test drove: certificates broken
after signing, signatures the validator cannot check, PKCS#12, PEM and JKS files. Each crafted
bad input is held to the exact error class and rule."""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pki
import pytest
from asn1crypto import core as asn1_core
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from peppol_dpi.errors import CertificateError, EbmsError, SignatureError, UsageError
from peppol_dpi.keys import (
    KeyFileError,
    LocalPrivateKey,
    load_certificate,
    load_pkcs12,
    load_private_key,
    rsa_public_key,
)
from peppol_dpi.keystore import load_jks, load_key_file, load_trust_store
from peppol_dpi.lookup.smp_verify import verify_service_metadata
from peppol_dpi.trust import KeyUsage, TrustPolicy

#: The instant every check runs at, and every CRL and OCSP answer is dated around.
NOW = datetime(2030, 1, 1, tzinfo=UTC)
UNKNOWN_OID = "1.3.6.1.4.1.99999.7"


# -- certificates broken after signing -------------------------------------------------------


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _unknown_key_algorithm(tbs: Any) -> None:
    tbs["subject_public_key_info"]["algorithm"]["algorithm"] = UNKNOWN_OID


@cache
@cache
def _ap_ca_with_unreadable_key() -> x509.Certificate:
    return pki.resign(pki.ap_ca(), "root-ca", edit=_unknown_key_algorithm)


@cache
def _ap_ca_with_unknown_signature_algorithm() -> x509.Certificate:
    parsed = asn1_x509.Certificate.load(_der(pki.ap_ca()))
    parsed["signature_algorithm"] = asn1_x509.SignedDigestAlgorithm({"algorithm": UNKNOWN_OID})
    return x509.load_der_x509_certificate(parsed.dump(force=True))


@cache
def _ec_key(number: int) -> ec.EllipticCurvePrivateKey:
    """EC key number ``number``: a new one per number, the same one on every call."""
    return ec.generate_private_key(ec.SECP256R1())


@cache
def _ec_ca() -> x509.Certificate:
    make = pki.factory()
    cert: x509.Certificate = make.issue(
        subject=make.make_name("ECDSA TEST CA"),
        serial=0xB101,
        key=_ec_key(0),
        ca=True,
        not_before=make.CA_FROM,
        not_after=make.CA_UNTIL,
    ).cert
    return cert


def _ec_leaf(ca_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    make = pki.factory()
    cert: x509.Certificate = make.issue(
        subject=make.make_name("POP00B102"),
        serial=0xB102,
        issuer=make.Issued(key=ca_key, cert=_ec_ca()),
        key=_ec_key(2),
    ).cert
    return cert


def _ed25519_ca(name: x509.Name) -> x509.Certificate:
    key = ed25519.Ed25519PrivateKey.generate()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0xB103)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2049, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, None)
    )


def _rule(policy: TrustPolicy, leaf: x509.Certificate, chain: tuple[x509.Certificate, ...]) -> str:
    with pytest.raises(CertificateError) as err:
        policy.validate(leaf, chain=chain, at=NOW)
    assert err.value.ebms_code is EbmsError.FAILED_AUTHENTICATION
    return err.value.rule


# -- trust: signatures the validator cannot check --------------------------------------------


def test_a_leaf_with_an_eddsa_signature_under_an_rsa_ca_is_untrusted() -> None:
    # verify_signature without a hash (Ed25519 has none) answers False, not a TypeError that
    # would surface as cert:malformed.
    leaf = (
        x509.CertificateBuilder()
        .subject_name(pki.factory().make_name("POP00B104"))
        .issuer_name(pki.ap_ca().subject)
        .public_key(pki.ap_key("c2").key.public_key())
        .serial_number(0xB104)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2049, 1, 1, tzinfo=UTC))
        .sign(ed25519.Ed25519PrivateKey.generate(), None)
    )
    assert _rule(pki.peppol_trust(), leaf, ()) == "cert:untrusted"


def test_an_intermediate_whose_key_cannot_be_read_does_not_issue() -> None:
    # Policy intermediates are not decoded up front: their unreadable key must mean "did not
    # sign", not an exception.
    policy = TrustPolicy(anchors=(pki.root_ca(),), intermediates=(_ap_ca_with_unreadable_key(),))
    assert _rule(policy, pki.ap_key("c2").certificate, ()) == "cert:untrusted"


def test_an_intermediate_with_an_unknown_signature_algorithm_is_not_issued_by_the_root() -> None:
    policy = TrustPolicy(
        anchors=(pki.root_ca(),), intermediates=(_ap_ca_with_unknown_signature_algorithm(),)
    )
    assert _rule(policy, pki.ap_key("c2").certificate, ()) == "cert:untrusted"


def test_an_anchor_with_a_key_neither_rsa_nor_ec_verifies_nothing() -> None:
    # Same name as the AP CA, an Ed25519 key: the RSA-signed AP certificate is not its work.
    policy = TrustPolicy(anchors=(_ed25519_ca(pki.ap_ca().subject),))
    assert _rule(policy, pki.ap_key("c2").certificate, ()) == "cert:untrusted"


def test_an_ecdsa_ca_is_verified_with_ecdsa() -> None:
    policy = TrustPolicy(anchors=(_ec_ca(),))
    leaf = _ec_leaf(_ec_key(0))
    assert policy.validate(leaf, at=NOW).path == (leaf, _ec_ca())
    # The same names signed by another EC key: the ECDSA signature does not verify.
    assert _rule(policy, _ec_leaf(_ec_key(1)), ()) == "cert:untrusted"


def test_an_intermediate_without_basic_constraints_is_not_a_ca() -> None:
    # RFC 5280 6.1.4 (k): the issuing certificate must say it is a CA.
    leaf = pki.ap_key("c2").certificate
    policy = TrustPolicy(anchors=(pki.root_ca(),))
    assert _rule(policy, leaf, (pki.ap_ca_without("basic_constraints"),)) == "cert:not-a-ca"


def test_an_intermediate_without_key_usage_may_issue() -> None:
    # RFC 5280 4.2.1.3: without the extension the key is not restricted.
    leaf = pki.ap_key("c2").certificate
    intermediate = pki.ap_ca_without("key_usage")
    result = TrustPolicy(anchors=(pki.root_ca(),)).validate(leaf, chain=(intermediate,), at=NOW)
    assert result.path == (leaf, intermediate, pki.root_ca())


def test_a_leaf_without_key_usage_meets_any_required_usage() -> None:
    # RFC 5280 4.2.1.3: without the extension the key is not restricted.
    leaf = pki.resign(
        pki.ap_key("c2").certificate, "ap-ca", edit=pki.without_extension("key_usage")
    )
    policy = pki.peppol_trust().with_key_usage(
        KeyUsage.KEY_ENCIPHERMENT, KeyUsage.DATA_ENCIPHERMENT
    )
    assert policy.validate(leaf, at=NOW, chain=()).path == (leaf, pki.ap_ca(), pki.root_ca())


# -- keys and certificates -------------------------------------------------------------------


def test_a_local_key_must_be_rsa() -> None:
    key = _ec_key(0)
    with pytest.raises(UsageError, match="only RSA keys"):
        LocalPrivateKey(key=key, certificate=_ec_ca())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "certificate",
    [
        pytest.param(lambda: pki.ap_key("c3").certificate, id="another-key"),
        pytest.param(
            lambda: pki.resign(pki.ap_key("c2").certificate, "ap-ca", edit=_unknown_key_algorithm),
            id="unreadable-key",
        ),
    ],
)
def test_a_local_key_refuses_a_certificate_that_is_not_its_own(
    certificate: Callable[[], x509.Certificate],
) -> None:
    with pytest.raises(UsageError, match="does not belong to the private key"):
        LocalPrivateKey(key=pki.ap_key("c2").key, certificate=certificate())


def test_load_certificate_wants_exactly_one() -> None:
    with pytest.raises(KeyFileError) as err:
        load_certificate(pki.path("ap-c2.chain.pem").read_bytes())
    assert (err.value.rule, err.value.ebms_code) == ("keys:certificate", None)
    assert "found 3" in err.value.message


def test_load_private_key_reads_der_and_refuses_what_is_not_a_key() -> None:
    key = pki.ap_key("c2").key
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert load_private_key(der).private_numbers() == key.private_numbers()
    with pytest.raises(KeyFileError) as err:
        load_private_key(der[: len(der) // 2])
    assert (err.value.rule, err.value.ebms_code) == ("keys:private-key", None)


def _p12(key: Any, cert: x509.Certificate | None, cas: list[x509.Certificate]) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"x", key, cert, cas or None, serialization.NoEncryption()
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        # OpenSSL pairs the key with the certificate that matches it: a key with only
        # somebody else's certificate comes back without a certificate.
        pytest.param(
            lambda: _p12(pki.ap_key("c2").key, None, [pki.ap_key("c3").certificate]),
            "holds no key with a certificate",
            id="key-with-another-certificate",
        ),
        pytest.param(
            lambda: _p12(None, None, [pki.ap_key("c2").certificate]),
            "holds no key with a certificate",
            id="certificates-only",
        ),
        pytest.param(lambda: _p12(_ec_key(0), _ec_ca(), []), "only RSA private keys", id="ec-key"),
    ],
)
def test_pkcs12_files_without_a_usable_rsa_key_are_refused(
    make: Callable[[], bytes], message: str
) -> None:
    with pytest.raises(KeyFileError) as err:
        load_pkcs12(make(), None)
    assert (err.value.rule, err.value.ebms_code) == ("keys:pkcs12", None)
    assert message in err.value.message


def test_rsa_public_key_refuses_a_key_it_cannot_read() -> None:
    # Called directly: the verifiers take certificates through certificate_from_der, which
    # decodes the key first and refuses this one as cert:malformed.
    cert = pki.resign(pki.ap_key("c2").certificate, "ap-ca", edit=_unknown_key_algorithm)
    with pytest.raises(SignatureError) as err:
        rsa_public_key(cert)
    assert (err.value.rule, err.value.ebms_code) == (
        "keys:public-key",
        EbmsError.FAILED_AUTHENTICATION,
    )


def test_an_smp_signature_by_an_ec_certificate_is_refused(shared: Path) -> None:
    data = (shared / "peppol/smp/signed-service-metadata2.xml").read_bytes()
    ec_cert = base64.b64encode(_der(_ec_ca()))
    swapped, count = re.subn(rb"(X509Certificate>)[^<]+(</)", rb"\1" + ec_cert + rb"\2", data)
    assert count == 1
    with pytest.raises(SignatureError) as err:
        verify_service_metadata(swapped, trust=None, allow_sha1=True)
    assert (err.value.rule, err.value.ebms_code) == (
        "keys:not-rsa",
        EbmsError.FAILED_AUTHENTICATION,
    )


# -- Java KeyStores --------------------------------------------------------------------------

PASSWORD = b"pw"
_KEY_PROTECTOR = "1.3.6.1.4.1.42.2.17.1.1"


def _java(password: bytes) -> bytes:
    return password.decode().encode("utf-16-be")


def _protected(encrypted: bytes) -> bytes:
    info = asn1_keys.EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": {"algorithm": _KEY_PROTECTOR, "parameters": asn1_core.Null()},
            "encrypted_data": encrypted,
        }
    )
    return bytes(info.dump())


def _protect(plaintext: bytes) -> bytes:
    """``plaintext`` protected as sun.security.provider.KeyProtector does, under PASSWORD."""
    password, salt = _java(PASSWORD), bytes(range(20))
    stream, block = b"", salt
    while len(stream) < len(plaintext):
        block = hashlib.sha1(password + block).digest()
        stream += block
    ciphertext = bytes(a ^ b for a, b in zip(plaintext, stream, strict=False))
    return _protected(salt + ciphertext + hashlib.sha1(password + plaintext).digest())


def _pkcs8(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _x509(cert: x509.Certificate) -> bytes:
    der = _der(cert)
    return struct.pack(">H", 5) + b"X.509" + struct.pack(">I", len(der)) + der


def _key_entry(alias: str, protected: bytes, chain: tuple[x509.Certificate, ...]) -> bytes:
    name = alias.encode()
    head = struct.pack(">IH", 1, len(name)) + name + struct.pack(">QI", 0, len(protected))
    return head + protected + struct.pack(">I", len(chain)) + b"".join(map(_x509, chain))


def _trusted_entry(alias: str, cert: x509.Certificate) -> bytes:
    name = alias.encode()
    return struct.pack(">IH", 2, len(name)) + name + struct.pack(">Q", 0) + _x509(cert)


def _jks(*entries: bytes) -> bytes:
    """A version 2 keystore with a correct integrity digest under PASSWORD."""
    body = b"\xfe\xed\xfe\xed" + struct.pack(">II", 2, len(entries)) + b"".join(entries)
    return body + hashlib.sha1(_java(PASSWORD) + b"Mighty Aphrodite" + body).digest()


def _ap_c2_entry(alias: str = "ap") -> bytes:
    key = pki.ap_key("c2")
    return _key_entry(alias, _protect(_pkcs8(key.key)), (key.certificate, *key.chain))


def test_a_keystore_made_here_loads() -> None:
    # The control for the keystore refusals below: the same construction, nothing broken.
    loaded = load_jks(_jks(_ap_c2_entry()), PASSWORD)
    assert loaded.key.private_numbers() == pki.ap_key("c2").key.private_numbers()
    assert loaded.chain == pki.ap_key("c2").chain


@pytest.mark.parametrize(
    ("protected", "message"),
    [
        pytest.param(lambda: _protect(b"not a PKCS#8 key"), "is not a PKCS#8 key", id="not-pkcs8"),
        pytest.param(lambda: _protect(_pkcs8(_ec_key(0))), "only RSA", id="ec-key"),
        pytest.param(lambda: _protected(bytes(39)), "protected key too short", id="too-short"),
    ],
)
def test_keystore_keys_that_open_to_no_rsa_key_are_refused(
    protected: Callable[[], bytes], message: str
) -> None:
    data = _jks(_key_entry("k", protected(), (pki.root_ca(),)))
    with pytest.raises(KeyFileError) as err:
        load_jks(data, PASSWORD)
    assert (err.value.rule, err.value.ebms_code) == ("keys:jks", None)
    assert message in err.value.message


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param(lambda: (_trusted_entry("root", pki.root_ca()),), id="none"),
        pytest.param(lambda: (_ap_c2_entry("one"), _ap_c2_entry("two")), id="two"),
    ],
)
def test_a_keystore_without_exactly_one_key_needs_an_alias(
    entries: Callable[[], tuple[bytes, ...]],
) -> None:
    with pytest.raises(KeyFileError) as err:
        load_jks(_jks(*entries()), PASSWORD)
    assert (err.value.rule, err.value.ebms_code) == ("keys:jks-alias", None)


@pytest.mark.parametrize("magic", [b"\xfe\xed\xfe\xed", b"\xce\xce\xce\xce"], ids=["jks", "jceks"])
def test_a_java_keystore_without_a_password_is_a_usage_error(magic: bytes) -> None:
    data = magic + _jks(_ap_c2_entry())[4:]
    with pytest.raises(UsageError, match="JKS keystore needs its password"):
        load_key_file(data)
    with pytest.raises(UsageError, match="JKS trust store needs its password"):
        load_trust_store(data)


def test_a_keystore_password_must_be_utf8() -> None:
    with pytest.raises(UsageError, match="must be UTF-8 text"):
        load_trust_store(_jks(_trusted_entry("root", pki.root_ca())), b"\xff\xfe")

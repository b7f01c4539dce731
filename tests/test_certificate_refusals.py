"""Refusals of bad certificates, keys, key stores, CRLs, OCSP answers, JWS and identifiers.

Each test takes a valid input (the committed test PKI of tests/pki.py, a key store, a CRL or
OCSP answer made here) and breaks exactly one thing, then asserts the exact outcome: the error
class with its ``rule`` and ``ebms_code``, or the revocation status (with the reason the
checker logged, where it logs one). Where a refusal leaves nothing but a status to look at, a
control case makes the same input without the defect and shows it is believed.

CRLs are given to the checker (no download); OCSP answers come from the test revocation server
on 127.0.0.1 (tests/revocation_server.py) with the answer made by the test.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import struct
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pki
import pytest
import requests
from asn1crypto import core as asn1_core
from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from revocation_server import RevocationServer

from peppol_dpi.errors import CertificateError, EbmsError, SignatureError, UsageError
from peppol_dpi.ids import DocumentTypeId, IdentifierError, ParticipantId, ProcessId
from peppol_dpi.jose import (
    JwsAlgorithm,
    JwsError,
    b64url_encode,
    decode_compact,
    encode_compact,
    rsa_key_from_jwk,
)
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
from peppol_dpi.revocation import CrlChecker, OcspChecker, RevocationSettings
from peppol_dpi.trust import KeyUsage, RevocationStatus, TrustPolicy

#: The instant every check runs at, and every CRL and OCSP answer is dated around.
NOW = datetime(2030, 1, 1, tzinfo=UTC)
REVOKED_AT = datetime(2025, 1, 1, tzinfo=UTC)
UNKNOWN_OID = "1.3.6.1.4.1.99999.7"
UNKNOWN_EXTENSION = x509.UnrecognizedExtension(x509.ObjectIdentifier(UNKNOWN_OID), b"\x05\x00")

INVOICE = (
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
    "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


# -- certificates broken after signing -------------------------------------------------------


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _without(extension: str) -> Callable[[Any], None]:
    """An edit for ``pki.resign`` removing the extension named (asn1crypto's name)."""

    def edit(tbs: Any) -> None:
        kept = [e for e in tbs["extensions"] if e["extn_id"].native != extension]
        tbs["extensions"] = asn1_x509.Extensions(kept)

    return edit


def _key_usage(*usages: str) -> Callable[[Any], None]:
    def edit(tbs: Any) -> None:
        for extension in tbs["extensions"]:
            if extension["extn_id"].native == "key_usage":
                extension["extn_value"] = asn1_x509.KeyUsage(set(usages))

    return edit


def _unknown_key_algorithm(tbs: Any) -> None:
    tbs["subject_public_key_info"]["algorithm"]["algorithm"] = UNKNOWN_OID


@cache
def _ap_ca_without(extension: str) -> x509.Certificate:
    """The AP CA (same name and key) re-signed by the root without one extension."""
    return pki.resign(pki.ap_ca(), "root-ca", edit=_without(extension))


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
    assert _rule(policy, leaf, (_ap_ca_without("basic_constraints"),)) == "cert:not-a-ca"


def test_an_intermediate_without_key_usage_may_issue() -> None:
    # RFC 5280 4.2.1.3: without the extension the key is not restricted.
    leaf = pki.ap_key("c2").certificate
    intermediate = _ap_ca_without("key_usage")
    result = TrustPolicy(anchors=(pki.root_ca(),)).validate(leaf, chain=(intermediate,), at=NOW)
    assert result.path == (leaf, intermediate, pki.root_ca())


def test_a_leaf_without_key_usage_meets_any_required_usage() -> None:
    # RFC 5280 4.2.1.3: without the extension the key is not restricted.
    leaf = pki.resign(pki.ap_key("c2").certificate, "ap-ca", edit=_without("key_usage"))
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
            lambda: pki.resign(pki.ap_ca(), "root-ca", edit=_key_usage("key_cert_sign")),
            RevocationStatus.UNREACHABLE,
            id="no-crl-sign",
        ),
        # Without a KeyUsage extension the key is not restricted.
        pytest.param(
            lambda: _ap_ca_without("key_usage"), RevocationStatus.REVOKED, id="no-key-usage"
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
                pki.revoked_key().certificate, "ap-ca", edit=_without("basic_constraints")
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


# -- JWS -------------------------------------------------------------------------------------


def _token(header: dict[str, Any]) -> str:
    return encode_compact(header=header, payload={"a": 1}, key=pki.maskinporten_key())


@pytest.mark.parametrize("header", [{"alg": "HS256"}, {"typ": "JWT"}], ids=["hmac", "no-alg"])
def test_encode_compact_signs_only_with_an_rsa_algorithm(header: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match="unsupported JWS alg"):
        _token(header)


def test_a_jws_header_that_is_not_an_object_is_refused() -> None:
    signature = _token({"alg": "RS256"}).split(".")[2]
    token = f"{b64url_encode(b'[]')}.{b64url_encode(b'{}')}.{signature}"
    with pytest.raises(JwsError) as err:
        decode_compact(token)
    assert (err.value.rule, err.value.ebms_code) == ("jws:header", None)


def test_a_jws_algorithm_outside_the_accepted_set_is_refused() -> None:
    token = _token({"alg": "RS256"})
    assert decode_compact(token).algorithm is JwsAlgorithm.RS256
    with pytest.raises(JwsError) as err:
        decode_compact(token, algorithms=frozenset({JwsAlgorithm.RS512}))
    assert (err.value.rule, err.value.ebms_code) == ("jws:alg", None)
    assert "not accepted here" in err.value.message


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        ({"kty": "EC", "n": "AQAB", "e": "AQAB"}, "is not an RSA public key"),
        ({"kty": "RSA", "n": 12345, "e": "AQAB"}, "is not an RSA public key"),
        ({"kty": "RSA", "n": "AQAB"}, "is not an RSA public key"),
        ({"kty": "RSA", "n": "AQ", "e": "Aw"}, "is not a valid RSA key"),  # n = 1
        ({"kty": "RSA", "n": "AQAAAAAAAAAB", "e": "AQ"}, "is not a valid RSA key"),  # e = 1
    ],
    ids=["ec", "n-not-text", "no-e", "tiny-modulus", "exponent-one"],
)
def test_jwks_that_are_no_rsa_public_key_are_refused(jwk: dict[str, Any], message: str) -> None:
    with pytest.raises(JwsError) as err:
        rsa_key_from_jwk(jwk)
    assert (err.value.rule, err.value.ebms_code) == ("jws:jwk", None)
    assert message in err.value.message


# -- identifiers -----------------------------------------------------------------------------


def _identifier_error(make: Callable[[], object]) -> IdentifierError:
    with pytest.raises(IdentifierError) as err:
        make()
    assert err.value.ebms_code is EbmsError.VALUE_NOT_RECOGNIZED
    return err.value


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: ParticipantId.parse("0088:5060482240009 "), id="participant"),
        pytest.param(lambda: DocumentTypeId.parse(f" {INVOICE}"), id="document-type"),
        pytest.param(lambda: ProcessId.parse(f"{BILLING} "), id="process"),
    ],
)
def test_identifier_values_with_surrounding_spaces_are_refused(make: Callable[[], object]) -> None:
    error = _identifier_error(make)
    assert error.rule == "id:charset" and "surrounding spaces" in error.message


@pytest.mark.parametrize("kind", [ParticipantId, DocumentTypeId, ProcessId])
@pytest.mark.parametrize("value", [None, 192, b"0192:974761076"], ids=["none", "int", "bytes"])
def test_identifiers_parse_only_text(kind: Any, value: object) -> None:
    assert _identifier_error(lambda: kind.parse(value)).rule == "id:type"


def test_a_participant_is_never_equal_to_its_text() -> None:
    participant = ParticipantId.parse("0192:974761076")
    assert (participant == str(participant)) is False
    assert participant != "iso6523-actorid-upis::0192:974761076"


@pytest.mark.parametrize(
    ("kind", "value", "scheme"),
    [
        (DocumentTypeId, INVOICE, "busdox-docid-qns"),
        (DocumentTypeId, INVOICE, "peppol-doctype-wildcard"),
        (ProcessId, BILLING, "cenbii-procid-ubl"),
    ],
)
def test_a_supported_scheme_given_as_text_becomes_the_scheme(
    kind: Any, value: str, scheme: str
) -> None:
    identifier = kind(value=value, scheme=scheme)
    assert identifier.scheme is type(identifier.scheme)(scheme)
    assert str(identifier) == f"{scheme}::{value}"


@pytest.mark.parametrize(("kind", "value"), [(DocumentTypeId, INVOICE), (ProcessId, BILLING)])
@pytest.mark.parametrize(
    ("scheme", "message"),
    [
        # PFUOI 3.1: [a-z0-9]+-[a-z0-9]+-[a-z0-9]+, at most 25 characters.
        ("Busdox_DocId", "is not a valid Peppol identifier scheme"),
        ("busdox-docid-qns-and-more-text", "is not a valid Peppol identifier scheme"),
        (None, "is not a valid Peppol identifier scheme"),
        # Well formed, but not a scheme of this kind of identifier.
        ("iso6523-actorid-upis", "is not supported"),
    ],
    ids=["syntax", "too-long", "none", "other-kind"],
)
def test_document_type_and_process_schemes_are_checked(
    kind: Any, value: str, scheme: object, message: str
) -> None:
    error = _identifier_error(lambda: kind(value=value, scheme=scheme))
    assert error.rule == "id:scheme" and message in error.message


@pytest.mark.parametrize(
    ("value", "syntax_id"),
    [
        (INVOICE, "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"),
        (
            "urn:peppol:doctype:pdf+xml##urn:peppol:doctype:pdf+xml:customization::1.0",
            "urn:peppol:doctype:pdf+xml",
        ),
    ],
    ids=["xml", "non-xml"],
)
def test_the_syntax_id_is_what_precedes_the_customization(value: str, syntax_id: str) -> None:
    assert DocumentTypeId.parse(value).syntax_id == syntax_id

"""Differential test: our CMS EnvelopedData decryption is never laxer than ``openssl cms``.

The DPI document package is CMS EnvelopedData (RFC 5652 6) with RSAES-OAEP-SHA256 key
transport (RFC 8017 7.1, parameters as RFC 4055 4.1) and AES-256-CBC content encryption (RFC
3565), as the DPI CMS profile in docs/dpi.md 3.4 (and :mod:`peppol_dpi.dpi.cms`) describes.
Packages are written here field by field in DER (or BER where a case says so), then changed as
a hostile sender would change them: versions, recipient identifiers, algorithms and their
parameters, IVs, the ciphertext and its padding, BER forms, extra fields and trailing bytes,
and random byte flips. Each input is decrypted by :func:`peppol_dpi.dpi.cms.decrypt` and
:func:`~peppol_dpi.dpi.cms.decrypt_stream` with the ``digipost`` test key, and by OpenSSL, an
independent and widely deployed CMS implementation, run as::

    openssl cms -decrypt -inform DER -binary -recip digipost.cert.pem -inkey digipost.key.pem

plus ``-debug_decrypt`` (see below). No ``-keyopt`` is needed: on decryption OpenSSL takes the
OAEP hash, MGF and label from the RecipientInfo's AlgorithmIdentifier; ``-inform DER`` reads
BER too. Whenever OpenSSL refuses
an input, or decrypts it to other bytes than we do, we must refuse it; every refusal of ours
must be an :class:`~peppol_dpi.errors.InputError` (anything else is a crash). We refuse more
than OpenSSL on purpose (see ``STRICTER BY DESIGN``); those cases are kept and not asserted on.
When this file was written it found ten inputs we accepted and OpenSSL refuses (``LAXER``:
fields skipped or parsed lazily without being checked, and a deeper OCTET STRING nesting), all
refused since (``cms._parsed`` reads every field of what is skipped; ``ber`` nests constructed
OCTET STRINGs five levels deep, as OpenSSL). It found no crash.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pki
import pytest
from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding
from differential import Verdict, edit
from hypothesis import given, settings
from hypothesis import strategies as st

from peppol_dpi.dpi import cms
from peppol_dpi.dpi.cms_profile import der
from peppol_dpi.errors import InputError

# STRICTER BY DESIGN: what we refuse and OpenSSL 3.0 decrypts (found by this file; not asserted).
#
# The DPI CMS profile (docs/dpi.md 3.4), which OpenSSL does not know:
# * key transport other than RSAES-OAEP SHA-256 / MGF1-SHA-256 / empty label: rsaEncryption
#   (PKCS#1 v1.5), OAEP with the SHA-1 defaults, MGF1-SHA-1, SHA-384, a label (RFC 8017 7.1);
# * content encryption other than AES-256-CBC: AES-128-CBC, AES-192-CBC (RFC 3565);
# * an EncryptedContentInfo contentType other than id-data (RFC 5652 6.1: OpenSSL ignores it);
# * AES-CBC without parameters: OpenSSL decrypts with some IV of its own (the first block
#   comes out different), RFC 3565 4.1 makes the IV mandatory.
# Exact bytes (the package fingerprint is the SHA-256 of the exact CMS bytes, dpi.md 1.4):
# * anything after the ContentInfo (a zero byte, end-of-contents octets, a second package):
#   OpenSSL reads one value and ignores the rest.
# BER forms we do not take (X.690):
# * a constructed [0] ciphertext holding a [0] primitive segment instead of OCTET STRINGs
#   (X.690 8.7.3.2 allows only OCTET STRING segments; OpenSSL takes it);
# * the encryptedKey or the IV as a constructed OCTET STRING (BER allows it; no writer we know
#   does it, and only the ciphertext is streamed).
#
# The invocation uses -debug_decrypt: without it OpenSSL, once the RSA step fails, goes on
# with a random content key (the RFC 3218 countermeasure) and, one time in about 256, "decrypts"
# to garbage with valid-looking padding, which would make its verdicts random.

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(
    OPENSSL is None, reason="the openssl command line is not installed (needed as the reference)"
)

KEY = pki.business_key("digipost")
OTHER = pki.business_key("eboks")
CEK = bytes(range(32))
IV = bytes(range(0xA0, 0xB0))
PLAIN = b"PK\x03\x04 the ASiC-E document package: not a whole number of AES blocks"
BODY = PLAIN[:45]  # + 3 bytes = 3 blocks, for padding written by hand
assert len(PLAIN) % 16 != 0

# -- DER and BER, written by hand (X.690 8.1, 10.1) ------------------------------------------------

NULL = b"\x05\x00"
EOC = b"\x00\x00"


def tlv(tag: int, *parts: bytes) -> bytes:
    return der(tag, b"".join(parts))


def indefinite(tag: int, *parts: bytes) -> bytes:
    """X.690 8.1.3.6: constructed, indefinite length, closed by end-of-contents octets."""
    return bytes((tag, 0x80)) + b"".join(parts) + EOC


def oid(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).dump())


def integer(value: int) -> bytes:
    return bytes(core.Integer(value).dump())


ID_DATA = "1.2.840.113549.1.7.1"
ID_SIGNED = "1.2.840.113549.1.7.2"
ID_ENVELOPED = "1.2.840.113549.1.7.3"
ID_AUTH_ENVELOPED = "1.2.840.113549.1.9.16.1.23"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
RSAES_OAEP = "1.2.840.113549.1.1.7"
MGF1 = "1.2.840.113549.1.1.8"
P_SPECIFIED = "1.2.840.113549.1.1.9"
AES128_CBC = "2.16.840.1.101.3.4.1.2"
AES192_CBC = "2.16.840.1.101.3.4.1.22"
AES256_CBC = "2.16.840.1.101.3.4.1.42"
AES256_GCM = "2.16.840.1.101.3.4.1.46"
HASHES: dict[str, tuple[str, Callable[[], hashes.HashAlgorithm]]] = {
    "sha1": ("1.3.14.3.2.26", hashes.SHA1),
    "sha256": ("2.16.840.1.101.3.4.2.1", hashes.SHA256),
    "sha384": ("2.16.840.1.101.3.4.2.2", hashes.SHA384),
}


def hash_algorithm(name: str, *, null: bool = True) -> bytes:
    return tlv(0x30, oid(HASHES[name][0]), NULL if null else b"")


def oaep_identifier(
    hash_name: str = "sha256",
    mgf_hash: str = "sha256",
    label: bytes = b"",
    *,
    null: bool = True,
    extra: bytes = b"",
) -> bytes:
    """RSAES-OAEP AlgorithmIdentifier (RFC 8017 A.2.1); SHA-1 / MGF1-SHA-1 / empty label are
    the DEFAULTs and then left out (DER)."""
    params = b""
    if hash_name != "sha1":
        params += tlv(0xA0, hash_algorithm(hash_name, null=null))
    if mgf_hash != "sha1":
        params += tlv(0xA1, tlv(0x30, oid(MGF1), hash_algorithm(mgf_hash, null=null)))
    if label:
        params += tlv(0xA2, tlv(0x30, oid(P_SPECIFIED), tlv(0x04, label)))
    return tlv(0x30, oid(RSAES_OAEP), tlv(0x30, params, extra))


@cache
def wrapped_key(
    certificate: x509.Certificate,
    cek: bytes = CEK,
    hash_name: str = "sha256",
    mgf_hash: str = "sha256",
    label: bytes = b"",
    pkcs1v15: bool = False,
) -> bytes:
    """The content key encrypted to ``certificate`` (once per session: OAEP is randomised)."""
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    if pkcs1v15:
        return public_key.encrypt(cek, padding.PKCS1v15())
    oaep = padding.OAEP(
        mgf=padding.MGF1(HASHES[mgf_hash][1]()),
        algorithm=HASHES[hash_name][1](),
        label=label or None,
    )
    return public_key.encrypt(cek, oaep)


def issuer_and_serial(certificate: x509.Certificate, serial_delta: int = 0) -> bytes:
    return tlv(
        0x30, certificate.issuer.public_bytes(), integer(certificate.serial_number + serial_delta)
    )


def subject_key_identifier(certificate: x509.Certificate) -> bytes:
    ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    return der(0x80, ski.value.digest)  # rid [0] IMPLICIT SubjectKeyIdentifier


def ktri(
    *,
    certificate: x509.Certificate = KEY.certificate,
    version: bytes = integer(0),
    rid: bytes | None = None,
    algorithm: bytes | None = None,
    encrypted_key: bytes | None = None,
    key_field: bytes | None = None,
    extra: bytes = b"",
) -> bytes:
    """KeyTransRecipientInfo (RFC 5652 6.2.1), by default the profile's one for ``KEY``."""
    return tlv(
        0x30,
        version,
        issuer_and_serial(certificate) if rid is None else rid,
        oaep_identifier() if algorithm is None else algorithm,
        key_field
        or tlv(0x04, wrapped_key(certificate) if encrypted_key is None else encrypted_key),
        extra,
    )


def aes_cbc(iv: bytes = IV, algorithm: str = AES256_CBC) -> bytes:
    return tlv(0x30, oid(algorithm), tlv(0x04, iv))  # RFC 3565 4.1: parameters = the IV


def ciphertext(
    plain: bytes = PLAIN, cek: bytes = CEK, iv: bytes = IV, *, pad: bool = True
) -> bytes:
    """AES-CBC of ``plain``, PKCS#7 padded (RFC 5652 6.3) unless ``pad`` is false."""
    if pad:
        padder = sym_padding.PKCS7(128).padder()
        plain = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(cek), modes.CBC(iv)).encryptor()
    return encryptor.update(plain) + encryptor.finalize()


CIPHERTEXT = ciphertext()


def package(
    *,
    outer: bytes = oid(ID_ENVELOPED),
    version: bytes = integer(0),
    originator: bytes = b"",
    recipients: bytes | None = None,
    content_type: bytes = oid(ID_DATA),
    algorithm: bytes | None = None,
    content: bytes | None = None,
    eci_extra: bytes = b"",
    unprotected: bytes = b"",
    trailing: bytes = b"",
) -> bytes:
    """ContentInfo (RFC 5652 3) of EnvelopedData (6.1), DER, with any field replaced."""
    eci = tlv(
        0x30,
        content_type,
        aes_cbc() if algorithm is None else algorithm,
        der(0x80, CIPHERTEXT) if content is None else content,  # [0] IMPLICIT OCTET STRING
        eci_extra,
    )
    enveloped = tlv(
        0x30,
        version,
        originator,
        tlv(0x31, ktri()) if recipients is None else recipients,
        eci,
        unprotected,
    )
    return tlv(0x30, outer, tlv(0xA0, enveloped)) + trailing


def all_indefinite() -> bytes:
    """BouncyCastle's streamed layout: every constructed value but the small ones indefinite,
    the ciphertext a constructed [0] of OCTET STRING segments (X.690 8.7.3)."""
    content = indefinite(0xA0, tlv(0x04, CIPHERTEXT[:32]), tlv(0x04, CIPHERTEXT[32:]))
    eci = indefinite(0x30, oid(ID_DATA), aes_cbc(), content)
    enveloped = indefinite(0x30, integer(0), tlv(0x31, ktri()), eci)
    return indefinite(0x30, oid(ID_ENVELOPED), indefinite(0xA0, enveloped))


def segments(*sizes: int, definite: bool = True) -> bytes:
    """The ciphertext as a constructed [0] of OCTET STRINGs of these sizes (the rest last)."""
    parts, at = [], 0
    for size in (*sizes, len(CIPHERTEXT)):
        parts.append(tlv(0x04, CIPHERTEXT[at : at + size]))
        at = min(at + size, len(CIPHERTEXT))
    return tlv(0xA0, *parts) if definite else indefinite(0xA0, *parts)


def nested(depth: int) -> bytes:
    """The ciphertext in one OCTET STRING inside ``depth`` constructed OCTET STRINGs."""
    inner = tlv(0x04, CIPHERTEXT)
    for _ in range(depth - 1):
        inner = tlv(0x24, inner)
    return tlv(0xA0, inner)


def writer_ber() -> bytes:
    sink = io.BytesIO()
    with cms.EnvelopedDataWriter(sink, KEY.certificate) as writer:
        writer.write(PLAIN)
    return sink.getvalue()


BASE = package()


def flip(data: bytes, at: int, mask: int = 0xFF) -> bytes:
    return data[:at] + bytes((data[at] ^ mask,)) + data[at + 1 :]


def redo_lengths(edit: Callable[[bytes], bytes]) -> bytes:
    """``BASE`` with its encrypted key replaced, lengths re-encoded (via :func:`package`)."""
    return package(recipients=tlv(0x31, ktri(encrypted_key=edit(wrapped_key(KEY.certificate)))))


# -- the two readers ---------------------------------------------------------------------------


def theirs(data: bytes) -> Verdict:
    """``openssl cms -decrypt`` with the digipost key and certificate; stdin to stdout."""
    assert OPENSSL is not None
    result = subprocess.run(
        [OPENSSL, "cms", "-decrypt", "-debug_decrypt", "-inform", "DER", "-binary",
         "-recip", str(pki.path("digipost.cert.pem")),
         "-inkey", str(pki.path("digipost.key.pem"))],
        input=data, capture_output=True, timeout=30,
    )  # fmt: skip
    if result.returncode != 0:
        return Verdict(False, result.stderr.decode("utf-8", "replace")[:300])
    return Verdict(True, result.stdout.hex())


def ours(data: bytes, *, stream: bool) -> Verdict:
    try:
        if stream:
            sink = io.BytesIO()
            cms.decrypt_stream(io.BytesIO(data), KEY, sink)
            plain = sink.getvalue()
        else:
            plain = cms.decrypt(data, KEY)
    except InputError as exc:
        return Verdict(False, f"{type(exc).__name__} [{exc.rule}]")
    except Exception as exc:
        return Verdict(False, f"{type(exc).__name__}: {exc}", crashed=True)
    return Verdict(True, plain.hex())


def check(data: bytes) -> None:
    """Never laxer: what OpenSSL refuses, or reads otherwise, we refuse; and we never crash."""
    reference = theirs(data)
    for stream in (False, True):
        verdict = ours(data, stream=stream)
        which = "decrypt_stream" if stream else "decrypt"
        assert not verdict.crashed, f"{which} crashed: {verdict.detail}"
        if verdict.accepted:
            assert reference.accepted, f"{which} accepted what openssl refuses: {reference.detail}"
            assert verdict.detail == reference.detail, f"{which} read other bytes than openssl"


# -- sanity: the reference reads the profile as we do --------------------------------------------


@pytest.mark.parametrize(
    "data", [BASE, all_indefinite(), writer_ber(), cms.encrypt(PLAIN, KEY.certificate)],
    ids=["handwritten-der", "handwritten-ber", "writer-ber", "encrypt-der"],
)  # fmt: skip
def test_openssl_and_we_decrypt_the_profile_to_the_same_bytes(data: bytes) -> None:
    assert theirs(data) == Verdict(True, PLAIN.hex())
    assert ours(data, stream=False) == Verdict(True, PLAIN.hex())
    assert ours(data, stream=True) == Verdict(True, PLAIN.hex())


# -- mutations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], bytes]


def _recipients(*infos: bytes) -> bytes:
    return tlv(0x31, *infos)


def _kt(identifier: bytes, **key: Any) -> bytes:
    """The content key transported as ``key`` says, under the AlgorithmIdentifier given."""
    encrypted = wrapped_key(KEY.certificate, **key)
    return package(recipients=_recipients(ktri(algorithm=identifier, encrypted_key=encrypted)))


def _ce(algorithm: str, cek: bytes, key_cek: bytes | None = None) -> bytes:
    """Content encrypted with ``cek`` under ``algorithm`` (RFC 3565), ``key_cek`` transported."""
    encrypted = wrapped_key(KEY.certificate, cek=cek if key_cek is None else key_cek)
    return package(
        recipients=_recipients(ktri(encrypted_key=encrypted)),
        algorithm=aes_cbc(algorithm=algorithm),
        content=der(0x80, ciphertext(cek=cek)),
    )


def _padded(tail: bytes) -> bytes:
    """RFC 5652 6.3: the last block's padding written by hand (BODY + ``tail``, no padder)."""
    return package(content=der(0x80, ciphertext(BODY + tail, pad=False)))


def _ktri_key_constructed() -> bytes:
    """The encrypted key as a constructed OCTET STRING (BER, X.690 8.7.3), in two segments."""
    key = wrapped_key(KEY.certificate)
    field = tlv(0x24, tlv(0x04, key[:100]), tlv(0x04, key[100:]))
    return package(recipients=_recipients(ktri(key_field=field)))


_DER = Encoding.DER
# RFC 5652 11.1: a content-type attribute, as an unprotectedAttrs [1] IMPLICIT SET OF Attribute
UNPROTECTED = tlv(0xA1, tlv(0x30, oid("1.2.840.113549.1.9.3"), tlv(0x31, oid(ID_DATA))))
# RFC 5652 6.2.3: a KEKRecipientInfo, [2] IMPLICIT, version 4, AES-256 key wrap (RFC 3394)
KEKRI = tlv(
    0xA2,
    integer(4),
    tlv(0x30, tlv(0x04, b"kek-id")),
    tlv(0x30, oid("2.16.840.1.101.3.4.1.45")),
    tlv(0x04, bytes(40)),
)


SKI = subject_key_identifier(KEY.certificate)
CN = b"peppol-dpi TEST Business CA"

CASES = [
    # RFC 5652 3: ContentInfo
    Case("outer-oid-data", lambda: package(outer=oid(ID_DATA))),
    Case("outer-oid-signed-data", lambda: package(outer=oid(ID_SIGNED))),
    Case("outer-oid-auth-enveloped", lambda: package(outer=oid(ID_AUTH_ENVELOPED))),
    Case("outer-oid-sibling", lambda: package(outer=oid("1.2.840.113549.1.7.33"))),
    Case(
        "outer-content-tagged-1",
        lambda: edit(BASE, oid(ID_ENVELOPED) + b"\xa0", oid(ID_ENVELOPED) + b"\xa1"),
    ),
    Case("outer-content-missing", lambda: tlv(0x30, oid(ID_ENVELOPED))),
    Case("trailing-zero-byte", lambda: package(trailing=b"\x00")),
    Case("trailing-end-of-contents", lambda: package(trailing=EOC)),
    Case("trailing-second-package", lambda: package(trailing=BASE)),
    # RFC 5652 6.1: EnvelopedData version (0 for this content), a CMSVersion INTEGER
    Case("version-2", lambda: package(version=integer(2))),
    Case("version-99", lambda: package(version=integer(99))),
    Case("version-minus-1", lambda: package(version=integer(-1))),
    Case("version-empty-integer", lambda: package(version=b"\x02\x00")),
    Case("version-non-minimal-integer", lambda: package(version=b"\x02\x02\x00\x00")),
    Case("version-octet-string", lambda: package(version=b"\x04\x01\x00")),
    Case("version-missing", lambda: package(version=b"")),
    # RFC 5652 6.1: originatorInfo [0] IMPLICIT OriginatorInfo, unprotectedAttrs [1] IMPLICIT
    Case("originator-info-empty", lambda: package(originator=tlv(0xA0))),
    Case(
        "originator-info-certificate",
        lambda: package(originator=tlv(0xA0, tlv(0xA0, KEY.certificate.public_bytes(_DER)))),
    ),
    Case("originator-info-garbage", lambda: package(originator=tlv(0xA0, integer(0)))),
    Case("unprotected-attribute", lambda: package(unprotected=UNPROTECTED)),
    Case(
        "unprotected-attribute-no-values",
        lambda: package(unprotected=tlv(0xA1, tlv(0x30, oid("1.2.840.113549.1.9.3"), tlv(0x31)))),
    ),
    Case("unprotected-empty", lambda: package(unprotected=tlv(0xA1))),
    Case("unprotected-garbage", lambda: package(unprotected=tlv(0xA1, integer(0)))),
    Case("unprotected-twice", lambda: package(unprotected=UNPROTECTED * 2)),
    Case(
        "unprotected-before-content", lambda: package(recipients=_recipients(ktri()) + UNPROTECTED)
    ),
    Case("enveloped-extra-field", lambda: package(unprotected=UNPROTECTED + integer(0))),
    # RFC 5652 6.2.1: KeyTransRecipientInfo, version 0 with issuerAndSerialNumber, 2 with SKI
    Case("ktri-version-2", lambda: package(recipients=_recipients(ktri(version=integer(2))))),
    Case(
        "ktri-version-empty-integer",
        lambda: package(recipients=_recipients(ktri(version=b"\x02\x00"))),
    ),
    Case(
        "ktri-version-non-minimal",
        lambda: package(recipients=_recipients(ktri(version=b"\x02\x02\x00\x00"))),
    ),
    Case("ktri-ski-v2", lambda: package(recipients=_recipients(ktri(version=integer(2), rid=SKI)))),
    Case("ktri-ski-v0", lambda: package(recipients=_recipients(ktri(rid=SKI)))),
    Case(
        "ktri-ski-other",
        lambda: package(recipients=_recipients(ktri(version=integer(2), rid=flip(SKI, 5, 1)))),
    ),
    Case(
        "ktri-serial-plus-1",
        lambda: package(recipients=_recipients(ktri(rid=issuer_and_serial(KEY.certificate, 1)))),
    ),
    Case(
        "ktri-issuer-other",
        lambda: package(
            recipients=_recipients(
                ktri(
                    rid=tlv(
                        0x30,
                        pki.business_root_ca().subject.public_bytes(),
                        integer(KEY.certificate.serial_number),
                    )
                )
            )
        ),
    ),
    Case(  # RFC 5280 7.1: the same name as PrintableString instead of UTF8String
        "ktri-issuer-reencoded",
        lambda: package(
            recipients=_recipients(
                ktri(
                    rid=issuer_and_serial(KEY.certificate).replace(
                        b"\x0c\x1b" + CN, b"\x13\x1b" + CN
                    )
                )
            )
        ),
    ),
    Case(
        "ktri-version-octet-string",
        lambda: package(recipients=_recipients(ktri(version=b"\x04\x01\x00"))),
    ),
    Case("ktri-extra-field", lambda: package(recipients=_recipients(ktri(extra=integer(0))))),
    # RFC 5652 6.1: RecipientInfos, SET SIZE (1..MAX)
    Case("recipients-empty", lambda: package(recipients=tlv(0x31))),
    Case(
        "recipients-other-only",
        lambda: package(recipients=_recipients(ktri(certificate=OTHER.certificate))),
    ),
    Case(
        "recipients-other-then-ours",
        lambda: package(recipients=_recipients(ktri(certificate=OTHER.certificate), ktri())),
    ),
    Case(
        "recipients-ours-then-other",
        lambda: package(recipients=_recipients(ktri(), ktri(certificate=OTHER.certificate))),
    ),
    Case("recipients-ours-twice", lambda: package(recipients=_recipients(ktri(), ktri()))),
    Case(
        "recipients-ours-broken-then-ours",
        lambda: package(
            recipients=_recipients(
                ktri(encrypted_key=flip(wrapped_key(KEY.certificate), 9)), ktri()
            )
        ),
    ),
    Case(
        "recipients-ours-then-garbage",
        lambda: package(recipients=_recipients(ktri(), tlv(0x30, integer(0)))),
    ),
    Case("recipients-kekri-then-ours", lambda: package(recipients=_recipients(KEKRI, ktri()))),
    Case(
        "recipients-garbage-kekri-then-ours",
        lambda: package(recipients=_recipients(tlv(0xA2, integer(4)), ktri())),
    ),
    Case("recipients-sequence-not-set", lambda: package(recipients=tlv(0x30, ktri()))),
    # RFC 8017 7.1 / A.2.1, RFC 4055 4.1: the key transport algorithm and its parameters
    Case("kt-rsa-pkcs1v15", lambda: _kt(tlv(0x30, oid(RSA_ENCRYPTION), NULL), pkcs1v15=True)),
    Case(
        "kt-oaep-sha1-defaults",
        lambda: _kt(oaep_identifier("sha1", "sha1"), hash_name="sha1", mgf_hash="sha1"),
    ),
    Case(
        "kt-oaep-no-parameters",
        lambda: _kt(tlv(0x30, oid(RSAES_OAEP)), hash_name="sha1", mgf_hash="sha1"),
    ),
    Case(
        "kt-oaep-sha256-mgf1-sha1", lambda: _kt(oaep_identifier("sha256", "sha1"), mgf_hash="sha1")
    ),
    Case(
        "kt-oaep-sha384",
        lambda: _kt(oaep_identifier("sha384", "sha384"), hash_name="sha384", mgf_hash="sha384"),
    ),
    Case("kt-oaep-label", lambda: _kt(oaep_identifier(label=b"DPI"), label=b"DPI")),
    Case("kt-oaep-absent-hash-parameters", lambda: _kt(oaep_identifier(null=False))),
    Case(
        "kt-oaep-declares-sha256-key-sha1",
        lambda: _kt(oaep_identifier(), hash_name="sha1", mgf_hash="sha1"),
    ),
    Case("kt-oaep-declares-label-key-none", lambda: _kt(oaep_identifier(label=b"DPI"))),
    Case("kt-oid-mgf1", lambda: _kt(oaep_identifier().replace(oid(RSAES_OAEP), oid(MGF1), 1))),
    Case("kt-oaep-extra-parameter", lambda: _kt(oaep_identifier(extra=tlv(0xA3, integer(0))))),
    Case(
        "kt-oaep-hash-parameters-integer",
        lambda: _kt(oaep_identifier().replace(NULL, integer(0), 1)),
    ),
    Case(
        "kt-oaep-mgf1-without-hash",
        lambda: _kt(
            oaep_identifier().replace(
                tlv(0x30, oid(MGF1), hash_algorithm("sha256")), tlv(0x30, oid(MGF1))
            )
        ),
    ),
    Case("kt-key-constructed-octet-string", _ktri_key_constructed),
    Case("kt-key-truncated", lambda: redo_lengths(lambda k: k[:-1])),
    Case("kt-key-extended", lambda: redo_lengths(lambda k: k + b"\x00")),
    Case("kt-key-leading-zero", lambda: redo_lengths(lambda k: b"\x00" + k)),
    Case("kt-key-flipped", lambda: redo_lengths(lambda k: flip(k, 100))),
    Case("kt-cek-16-bytes", lambda: _kt(oaep_identifier(), cek=CEK[:16])),
    # RFC 5652 6.1 EncryptedContentInfo; RFC 3565: AES-CBC, parameters the 16-byte IV
    Case("content-type-signed-data", lambda: package(content_type=oid(ID_SIGNED))),
    Case("ce-aes128-cbc", lambda: _ce(AES128_CBC, CEK[:16])),
    Case("ce-aes192-cbc", lambda: _ce(AES192_CBC, CEK[:24])),
    Case("ce-aes128-oid-32-byte-key", lambda: package(algorithm=aes_cbc(algorithm=AES128_CBC))),
    Case("ce-aes256-cbc-16-byte-key", lambda: _ce(AES256_CBC, CEK[:16], key_cek=CEK[:16])),
    Case(
        "ce-aes256-gcm-oid",
        lambda: package(algorithm=tlv(0x30, oid(AES256_GCM), tlv(0x30, tlv(0x04, IV[:12])))),
    ),
    Case("iv-15-bytes", lambda: package(algorithm=aes_cbc(IV[:15]))),
    Case("iv-17-bytes", lambda: package(algorithm=aes_cbc(IV + b"\x00"))),
    Case("iv-empty", lambda: package(algorithm=aes_cbc(b""))),
    Case("iv-absent", lambda: package(algorithm=tlv(0x30, oid(AES256_CBC)))),
    Case("iv-null", lambda: package(algorithm=tlv(0x30, oid(AES256_CBC), NULL))),
    Case(
        "iv-constructed-octet-string",
        lambda: package(
            algorithm=tlv(0x30, oid(AES256_CBC), tlv(0x24, tlv(0x04, IV[:8]), tlv(0x04, IV[8:])))
        ),
    ),
    Case("content-absent", lambda: package(content=b"")),
    Case("content-empty", lambda: package(content=der(0x80, b""))),
    Case("content-truncated-block", lambda: package(content=der(0x80, CIPHERTEXT[:-16]))),
    Case("content-truncated-byte", lambda: package(content=der(0x80, CIPHERTEXT[:-1]))),
    Case("content-extended-block", lambda: package(content=der(0x80, CIPHERTEXT + bytes(16)))),
    Case("content-extended-byte", lambda: package(content=der(0x80, CIPHERTEXT + b"\x00"))),
    Case("padding-valid-by-hand", lambda: _padded(b"\x03\x03\x03")),
    Case("padding-none", lambda: _padded(b"xyz")),
    Case("padding-zero", lambda: _padded(b"\x00\x00\x00")),
    Case("padding-17", lambda: _padded(b"\x11\x11\x11")),
    Case("padding-inconsistent", lambda: _padded(b"\x02\x03\x03")),
    Case("shorter-plaintext", lambda: package(content=der(0x80, ciphertext(PLAIN[:48], pad=True)))),
    Case("content-universal-octet-string", lambda: package(content=tlv(0x04, CIPHERTEXT))),
    Case("content-tagged-1", lambda: package(content=der(0x81, CIPHERTEXT))),
    Case("eci-extra-field", lambda: package(eci_extra=tlv(0x04))),
    # X.690 8.7.3: the ciphertext as a constructed OCTET STRING; 8.1.3.6 indefinite lengths
    Case("segments-definite", lambda: package(content=segments(16, 16, 16))),
    Case("segments-indefinite", lambda: package(content=segments(7, 33, definite=False))),
    Case("segments-empty-ones", lambda: package(content=segments(0, 0, 40, 0))),
    Case("segments-nested-2", lambda: package(content=nested(2))),
    Case("segments-nested-5", lambda: package(content=nested(5))),
    Case("segments-nested-6", lambda: package(content=nested(6))),
    Case("segments-nested-7", lambda: package(content=nested(7))),
    Case("segments-nested-18", lambda: package(content=nested(18))),
    Case("segments-wrong-tag", lambda: package(content=tlv(0xA0, der(0x80, CIPHERTEXT)))),
    Case("segments-constructed-empty", lambda: package(content=tlv(0xA0))),
    Case("all-indefinite", all_indefinite),
    Case("all-indefinite-missing-eoc", lambda: all_indefinite()[:-2]),
    Case("all-indefinite-extra-eoc", lambda: all_indefinite() + EOC),
    Case("indefinite-primitive-content", lambda: package(content=b"\x80\x80" + CIPHERTEXT + EOC)),
    # X.690 8.1.3.5: long-form and non-minimal lengths (BER, not DER)
    Case("length-long-form-for-short", lambda: package(version=b"\x02\x81\x01\x00")),
    Case("length-leading-zero-octet", lambda: b"\x30\x83\x00" + BASE[2:]),
    # raw byte edits
    Case("raw-outer-tag-set", lambda: b"\x31" + BASE[1:]),
    Case("raw-outer-length-plus-1", lambda: BASE[:3] + bytes((BASE[3] + 1,)) + BASE[4:] + b"\x00"),
    Case("raw-outer-length-minus-1", lambda: BASE[:3] + bytes((BASE[3] - 1,)) + BASE[4:]),
    Case("raw-last-byte-flipped", lambda: flip(BASE, len(BASE) - 1)),
    Case("raw-iv-byte-flipped", lambda: flip(BASE, BASE.index(IV))),
    Case("raw-truncated-by-one", lambda: BASE[:-1]),
]

# Found by this file, fixed since: inputs we accepted and OpenSSL refuses (kept as what each
# case once showed; none is an xfail any more).
LAXER = {
    "version-non-minimal-integer": "EnvelopedData version 02 02 00 00 (a non-minimal INTEGER, "
    "X.690 8.3.2) is accepted: cms._decrypt skips the version unparsed; OpenSSL refuses it",
    "originator-info-garbage": "originatorInfo [0] holding an INTEGER instead of OriginatorInfo "
    "(RFC 5652 6.1) is accepted: cms._decrypt skips [0] unparsed; OpenSSL refuses it",
    "unprotected-garbage": "unprotectedAttrs [1] holding an INTEGER instead of Attributes "
    "(RFC 5652 6.1) is accepted: cms._close skips [1] unparsed; OpenSSL refuses it",
    "ktri-version-non-minimal": "KeyTransRecipientInfo version 02 02 00 00 (non-minimal INTEGER, "
    "X.690 8.3.2) is accepted: the lazily parsed version is never read; OpenSSL refuses it",
    "ktri-version-octet-string": "KeyTransRecipientInfo version as an OCTET STRING (RFC 5652 "
    "6.2.1: CMSVersion INTEGER) is accepted: it is never read; OpenSSL refuses it",
    "ktri-extra-field": "a KeyTransRecipientInfo with an INTEGER after encryptedKey (RFC 5652 "
    "6.2.1 has no such field) is accepted; OpenSSL refuses it",
    "recipients-ours-then-garbage": "a malformed second RecipientInfo (SEQUENCE { INTEGER 0 }) "
    "after ours is accepted: RecipientInfos are parsed lazily, up to ours; OpenSSL refuses it",
    "recipients-garbage-kekri-then-ours": "a malformed [2] KEKRecipientInfo (just INTEGER 4) "
    "before ours is accepted: non-ktri RecipientInfos are skipped unparsed; OpenSSL refuses it",
    "kt-oaep-extra-parameter": "RSAES-OAEP-params with an extra [3] field (RFC 8017 A.2.1 has "
    "three) is accepted by _check_oaep; OpenSSL refuses it",
    "segments-nested-7": "the ciphertext as a constructed OCTET STRING nested 7 deep is accepted "
    "(ber.StreamReader allows 17); OpenSSL refuses more than 5 levels below [0] "
    "(ASN1_MAX_STRING_NEST, an implementation limit rather than an X.690 rule)",
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case.name,
        )
        for case in CASES
    ],
)
def test_we_are_never_laxer_than_openssl(case: Case) -> None:
    check(case.build())


def test_every_laxer_entry_names_a_case() -> None:
    assert set(LAXER) <= {case.name for case in CASES}
    assert len({case.name for case in CASES}) == len(CASES)


# -- random byte flips ---------------------------------------------------------------------------

BASES = {"der": BASE, "ber": all_indefinite()}


def _outside_the_key(data: bytes) -> list[int]:
    """Offsets of ``data`` but those of the encrypted key: flipping those only makes both
    implementations fail the RSA step, which the cases above cover."""
    key = wrapped_key(KEY.certificate)
    start = data.index(key)
    return [i for i in range(len(data)) if not start <= i < start + len(key)]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    base=st.sampled_from(sorted(BASES)),
    flips=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(1, 255)), min_size=1, max_size=3),
)
def test_random_byte_flips_are_never_read_more_laxly_than_openssl(
    base: str, flips: list[tuple[int, int]]
) -> None:
    data = BASES[base]
    offsets = _outside_the_key(data)
    for at, mask in flips:
        data = flip(data, offsets[at % len(offsets)], mask)
    check(data)

"""The DPI profile of CMS EnvelopedData in DER (dpi.md 3.4): its object identifiers and
tags, the OAEP and AES-256-CBC algorithm identifiers, and the head of the one
KeyTransRecipientInfo. Shared by the writer (:mod:`.cms_write`), which writes them, and the
reader (:mod:`.cms`), which recognises the usual layout byte for byte before parsing anything.
"""

from __future__ import annotations

import functools
from typing import Final

from asn1crypto import algos, cms, core
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..errors import UsageError
from .ber import definite_header

__all__ = [
    "BLOCK",
    "KEY_BYTES",
    "OAEP",
    "OID_DATA",
    "OID_ENVELOPED",
    "aes256_cbc_head",
    "der",
    "oaep_algorithm_der",
    "recipient_info_head",
]

KEY_BYTES = 32  # AES-256 content key
BLOCK = 16  # AES block, and the IV
OID_ENVELOPED: Final = core.ObjectIdentifier("1.2.840.113549.1.7.3").dump()
OID_DATA: Final = core.ObjectIdentifier("1.2.840.113549.1.7.1").dump()
OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
TAG_SEQUENCE, TAG_SET, TAG_OID, TAG_INTEGER = 0x30, 0x31, 0x06, 0x02
TAG_OCTETS = 0x04
TAG_CONTENT_PRIMITIVE, TAG_CONTENT_CONSTRUCTED = 0x80, 0xA0  # [0] IMPLICIT OCTET STRING
TAG_EXPLICIT0, TAG_UNPROTECTED = 0xA0, 0xA1


@functools.cache
def oaep_algorithm_der() -> bytes:
    # dpi.md 3.4: RSAES-OAEP with explicit parameters SHA-256 / MGF1-SHA-256, hash params NULL
    # (byte for byte what BouncyCastle writes). Constant: encoded once.
    sha256 = {"algorithm": "sha256", "parameters": core.Null()}
    encoded: bytes = cms.KeyEncryptionAlgorithm(
        {
            "algorithm": "rsaes_oaep",
            "parameters": algos.RSAESOAEPParams(
                {
                    "hash_algorithm": sha256,
                    "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": sha256},
                }
            ),
        }
    ).dump()
    return encoded


def der(tag: int, content: bytes) -> bytes:
    """One DER value: identifier, definite length, ``content`` (X.690 10.1)."""
    return definite_header(tag, len(content)) + content


@functools.lru_cache(maxsize=16)
def recipient_info_head(certificate: x509.Certificate) -> tuple[rsa.RSAPublicKey, bytes]:
    """The recipient's RSA key and its KeyTransRecipientInfo v0 up to the encrypted key (RFC
    5652 6.2.1): version, rid = issuerAndSerialNumber (dpi.md 3.4, the issuer's DER copied
    from the certificate) and the OAEP algorithm identifier. Kept per certificate (equal by
    DER): a sender encrypts to the same few mailbox operators."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise UsageError("the DPI recipient certificate must hold an RSA key (dpi.md 3.4)")
    serial = certificate.serial_number
    serial_der = der(0x02, serial.to_bytes(serial.bit_length() // 8 + 1, "big", signed=True))
    rid = der(0x30, certificate.issuer.public_bytes() + serial_der)
    return public_key, der(0x02, b"\x00") + rid + oaep_algorithm_der()


@functools.cache
def aes256_cbc_head() -> bytes:
    """The AES-256-CBC AlgorithmIdentifier (dpi.md 3.4) up to the IV's 16 octets."""
    encoded: bytes = algos.EncryptionAlgorithm(
        {"algorithm": "aes256_cbc", "parameters": core.OctetString(bytes(BLOCK))}
    ).dump()
    return encoded[:-BLOCK]

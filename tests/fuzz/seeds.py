"""Seed inputs for the fuzz targets, built from the project's fixtures at run time.

Import this module *after* the instrumented imports of a target (it loads the test PKI).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator

import pki
from asn1crypto import algos as asn1_algos
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import serialization

__all__ = ["JKS_PASSWORD", "jks", "jks_body", "key_files"]

JKS_PASSWORD = b"changeit"


def _protect(pkcs8: bytes, password: bytes) -> bytes:
    """Sun's KeyProtector (the inverse of what keystore._unprotect reads), fixed salt."""
    salt = hashlib.sha256(pkcs8).digest()[:20]
    stream = bytearray()
    block = salt
    while len(stream) < len(pkcs8):
        block = hashlib.sha1(password + block).digest()
        stream += block
    cipher = bytes(a ^ b for a, b in zip(pkcs8, stream, strict=False))
    check = hashlib.sha1(password + pkcs8).digest()
    info = asn1_keys.EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": asn1_algos.EncryptionAlgorithm(
                {"algorithm": "1.3.6.1.4.1.42.2.17.1.1", "parameters": None}
            ),
            "encrypted_data": salt + cipher + check,
        }
    )
    return bytes(info.dump())


def _utf(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">H", len(raw)) + raw


def _cert(der: bytes) -> bytes:
    return _utf("X.509") + struct.pack(">I", len(der)) + der


def jks_body() -> bytes:
    """A version 2 JKS without its trailing digest: one key entry with its chain, one CA."""
    key = pki.ap_key("c2")
    der = serialization.Encoding.DER
    pkcs8 = key.key.private_bytes(
        der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    password = JKS_PASSWORD.decode().encode("utf-16-be")
    protected = _protect(pkcs8, password)
    chain = [key.certificate, *key.chain]
    entry_key = (
        struct.pack(">I", 1)
        + _utf("corner2")
        + struct.pack(">Q", 1_700_000_000_000)
        + struct.pack(">I", len(protected))
        + protected
        + struct.pack(">I", len(chain))
        + b"".join(_cert(c.public_bytes(der)) for c in chain)
    )
    entry_ca = (
        struct.pack(">I", 2)
        + _utf("root")
        + struct.pack(">Q", 1_700_000_000_000)
        + _cert(pki.root_ca().public_bytes(der))
    )
    return b"\xfe\xed\xfe\xed" + struct.pack(">II", 2, 2) + entry_key + entry_ca


def jks(body: bytes, password: bytes = JKS_PASSWORD) -> bytes:
    """``body`` with its integrity digest appended."""
    whitened = password.decode().encode("utf-16-be") + b"Mighty Aphrodite" + body
    return body + hashlib.sha1(whitened).digest()


def key_files() -> Iterator[bytes]:
    """Every PEM, DER and PKCS#12 file of the test PKI for one party, and a JKS."""
    for name in ("ap-c2.key.pem", "ap-c2.chain.pem", "ap-c2.p12", "ap-ca.crl"):
        yield pki.path(name).read_bytes()
    yield pki.root_ca().public_bytes(serialization.Encoding.DER)
    yield jks(jks_body())


def asic_package() -> bytes:
    """A signed DPI ASiC-E package (main document and one attachment)."""
    from datetime import UTC, datetime

    from peppol_dpi.dpi.asic import AsicBuilder, Document
    from peppol_dpi.ids import ParticipantId

    builder = (
        AsicBuilder()
        .sender(ParticipantId.norwegian("991825827"), sender_identifier="991825827:avsender")
        .mailbox("ola.nordmann#9YDT")
        .main_document(Document(name="vedtak.pdf", content=b"%PDF-1.4 vedtak", title="Vedtak"))
        .add_attachment(Document(name="vedlegg.txt", content=b"Vedlegg\n"))
    )
    return builder.build(pki.business_key("sender"), signing_time=datetime(2026, 3, 1, tzinfo=UTC))

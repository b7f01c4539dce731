"""The raw floor: the primitives one message needs, each timed alone.

For every benchmarked operation the floor is the sum of the unavoidable work, done with the
same libraries at the same settings the package uses:

=============  ==============================================================================
as4_build      gzip of the SBD (the package's engine and level) + SHA-256 of the gzip bytes +
               AES-128-GCM encryption + one RSA-2048 signature + one RSA-OAEP key wrap
as4_open       RSA-OAEP unwrap + AES-128-GCM decryption + SHA-256 + gunzip of the SBD + one RSA
               verify
dpi_pack       deflate of the document (zip) + SHA-256 of it + one RSA signature +
               AES-256-CBC encryption + one RSA-OAEP key wrap
dpi_unpack     RSA-OAEP unwrap + AES-256-CBC decryption + inflate (the package's engine) +
               SHA-256 of the document + one RSA verify
jws_sign       one RSA-2048 signature over the business message
jws_verify     one RSA verify
sbdh_wrap      libxml2 parse and serialization of the payload
sbdh_read      libxml2 parse of the SBD
=============  ==============================================================================

Each primitive is called the cheapest way the package knows (inflate into one buffer of the
known size; the CPU's vector state cleared after every ISA-L call, see
:func:`peppol_dpi.deflate.clear_vector_state`), so that none pays for the one before it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

from .. import deflate

__all__ = ["FloorContext", "floor_operations"]

_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
_SIGNED_INFO = b"<ds:SignedInfo>" + b"x" * 900 + b"</ds:SignedInfo>"


@dataclass(frozen=True)
class FloorContext:
    """The key and the compression levels the package itself uses (its deflate engine)."""

    key: rsa.RSAPrivateKey
    level: int | None = None  # None: the engine's default, as in the package


def _gzip(data: bytes, level: int | None) -> bytes:
    compressor = deflate.compressobj(level, 31)
    compressed: bytes = compressor.compress(data) + compressor.flush()
    return compressed


def _gunzip(data: bytes, size: int) -> bytes:
    # The size known beforehand: one output buffer, the cheapest way to call the engine.
    return deflate.inflate_once(data, 31, size + 1).data


def _inflate(data: bytes, size: int) -> bytes:
    return deflate.inflate_once(data, -15, size + 1).data


def _aes_cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    padder = sym_padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padder.update(data) + padder.finalize()) + encryptor.finalize()


def _aes_cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpadder = sym_padding.PKCS7(128).unpadder()
    return unpadder.update(decryptor.update(data) + decryptor.finalize()) + unpadder.finalize()


def _deflate(data: bytes, level: int | None) -> bytes:
    compressor = deflate.compressobj(level, -15)
    compressed: bytes = compressor.compress(data) + compressor.flush()
    return compressed


def floor_operations(
    payload: bytes, ctx: FloorContext, *, sbd: bytes
) -> dict[str, Callable[[], object]]:
    """A zero-argument callable per operation doing exactly the floor's primitives.

    ``payload`` is the business document; ``sbd`` the same document in its SBD, which is what
    an AS4 message compresses (and an SBDH read parses).
    """
    key, public = ctx.key, ctx.key.public_key()
    cek128, cek256, nonce, iv = os.urandom(16), os.urandom(32), os.urandom(12), os.urandom(16)
    gz = _gzip(sbd, ctx.level)
    gcm_ct = AESGCM(cek128).encrypt(nonce, gz, None)
    zipped = _deflate(payload, ctx.level)
    cbc_ct = _aes_cbc(cek256, iv, zipped)
    wrapped128 = public.encrypt(cek128, _OAEP)
    wrapped256 = public.encrypt(cek256, _OAEP)
    signature = key.sign(_SIGNED_INFO, padding.PKCS1v15(), hashes.SHA256())

    def as4_build() -> object:
        compressed = _gzip(sbd, ctx.level)
        hashlib.sha256(compressed).digest()
        key.sign(_SIGNED_INFO, padding.PKCS1v15(), hashes.SHA256())
        AESGCM(cek128).encrypt(nonce, compressed, None)
        return public.encrypt(cek128, _OAEP)

    def as4_open() -> object:
        cek = key.decrypt(wrapped128, _OAEP)
        compressed = AESGCM(cek).decrypt(nonce, gcm_ct, None)
        hashlib.sha256(compressed).digest()
        public.verify(signature, _SIGNED_INFO, padding.PKCS1v15(), hashes.SHA256())
        return _gunzip(compressed, len(sbd))

    def dpi_pack() -> object:
        hashlib.sha256(payload).digest()
        deflated = _deflate(payload, ctx.level)
        key.sign(_SIGNED_INFO, padding.PKCS1v15(), hashes.SHA256())
        _aes_cbc(cek256, iv, deflated)
        return public.encrypt(cek256, _OAEP)

    def dpi_unpack() -> object:
        cek = key.decrypt(wrapped256, _OAEP)
        inflated = _inflate(_aes_cbc_decrypt(cek, iv, cbc_ct), len(payload))
        hashlib.sha256(inflated).digest()
        return public.verify(signature, _SIGNED_INFO, padding.PKCS1v15(), hashes.SHA256())

    def jws_sign() -> object:
        return key.sign(payload, padding.PKCS1v15(), hashes.SHA256())

    jws_signature = key.sign(payload, padding.PKCS1v15(), hashes.SHA256())

    def jws_verify() -> object:
        return public.verify(jws_signature, payload, padding.PKCS1v15(), hashes.SHA256())

    parser = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)

    def sbdh_wrap() -> object:
        return etree.tostring(etree.fromstring(payload, parser))

    def sbdh_read() -> object:
        return etree.fromstring(sbd, parser)

    return {
        "as4_build": as4_build,
        "as4_open": as4_open,
        "dpi_pack": dpi_pack,
        "dpi_unpack": dpi_unpack,
        "jws_sign": jws_sign,
        "jws_verify": jws_verify,
        "sbdh_wrap": sbdh_wrap,
        "sbdh_read": sbdh_read,
    }

"""Writing CMS EnvelopedData for a DPI document package (dpi.md 3.4): :func:`encrypt` and
:func:`encrypt_stream` give DER, :class:`EnvelopedDataWriter` streams BER with indefinite
lengths (BouncyCastle's layout) for content of unknown length. Re-exported by :mod:`.cms`,
which documents the profile and reads what is written here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import BinaryIO

from cryptography import x509
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from ..errors import UsageError
from .ber import definite_header
from .cms_profile import (
    BLOCK,
    KEY_BYTES,
    OAEP,
    OID_DATA,
    OID_ENVELOPED,
    TAG_EXPLICIT0,
    TAG_OCTETS,
    TAG_SEQUENCE,
    aes256_cbc_head,
    der,
    recipient_info_head,
)

__all__ = ["EnvelopedDataWriter", "encrypt", "encrypt_stream"]

_SEGMENT = 64 * 1024  # ciphertext OCTET STRING segment size of the streaming writer


def _recipient_infos(recipient: x509.Certificate, cek: bytes) -> bytes:
    """``RecipientInfos`` with one KeyTransRecipientInfo v0, written directly."""
    public_key, head = recipient_info_head(recipient)
    ktri = der(0x30, head + der(0x04, public_key.encrypt(cek, OAEP)))
    return der(0x31, ktri)  # SET OF RecipientInfo, one element


def _content_algorithm(iv: bytes) -> bytes:
    return aes256_cbc_head() + iv


def _new_cipher() -> tuple[bytes, bytes, CipherContext]:
    """A fresh AES-256 content key and IV for one package (dpi.md 3.4), and its encryptor."""
    cek, iv = os.urandom(KEY_BYTES), os.urandom(BLOCK)
    return cek, iv, Cipher(algorithms.AES(cek), modes.CBC(iv)).encryptor()


def encrypt_stream(
    chunks: Iterable[bytes], *, length: int, recipient: x509.Certificate
) -> Iterator[bytes]:
    """DER EnvelopedData of content given in pieces whose total ``length`` is known up front.

    Memory stays at one chunk: the ciphertext length of CBC with PKCS#7 padding follows from
    the plaintext length, so every DER length is known before the first byte is encrypted.
    """
    cek, iv, encryptor = _new_cipher()
    padder = sym_padding.PKCS7(128).padder()
    ciphertext_length = (length // BLOCK + 1) * BLOCK
    version = b"\x02\x01\x00"
    recipients = _recipient_infos(recipient, cek)
    eci_head = OID_DATA + _content_algorithm(iv) + definite_header(0x80, ciphertext_length)
    eci = definite_header(TAG_SEQUENCE, len(eci_head) + ciphertext_length)
    ed_length = len(version) + len(recipients) + len(eci) + len(eci_head) + ciphertext_length
    ed = definite_header(TAG_SEQUENCE, ed_length)
    explicit = definite_header(TAG_EXPLICIT0, len(ed) + ed_length)
    ci = definite_header(TAG_SEQUENCE, len(OID_ENVELOPED) + len(explicit) + len(ed) + ed_length)
    yield ci + OID_ENVELOPED + explicit + ed + version + recipients + eci + eci_head
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        if seen > length:
            raise UsageError("the content is longer than the length given")
        out = encryptor.update(padder.update(chunk))
        if out:
            yield out
    if seen != length:
        raise UsageError("the content is shorter than the length given")
    yield encryptor.update(padder.finalize()) + encryptor.finalize()


def encrypt(content: bytes, recipient: x509.Certificate) -> bytes:
    """The document package: ``content`` (the ASiC-E zip) encrypted to ``recipient``, as DER."""
    return b"".join(encrypt_stream([content], length=len(content), recipient=recipient))


class EnvelopedDataWriter:
    """A write-only binary stream that encrypts what it is given into ``sink`` as CMS.

    The output is BER with indefinite lengths and the ciphertext in OCTET STRING segments, as
    BouncyCastle's ``CMSEnvelopedDataStreamGenerator`` writes it (dpi.md 3.4), so content of
    unknown length (a zip being written) is encrypted on the fly. ``close()`` (or leaving the
    ``with`` block) writes the end; nothing is written to ``sink`` after that.
    """

    def __init__(self, sink: BinaryIO, recipient: x509.Certificate) -> None:
        cek, iv, self._encryptor = _new_cipher()
        self._sink = sink
        self._buffer = bytearray()  # small writes, collected into one segment
        self._length = 0
        self._closed = False
        sink.write(
            b"\x30\x80"
            + OID_ENVELOPED
            + b"\xa0\x80\x30\x80\x02\x01\x00"
            + _recipient_infos(recipient, cek)
            + b"\x30\x80"
            + OID_DATA
            + _content_algorithm(iv)
            + b"\xa0\x80"
        )

    def _segment(self, plain: bytes | bytearray | memoryview) -> None:
        """Encrypt ``plain`` and write what comes out (whole blocks; the encryptor keeps the
        rest) as one OCTET STRING segment."""
        out = self._encryptor.update(plain)
        if out:
            self._sink.write(definite_header(TAG_OCTETS, len(out)))
            self._sink.write(out)

    def _drain(self) -> None:
        if self._buffer:
            self._segment(self._buffer)
            self._buffer.clear()

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed:
            raise UsageError("write to a closed EnvelopedDataWriter")
        size = len(data)
        self._length += size
        if size < _SEGMENT:
            self._buffer += data
            if len(self._buffer) >= _SEGMENT:
                self._drain()
        else:  # a large piece (compressed document) is encrypted where it is, not copied
            self._drain()
            self._segment(data)
        return size

    def flush(self) -> None:
        self._sink.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        pad = BLOCK - self._length % BLOCK  # PKCS#7 (RFC 5652 6.3)
        self._buffer += bytes([pad]) * pad
        self._drain()
        self._encryptor.finalize()
        # end of: [0] content, EncryptedContentInfo, EnvelopedData, [0] EXPLICIT, ContentInfo
        self._sink.write(b"\x00\x00" * 5)

    def __enter__(self) -> EnvelopedDataWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()

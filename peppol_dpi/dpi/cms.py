"""CMS encryption of the DPI document package (dokumentpakke), RFC 5652 EnvelopedData.

The profile (dpi.md 3.4, as Digdir's integrasjonspunkt, NAV and the signed samples do it; the
DOCS prose that says SHA-1 OAEP defaults is stale): ContentInfo envelopedData, EnvelopedData
version 0, exactly one KeyTransRecipientInfo version 0 naming the recipient certificate by
issuerAndSerialNumber, key transport RSAES-OAEP with SHA-256 and MGF1-SHA-256 (explicit
parameters, NULL hash parameters, default pSource), content AES-256-CBC with a fresh key and
IV, PKCS#7 padding, inner content type id-data.

Writing: :func:`encrypt` gives DER; :class:`EnvelopedDataWriter` streams BER with indefinite
lengths (BouncyCastle's layout) for content of unknown length. Reading: :func:`decrypt` and
:func:`decrypt_stream` take either. The RSA step goes through :class:`~peppol_dpi.keys.PrivateKey`
so the key may live in an HSM. Every failure is one :class:`~peppol_dpi.errors.DecryptionError`.

The package fingerprint that the business message carries (``dokumentpakkefingeravtrykk``) is
the base64 SHA-256 of the exact CMS bytes: :func:`package_fingerprint`.
"""

from __future__ import annotations

import base64
import enum
import functools
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import BinaryIO, Final

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from ..errors import DecryptionError, UsageError
from ..keys import PrivateKey, RsaPadding
from ..limits import DEFAULT_LIMITS, Limits
from .ber import BerError, Header, StreamReader, definite_header

__all__ = [
    "FINGERPRINT_DIGEST_METHOD",
    "ContentEncryption",
    "EnvelopedDataWriter",
    "KeyTransport",
    "decrypt",
    "decrypt_stream",
    "encrypt",
    "encrypt_stream",
    "package_fingerprint",
]

#: ``dokumentpakkefingeravtrykk.digestMethod`` (dpi.md 1.4).
FINGERPRINT_DIGEST_METHOD: Final = "http://www.w3.org/2001/04/xmlenc#sha256"


class KeyTransport(enum.Enum):
    """Key transport algorithms (value = OID). DPI uses OAEP with SHA-256 and MGF1-SHA-256."""

    RSAES_OAEP = "1.2.840.113549.1.1.7"


class ContentEncryption(enum.Enum):
    """Content encryption algorithms (value = OID)."""

    AES256_CBC = "2.16.840.1.101.3.4.1.42"


_KEY_BYTES = 32
_BLOCK = 16
_CHUNK = 1024 * 1024
_SEGMENT = 64 * 1024  # ciphertext OCTET STRING segment size of the streaming writer
_MAX_RECIPIENT_INFOS = 64 * 1024
_OID_ENVELOPED: Final = core.ObjectIdentifier("1.2.840.113549.1.7.3").dump()
_OID_DATA: Final = core.ObjectIdentifier("1.2.840.113549.1.7.1").dump()
_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
_TAG_SEQUENCE, _TAG_SET, _TAG_OID, _TAG_INTEGER = 0x30, 0x31, 0x06, 0x02
_TAG_OCTETS = 0x04
_TAG_CONTENT_PRIMITIVE, _TAG_CONTENT_CONSTRUCTED = 0x80, 0xA0  # [0] IMPLICIT OCTET STRING
_TAG_EXPLICIT0, _TAG_UNPROTECTED = 0xA0, 0xA1


def package_fingerprint(cms_bytes: bytes) -> str:
    """``dokumentpakkefingeravtrykk.digestValue``: base64 SHA-256 of the exact CMS bytes (dpi.md 3.4)."""
    return base64.b64encode(hashlib.sha256(cms_bytes).digest()).decode("ascii")


# -- writing ---------------------------------------------------------------------------------


@functools.cache
def _oaep_algorithm_der() -> bytes:
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


def _der(tag: int, content: bytes) -> bytes:
    return definite_header(tag, len(content)) + content


@functools.lru_cache(maxsize=16)
def _recipient(certificate: x509.Certificate) -> tuple[rsa.RSAPublicKey, bytes]:
    """The recipient's RSA key and its KeyTransRecipientInfo v0 up to the encrypted key (RFC
    5652 6.2.1): version, rid = issuerAndSerialNumber (dpi.md 3.4, the issuer's DER copied
    from the certificate) and the OAEP algorithm identifier. Kept per certificate (equal by
    DER): a sender encrypts to the same few mailbox operators."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise UsageError("the DPI recipient certificate must hold an RSA key (dpi.md 3.4)")
    serial = certificate.serial_number
    serial_der = _der(0x02, serial.to_bytes(serial.bit_length() // 8 + 1, "big", signed=True))
    rid = _der(0x30, certificate.issuer.public_bytes() + serial_der)
    return public_key, _der(0x02, b"\x00") + rid + _oaep_algorithm_der()


def _recipient_infos(recipient: x509.Certificate, cek: bytes) -> bytes:
    """``RecipientInfos`` with one KeyTransRecipientInfo v0, written directly."""
    public_key, head = _recipient(recipient)
    ktri = _der(0x30, head + _der(0x04, public_key.encrypt(cek, _OAEP)))
    return _der(0x31, ktri)  # SET OF RecipientInfo, one element


@functools.cache
def _aes256_cbc_head() -> bytes:
    """The AES-256-CBC AlgorithmIdentifier (dpi.md 3.4) up to the IV's 16 octets."""
    encoded: bytes = algos.EncryptionAlgorithm(
        {"algorithm": "aes256_cbc", "parameters": core.OctetString(bytes(_BLOCK))}
    ).dump()
    return encoded[:-_BLOCK]


def _content_algorithm(iv: bytes) -> bytes:
    return _aes256_cbc_head() + iv


def _new_cipher() -> tuple[bytes, bytes, CipherContext]:
    """A fresh AES-256 content key and IV for one package (dpi.md 3.4), and its encryptor."""
    cek, iv = os.urandom(_KEY_BYTES), os.urandom(_BLOCK)
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
    ciphertext_length = (length // _BLOCK + 1) * _BLOCK
    version = b"\x02\x01\x00"
    recipients = _recipient_infos(recipient, cek)
    eci_head = _OID_DATA + _content_algorithm(iv) + definite_header(0x80, ciphertext_length)
    eci = definite_header(_TAG_SEQUENCE, len(eci_head) + ciphertext_length)
    ed_length = len(version) + len(recipients) + len(eci) + len(eci_head) + ciphertext_length
    ed = definite_header(_TAG_SEQUENCE, ed_length)
    explicit = definite_header(_TAG_EXPLICIT0, len(ed) + ed_length)
    ci = definite_header(_TAG_SEQUENCE, len(_OID_ENVELOPED) + len(explicit) + len(ed) + ed_length)
    yield ci + _OID_ENVELOPED + explicit + ed + version + recipients + eci + eci_head
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
            + _OID_ENVELOPED
            + b"\xa0\x80\x30\x80\x02\x01\x00"
            + _recipient_infos(recipient, cek)
            + b"\x30\x80"
            + _OID_DATA
            + _content_algorithm(iv)
            + b"\xa0\x80"
        )

    def _segment(self, plain: bytes | bytearray | memoryview) -> None:
        """Encrypt ``plain`` and write what comes out (whole blocks; the encryptor keeps the
        rest) as one OCTET STRING segment."""
        out = self._encryptor.update(plain)
        if out:
            self._sink.write(definite_header(_TAG_OCTETS, len(out)))
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
        pad = _BLOCK - self._length % _BLOCK  # PKCS#7 (RFC 5652 6.3)
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


# -- reading ---------------------------------------------------------------------------------


def _malformed(what: str) -> DecryptionError:
    return DecryptionError(rule=f"cms:{what}")


def _matches(rid: cms.RecipientIdentifier, cert: x509.Certificate) -> bool:
    if rid.name == "issuer_and_serial_number":
        issuer_serial = rid.chosen
        if issuer_serial["serial_number"].native != cert.serial_number:
            return False
        issuer_der = cert.issuer.public_bytes()
        if issuer_serial["issuer"].dump() == issuer_der:
            return True  # the usual case: the same encoding as in the certificate
        # RFC 5280 7.1: names match after normalisation even when encoded differently.
        return bool(issuer_serial["issuer"] == asn1_x509.Name.load(issuer_der))
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return False
    return bool(rid.chosen.native == ski)


def _check_oaep(algorithm: algos.KeyEncryptionAlgorithm) -> None:
    # dpi.md 3.4 / 9.1: RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label. No SHA-1.
    if algorithm["algorithm"].native != "rsaes_oaep":
        raise _malformed("unsupported-key-transport")
    params = algorithm["parameters"]
    mgf = params["mask_gen_algorithm"]
    if (
        params["hash_algorithm"]["algorithm"].native != "sha256"
        or mgf["algorithm"].native != "mgf1"
        or mgf["parameters"]["algorithm"].native != "sha256"
        or params["p_source_algorithm"]["parameters"].native != b""
    ):
        raise _malformed("unsupported-key-transport")


@functools.lru_cache(maxsize=16)
def _usual_recipient_infos(certificate: x509.Certificate) -> tuple[bytes, int] | None:
    """What ``RecipientInfos`` for ``certificate`` look like as integrasjonspunkt and
    :func:`encrypt` write them (one KeyTransRecipientInfo, DER, the profile's OAEP), up to the
    encrypted key, and that key's length; None for a key that is not RSA. Kept per
    certificate (equal by DER): the receiver's own certificate, the same for every package."""
    try:
        public_key, head = _recipient(certificate)
    except UsageError:
        return None
    key_bytes = (public_key.key_size + 7) // 8
    head += definite_header(_TAG_OCTETS, key_bytes)
    ktri = definite_header(_TAG_SEQUENCE, len(head) + key_bytes)
    length = len(ktri) + len(head) + key_bytes
    return definite_header(_TAG_SET, length) + ktri + head, key_bytes


def _content_key(recipient_infos: bytes, key: PrivateKey) -> bytes:
    usual = _usual_recipient_infos(key.certificate)
    if (
        usual is not None
        and len(recipient_infos) == len(usual[0]) + usual[1]
        and recipient_infos.startswith(usual[0])
    ):
        # Byte for byte the usual layout: every field _matches and _check_oaep would look at
        # is the expected one, so only the encrypted key is left to take.
        return _unwrap(recipient_infos[len(usual[0]) :], key)
    infos = cms.RecipientInfos.load(recipient_infos)
    for info in infos:
        if info.name != "ktri":
            continue
        ktri = info.chosen
        if not _matches(ktri["rid"], key.certificate):
            continue
        _check_oaep(ktri["key_encryption_algorithm"])
        return _unwrap(ktri["encrypted_key"].native, key)
    raise _malformed("no-recipient")


def _unwrap(encrypted_key: bytes, key: PrivateKey) -> bytes:
    cek = key.decrypt(encrypted_key, RsaPadding.OAEP_SHA256_MGF1_SHA256)
    if len(cek) != _KEY_BYTES:
        raise DecryptionError()
    return cek


def _iv(encoded: bytes) -> bytes:
    head = _aes256_cbc_head()
    if len(encoded) == len(head) + _BLOCK and encoded.startswith(head):
        return encoded[len(head) :]  # the usual encoding, as _content_algorithm writes it
    algorithm = algos.EncryptionAlgorithm.load(encoded)
    # dpi.md 3.4: AES-256-CBC, parameters = the 16-byte IV.
    if algorithm["algorithm"].native != "aes256_cbc":
        raise _malformed("unsupported-content-encryption")
    iv = algorithm["parameters"].native
    if not isinstance(iv, bytes) or len(iv) != _BLOCK:
        raise _malformed("malformed")
    return bytes(iv)


def _close(reader: StreamReader, header: Header, start: int, *, optional_tag: int = -1) -> None:
    """Read to the end of a value: its end-of-contents octets, or check its definite length.

    One trailing optional field with ``optional_tag`` (EnvelopedData unprotectedAttrs) is
    skipped.
    """
    if header.length is None:
        inner = reader.header()
        if inner.tag == optional_tag:
            reader.element(inner, max_bytes=_MAX_RECIPIENT_INFOS)
            inner = reader.header()
        if inner.tag != 0 or inner.length != 0:
            raise BerError("unexpected content before end-of-contents")
        return
    end = start + header.length
    if reader.position < end:
        reader.element(reader.expect(optional_tag), max_bytes=_MAX_RECIPIENT_INFOS)
    if reader.position != end:
        raise BerError("value length does not match its contents")


def decrypt_stream(
    source: BinaryIO, key: PrivateKey, sink: BinaryIO, *, limits: Limits = DEFAULT_LIMITS
) -> int:
    """Decrypt CMS (DER or BER) read from ``source`` into ``sink``; returns the bytes written.

    Memory stays at about one MiB whatever the package size. Raises
    :class:`~peppol_dpi.errors.DecryptionError` for every failure: not CMS, an algorithm
    outside the DPI profile, no recipient info for ``key``'s certificate, wrong key, bad
    padding, more than ``limits.max_package_bytes``.
    """
    return _decrypt_from(
        StreamReader(source, limit=limits.max_package_bytes + _MAX_RECIPIENT_INFOS),
        key,
        sink.write,
        limits,
    )


def _decrypt_from(
    reader: StreamReader,
    key: PrivateKey,
    write: Callable[[bytes | memoryview], object],
    limits: Limits,
) -> int:
    try:
        return _decrypt(reader, key, write, limits)
    except (BerError, ValueError, TypeError, KeyError, AttributeError):
        raise _malformed("malformed") from None


def _decrypt(
    reader: StreamReader,
    key: PrivateKey,
    write: Callable[[bytes | memoryview], object],
    limits: Limits,
) -> int:
    content_info = reader.expect(_TAG_SEQUENCE)
    content_info_start = reader.position
    if reader.element(reader.expect(_TAG_OID), max_bytes=64) != _OID_ENVELOPED:
        raise _malformed("not-enveloped-data")
    explicit = reader.expect(_TAG_EXPLICIT0)
    explicit_start = reader.position
    enveloped = reader.expect(_TAG_SEQUENCE)
    enveloped_start = reader.position
    reader.element(reader.expect(_TAG_INTEGER), max_bytes=8)  # version: 0 or 2, not relied on
    header = reader.header()
    if header.tag == _TAG_EXPLICIT0:  # originatorInfo: certificates we do not need
        reader.element(header, max_bytes=_MAX_RECIPIENT_INFOS)
        header = reader.header()
    if header.tag != _TAG_SET:
        raise BerError("expected recipientInfos")
    cek = _content_key(reader.element(header, max_bytes=_MAX_RECIPIENT_INFOS), key)

    content = reader.expect(_TAG_SEQUENCE)
    content_start = reader.position
    if reader.element(reader.expect(_TAG_OID), max_bytes=64) != _OID_DATA:
        raise _malformed("unsupported-content-type")
    iv = _iv(reader.element(reader.expect(_TAG_SEQUENCE), max_bytes=256))
    header = reader.header()
    if header.tag not in (_TAG_CONTENT_PRIMITIVE, _TAG_CONTENT_CONSTRUCTED):
        raise _malformed("no-encrypted-content")

    decryptor = Cipher(algorithms.AES(cek), modes.CBC(iv)).decryptor()
    written = 0
    tail = b""
    for segment in reader.octet_segments(header, chunk=_CHUNK):
        plain = decryptor.update(segment)
        if len(plain) >= _BLOCK:
            # Hold the last block back: it carries the padding, checked at the end.
            write(tail)
            write(memoryview(plain)[:-_BLOCK])
            written += len(tail) + len(plain) - _BLOCK
            tail = plain[-_BLOCK:]
        else:
            tail += plain
        if written > limits.max_package_bytes:
            raise _malformed("too-large")
    try:
        unpadder = sym_padding.PKCS7(128).unpadder()
        last = unpadder.update(tail + decryptor.finalize()) + unpadder.finalize()
    except ValueError:
        raise DecryptionError() from None
    write(last)
    written += len(last)

    _close(reader, content, content_start)
    _close(reader, enveloped, enveloped_start, optional_tag=_TAG_UNPROTECTED)
    _close(reader, explicit, explicit_start)
    _close(reader, content_info, content_info_start)
    if not reader.at_end():
        raise _malformed("trailing-data")
    return written


def decrypt(cms_bytes: bytes, key: PrivateKey, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The plaintext (the ASiC-E zip) of a document package; see :func:`decrypt_stream`."""
    if not isinstance(cms_bytes, bytes):
        raise UsageError("decrypt takes bytes")
    # In memory: the ciphertext is read as views of ``cms_bytes`` (no copies). The plaintext
    # goes into one growing buffer, each decrypted segment freed at once: a list of segments
    # joined at the end would hold the package twice and leave the heap fragmented.
    reader = StreamReader(
        io.BytesIO(cms_bytes),
        limit=limits.max_package_bytes + _MAX_RECIPIENT_INFOS,
        memory=memoryview(cms_bytes),
    )
    sink = io.BytesIO()
    _decrypt_from(reader, key, sink.write, limits)
    return sink.getvalue()

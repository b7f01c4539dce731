"""CMS encryption of the DPI document package (dokumentpakke), RFC 5652 EnvelopedData.

The profile (dpi.md 3.4, as Digdir's integrasjonspunkt, NAV and the signed samples do it; the
DOCS prose that says SHA-1 OAEP defaults is stale): ContentInfo envelopedData, EnvelopedData
version 0, exactly one KeyTransRecipientInfo version 0 naming the recipient certificate by
issuerAndSerialNumber, key transport RSAES-OAEP with SHA-256 and MGF1-SHA-256 (explicit
parameters, NULL hash parameters, default pSource), content AES-256-CBC with a fresh key and
IV, PKCS#7 padding, inner content type id-data.

Writing (:mod:`.cms_write`, re-exported here): :func:`encrypt` gives DER;
:class:`EnvelopedDataWriter` streams BER with indefinite lengths (BouncyCastle's layout) for
content of unknown length. Reading (here): :func:`decrypt` and :func:`decrypt_stream` take
either. The profile's DER pieces both use are in :mod:`.cms_profile`. The RSA step goes through :class:`~peppol_dpi.keys.PrivateKey`
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
from collections.abc import Callable
from typing import BinaryIO, Final, TypeVar

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from asn1crypto.core import Asn1Value
from cryptography import x509
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..arguments import require_bytes, require_sink
from ..errors import DecryptionError, UsageError
from ..keys import PrivateKey, RsaPadding, require_key
from ..limits import DEFAULT_LIMITS, Limits
from .ber import BerError, Header, StreamReader, definite_header
from .cms_profile import (
    BLOCK,
    KEY_BYTES,
    OID_DATA,
    OID_ENVELOPED,
    TAG_CONTENT_CONSTRUCTED,
    TAG_CONTENT_PRIMITIVE,
    TAG_EXPLICIT0,
    TAG_INTEGER,
    TAG_OCTETS,
    TAG_OID,
    TAG_SEQUENCE,
    TAG_SET,
    TAG_UNPROTECTED,
    aes256_cbc_head,
    recipient_info_head,
)
from .cms_write import EnvelopedDataWriter, encrypt, encrypt_stream

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


_CHUNK = 1024 * 1024
_MAX_RECIPIENT_INFOS = 64 * 1024
# CMSVersion (RFC 5652 10.2.5) in its one DER form (X.690 8.3.2): 0, 2, 3, 4; a
# KeyTransRecipientInfo's is 0 or 2 (6.2.1).
_VERSIONS: Final = (b"\x02\x01\x00", b"\x02\x01\x02", b"\x02\x01\x03", b"\x02\x01\x04")
_KTRI_VERSIONS: Final = (b"\x00", b"\x02")
Asn1T = TypeVar("Asn1T", bound=Asn1Value)


def package_fingerprint(cms_bytes: bytes) -> str:
    """``dokumentpakkefingeravtrykk.digestValue``: base64 SHA-256 of the exact CMS bytes (dpi.md 3.4)."""
    cms_bytes = require_bytes(cms_bytes, caller="package_fingerprint", name="cms_bytes")
    return base64.b64encode(hashlib.sha256(cms_bytes).digest()).decode("ascii")


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
        public_key, head = recipient_info_head(certificate)
    except UsageError:
        return None
    key_bytes = (public_key.key_size + 7) // 8
    head += definite_header(TAG_OCTETS, key_bytes)
    ktri = definite_header(TAG_SEQUENCE, len(head) + key_bytes)
    length = len(ktri) + len(head) + key_bytes
    return definite_header(TAG_SET, length) + ktri + head, key_bytes


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
    infos = _parsed(cms.RecipientInfos, recipient_infos)
    if len(infos) != 1:
        # dpi.md 3.4: exactly one KeyTransRecipientInfo. With more, readers need not agree on
        # the content key: Digdir's efm-common decrypts with the first whatever it names,
        # BouncyCastle's store prefers one named by issuer and serial, OpenSSL takes the first
        # that is ours; two for our certificate with two keys are two documents
        # (tests/test_cms_against_bouncycastle.py).
        raise _malformed("recipient-count")
    (info,) = infos  # well formed (RFC 5652 6.2), ours or not
    if info.name != "ktri":
        raise _malformed("no-recipient")
    ours = info.chosen
    if ours["version"].contents not in _KTRI_VERSIONS:
        raise _malformed("malformed")
    if not _matches(ours["rid"], key.certificate):
        raise _malformed("no-recipient")
    _check_oaep(ours["key_encryption_algorithm"])
    return _unwrap(ours["encrypted_key"].native, key)


def _parsed(kind: type[Asn1T], encoded: bytes, *, implicit: int | None = None) -> Asn1T:
    """``encoded`` read as ``kind`` (an asn1crypto type, maybe under an IMPLICIT context tag),
    every field of it: fields this module skips must still be what RFC 5652 says, as OpenSSL
    holds them to be."""
    try:
        value = (
            kind.load(encoded, strict=True)
            if implicit is None
            else kind.load(encoded, strict=True, implicit=implicit)
        )
        value.native  # noqa: B018 (parses every field)
        extra = _extra_fields(value)
    # (asn1crypto reports malformed input as any of these, an empty BIT STRING as IndexError)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise _malformed("malformed") from None
    if extra:
        raise _malformed("malformed")
    assert isinstance(value, kind)
    return value


def _extra_fields(value: Asn1Value) -> bool:
    """Whether a SEQUENCE in ``value`` holds more fields than its type declares (asn1crypto
    keeps them under numbered names; OpenSSL refuses them)."""
    if isinstance(value, core.Choice):
        return _extra_fields(value.chosen)
    if isinstance(value, core.SequenceOf | core.SetOf):
        return any(_extra_fields(item) for item in value)
    if isinstance(value, core.Sequence | core.Set):
        fields = getattr(value, "_fields", ())
        return len(value) > len(fields) or any(_extra_fields(value[i]) for i in range(len(value)))
    return False


def _unwrap(encrypted_key: bytes, key: PrivateKey) -> bytes:
    cek = key.decrypt(encrypted_key, RsaPadding.OAEP_SHA256_MGF1_SHA256)
    if len(cek) != KEY_BYTES:
        raise DecryptionError()
    return cek


def _iv(encoded: bytes) -> bytes:
    head = aes256_cbc_head()
    if len(encoded) == len(head) + BLOCK and encoded.startswith(head):
        return encoded[len(head) :]  # the usual encoding, as _content_algorithm writes it
    # Every field read (BouncyCastle and OpenSSL refuse a third one after the IV).
    algorithm = _parsed(algos.EncryptionAlgorithm, encoded)
    # dpi.md 3.4: AES-256-CBC, parameters = the 16-byte IV.
    if algorithm["algorithm"].native != "aes256_cbc":
        raise _malformed("unsupported-content-encryption")
    iv = algorithm["parameters"].native
    if not isinstance(iv, bytes) or len(iv) != BLOCK:
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
            skipped = reader.element(inner, max_bytes=_MAX_RECIPIENT_INFOS)
            _parsed(cms.CMSAttributes, skipped, implicit=1)
            inner = reader.header()
        if inner.tag != 0 or inner.length != 0:
            raise BerError("unexpected content before end-of-contents")
        return
    end = start + header.length
    if reader.position < end:
        skipped = reader.element(reader.expect(optional_tag), max_bytes=_MAX_RECIPIENT_INFOS)
        _parsed(cms.CMSAttributes, skipped, implicit=1)
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
    # Checked here: a TypeError or AttributeError inside is taken for malformed CMS below.
    require_key(key, caller="decrypt_stream")
    require_sink(sink, caller="decrypt_stream", name="sink")
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
    content_info = reader.expect(TAG_SEQUENCE)
    content_info_start = reader.position
    if reader.element(reader.expect(TAG_OID), max_bytes=64) != OID_ENVELOPED:
        raise _malformed("not-enveloped-data")
    explicit = reader.expect(TAG_EXPLICIT0)
    explicit_start = reader.position
    enveloped = reader.expect(TAG_SEQUENCE)
    enveloped_start = reader.position
    # RFC 5652 6.1: CMSVersion, one of 0, 2, 3, 4, in its one DER form (X.690 8.3.2).
    if reader.element(reader.expect(TAG_INTEGER), max_bytes=8) not in _VERSIONS:
        raise _malformed("malformed")
    header = reader.header()
    if header.tag == TAG_EXPLICIT0:  # originatorInfo: certificates we do not need, well formed
        originator = reader.element(header, max_bytes=_MAX_RECIPIENT_INFOS)
        _parsed(cms.OriginatorInfo, originator, implicit=0)
        header = reader.header()
    if header.tag != TAG_SET:
        raise BerError("expected recipientInfos")
    cek = _content_key(reader.element(header, max_bytes=_MAX_RECIPIENT_INFOS), key)

    content = reader.expect(TAG_SEQUENCE)
    content_start = reader.position
    if reader.element(reader.expect(TAG_OID), max_bytes=64) != OID_DATA:
        raise _malformed("unsupported-content-type")
    iv = _iv(reader.element(reader.expect(TAG_SEQUENCE), max_bytes=256))
    header = reader.header()
    if header.tag not in (TAG_CONTENT_PRIMITIVE, TAG_CONTENT_CONSTRUCTED):
        raise _malformed("no-encrypted-content")

    decryptor = Cipher(algorithms.AES(cek), modes.CBC(iv)).decryptor()
    written = 0
    tail = b""
    for segment in reader.octet_segments(header, chunk=_CHUNK):
        plain = decryptor.update(segment)
        if len(plain) >= BLOCK:
            # Hold the last block back: it carries the padding, checked at the end.
            write(tail)
            write(memoryview(plain)[:-BLOCK])
            written += len(tail) + len(plain) - BLOCK
            tail = plain[-BLOCK:]
        else:
            tail += plain
        if written > limits.max_package_bytes:
            raise _malformed("too-large")
    try:
        unpadder = sym_padding.PKCS7(128).unpadder()
        last = unpadder.update(tail + decryptor.finalize()) + unpadder.finalize()
    except ValueError:
        raise DecryptionError() from None
    written += len(last)
    if written > limits.max_package_bytes:  # by no more than the last block's data
        raise _malformed("too-large")
    write(last)

    _close(reader, content, content_start)
    _close(reader, enveloped, enveloped_start, optional_tag=TAG_UNPROTECTED)
    _close(reader, explicit, explicit_start)
    _close(reader, content_info, content_info_start)
    if not reader.at_end():
        raise _malformed("trailing-data")
    return written


def decrypt(cms_bytes: bytes, key: PrivateKey, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The plaintext (the ASiC-E zip) of a document package; see :func:`decrypt_stream`."""
    cms_bytes = require_bytes(cms_bytes, caller="decrypt", name="cms_bytes")
    require_key(key, caller="decrypt")
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

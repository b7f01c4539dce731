"""Keys and certificates: loading them, and the private-key protocol the package signs with.

Everything that signs or decrypts takes a :class:`PrivateKey`, not a key object, so that a key
in an HSM or a cloud KMS can stand behind it: implement ``sign`` and ``decrypt`` and the
``certificate`` attribute. :class:`LocalPrivateKey` wraps a key held in memory.

Loading (``load_*``) is separate from use: a file path never goes into a constructor. Load keys
once per process; ``cryptography`` validates an RSA key on load, which costs tens of
milliseconds.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from .arguments import require_bytes, require_limits, wrong_type
from .errors import CertificateError, DecryptionError, InputError, SignatureError, UsageError
from .limits import DEFAULT_LIMITS, Limits
from .lrucache import LruCache

__all__ = [
    "CertificateChain",
    "KeyFileError",
    "LocalPrivateKey",
    "PrivateKey",
    "RsaPadding",
    "SignatureHash",
    "certificate_from_der",
    "certificate_matches",
    "check_entry_count",
    "check_key_file_size",
    "decoded_from_file",
    "fully_decoded",
    "load_certificate",
    "load_certificates",
    "load_pkcs12",
    "load_private_key",
    "require_certificate",
    "require_key",
    "rsa_public_key",
    "same_certificates",
]


class KeyFileError(InputError):
    """A key or certificate file cannot be read (wrong format, wrong password, corrupt)."""


def fully_decoded(cert: x509.Certificate) -> x509.Certificate:
    """``cert`` after decoding every field the package reads, or one of
    :data:`MALFORMED_CERTIFICATE_ERRORS`.

    ``cryptography`` decodes names, extensions and the key lazily: a certificate that loads
    can still raise on first use, deep inside a validator or a log line (found by fuzzing).
    Certificates from outside are decoded whole once, where they enter; a certificate equal
    (same DER) to one decoded before is not decoded again.
    """
    if _DECODED.get(cert):
        return cert
    _ = (cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(), len(cert.extensions))
    _ = (cert.serial_number, cert.not_valid_after_utc, cert.signature_hash_algorithm)
    cert.public_key()
    _DECODED.put(cert, True)
    return cert


#: Certificates known to decode whole (decoding is a pure function of the DER), and
#: certificates received as DER, by their exact bytes: an access point meets the same few
#: certificates in every message. Bounded, so ever new certificates cannot grow the process.
CERTIFICATE_CACHE_SIZE = 256
_DECODED: LruCache[x509.Certificate, bool] = LruCache(CERTIFICATE_CACHE_SIZE)
_FROM_DER: LruCache[bytes, x509.Certificate] = LruCache(CERTIFICATE_CACHE_SIZE)


class SignatureHash(enum.Enum):
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"
    SHA1 = "sha1"  # only ever used where a caller explicitly allowed legacy SHA-1

    def algorithm(self) -> hashes.HashAlgorithm:
        return _HASH_ALGORITHMS[self._name_]()


class RsaPadding(enum.Enum):
    """RSA decryption paddings used for key transport (XML Encryption, CMS)."""

    OAEP_SHA256_MGF1_SHA256 = "oaep-sha256"
    OAEP_SHA1_MGF1_SHA1 = "oaep-sha1"  # xmlenc#rsa-oaep-mgf1p default parameters
    OAEP_SHA256_MGF1_SHA1 = "oaep-sha256-mgf1-sha1"

    def padding(self) -> padding.OAEP:
        return _OAEP_PADDINGS[self._name_]


# By member name (the enums' own hashing is a Python call): hash classes, and the paddings,
# which are immutable and so made once.
_HASH_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
    "SHA1": hashes.SHA1,  # only where a caller explicitly allowed legacy SHA-1
}
_OAEP_PADDINGS = {
    "OAEP_SHA256_MGF1_SHA256": padding.OAEP(
        mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None
    ),
    "OAEP_SHA1_MGF1_SHA1": padding.OAEP(
        mgf=padding.MGF1(hashes.SHA1()),  # noqa: S303 - xmlenc#rsa-oaep-mgf1p's parameters
        algorithm=hashes.SHA1(),  # noqa: S303
        label=None,
    ),
    "OAEP_SHA256_MGF1_SHA1": padding.OAEP(
        mgf=padding.MGF1(hashes.SHA1()),  # noqa: S303 - RSA-OAEP with MGF1-SHA-1
        algorithm=hashes.SHA256(),
        label=None,
    ),
}


@runtime_checkable
class PrivateKey(Protocol):
    """A signing and decryption key with its certificate (and chain, leaf first excluded)."""

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def chain(self) -> tuple[x509.Certificate, ...]: ...

    def sign(self, data: bytes, hash_: SignatureHash) -> bytes:
        """RSASSA-PKCS1-v1_5 signature of ``data`` with the given hash."""
        ...

    def decrypt(self, ciphertext: bytes, padding_: RsaPadding) -> bytes:
        """RSA key-transport decryption. Raise ``DecryptionError`` on any failure."""
        ...


@dataclass(frozen=True, kw_only=True)
class LocalPrivateKey:
    """A :class:`PrivateKey` held in memory (an RSA key from ``cryptography``)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.key, rsa.RSAPrivateKey):
            raise UsageError("only RSA keys are supported by the Peppol and DPI profiles")
        require_certificate(self.certificate, caller="LocalPrivateKey", name="certificate")
        if not certificate_matches(self.certificate, self.key):
            raise UsageError("the certificate does not belong to the private key")
        object.__setattr__(self, "chain", tuple(self.chain))

    def sign(self, data: bytes, hash_: SignatureHash) -> bytes:
        return self.key.sign(data, padding.PKCS1v15(), hash_.algorithm())

    def decrypt(self, ciphertext: bytes, padding_: RsaPadding) -> bytes:
        try:
            return self.key.decrypt(ciphertext, padding_.padding())
        except ValueError:
            raise DecryptionError() from None


def require_key(value: object, *, caller: str, name: str = "key") -> PrivateKey:
    """``value`` if it is a :class:`PrivateKey` (a LocalPrivateKey or the caller's own)."""
    # LocalPrivateKey first (isinstance tries them in order): the protocol's test looks up
    # each of its members.
    if isinstance(value, (LocalPrivateKey, PrivateKey)):
        return value
    raise wrong_type(caller, name, "a PrivateKey (see load_key_file)", value)


def require_certificate(value: object, *, caller: str, name: str) -> x509.Certificate:
    """``value`` if it is a certificate (``cryptography.x509.Certificate``)."""
    if isinstance(value, x509.Certificate):
        return value
    raise wrong_type(caller, name, "an x509.Certificate (see load_certificate)", value)


@dataclass(frozen=True, kw_only=True)
class CertificateChain:
    """A leaf certificate and the intermediates that came with it."""

    leaf: x509.Certificate
    intermediates: tuple[x509.Certificate, ...] = ()


#: What cryptography raises for a certificate whose parts cannot be decoded (it decodes
#: names and extensions lazily, on first use).
MALFORMED_CERTIFICATE_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    UnsupportedAlgorithm,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
    x509.InvalidVersion,
)


def same_certificates(
    first: Sequence[x509.Certificate], second: Sequence[x509.Certificate]
) -> bool:
    """``tuple(first) == tuple(second)`` (the same DER, pairwise), asked cheaply first.

    Comparing two certificates costs 3 us, even for the same object; reading their signature
    values costs next to nothing, and certificates whose signature values differ differ.
    """
    return len(first) == len(second) and all(
        a is b or (a.signature == b.signature and a == b)
        for a, b in zip(first, second, strict=True)
    )


def certificate_from_der(der: bytes, *, what: str = "the certificate") -> x509.Certificate:
    """A certificate received from a peer, fully decoded now.

    cryptography decodes names and extensions lazily; decoding them here means nothing later
    (trust, organisation numbers, logging) meets a malformed one. Raises
    :class:`~peppol_dpi.errors.CertificateError` (``cert:malformed``).
    """
    der = bytes(der)
    cached = _FROM_DER.get(der)
    if cached is not None:
        return cached
    try:
        cert = _decoded_der(der)
    except MALFORMED_CERTIFICATE_ERRORS as exc:
        raise CertificateError(
            f"{what} is not a readable DER certificate: {exc}", rule="cert:malformed"
        ) from None
    _FROM_DER.put(der, cert)
    return cert


def _decoded_der(der: bytes) -> x509.Certificate:
    """A DER certificate loaded and decoded whole, or one of
    :data:`MALFORMED_CERTIFICATE_ERRORS`."""
    serial = _serial_number_octets(der)
    if serial is not None and (not serial or serial[0] & 0x80 or not any(serial)):
        # RFC 5280 4.1.2.2: a positive integer. cryptography loads others with a warning today
        # and will refuse them; refused here, the answer does not depend on its version.
        raise ValueError("the serial number is not positive (RFC 5280 4.1.2.2)")
    return fully_decoded(x509.load_der_x509_certificate(der))


def _serial_number_octets(der: bytes) -> bytes | None:
    """The content octets of the TBSCertificate's serialNumber INTEGER (RFC 5280 4.1: inside
    the Certificate and TBSCertificate SEQUENCEs, after the optional [0] version), or None when
    the DER does not start so (cryptography then says what is wrong)."""
    try:
        position = 0
        for _ in ("Certificate", "TBSCertificate"):
            if der[position] != 0x30:
                return None
            _, position = _der_length(der, position + 1)
        if der[position] == 0xA0:  # version [0] EXPLICIT
            length, start = _der_length(der, position + 1)
            position = start + length
        if der[position] != 0x02:
            return None
        length, start = _der_length(der, position + 1)
    except IndexError:
        return None
    return der[start : start + length]


def _der_length(der: bytes, position: int) -> tuple[int, int]:
    """The definite length at ``position`` (X.690 8.1.3) and where the content starts."""
    first = der[position]
    if first < 0x80:
        return first, position + 1
    count = first & 0x7F
    if not count or position + 1 + count > len(der):
        raise IndexError("not a definite length")
    return int.from_bytes(der[position + 1 : position + 1 + count], "big"), position + 1 + count


def load_certificates(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> list[x509.Certificate]:
    """Every certificate in PEM data (several allowed) or one DER certificate."""
    data = require_bytes(data, caller="load_certificates", name="data")
    require_limits(limits, caller="load_certificates")
    check_key_file_size(data, limits)
    try:
        if b"-----BEGIN" in data:
            certs = [fully_decoded(c) for c in x509.load_pem_x509_certificates(data)]
        else:
            certs = [_decoded_der(data)]
    except MALFORMED_CERTIFICATE_ERRORS as exc:
        raise KeyFileError(
            f"not a PEM or DER certificate: {exc}", rule="keys:certificate"
        ) from None
    check_entry_count(len(certs), limits)
    return certs


def decoded_from_file(certs: Sequence[x509.Certificate], what: str) -> list[x509.Certificate]:
    """Certificates a key file or trust store held (``what``: its kind), decoded whole where
    they enter as every certificate from outside (:func:`fully_decoded`); OpenSSL's PKCS#12
    reader passes some that cryptography's decoder refuses on first use."""
    try:
        return [fully_decoded(cert) for cert in certs]
    except MALFORMED_CERTIFICATE_ERRORS as exc:
        raise KeyFileError(
            f"{what} holds a certificate that cannot be decoded: {exc}", rule="keys:certificate"
        ) from None


def load_certificate(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> x509.Certificate:
    """Exactly one certificate, PEM or DER."""
    data = require_bytes(data, caller="load_certificate", name="data")
    require_limits(limits, caller="load_certificate")
    certs = load_certificates(data, limits=limits)
    if len(certs) != 1:
        raise KeyFileError(f"expected one certificate, found {len(certs)}", rule="keys:certificate")
    return certs[0]


def load_private_key(
    data: bytes, password: bytes | None = None, *, limits: Limits = DEFAULT_LIMITS
) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (PKCS#1 or PKCS#8, optionally encrypted) or DER."""
    check_key_file_size(data, limits)
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password)
        else:
            key = serialization.load_der_private_key(data, password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(f"cannot read the private key: {exc}", rule="keys:private-key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFileError("only RSA private keys are supported", rule="keys:private-key")
    return key


def load_pkcs12(
    data: bytes, password: bytes | None, *, limits: Limits = DEFAULT_LIMITS
) -> LocalPrivateKey:
    """The key, certificate and chain of a PKCS#12 file."""
    check_key_file_size(data, limits)
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(f"cannot read the PKCS#12 file: {exc}", rule="keys:pkcs12") from None
    if key is None or cert is None:
        raise KeyFileError("the PKCS#12 file holds no key with a certificate", rule="keys:pkcs12")
    cert, *extra = decoded_from_file([cert, *(extra or [])], "the PKCS#12 file")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFileError("only RSA private keys are supported", rule="keys:pkcs12")
    if not certificate_matches(cert, key):
        raise KeyFileError("the certificate does not belong to the key", rule="keys:pkcs12")
    check_entry_count(len(extra or []), limits)
    return LocalPrivateKey(key=key, certificate=cert, chain=_chain_without(cert, extra or []))


def check_key_file_size(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a key or certificate file beyond ``limits.max_key_file_bytes``, before parsing."""
    if len(data) > limits.max_key_file_bytes:
        raise KeyFileError(
            f"key file of {len(data)} bytes exceeds max_key_file_bytes "
            f"({limits.max_key_file_bytes})",
            rule="keys:too-large",
        )


def check_entry_count(count: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse more keystore entries or bundled certificates than ``max_keystore_entries``."""
    if count > limits.max_keystore_entries:
        raise KeyFileError(
            f"{count} entries exceed max_keystore_entries ({limits.max_keystore_entries})",
            rule="keys:too-many-entries",
        )


def rsa_public_key(cert: x509.Certificate, *, what: str = "the certificate") -> rsa.RSAPublicKey:
    """The RSA public key of ``cert``, for verifying a signature made with it.

    A key that cannot be read (malformed or unknown algorithm) or is not RSA - the only key type
    of the Peppol and DPI profiles - raises :class:`~peppol_dpi.errors.SignatureError`.
    """
    try:
        public = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise SignatureError(
            f"{what} holds a public key that cannot be read", rule="keys:public-key"
        ) from None
    if not isinstance(public, rsa.RSAPublicKey):
        raise SignatureError(f"{what} does not hold an RSA key", rule="keys:not-rsa")
    return public


def certificate_matches(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> bool:
    """True when ``cert`` certifies the public half of ``key``."""
    try:
        public = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return False
    return (
        isinstance(public, rsa.RSAPublicKey)
        and public.public_numbers() == key.public_key().public_numbers()
    )


def _chain_without(
    leaf: x509.Certificate, certs: Sequence[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    return tuple(c for c in certs if c != leaf)

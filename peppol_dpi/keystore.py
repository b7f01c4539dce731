"""Key and trust store files of any format, and a reader of the Java KeyStore (JKS) format.

:func:`load_key_file` and :func:`load_trust_store` take the bytes of a file and sniff its
format: JKS, PKCS#12, PEM (a private key together with its certificates, or a bundle of
certificates) or DER. Java access points (Oxalis, phase4) and Digdir's DPI samples keep keys in
JKS files, which ``cryptography`` cannot read; :func:`parse_jks` reads them.

The JKS format (``sun.security.provider.JavaKeyStore``; all integers big-endian)::

    magic u32 = 0xFEEDFEED, version u32 (1 or 2), entry count u32, then per entry:
      tag u32: 1 = PrivateKeyEntry, 2 = TrustedCertEntry
      alias: u16 length + (modified) UTF-8; creation time: u64 milliseconds since 1970
      PrivateKeyEntry: u32 length + protected key (EncryptedPrivateKeyInfo DER),
                       u32 chain length, then per certificate:
                       [version 2: u16 length + type, "X.509"] u32 length + DER
      TrustedCertEntry: [version 2: u16 length + type] u32 length + DER
    then SHA-1(password as UTF-16BE || b"Mighty Aphrodite" || every byte before it)

A protected key (``sun.security.provider.KeyProtector``, algorithm OID
1.3.6.1.4.1.42.2.17.1.1) is ``salt (20) || ciphertext || check (20)``: the ciphertext is the
PKCS#8 key XORed with the keystream ``SHA-1(pw || salt) || SHA-1(pw || previous block) || ...``
and ``check = SHA-1(pw || PKCS#8 key)``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_private_key, pkcs12

from .arguments import require_bytes, require_instance, require_limits, wrong_type
from .errors import UsageError
from .keys import (
    MALFORMED_CERTIFICATE_ERRORS,
    KeyFileError,
    LocalPrivateKey,
    certificate_matches,
    check_entry_count,
    check_key_file_size,
    decoded_from_file,
    fully_decoded,
    load_certificates,
    load_pkcs12,
    load_private_key,
)
from .limits import DEFAULT_LIMITS, Limits

__all__ = [
    "JavaKeyStore",
    "JksPrivateKeyEntry",
    "JksTrustedCertEntry",
    "load_jks",
    "load_key_file",
    "load_trust_store",
    "parse_jks",
]

JKS_MAGIC = b"\xfe\xed\xfe\xed"
JCEKS_MAGIC = b"\xce\xce\xce\xce"
_WHITENER = b"Mighty Aphrodite"  # JavaKeyStore.getPreKeyedHash
_KEY_PROTECTOR_OID = "1.3.6.1.4.1.42.2.17.1.1"
_SHA1_LEN = 20
_TAG_PRIVATE_KEY = 1
_TAG_TRUSTED_CERT = 2
_PEM_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----")


@dataclass(frozen=True, kw_only=True)
class JksPrivateKeyEntry:
    """A PrivateKeyEntry: the key is still protected (:meth:`JavaKeyStore.key` opens it)."""

    alias: str
    created: datetime
    protected_key: bytes  # EncryptedPrivateKeyInfo DER
    chain: tuple[x509.Certificate, ...]  # leaf first


@dataclass(frozen=True, kw_only=True)
class JksTrustedCertEntry:
    alias: str
    created: datetime
    certificate: x509.Certificate


@dataclass(frozen=True, kw_only=True)
class JavaKeyStore:
    """The entries of a JKS file whose integrity digest was verified."""

    version: int
    private_keys: tuple[JksPrivateKeyEntry, ...]
    trusted_certificates: tuple[JksTrustedCertEntry, ...]

    def key(
        self, key_password: bytes, alias: str | None = None
    ) -> tuple[JksPrivateKeyEntry, rsa.RSAPrivateKey]:
        """The entry named ``alias`` (the only one when None) and its decrypted key."""
        entry = self._entry(alias)
        der = _unprotect(entry.protected_key, _java_password(key_password))
        try:
            key = load_der_private_key(der, None)
        except (ValueError, TypeError) as exc:
            raise KeyFileError(
                f"the key of {entry.alias!r} is not a PKCS#8 key: {exc}", rule="keys:jks"
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyFileError("only RSA private keys are supported", rule="keys:jks")
        return entry, key

    def _entry(self, alias: str | None) -> JksPrivateKeyEntry:
        names = [e.alias for e in self.private_keys]
        if alias is None:
            if len(self.private_keys) != 1:
                raise KeyFileError(
                    f"the keystore has {len(names)} private keys {names}: name the alias",
                    rule="keys:jks-alias",
                )
            return self.private_keys[0]
        # keytool stores aliases lower-cased and looks them up case-insensitively.
        for entry in self.private_keys:
            if entry.alias.lower() == alias.lower():
                return entry
        raise KeyFileError(
            f"no private key entry {alias!r} in the keystore (has {names})", rule="keys:jks-alias"
        )


def parse_jks(
    data: bytes, store_password: bytes, *, limits: Limits = DEFAULT_LIMITS
) -> JavaKeyStore:
    """Read a JKS file after checking its integrity digest with ``store_password``."""
    check_key_file_size(data, limits)
    if data[:4] == JCEKS_MAGIC:
        raise KeyFileError(
            "JCEKS keystores are not supported: convert with "
            "keytool -importkeystore -deststoretype PKCS12",
            rule="keys:jks",
        )
    if len(data) < 12 + _SHA1_LEN or data[:4] != JKS_MAGIC:
        raise KeyFileError("not a Java KeyStore (no 0xFEEDFEED header)", rule="keys:jks")
    body, digest = data[:-_SHA1_LEN], data[-_SHA1_LEN:]
    expected = hashlib.sha1(  # noqa: S324 - the JKS integrity check is defined with SHA-1
        _java_password(store_password) + _WHITENER + body
    ).digest()
    if not hmac.compare_digest(expected, digest):
        raise KeyFileError(
            "keystore integrity check failed: wrong store password, or the file is corrupt",
            rule="keys:jks-password",
        )
    reader = _Reader(body, 4)
    version = reader.u32()
    if version not in (1, 2):
        raise KeyFileError(f"unsupported JKS version {version}", rule="keys:jks")
    count = reader.count(limits)
    private_keys: list[JksPrivateKeyEntry] = []
    trusted: list[JksTrustedCertEntry] = []
    for _ in range(count):
        tag = reader.u32()
        alias = reader.utf()
        created = reader.timestamp()
        if tag == _TAG_PRIVATE_KEY:
            protected = reader.take(reader.u32())
            chain = tuple(reader.certificate(version) for _ in range(reader.count(limits)))
            if not chain:
                raise KeyFileError(f"key entry {alias!r} has no certificate", rule="keys:jks")
            private_keys.append(
                JksPrivateKeyEntry(
                    alias=alias, created=created, protected_key=protected, chain=chain
                )
            )
        elif tag == _TAG_TRUSTED_CERT:
            cert = reader.certificate(version)
            trusted.append(JksTrustedCertEntry(alias=alias, created=created, certificate=cert))
        else:
            raise KeyFileError(f"unknown JKS entry tag {tag} ({alias!r})", rule="keys:jks")
    if reader.offset != len(body):
        raise KeyFileError("trailing bytes after the last JKS entry", rule="keys:jks")
    return JavaKeyStore(
        version=version, private_keys=tuple(private_keys), trusted_certificates=tuple(trusted)
    )


def load_jks(
    data: bytes,
    store_password: bytes,
    key_password: bytes | None = None,
    alias: str | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> LocalPrivateKey:
    """The private key entry ``alias`` (the only one when None) of a JKS file.

    ``key_password`` defaults to the store password (keytool's default).
    """
    store = parse_jks(data, store_password, limits=limits)
    entry, key = store.key(key_password if key_password is not None else store_password, alias)
    return _local_key(key, list(entry.chain))


def _file_arguments(caller: str, data: object, password: object, limits: object) -> bytes:
    require_limits(limits, caller=caller)
    if password is not None and not isinstance(password, bytes):
        # A str password is the usual slip: say how to pass it.
        raise wrong_type(caller, "password", "bytes or None (e.g. b'changeit')", password)
    return require_bytes(data, caller=caller, name="data")


def load_key_file(
    data: bytes,
    password: bytes | None = None,
    *,
    alias: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> LocalPrivateKey:
    """A key with its certificate from JKS, PKCS#12 or PEM (key and certificates in one file).

    ``password`` opens the store and the key; ``alias`` picks a JKS entry.
    """
    data = _file_arguments("load_key_file", data, password, limits)
    if alias is not None:
        require_instance(alias, str, caller="load_key_file", name="alias", expected="a str or None")
    check_key_file_size(data, limits)
    if data[:4] in (JKS_MAGIC, JCEKS_MAGIC):
        if password is None:
            raise UsageError("a JKS keystore needs its password")
        return load_jks(data, password, alias=alias, limits=limits)
    if b"-----BEGIN" in data:
        if not _PEM_PRIVATE_KEY.search(data):
            raise KeyFileError("the PEM file holds no private key", rule="keys:private-key")
        key = load_private_key(data, password, limits=limits)
        try:
            certs = load_certificates(data, limits=limits)
        except KeyFileError:
            raise KeyFileError(
                "the PEM file holds a private key but no certificate", rule="keys:certificate"
            ) from None
        return _local_key(key, certs)
    return load_pkcs12(data, password, limits=limits)


def load_trust_store(
    data: bytes, password: bytes | None = None, *, limits: Limits = DEFAULT_LIMITS
) -> tuple[x509.Certificate, ...]:
    """The certificates of a trust store: JKS trusted entries, PKCS#12, PEM bundle or DER."""
    data = _file_arguments("load_trust_store", data, password, limits)
    check_key_file_size(data, limits)
    if data[:4] in (JKS_MAGIC, JCEKS_MAGIC):
        if password is None:
            raise UsageError("a JKS trust store needs its password (for the integrity check)")
        store = parse_jks(data, password, limits=limits)
        return tuple(e.certificate for e in store.trusted_certificates)
    if b"-----BEGIN" in data:
        return tuple(load_certificates(data, limits=limits))
    try:
        return (fully_decoded(x509.load_der_x509_certificate(data)),)
    except MALFORMED_CERTIFICATE_ERRORS:
        pass  # not one DER certificate: PKCS#12 is the remaining format
    try:
        bundle = pkcs12.load_pkcs12(data, password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(f"cannot read the PKCS#12 file: {exc}", rule="keys:pkcs12") from None
    check_entry_count(len(bundle.additional_certs), limits)
    found = [c.certificate for c in bundle.additional_certs]
    if bundle.cert is not None:
        found.insert(0, bundle.cert.certificate)
    return tuple(decoded_from_file(found, "the PKCS#12 trust store"))


# -- helpers ---------------------------------------------------------------------------------


def _local_key(key: rsa.RSAPrivateKey, certs: list[x509.Certificate]) -> LocalPrivateKey:
    """The certificate of ``key`` among ``certs`` (the rest is its chain, order kept)."""
    for cert in certs:
        if certificate_matches(cert, key):
            chain = tuple(c for c in certs if c is not cert)
            return LocalPrivateKey(key=key, certificate=cert, chain=chain)
    raise KeyFileError(
        "no certificate in the file belongs to the private key", rule="keys:certificate"
    )


def _java_password(password: bytes) -> bytes:
    """A password as Java's char[] bytes: UTF-16 big-endian, two bytes per char."""
    try:
        return password.decode("utf-8").encode("utf-16-be")
    except UnicodeDecodeError:
        raise UsageError("the keystore password must be UTF-8 text") from None


def _unprotect(protected: bytes, password: bytes) -> bytes:
    try:
        info = asn1_keys.EncryptedPrivateKeyInfo.load(protected)
        algorithm = info["encryption_algorithm"]["algorithm"].dotted
        encrypted: bytes = info["encrypted_data"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise KeyFileError(f"malformed protected key: {exc}", rule="keys:jks") from None
    if algorithm != _KEY_PROTECTOR_OID:
        raise KeyFileError(
            f"unsupported key protection algorithm {algorithm} (JKS uses {_KEY_PROTECTOR_OID})",
            rule="keys:jks",
        )
    if len(encrypted) < 2 * _SHA1_LEN:
        raise KeyFileError("protected key too short", rule="keys:jks")
    salt, ciphertext, check = (
        encrypted[:_SHA1_LEN],
        encrypted[_SHA1_LEN:-_SHA1_LEN],
        encrypted[-_SHA1_LEN:],
    )
    stream = bytearray()
    block = salt
    while len(stream) < len(ciphertext):
        block = hashlib.sha1(password + block).digest()  # noqa: S324 - KeyProtector is SHA-1
        stream += block
    plaintext = bytes(a ^ b for a, b in zip(ciphertext, stream, strict=False))
    expected = hashlib.sha1(password + plaintext).digest()  # noqa: S324 - KeyProtector check
    if not hmac.compare_digest(expected, check):
        raise KeyFileError(
            "cannot open the private key: wrong key password", rule="keys:jks-key-password"
        )
    return plaintext


class _Reader:
    """Bounds-checked big-endian reads from the JKS body."""

    def __init__(self, data: bytes, offset: int) -> None:
        self.data = data
        self.offset = offset

    def take(self, length: int) -> bytes:
        end = self.offset + length
        if end > len(self.data):
            raise KeyFileError("truncated Java KeyStore", rule="keys:jks")
        chunk = self.data[self.offset : end]
        self.offset = end
        return chunk

    def u16(self) -> int:
        value: int = struct.unpack(">H", self.take(2))[0]
        return value

    def u32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = struct.unpack(">Q", self.take(8))[0]
        return value

    def timestamp(self) -> datetime:
        millis = self.u64()
        try:
            return datetime.fromtimestamp(millis / 1000, UTC)
        except (ValueError, OverflowError, OSError):
            raise KeyFileError(
                f"entry creation time {millis} ms is out of range", rule="keys:jks"
            ) from None

    def count(self, limits: Limits) -> int:
        count = self.u32()
        check_entry_count(count, limits)
        return count

    def utf(self) -> str:
        # Java's modified UTF-8 differs from UTF-8 only for NUL and supplementary characters.
        return self.take(self.u16()).decode("utf-8", errors="replace")

    def certificate(self, version: int) -> x509.Certificate:
        if version == 2:
            kind = self.utf()
            if kind != "X.509":
                raise KeyFileError(f"unsupported certificate type {kind!r}", rule="keys:jks")
        der = self.take(self.u32())
        try:
            return fully_decoded(x509.load_der_x509_certificate(der))
        except MALFORMED_CERTIFICATE_ERRORS as exc:
            raise KeyFileError(f"bad certificate in the keystore: {exc}", rule="keys:jks") from None

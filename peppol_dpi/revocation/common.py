"""What the CRL and OCSP checkers share: locations named in a certificate, hashes, the clock."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import AuthorityInformationAccessOID

from ..errors import UsageError
from ..limits import DEFAULT_LIMITS, Limits

__all__ = [
    "Clock",
    "RevocationSettings",
    "crl_urls",
    "hash_of",
    "is_ca",
    "logger",
    "ocsp_urls",
    "public_key_bits",
    "signature_hash",
    "signature_hash_allowed",
    "utc_now",
]

logger = logging.getLogger("peppol_dpi.revocation")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class RevocationSettings:
    """What the OCSP and CRL checkers share.

    ``timeout``: seconds for one whole HTTP exchange; ``limits.max_http_response_bytes`` caps
    each answer. ``clock``: the current time, for freshness and caches. ``clock_skew``:
    tolerance on thisUpdate/nextUpdate. ``allow_sha1``: accept SHA-1 signed CRLs and answers.
    """

    timeout: float = float(DEFAULT_LIMITS.max_revocation_seconds)
    limits: Limits = DEFAULT_LIMITS
    clock: Clock = utc_now
    clock_skew: timedelta = timedelta(minutes=5)
    allow_sha1: bool = False

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise UsageError("timeout must be positive")
        if self.clock_skew < timedelta(0):
            raise UsageError("clock_skew must not be negative")


def _http_uris(names: list[x509.GeneralName]) -> list[str]:
    # Only http(s) locations are fetched; LDAP and other schemes are ignored.
    return [
        n.value
        for n in names
        if isinstance(n, x509.UniformResourceIdentifier)
        and n.value.lower().startswith(("http://", "https://"))
    ]


def crl_urls(cert: x509.Certificate) -> list[str]:
    """HTTP(S) locations of the CRL distribution points (RFC 5280 4.2.1.13)."""
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    urls: list[str] = []
    for point in points:
        if point.full_name and point.crl_issuer is None and point.reasons is None:
            urls += _http_uris(list(point.full_name))
    return urls


def ocsp_urls(cert: x509.Certificate) -> list[str]:
    """HTTP(S) OCSP responder locations from Authority Information Access (RFC 5280 4.2.2.1)."""
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return _http_uris(
        [a.access_location for a in access if a.access_method == AuthorityInformationAccessOID.OCSP]
    )


def public_key_bits(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING value (what OCSP CertID and responder key hashes hash)."""
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    bits: bytes = asn1_keys.PublicKeyInfo.load(der)["public_key"].contents[1:]
    return bits


def hash_of(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    return hashlib.new(algorithm.name, data).digest()


class _Signed(Protocol):
    @property
    def signature_hash_algorithm(self) -> hashes.HashAlgorithm | None: ...


def signature_hash(signed: _Signed) -> hashes.HashAlgorithm | None:
    """The hash of a certificate's, CRL's or OCSP answer's signature; None when unknown."""
    try:
        return signed.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None


def signature_hash_allowed(algorithm: hashes.HashAlgorithm | None, allow_sha1: bool) -> bool:
    if algorithm is None:
        return False
    return allow_sha1 or not isinstance(algorithm, hashes.SHA1)


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False

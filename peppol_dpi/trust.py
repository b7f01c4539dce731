"""The one certificate validator of peppol-dpi.

A :class:`TrustPolicy` says which certificates are trusted; :meth:`TrustPolicy.validate`
builds a path from a leaf to one of its anchors (RFC 5280 6.1, simplified to what the Peppol
and Norwegian business PKIs need; depth first, trying the next candidate where a path fails,
within a budget of signature checks) and checks, for every certificate on it, the signature,
the validity period at the given instant, CA basic constraints and key usage (and the rules of
:mod:`.cert_rules`), and revocation through the injected :class:`RevocationChecker`.

There is no default trust: a policy without anchors trusts nothing. An anchor need not be
self-signed (Peppol trust stores hold the access-point CA itself), and a leaf certificate given
as an anchor pins exactly that certificate.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtensionOID

from .arguments import require_items, wrong_type
from .cert_rules import check_algorithms, check_extensions, same_name, subject_of
from .errors import ArgumentTypeError, CertificateError, UsageError
from .instants import require_aware
from .keys import MALFORMED_CERTIFICATE_ERRORS, fully_decoded, same_certificates
from .lrucache import LruCache

__all__ = [
    "KeyUsage",
    "RevocationChecker",
    "RevocationMode",
    "RevocationStatus",
    "TrustPolicy",
    "ValidatedCertificate",
    "require_trust",
    "subject_of",
    "verify_issued_by",
    "verify_signature",
]

_MAX_PATH = 8
_MAX_SIGNATURE_CHECKS = 64  # signatures verified while building one path
#: Paths remembered per policy (see :meth:`TrustPolicy.validate`).
PATH_CACHE_SIZE = 64


class RevocationMode(enum.StrEnum):
    """What to do about revocation (docs/cli.md ``--revocation``)."""

    REQUIRE = "require"  # check where the certificate names a CRL/OCSP location; unreachable = fail
    SOFT = "soft"  # as REQUIRE, but an unreachable responder passes (with a warning)
    OFF = "off"  # do not check (validation at a past instant, offline tools)


class RevocationStatus(enum.Enum):
    GOOD = "good"
    REVOKED = "revoked"
    UNREACHABLE = "unreachable"  # no answer, or no usable answer, from the CRL/OCSP location
    NOT_CHECKABLE = "not-checkable"  # the certificate names no CRL or OCSP location


class RevocationChecker(Protocol):
    """Looks up the revocation status of ``cert`` (issued by ``issuer``) at ``at``.

    Implementations do the I/O (CRL download, OCSP request) with a session they were given.
    """

    def status(
        self, cert: x509.Certificate, issuer: x509.Certificate, at: datetime
    ) -> RevocationStatus: ...


class KeyUsage(enum.Enum):
    DIGITAL_SIGNATURE = "digital_signature"
    CONTENT_COMMITMENT = "content_commitment"  # nonRepudiation
    KEY_ENCIPHERMENT = "key_encipherment"
    DATA_ENCIPHERMENT = "data_encipherment"


@dataclass(frozen=True, kw_only=True)
class ValidatedCertificate:
    """What :meth:`TrustPolicy.validate` established: the leaf and the path to its anchor."""

    certificate: x509.Certificate
    path: tuple[x509.Certificate, ...]  # leaf first, anchor last
    anchor: x509.Certificate
    revocation_checked: bool
    warnings: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        return subject_of(self.certificate)


def _is_self_issued(cert: x509.Certificate) -> bool:
    return same_name(cert.issuer, cert.subject)


def verify_signature(
    signer: x509.Certificate,
    signature: bytes,
    data: bytes,
    hash_algorithm: hashes.HashAlgorithm | None,
) -> bool:
    """True when ``signer``'s key made ``signature`` over ``data`` (RSA PKCS#1 v1.5 or ECDSA).

    For signatures made with a certificate's key: certificates, CRLs, OCSP responses.
    """
    if hash_algorithm is None:
        return False
    try:
        key = signer.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return False
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hash_algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def verify_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s key made ``cert``'s signature (names checked too)."""
    if not same_name(cert.issuer, issuer.subject):
        return False
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return False
    return verify_signature(issuer, cert.signature, cert.tbs_certificate_bytes, algorithm)


@dataclass(frozen=True, kw_only=True)
class TrustPolicy:
    """Which certificates to trust, and how strictly to check them.

    ``anchors``: trusted certificates (roots, intermediate CAs, or pinned leaves).
    ``intermediates``: extra CA certificates usable for path building (not trusted by themselves).
    ``revocation``: see :class:`RevocationMode`; ``REQUIRE`` needs a ``revocation_checker``
    for certificates that name a CRL or OCSP location, and fails without one.
    ``required_key_usage``: key usages the leaf must allow when it has a KeyUsage extension.
    ``allow_sha1``: accept certificates signed with SHA-1 (legacy; off by default).

    A policy remembers the last :data:`PATH_CACHE_SIZE` paths it built (by leaf and chain):
    signatures, CA and key-usage rules are pure functions of the certificates and the policy,
    so they are not checked again; validity at the instant asked and revocation are, on every
    call. Failures are never remembered.
    """

    anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    revocation: RevocationMode = RevocationMode.REQUIRE
    revocation_checker: RevocationChecker | None = None
    required_key_usage: frozenset[KeyUsage] = field(default_factory=frozenset)
    allow_sha1: bool = False
    # Paths that passed every check that does not depend on time or revocation, with the
    # (leaf, chain) they were built for: building one costs an RSA verification per
    # certificate. Per instance, since the answer depends on the anchors, intermediates and
    # rules above (all frozen). Found by the certificates' signature values, which are cheap
    # to hash (a certificate's own hash costs 2 us), and served only for a (leaf, chain)
    # equal to the one it was built for.
    _paths: LruCache[
        tuple[bytes, ...], tuple[tuple[x509.Certificate, ...], tuple[x509.Certificate, ...]]
    ] = field(
        default_factory=lambda: LruCache(PATH_CACHE_SIZE),
        init=False,
        repr=False,
        compare=False,
    )

    def __post_init__(self) -> None:
        for name in ("anchors", "intermediates"):
            given = getattr(self, name)
            # A str is iterable too: its letters must not become the anchors.
            if isinstance(given, str | bytes) or not isinstance(given, Iterable):
                raise wrong_type("TrustPolicy", name, "certificates (a tuple)", given)
            certificates = tuple(given)
            for cert in certificates:
                if not isinstance(cert, x509.Certificate):
                    raise wrong_type("TrustPolicy", name, "x509.Certificate objects", cert)
            object.__setattr__(self, name, certificates)
        object.__setattr__(self, "required_key_usage", frozenset(self.required_key_usage))
        if not isinstance(self.revocation, RevocationMode):
            raise UsageError(f"revocation must be a RevocationMode, not {self.revocation!r}")

    def with_key_usage(self, *usages: KeyUsage) -> TrustPolicy:
        return replace(self, required_key_usage=frozenset(usages))

    def validate(
        self,
        leaf: x509.Certificate,
        *,
        chain: Sequence[x509.Certificate] = (),
        at: datetime | None = None,
    ) -> ValidatedCertificate:
        """Validate ``leaf`` (with the certificates that came with it) at instant ``at`` (now).

        Raises :class:`~peppol_dpi.errors.CertificateError` naming the rule that failed:
        ``cert:untrusted``, ``cert:expired``, ``cert:not-yet-valid``, ``cert:not-a-ca``,
        ``cert:path-length``, ``cert:critical-extension``, ``cert:key-usage``, ``cert:sha1``,
        ``cert:malformed``, ``cert:revoked``, ``cert:revocation-unavailable``.
        """
        if not isinstance(leaf, x509.Certificate):
            raise wrong_type("TrustPolicy.validate", "leaf", "an x509.Certificate", leaf)
        require_items(
            chain,
            x509.Certificate,
            caller="TrustPolicy.validate",
            name="chain",
            expected="a tuple of x509.Certificate",
        )
        if at is not None and not isinstance(at, datetime):
            raise wrong_type("TrustPolicy.validate", "at", "a timezone-aware datetime", at)
        when = at if at is not None else datetime.now(UTC)
        require_aware(when, "the validation instant")
        if not self.anchors:
            raise CertificateError(
                "no trust anchors configured: nothing is trusted", rule="cert:untrusted"
            )
        given = (leaf, *chain)
        key = tuple(cert.signature for cert in given)
        cached = self._paths.get(key)
        path = cached[1] if cached is not None and same_certificates(cached[0], given) else None
        if path is not None:
            # The same leaf and chain passed every static check before: only what depends on
            # the instant (validity, below; revocation) is checked again.
            for cert in path:
                self._check_validity(cert, when)
        else:
            path = self._checked_path(leaf, chain, when)
            self._paths.put(key, (given, path))
        checked, warnings = self._check_revocation(path, when)
        return ValidatedCertificate(
            certificate=leaf,
            path=path,
            anchor=path[-1],
            revocation_checked=checked,
            warnings=warnings,
        )

    def _checked_path(
        self, leaf: x509.Certificate, chain: Sequence[x509.Certificate], when: datetime
    ) -> tuple[x509.Certificate, ...]:
        try:
            for cert in (leaf, *chain):
                fully_decoded(cert)  # a lazily decoded field must not fail mid-validation
            path = self._first_valid_path(leaf, [*chain, *self.intermediates], when)
        except MALFORMED_CERTIFICATE_ERRORS as exc:
            # cryptography decodes names and extensions lazily: a malformed one surfaces here.
            raise CertificateError(f"malformed certificate: {exc}", rule="cert:malformed") from None
        return tuple(path)

    def _check_path(self, path: list[x509.Certificate], when: datetime) -> None:
        for depth, cert in enumerate(path):
            self._check_validity(cert, when)
            # Only signatures on the path matter (verified, hence a known algorithm): not the
            # anchor's own.
            check_algorithms(cert, signed=depth + 1 < len(path), allow_sha1=self.allow_sha1)
            check_extensions(cert)
            if depth > 0:
                # RFC 5280 4.2.1.9: pathLenConstraint counts the intermediates below that are
                # not self-issued (a key-rollover certificate does not count).
                below = sum(not _is_self_issued(c) for c in path[1:depth])
                _check_ca(cert, below)
        _check_key_usage(path[0], self.required_key_usage)

    # -- path building ---------------------------------------------------------------------

    def _first_valid_path(
        self, leaf: x509.Certificate, pool: Sequence[x509.Certificate], when: datetime
    ) -> list[x509.Certificate]:
        """The first path from ``leaf`` to an anchor, through ``pool``, that passes every
        check; when none does, the first one's refusal. RFC 5280 6.1 leaves path building to
        the implementation: a peer may send its CA's expired certificate before the renewed
        one (one name and key), or a key-rollover certificate, and the JDK's builder, phase4's
        and Oxalis', tries the next candidate where the first fails; so does this one."""
        first_error: CertificateError | None = None
        budget = [_MAX_SIGNATURE_CHECKS]
        for path in self._candidate_paths(leaf, [leaf], list(pool), budget):
            try:
                self._check_path(path, when)
            except CertificateError as exc:
                first_error = first_error or exc
                continue
            return path
        raise first_error or CertificateError(
            f"{subject_of(leaf)} does not chain to a trusted anchor", rule="cert:untrusted"
        )

    def _candidate_paths(
        self,
        current: x509.Certificate,
        path: list[x509.Certificate],
        pool: list[x509.Certificate],
        budget: list[int],
    ) -> Iterator[list[x509.Certificate]]:
        """Every path from ``path`` (ending in ``current``) to an anchor, depth first, the
        anchors tried before the pool; at most :data:`_MAX_PATH` certificates, and at most
        :data:`_MAX_SIGNATURE_CHECKS` signatures verified in all (a pool of look-alike CAs
        would otherwise cost exponentially many)."""
        if current in self.anchors:
            yield path
            return
        for issuer in (*self.anchors, *(c for c in pool if c not in self.anchors)):
            if issuer in path or len(path) > _MAX_PATH:
                continue
            if budget[0] <= 0:
                return
            budget[0] -= 1
            if not verify_issued_by(current, issuer):
                continue
            if issuer in self.anchors:
                yield [*path, issuer]
            else:
                yield from self._candidate_paths(issuer, [*path, issuer], pool, budget)

    @staticmethod
    def _check_validity(cert: x509.Certificate, when: datetime) -> None:
        if when < cert.not_valid_before_utc:
            raise CertificateError(
                f"{subject_of(cert)} is not valid before {cert.not_valid_before_utc.isoformat()}",
                rule="cert:not-yet-valid",
            )
        if when > cert.not_valid_after_utc:
            raise CertificateError(
                f"{subject_of(cert)} expired on {cert.not_valid_after_utc.isoformat()}",
                rule="cert:expired",
            )

    def _check_revocation(
        self, path: Sequence[x509.Certificate], when: datetime
    ) -> tuple[bool, tuple[str, ...]]:
        if self.revocation is RevocationMode.OFF:
            return False, ()
        warnings: list[str] = []
        checked = False
        # The anchor itself is trusted as configured; check every certificate below it.
        for cert, issuer in itertools.pairwise(path):
            if not _names_revocation_location(cert):
                continue
            if self.revocation_checker is None:
                status = RevocationStatus.UNREACHABLE
            else:
                status = self.revocation_checker.status(cert, issuer, when)
            if status is RevocationStatus.REVOKED:
                raise CertificateError(f"{subject_of(cert)} is revoked", rule="cert:revoked")
            if status is RevocationStatus.UNREACHABLE:
                message = f"the revocation status of {subject_of(cert)} could not be obtained"
                if self.revocation is RevocationMode.REQUIRE:
                    raise CertificateError(message, rule="cert:revocation-unavailable")
                warnings.append(message)
            elif status is RevocationStatus.GOOD:
                checked = True
        return checked, tuple(warnings)


def _names_revocation_location(cert: x509.Certificate) -> bool:
    for oid in (ExtensionOID.CRL_DISTRIBUTION_POINTS, ExtensionOID.AUTHORITY_INFORMATION_ACCESS):
        try:
            cert.extensions.get_extension_for_oid(oid)
        except x509.ExtensionNotFound:
            continue
        return True
    return False


def _check_ca(cert: x509.Certificate, cas_below: int) -> None:
    # RFC 5280 6.1.4 (k): an issuing certificate must be a CA.
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise CertificateError(f"{subject_of(cert)} is not a CA certificate", rule="cert:not-a-ca")
    # RFC 5280 4.2.1.9 / 6.1.4 (l)-(m): pathLenConstraint bounds the CAs below this one.
    if constraints.path_length is not None and cas_below > constraints.path_length:
        raise CertificateError(
            f"{subject_of(cert)} allows {constraints.path_length} CA(s) below it, "
            f"the path has {cas_below}",
            rule="cert:path-length",
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not usage.key_cert_sign:
        raise CertificateError(
            f"{subject_of(cert)} may not sign certificates (keyCertSign)", rule="cert:key-usage"
        )


def _check_key_usage(leaf: x509.Certificate, required: frozenset[KeyUsage]) -> None:
    if not required:
        return
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return  # RFC 5280 4.2.1.3: without the extension the key is not restricted
    missing = [u.value for u in required if not getattr(usage, u.value)]
    if missing:
        raise CertificateError(
            f"{subject_of(leaf)} does not allow {', '.join(sorted(missing))}", rule="cert:key-usage"
        )


def require_trust(value: object, *, caller: str, optional: bool = False) -> TrustPolicy | None:
    """``value`` if it is a TrustPolicy (or None where the caller may go without one)."""
    if isinstance(value, TrustPolicy) or (value is None and optional):
        return value
    if value is None:
        # Safe defaults: nothing is trusted without the caller's TrustPolicy.
        raise ArgumentTypeError(f"{caller} needs a TrustPolicy: nothing is trusted by default")
    raise wrong_type(caller, "trust", "a TrustPolicy" + (" or None" if optional else ""), value)

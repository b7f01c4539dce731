"""Revocation by certificate revocation lists (RFC 5280 section 6.3, simplified).

:class:`CrlChecker` downloads the CRL named in a certificate's CRL distribution points with the
caller's session (or uses CRLs it was given), checks that the certificate's issuer signed it
and that it is current, and looks the certificate up. Complete CRLs issued by the
certificate's own issuer only: indirect CRLs, delta CRLs and CRLs partitioned by reason are not
used (the Peppol and Norwegian business CAs publish none of those).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime

import requests
from cryptography import x509

from ..errors import PeppolDpiError
from ..httpclient import bounded_request
from ..keys import MALFORMED_CERTIFICATE_ERRORS
from ..trust import RevocationStatus, verify_signature
from .common import (
    RevocationSettings,
    crl_urls,
    is_ca,
    logger,
    signature_hash,
    signature_hash_allowed,
)

__all__ = ["CrlChecker"]


class CrlChecker:
    """A :class:`~peppol_dpi.trust.RevocationChecker` using CRLs.

    ``session``: used to download CRLs (None: use only the CRLs given in ``crls``).
    ``crls``: CRLs known in advance (for example kept on disk); they are used when their issuer
    signed them and they are current, before anything is downloaded.
    """

    def __init__(
        self,
        *,
        session: requests.Session | None,
        crls: Iterable[x509.CertificateRevocationList] = (),
        settings: RevocationSettings = RevocationSettings(),  # noqa: B008 - frozen value
    ) -> None:
        self._session = session
        self._given = tuple(crls)
        self._settings = settings
        self._cache: dict[str, x509.CertificateRevocationList] = {}
        self._lock = threading.Lock()
        self.downloads = 0  # how many CRLs were fetched (observability; tests check the cache)

    def status(
        self, cert: x509.Certificate, issuer: x509.Certificate, at: datetime
    ) -> RevocationStatus:
        for crl in self._given:
            given = self._decided(crl, cert, issuer, at)
            if given is not None:
                return given
        urls = crl_urls(cert)
        if not urls:
            return RevocationStatus.NOT_CHECKABLE
        for url in urls:
            with self._lock:
                cached = self._cache.get(url)
            known = None if cached is None else self._decided(cached, cert, issuer, at)
            if known is not None:
                return known
            fetched = self._download(url)
            if fetched is None:
                continue
            new = self._decided(fetched, cert, issuer, at, url=url)
            if new is not None:
                with self._lock:
                    self._cache[url] = fetched
                return new
        return RevocationStatus.UNREACHABLE

    def _download(self, url: str) -> x509.CertificateRevocationList | None:
        if self._session is None:
            return None
        self.downloads += 1
        try:
            answer = bounded_request(
                self._session,
                "GET",
                url,
                max_bytes=self._settings.limits.max_http_response_bytes,
                timeout=self._settings.timeout,
            )
        except PeppolDpiError as exc:
            logger.warning("CRL %s not obtained: %s", url, exc)
            return None
        if answer.status != 200:
            logger.warning("CRL %s not obtained: HTTP %s", url, answer.status)
            return None
        try:
            if answer.body.lstrip().startswith(b"-----BEGIN"):
                return x509.load_pem_x509_crl(answer.body)
            return x509.load_der_x509_crl(answer.body)
        except MALFORMED_CERTIFICATE_ERRORS as exc:  # (an unknown version is no ValueError)
            logger.warning("CRL %s is not a CRL: %s", url, exc)
            return None

    def _decided(
        self,
        crl: x509.CertificateRevocationList,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        at: datetime,
        *,
        url: str | None = None,
    ) -> RevocationStatus | None:
        """What ``crl`` says about ``cert`` at ``at``; None when it cannot be used."""
        try:
            problem = self._problem(crl, cert, issuer, at)
            if problem is None:
                return _lookup(crl, cert, at)
        except MALFORMED_CERTIFICATE_ERRORS as exc:
            # cryptography decodes a CRL's names, extensions and entries on first use: one
            # that cannot be decoded is no CRL, as one that does not parse at all.
            problem = f"it cannot be decoded: {exc}"
        if url is not None:
            logger.warning("CRL %s not used: %s", url, problem)
        return None

    def _problem(
        self,
        crl: x509.CertificateRevocationList,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        at: datetime,
    ) -> str | None:
        # RFC 5280 6.3.3 (b)(1)/(f): a complete CRL from the certificate's own issuer, with
        # cRLSign, signed by the issuer's key.
        if crl.issuer != issuer.subject or crl.issuer != cert.issuer:
            return "issued by another CA"
        try:
            usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
            if not usage.crl_sign:
                return "the issuer may not sign CRLs (cRLSign)"
        except x509.ExtensionNotFound:
            pass
        algorithm = signature_hash(crl)
        if not signature_hash_allowed(algorithm, self._settings.allow_sha1):
            return "signed with SHA-1 (not allowed) or an unknown algorithm"
        if not verify_signature(issuer, crl.signature, crl.tbs_certlist_bytes, algorithm):
            return "the signature does not verify with the issuer's key"
        scope = _scope_problem(crl, cert)
        if scope is not None:
            return scope
        # RFC 5280 6.3.3 (a)(2): the CRL must be current: nextUpdate not passed at the instant
        # asked about (or now, for a later instant), thisUpdate not in the future.
        now = self._settings.clock()
        if crl.next_update_utc is None:
            return "no nextUpdate"
        if crl.next_update_utc + self._settings.clock_skew < min(at, now):
            return f"stale (nextUpdate {crl.next_update_utc.isoformat()})"
        if crl.last_update_utc - self._settings.clock_skew > now:
            return f"not yet valid (thisUpdate {crl.last_update_utc.isoformat()})"
        return None


def _scope_problem(crl: x509.CertificateRevocationList, cert: x509.Certificate) -> str | None:
    for extension in crl.extensions:
        if isinstance(extension.value, x509.DeltaCRLIndicator):
            return "a delta CRL"
        if extension.critical and isinstance(extension.value, x509.UnrecognizedExtension):
            return f"unknown critical extension {extension.oid.dotted_string}"
    try:
        idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    except x509.ExtensionNotFound:
        return None
    # RFC 5280 5.2.5 / 6.3.3 (b)(2): the CRL's scope must cover the certificate.
    if idp.indirect_crl or idp.only_some_reasons or idp.only_contains_attribute_certs:
        return "an indirect or partitioned CRL"
    if idp.only_contains_user_certs and is_ca(cert):
        return "covers end-entity certificates only"
    if idp.only_contains_ca_certs and not is_ca(cert):
        return "covers CA certificates only"
    return None


def _lookup(
    crl: x509.CertificateRevocationList, cert: x509.Certificate, at: datetime
) -> RevocationStatus:
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is None:
        return RevocationStatus.GOOD
    try:
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        reason = None
    if reason is x509.ReasonFlags.remove_from_crl:
        return RevocationStatus.GOOD
    # Revoked after the instant asked about: it was still good then.
    return RevocationStatus.REVOKED if entry.revocation_date_utc <= at else RevocationStatus.GOOD

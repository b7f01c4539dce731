"""Revocation by OCSP (RFC 6960).

:class:`OcspChecker` asks the responder named in the certificate's Authority Information
Access, with the caller's session, and accepts an answer only when it is signed by the
certificate's issuer or by a responder the issuer delegated to (id-kp-OCSPSigning), names the
certificate, is current and (when the responder echoes one) carries the nonce it was sent.
"""

from __future__ import annotations

import base64
import os
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from ..errors import PeppolDpiError
from ..httpclient import bounded_request
from ..keys import MALFORMED_CERTIFICATE_ERRORS
from ..trust import RevocationStatus, verify_issued_by, verify_signature
from .common import (
    RevocationSettings,
    hash_of,
    logger,
    ocsp_urls,
    public_key_bits,
    signature_hash,
    signature_hash_allowed,
)

__all__ = ["OcspChecker", "random_nonce"]

_GET_LIMIT = 255  # RFC 6960 A.1: GET for requests whose encoding is under 255 bytes


def random_nonce() -> bytes:
    return os.urandom(16)  # RFC 8954: 1 to 32 octets; 16 recommended


@dataclass(frozen=True, kw_only=True)
class _Answer:
    status: ocsp.OCSPCertStatus
    revocation_time: datetime | None
    next_update: datetime | None


class OcspChecker:
    """A :class:`~peppol_dpi.trust.RevocationChecker` using OCSP.

    ``session``: for the requests. ``nonce``: makes the request nonce (None: send none).
    ``use_get``: send short requests with HTTP GET (RFC 6960 A.1), which caches can serve.
    ``max_age``: how old an answer without nextUpdate may be. Good and revoked answers are
    cached until their nextUpdate.
    """

    def __init__(
        self,
        *,
        session: requests.Session,
        settings: RevocationSettings = RevocationSettings(),  # noqa: B008 - frozen value
        max_age: timedelta = timedelta(hours=24),
        nonce: Callable[[], bytes] | None = random_nonce,
        use_get: bool = False,
    ) -> None:
        self._session = session
        self._settings = settings
        self._max_age = max_age
        self._nonce = nonce
        self._use_get = use_get
        self._cache: dict[tuple[bytes, int], _Answer] = {}
        self._lock = threading.Lock()
        self.requests = 0  # how many OCSP requests were sent (observability)

    def status(
        self, cert: x509.Certificate, issuer: x509.Certificate, at: datetime
    ) -> RevocationStatus:
        urls = ocsp_urls(cert)
        if not urls:
            return RevocationStatus.NOT_CHECKABLE
        key = (public_key_bits(issuer), cert.serial_number)
        with self._lock:
            cached = self._cache.get(key)
        if (
            cached is not None
            and cached.next_update is not None
            and cached.next_update >= self._settings.clock()
        ):
            return _decide(cached, at)
        for url in urls:
            answer = self._ask(url, cert, issuer)
            if answer is None:
                continue
            if answer.next_update is not None and answer.status is not ocsp.OCSPCertStatus.UNKNOWN:
                with self._lock:
                    self._cache[key] = answer
            return _decide(answer, at)
        return RevocationStatus.UNREACHABLE

    def _ask(self, url: str, cert: x509.Certificate, issuer: x509.Certificate) -> _Answer | None:
        builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303 - the CertID hash every responder supports
        nonce = self._nonce() if self._nonce is not None else None
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        request = builder.build().public_bytes(serialization.Encoding.DER)
        self.requests += 1
        try:
            answer = self._send(url, request)
        except PeppolDpiError as exc:
            logger.warning("OCSP %s not reached: %s", url, exc)
            return None
        if answer is None:
            return None
        try:
            response = ocsp.load_der_ocsp_response(answer)
        except MALFORMED_CERTIFICATE_ERRORS as exc:
            logger.warning("OCSP %s answered something else: %s", url, exc)
            return None
        try:
            problem, result = self._check(response, cert, issuer, nonce)
        except MALFORMED_CERTIFICATE_ERRORS as exc:
            # cryptography decodes an answer's parts (the responder's name, extensions, the
            # certificates it carries outside what is signed) on first use: an answer that
            # cannot be decoded is no answer, as one that is no OCSP response at all.
            logger.warning("OCSP %s answered something unreadable: %s", url, exc)
            return None
        if problem is not None:
            logger.warning("OCSP answer from %s not used: %s", url, problem)
        return result

    def _send(self, url: str, request: bytes) -> bytes | None:
        headers = {"Accept": "application/ocsp-response"}
        encoded = base64.b64encode(request).decode()
        if self._use_get and len(encoded) < _GET_LIMIT:
            target = f"{url.rstrip('/')}/{urllib.parse.quote(encoded, safe='')}"
            answer = bounded_request(
                self._session,
                "GET",
                target,
                headers=headers,
                max_bytes=self._settings.limits.max_http_response_bytes,
                timeout=self._settings.timeout,
            )
        else:
            answer = bounded_request(
                self._session,
                "POST",
                url,
                data=request,
                headers=headers | {"Content-Type": "application/ocsp-request"},
                max_bytes=self._settings.limits.max_http_response_bytes,
                timeout=self._settings.timeout,
            )
        if answer.status != 200:
            logger.warning("OCSP %s answered HTTP %s", url, answer.status)
            return None
        return answer.body

    def _check(
        self,
        response: ocsp.OCSPResponse,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        nonce: bytes | None,
    ) -> tuple[str | None, _Answer | None]:
        if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            return f"status {response.response_status.name}", None
        signer = self._signer(response, issuer)
        if signer is None:
            return "signed by neither the issuer nor a responder it authorised", None
        algorithm = signature_hash(response)
        if not signature_hash_allowed(algorithm, self._settings.allow_sha1):
            return "signed with SHA-1 (not allowed) or an unknown algorithm", None
        if not verify_signature(signer, response.signature, response.tbs_response_bytes, algorithm):
            return "the signature does not verify", None
        # RFC 8954 / RFC 6960 4.4.1: a nonce in the answer must be the one we sent (many
        # responders answer from a cache without one, which is allowed).
        try:
            echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            echoed = None
        if echoed is not None and echoed != nonce:
            return "the nonce is not the one sent", None
        single = _single_for(response, cert, issuer)
        if single is None:
            return "no answer about this certificate", None
        # RFC 6960 3.2 (5)/(6) and 4.2.2.1: thisUpdate not in the future; nextUpdate, when
        # present, not passed; without it, the answer must be recent.
        now = self._settings.clock()
        if single.this_update_utc - self._settings.clock_skew > now:
            return "thisUpdate is in the future", None
        if single.next_update_utc is not None:
            if single.next_update_utc + self._settings.clock_skew < now:
                return "stale (nextUpdate has passed)", None
        elif single.this_update_utc + self._max_age < now:
            return "too old (no nextUpdate)", None
        answer = _Answer(
            status=single.certificate_status,
            revocation_time=single.revocation_time_utc,
            next_update=single.next_update_utc,
        )
        return None, answer

    def _signer(
        self, response: ocsp.OCSPResponse, issuer: x509.Certificate
    ) -> x509.Certificate | None:
        # RFC 6960 4.2.2.2: the issuer itself, or a certificate it issued for OCSP signing.
        if _is_responder(response, issuer):
            return issuer
        now = self._settings.clock()
        for candidate in response.certificates:
            if not _is_responder(response, candidate) or not verify_issued_by(candidate, issuer):
                continue
            if not signature_hash_allowed(signature_hash(candidate), self._settings.allow_sha1):
                continue
            try:
                usages = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except x509.ExtensionNotFound:
                continue
            valid = candidate.not_valid_before_utc <= now <= candidate.not_valid_after_utc
            if ExtendedKeyUsageOID.OCSP_SIGNING in usages and valid:
                return candidate
        return None


def _is_responder(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if response.responder_name is not None:
        return response.responder_name == cert.subject
    return response.responder_key_hash == hash_of(hashes.SHA1(), public_key_bits(cert))  # noqa: S303 - RFC 6960 ResponderID byKey is SHA-1


def _single_for(
    response: ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPSingleResponse | None:
    issuer_name = issuer.subject.public_bytes()
    issuer_key = public_key_bits(issuer)
    for single in response.responses:
        algorithm = single.hash_algorithm
        if (
            single.serial_number == cert.serial_number
            and single.issuer_name_hash == hash_of(algorithm, issuer_name)
            and single.issuer_key_hash == hash_of(algorithm, issuer_key)
        ):
            return single
    return None


def _decide(answer: _Answer, at: datetime) -> RevocationStatus:
    if answer.status is ocsp.OCSPCertStatus.GOOD:
        return RevocationStatus.GOOD
    if answer.status is ocsp.OCSPCertStatus.REVOKED:
        if answer.revocation_time is not None and answer.revocation_time > at:
            return RevocationStatus.GOOD  # revoked after the instant asked about
        return RevocationStatus.REVOKED
    # "unknown": the responder does not know the certificate; not an answer to rely on.
    return RevocationStatus.UNREACHABLE

"""Revocation checking by OCSP and CRL, for :class:`~peppol_dpi.trust.TrustPolicy`.

Build one checker per process (it caches answers) and give it to the policy::

    checker = revocation_checker(session)            # OCSP first, then the CRL
    policy = TrustPolicy(anchors=..., revocation_checker=checker)

A checker answers ``GOOD``, ``REVOKED``, ``UNREACHABLE`` (no usable answer: network failure,
timeout, oversized or badly signed answer, stale data) or ``NOT_CHECKABLE`` (the certificate
names no location). What ``UNREACHABLE`` means is the policy's :class:`RevocationMode`:
``REQUIRE`` refuses the certificate, ``SOFT`` accepts it with a warning. Why an answer was
unusable is logged on the ``peppol_dpi.revocation`` logger.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import requests
from cryptography import x509

from ..arguments import wrong_type
from ..trust import RevocationChecker, RevocationStatus
from .common import RevocationSettings
from .crl import CrlChecker
from .ocsp import OcspChecker, random_nonce

__all__ = [
    "CrlChecker",
    "FirstAnswerChecker",
    "OcspChecker",
    "RevocationSettings",
    "random_nonce",
    "revocation_checker",
]

_DECISIVE = (RevocationStatus.GOOD, RevocationStatus.REVOKED)


class FirstAnswerChecker:
    """Asks its checkers in order and returns the first decisive answer (good or revoked).

    Without one: ``NOT_CHECKABLE`` when no checker found a location, else ``UNREACHABLE``.
    """

    def __init__(self, *checkers: RevocationChecker) -> None:
        self.checkers = checkers

    def status(
        self, cert: x509.Certificate, issuer: x509.Certificate, at: datetime
    ) -> RevocationStatus:
        seen: list[RevocationStatus] = []
        for checker in self.checkers:
            status = checker.status(cert, issuer, at)
            if status in _DECISIVE:
                return status
            seen.append(status)
        if all(s is RevocationStatus.NOT_CHECKABLE for s in seen):
            return RevocationStatus.NOT_CHECKABLE
        return RevocationStatus.UNREACHABLE


def revocation_checker(
    session: requests.Session,
    *,
    crls: Iterable[x509.CertificateRevocationList] = (),
    settings: RevocationSettings = RevocationSettings(),  # noqa: B008 - frozen value
) -> FirstAnswerChecker:
    """OCSP first (fresh, small answers), then the CRL, sharing one session and settings."""
    # Checked here, not at the first certificate that names a responder: there it was an
    # AttributeError out of TrustPolicy.validate, in the middle of opening a peer's message.
    if not isinstance(session, requests.Session):
        raise wrong_type("revocation_checker", "session", "a requests.Session", session)
    return FirstAnswerChecker(
        OcspChecker(session=session, settings=settings),
        CrlChecker(session=session, crls=crls, settings=settings),
    )

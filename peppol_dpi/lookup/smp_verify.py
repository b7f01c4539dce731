"""Verifying a signed SMP answer: the enveloped XML signature, then its signer certificate.

peppol.md 3.3 (peppol-commons ``SMPHttpResponseHandlerSigned``): parse the bytes exactly as
received; every ``ds:Signature`` directly under the document element must verify, with
whatever algorithms its SignedInfo declares as long as the policy allows them (SHA-1 only on
opt-in: SMPs before 1.3 signed with RSA-SHA1); the signature must cover the whole document
(``URI=""`` with the enveloped-signature transform); the signer certificate (the first
``X509Certificate``) must be trusted by the caller's :class:`~peppol_dpi.trust.TrustPolicy`
(the Peppol SMP CA of the right stage). Only then is the content read, from the very element
that was verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

from .. import ns
from ..arguments import require_buffer, require_time
from ..errors import SignatureError
from ..keys import rsa_public_key
from ..limits import DEFAULT_LIMITS, Limits
from ..trust import TrustPolicy, ValidatedCertificate, require_trust
from ..xmldsig import SignaturePolicy, Transform, VerifiedSignature, certificates_in, verify
from ..xmlparse import Element, parse_xml
from .errors import SmpError
from .smp import Redirect, ServiceMetadata
from .smp_xml import read_service_metadata

__all__ = ["VerifiedServiceMetadata", "signer_matches_uid", "verify_service_metadata"]

_SIGNATURE = f"{{{ns.DS}}}Signature"


@dataclass(frozen=True, kw_only=True)
class VerifiedServiceMetadata:
    """A signed SMP answer whose signature verified; ``trusted`` as in docs/cli.md."""

    content: ServiceMetadata | Redirect
    signer: x509.Certificate
    signature: VerifiedSignature
    validated: ValidatedCertificate | None  # None: no TrustPolicy was given (crypto only)

    @property
    def trusted(self) -> bool | None:
        return None if self.validated is None else True


def verify_service_metadata(
    data: bytes,
    *,
    trust: TrustPolicy | None,
    at: datetime | None = None,
    allow_sha1: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> VerifiedServiceMetadata:
    """Verify a ``SignedServiceMetadata`` (Peppol 1.x) or signed ``ServiceMetadata`` (OASIS 2.0).

    ``trust`` None checks the cryptography only (the result says ``trusted=None``); give the
    SMP CA of the network to trust the answer. Raises SignatureError, CertificateError,
    XmlSecurityError or SmpError.
    """
    caller = "verify_service_metadata"
    require_buffer(data, caller=caller, name="data")
    require_trust(trust, caller=caller, optional=True)
    require_time(at, caller=caller, name="at", optional=True)
    root = parse_xml(data, limits=limits, what="SMP answer")
    signatures = [child for child in root if child.tag == _SIGNATURE]
    if not signatures:
        raise SignatureError("the SMP answer is not signed", rule="smp:unsigned")
    policy = SignaturePolicy().allowing_sha1() if allow_sha1 else SignaturePolicy()
    first: tuple[x509.Certificate, VerifiedSignature, list[x509.Certificate]] | None = None
    for signature in signatures:
        signer, verified, chain = _verify_one(signature, root, policy)
        first = first or (signer, verified, chain)
    assert first is not None
    signer, verified, chain = first
    validated = trust.validate(signer, chain=chain, at=at) if trust is not None else None
    return VerifiedServiceMetadata(
        content=read_service_metadata(root),
        signer=signer,
        signature=verified,
        validated=validated,
    )


def _verify_one(
    signature: Element, root: Element, policy: SignaturePolicy
) -> tuple[x509.Certificate, VerifiedSignature, list[x509.Certificate]]:
    certificates = certificates_in(signature)
    if not certificates:
        raise SignatureError(
            "the SMP signature carries no X509Certificate", rule="smp:no-signer-certificate"
        )
    signer = certificates[0]
    key = rsa_public_key(signer, what="the SMP signer certificate")
    verified = verify(signature, public_key=key, policy=policy)
    # SMP 1.x 3.3 / OASIS SMP 2.0 5.4: the signature covers the whole document.
    whole = [
        r
        for r in verified.references
        if r.uri == "" and r.element is root and Transform.ENVELOPED_SIGNATURE in r.transforms
    ]
    if not whole:
        raise SignatureError(
            'the SMP signature does not cover the whole document (URI="", enveloped)',
            rule="smp:signature-scope",
        )
    return signer, verified, certificates[1:]


def signer_matches_uid(certificate: x509.Certificate, certificate_uid: str) -> bool:
    """Does a redirect target's signer match the ``CertificateUID`` the redirect named?

    Peppol SMP 1.x 3.4: the UID is the subject's unique identifier; SMPs write the subject UID
    attribute, the serialNumber or the whole subject, so each is compared (case-sensitively
    for attribute values, as in peppol-commons).
    """
    wanted = certificate_uid.strip()
    subject = certificate.subject
    if wanted in (subject.rfc4514_string(), subject.rfc4514_string().replace(",", ", ")):
        return True
    for oid in (NameOID.USER_ID, NameOID.SERIAL_NUMBER, NameOID.COMMON_NAME):
        if any(str(a.value) == wanted for a in subject.get_attributes_for_oid(oid)):
            return True
    return False


def require_redirect_signer(verified: VerifiedServiceMetadata, redirect: Redirect) -> None:
    """Refuse a redirect target signed by someone other than the redirect named."""
    if redirect.certificate is not None and verified.signer != redirect.certificate:
        raise SmpError(
            "the redirect target is signed by another certificate than the redirect named",
            rule="smp:redirect-signer",
        )
    if redirect.certificate_uid and not signer_matches_uid(
        verified.signer, redirect.certificate_uid
    ):
        raise SmpError(
            f"the redirect target's signer does not match CertificateUID {redirect.certificate_uid!r}",
            rule="smp:redirect-signer",
        )

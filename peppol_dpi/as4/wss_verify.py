"""Strict verification of the WS-Security signature of an AS4 message or signal.

What is checked (CEF eDelivery AS4 1.14 "Message Signing", Peppol AS4 2.0.3 section 5, and
the WSS4J secure-validation rules phase4 and Oxalis run with):

* exactly one ``ds:Signature`` in ``wsse:Security``; its KeyInfo a direct reference to an X509v3
  BinarySecurityToken (EBMS:0103 otherwise);
* only RSA-SHA256/384/512, SHA-256/384/512 digests, exclusive C14N, and the transforms AS4 uses:
  exclusive C14N for XML references, the SwA content transform for attachments (EBMS:0101);
* every digest and the SignatureValue (EBMS:0101), ids unique in the whole envelope;
* coverage: the very ``eb:Messaging`` and ``S12:Body`` elements found at their places in the
  envelope, and every attachment given, are signed (EBMS:0101): a signature over a moved or
  copied header does not count;
* the signing certificate, through the caller's :class:`~peppol_dpi.trust.TrustPolicy`
  (EBMS:0101). Without a policy the certificate is reported, not trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from cryptography import x509

from .. import ns
from ..errors import EbmsError, SignatureError, UsageError, XmlSecurityError
from ..keys import rsa_public_key
from ..limits import DEFAULT_LIMITS, Limits
from ..trust import TrustPolicy, ValidatedCertificate
from ..xmldsig import (
    C14nMethod,
    DigestMethod,
    ExternalDigest,
    SignatureMethod,
    SignaturePolicy,
    Transform,
    VerifiedReference,
    check_external,
    verify,
)
from ..xmldsig.references import unresolved
from ..xmlparse import first_child
from .model import SignedReference
from .soap import SoapEnvelope
from .wss_sign import swa_signature_input
from .wss_tokens import SecurityIds, SecurityPolicyError, certificate_of, resolve_str

__all__ = ["AS4_SIGNATURE_POLICY", "WssVerification", "verify_envelope"]

#: The algorithms an AS4 signature may use (CEF eDelivery AS4 1.14; WSS4J's AS4 algorithm suite).
AS4_SIGNATURE_POLICY = SignaturePolicy(
    signature_methods=frozenset(
        {SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512}
    ),
    digest_methods=frozenset({DigestMethod.SHA256, DigestMethod.SHA384, DigestMethod.SHA512}),
    c14n_methods=frozenset({C14nMethod.EXCLUSIVE}),
    transforms=frozenset({Transform.EXCLUSIVE_C14N, Transform.SWA_CONTENT_SIGNATURE}),
)


#: The same algorithms for the SignedInfo of a message whose attachments are still encrypted:
#: their references are checked afterwards, by :meth:`WssVerification.with_attachments`.
_HEADER_POLICY = replace(AS4_SIGNATURE_POLICY, allow_unresolved_external=True)


@dataclass(frozen=True)
class WssVerification:
    """What the signature established.

    ``references`` are the signed ds:References (what a receipt repeats); ``attachments_checked``
    is False while attachment digests are left to :meth:`with_attachments` (a receiver that
    has not decrypted yet, or inspection without the key); ``validated`` is the trust-policy
    result, None when no policy was given.
    """

    signer: x509.Certificate
    references: tuple[SignedReference, ...]
    attachments_checked: bool
    validated: ValidatedCertificate | None
    #: The references as verified; those of attachments still unchecked carry
    #: ``digest_checked=False``.
    verified: tuple[VerifiedReference, ...] = field(default=(), repr=False, compare=False)

    def digest_methods(self, content_id: str) -> frozenset[DigestMethod]:
        """The digest methods of the references to the attachment ``content_id`` (none for an
        attachment the signature does not cover: :meth:`with_attachments` refuses that)."""
        uri = f"cid:{content_id}"
        return frozenset(ref.digest_method for ref in self.verified if ref.uri == uri)

    def with_attachments(
        self,
        attachments: Mapping[str, tuple[str | None, bytes | ExternalDigest]],
        *,
        limits: Limits = DEFAULT_LIMITS,
    ) -> WssVerification:
        """This verification completed with the attachments: ``attachments`` maps Content-ID
        to (MIME type, content after decryption), the content given by its digest when it
        was streamed. Every reference left open must name one of them and match its digest
        (WSS SwA 1.1 5.2), and every attachment must be signed (EBMS:0101)."""
        verified = tuple(
            ref if ref.digest_checked else _attachment_checked(ref, attachments, limits)
            for ref in self.verified
        )
        # AS4 profile 5.1.4 / Peppol: every attachment is signed.
        signed = {r.uri[4:] for r in verified if r.uri.startswith("cid:")}
        missing = sorted(set(attachments) - signed)
        if missing:
            raise _fail(f"the attachments {missing} are not signed", "wss:coverage")
        return WssVerification(
            signer=self.signer,
            references=self.references,
            attachments_checked=True,
            validated=self.validated,
            verified=verified,
        )


def _attachment_checked(
    ref: VerifiedReference,
    attachments: Mapping[str, tuple[str | None, bytes | ExternalDigest]],
    limits: Limits,
) -> VerifiedReference:
    found = attachments.get(ref.uri[4:]) if ref.uri.startswith("cid:") else None
    if found is None:
        raise unresolved(ref.uri)
    try:
        signed_octets = swa_signature_input(found[0], found[1], limits=limits)
    except XmlSecurityError as exc:
        # WSS SwA 1.1 5.2: an attachment declared XML is canonicalized before its digest. When
        # it does not parse, no digest can match: the message fails authentication (EBMS:0101),
        # as the streaming opener reports an XML attachment it cannot canonicalize. The type
        # comes from EncryptedData/@MimeType, which the signature does not cover.
        raise _fail(
            f"the attachment {ref.uri} is declared {found[0]} but is not XML that can be "
            f"canonicalized ({exc.message})",
            "dsig:attachment-not-xml",
        ) from None
    return check_external(ref, signed_octets)


def _fail(message: str, rule: str) -> SignatureError:
    return SignatureError(message, rule=rule, ebms_code=EbmsError.FAILED_AUTHENTICATION)


def verify_envelope(
    envelope: SoapEnvelope,
    *,
    attachments: Mapping[str, tuple[str | None, bytes | ExternalDigest]] | None,
    trust: TrustPolicy | None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
    security_ids: SecurityIds | None = None,
) -> WssVerification:
    """Verify the signature; ``attachments`` maps Content-ID to (MIME type, signed content),
    the content given by its digest when it was streamed.

    The SignedInfo, the XML references and the signer come first; the attachment digests
    last (:meth:`WssVerification.with_attachments`). ``attachments=None`` leaves those to the
    caller: a receiver authenticates the message before it decrypts anything, inspection
    without the decryption key never checks them (the result says so). ``security_ids``:
    the header's id index, when the caller built one already (to decrypt).
    """
    if envelope.security is None:
        raise SecurityPolicyError(
            "the message has no wsse:Security header: it must be signed", rule="wss:unsigned"
        )
    signatures = list(envelope.security.iterchildren(f"{{{ns.DS}}}Signature"))
    if len(signatures) != 1:
        raise SecurityPolicyError(
            f"wsse:Security must hold exactly one ds:Signature, found {len(signatures)}",
            rule="wss:unsigned" if not signatures else "wss:signatures",
        )
    signature = signatures[0]
    key_info = first_child(signature, f"{{{ns.DS}}}KeyInfo")
    if security_ids is not None and security_ids.security is not envelope.security:
        raise UsageError("security_ids must index this envelope's wsse:Security header")
    ids = security_ids if security_ids is not None else envelope.security
    token = resolve_str(key_info, ids, what="signature")
    cert = certificate_of(token, what="signing")
    public_key = rsa_public_key(cert, what="the signing certificate")
    # Attachments are never resolved here: their references come back unchecked.
    result = verify(
        signature,
        public_key=public_key,
        policy=_HEADER_POLICY,
        ids=security_ids.document_ids() if security_ids is not None else None,
    )
    _check_coverage(envelope, result.references)
    validated = trust.validate(cert, at=at) if trust is not None else None
    verification = WssVerification(
        signer=cert,
        references=tuple(_signed_reference(r) for r in result.references),
        attachments_checked=all(r.digest_checked for r in result.references),
        validated=validated,
        verified=result.references,
    )
    if attachments is None:
        return verification
    return verification.with_attachments(attachments, limits=limits)


def _signed_reference(ref: VerifiedReference) -> SignedReference:
    # What a receipt repeats, from what was verified: _check_coverage allowed exactly one
    # transform (exclusive C14N with its PrefixList, or the SwA content transform, which takes
    # no parameters), so this is what the ds:Reference says.
    return SignedReference(
        uri=ref.uri,
        transforms=tuple(
            (t.value, ref.prefixes if t is Transform.EXCLUSIVE_C14N else ()) for t in ref.transforms
        ),
        digest_method=ref.digest_method.value,
        digest_value=ref.digest_value,
    )


def _check_coverage(envelope: SoapEnvelope, references: tuple[VerifiedReference, ...]) -> None:
    # AS4 profile 5.1.4 / Peppol: Messaging and Body are signed (the attachments: see
    # WssVerification.with_attachments), and XML references use exactly exclusive C14N,
    # attachments exactly the SwA content transform.
    xml_only = (Transform.EXCLUSIVE_C14N,)
    swa_only = (Transform.SWA_CONTENT_SIGNATURE,)
    for ref in references:
        expected = swa_only if ref.uri.startswith("cid:") else xml_only
        if ref.transforms != expected:
            raise _fail(
                f"the reference {ref.uri!r} uses transforms {[t.value for t in ref.transforms]}",
                "wss:transforms",
            )
    covered = {id(r.element) for r in references if r.element is not None}
    if envelope.messaging is None or id(envelope.messaging) not in covered:
        raise _fail("the signature does not cover the eb:Messaging header", "wss:coverage")
    if id(envelope.body) not in covered:
        raise _fail("the signature does not cover the SOAP Body", "wss:coverage")

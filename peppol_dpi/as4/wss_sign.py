"""WS-Security signing of an AS4 message, as the Peppol AS4 profile requires.

CEF eDelivery AS4 1.14 "Message Signing" and Peppol AS4 2.0.3 section 5: RSA-SHA256 over
exclusive C14N SignedInfo (phase4 adds ``InclusiveNamespaces PrefixList="S12"``), SHA-256
digests, one reference each to ``eb:Messaging`` and ``S12:Body`` by ``wsu:Id`` (exclusive C14N)
and one per attachment by ``cid:`` with the SwA Attachment-Content-Signature-Transform; the
signing certificate as a BinarySecurityToken referenced directly from ``ds:KeyInfo``.

The attachment octets follow WSS4J's AttachmentContentSignatureTransform, which is what
phase4, Oxalis and Domibus verify with (WSS SwA profile 1.1 5.2): XML media types are first
canonicalized with exclusive C14N, other ``text/*`` get CRLF line ends, everything else (gzip,
as Peppol sends) is digested as is.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence

from lxml import etree

from .. import ns
from ..errors import SignatureError, UsageError
from ..keys import PrivateKey
from ..limits import DEFAULT_LIMITS, Limits
from ..xmldsig import ExternalDigest, ReferenceSpec, Transform, sign
from ..xmlparse import Element, c14n, parse_xml
from .soap import SoapEnvelope
from .wss_tokens import bst_element, str_element

__all__ = ["SIGNED_INFO_PREFIXES", "sign_envelope", "swa_signature_input"]

#: InclusiveNamespaces of SignedInfo and the Messaging reference (phase4's choice).
SIGNED_INFO_PREFIXES = ("S12",)

_XML_TYPE = re.compile(r"^(text/xml|application/xml|(application|image)/[^;/]+\+xml)$")


def swa_signature_input(
    mime_type: str | None, content: bytes | ExternalDigest, *, limits: Limits = DEFAULT_LIMITS
) -> bytes | ExternalDigest:
    """The octets the Attachment-Content-Signature-Transform digests for one attachment.

    Content digested while streaming (:class:`ExternalDigest`) is only possible for media
    types the transform hands over unchanged (gzip, as Peppol sends).
    """
    media = (mime_type or "application/octet-stream").split(";", 1)[0].strip().lower()
    if isinstance(content, ExternalDigest):
        if _XML_TYPE.match(media) or media.startswith("text/"):
            raise SignatureError(
                f"an attachment of type {media} must be canonicalized before it is digested, "
                "which a streamed attachment cannot be",
                rule="dsig:streamed-transform",
            )
        return content
    if _XML_TYPE.match(media):
        return c14n(parse_xml(content, limits=limits, what="an XML attachment"))
    if media.startswith("text/"):
        normalized = content.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        return normalized.replace(b"\n", b"\r\n")
    return content


def sign_envelope(
    envelope: SoapEnvelope,
    *,
    key: PrivateKey,
    attachments: Sequence[tuple[str, str, bytes | ExternalDigest]] = (),
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    limits: Limits = DEFAULT_LIMITS,
) -> Element:
    """Sign Messaging, Body and the ``(content_id, mime_type, content)`` attachments.

    Appends the signer's BinarySecurityToken and the ``ds:Signature`` to ``wsse:Security``
    and returns the signature. Attachments are signed as they are before encryption
    (sign-then-encrypt, ebMS3 core 7.6); a streamed one is given by its digest.
    """
    if envelope.security is None or envelope.messaging is None:
        raise UsageError("the envelope needs wsse:Security and eb:Messaging headers")
    messaging_id = envelope.messaging.get(f"{{{ns.WSU}}}Id")
    body_id = envelope.body.get(f"{{{ns.WSU}}}Id")
    if not messaging_id or not body_id:
        raise UsageError("eb:Messaging and S12:Body need wsu:Id attributes")
    bst_id = f"X509-{new_id()}"
    envelope.security.append(bst_element(key.certificate, bst_id))
    key_info = etree.Element(f"{{{ns.DS}}}KeyInfo", nsmap={"ds": ns.DS})
    key_info.set("Id", f"KI-{new_id()}")
    key_info.append(str_element(bst_id))

    contents = {f"cid:{cid}": (mime, data) for cid, mime, data in attachments}

    def resolver(uri: str) -> bytes | ExternalDigest | None:
        found = contents.get(uri)
        return swa_signature_input(found[0], found[1], limits=limits) if found else None

    references = [
        ReferenceSpec(
            uri=f"#{messaging_id}",
            transforms=(Transform.EXCLUSIVE_C14N,),
            inclusive_prefixes=SIGNED_INFO_PREFIXES,
        ),
        ReferenceSpec(uri=f"#{body_id}", transforms=(Transform.EXCLUSIVE_C14N,)),
        *(
            ReferenceSpec(uri=uri, transforms=(Transform.SWA_CONTENT_SIGNATURE,))
            for uri in contents
        ),
    ]
    return sign(
        parent=envelope.security,
        references=references,
        key=key,
        c14n_prefixes=SIGNED_INFO_PREFIXES,
        key_info=key_info,
        resolver=resolver,
        signature_id=f"SIG-{new_id()}",
    )

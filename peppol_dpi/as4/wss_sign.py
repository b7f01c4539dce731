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
from collections.abc import Callable, Sequence

from .. import ns
from ..errors import SignatureError
from ..ids import random_uuid
from ..keys import PrivateKey
from ..limits import DEFAULT_LIMITS, Limits
from ..xmldsig import (
    ExternalDigest,
    ReferenceSpec,
    SignedInfoSpec,
    Transform,
    signature_xml,
    signed_info_xml,
)
from ..xmldsig.model import digest_of
from ..xmlparse import c14n, parse_xml
from ..xmltext import attr
from .ebms_write import messaging_texts
from .model import SignalMessage, SignedReference, UserMessage
from .soap import body_xml, envelope_xml
from .wss_tokens import bst_xml, str_xml

__all__ = [
    "SIGNED_INFO_PREFIXES",
    "check_canonical_size",
    "needs_canonical_form",
    "swa_signature_input",
    "write_signed_envelope",
]

#: InclusiveNamespaces of SignedInfo and the Messaging reference (phase4's choice).
SIGNED_INFO_PREFIXES = ("S12",)

# The declaration lxml writes (the envelope was once serialized by it; kept byte for byte).
_XML_DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"

_XML_TYPE = re.compile(r"^(text/xml|application/xml|(application|image)/[^;/]+\+xml)$")


def _media(mime_type: str | None) -> str:
    return (mime_type or "application/octet-stream").split(";", 1)[0].strip().lower()


def needs_canonical_form(mime_type: str | None) -> bool:
    """Whether the Attachment-Content-Signature-Transform changes an attachment of this type
    before digesting it (WSS SwA 1.1 5.2: XML is canonicalized, text gets CRLF line ends), so
    that it cannot be digested as it streams past (gzip, as Peppol sends, is not changed)."""
    media = _media(mime_type)
    return media.startswith("text/") or bool(media.endswith("xml") and _XML_TYPE.match(media))


def check_canonical_size(mime_type: str | None, size: int, limits: Limits) -> None:
    """An attachment the transform changes is held whole to be changed: at most
    ``Limits.max_xml_bytes`` (EBMS:0101, ``dsig:attachment-too-large``)."""
    if size > limits.max_xml_bytes:
        raise SignatureError(
            f"an attachment of type {_media(mime_type)} is canonicalized before it is digested "
            f"and is {size} bytes, more than {limits.max_xml_bytes}",
            rule="dsig:attachment-too-large",
        )


def swa_signature_input(
    mime_type: str | None, content: bytes | ExternalDigest, *, limits: Limits = DEFAULT_LIMITS
) -> bytes | ExternalDigest:
    """The octets the Attachment-Content-Signature-Transform digests for one attachment.

    Content digested while streaming (:class:`ExternalDigest`) is only possible for media
    types the transform hands over unchanged (:func:`needs_canonical_form`).
    """
    media = _media(mime_type)
    if isinstance(content, ExternalDigest):
        if needs_canonical_form(media):
            raise SignatureError(
                f"an attachment of type {media} must be canonicalized before it is digested, "
                "which a streamed attachment cannot be",
                rule="dsig:streamed-transform",
            )
        return content
    if needs_canonical_form(media):  # (gzip, the Peppol case, skips both)
        check_canonical_size(media, len(content), limits)
    if media.endswith("xml") and _XML_TYPE.match(media):
        return c14n(parse_xml(content, limits=limits, what="an XML attachment"))
    if media.startswith("text/"):
        normalized = content.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        return normalized.replace(b"\n", b"\r\n")
    return content


def write_signed_envelope(
    message: UserMessage | SignalMessage,
    *,
    key: PrivateKey,
    attachments: Sequence[tuple[str, str, bytes | ExternalDigest]] = (),
    security_head: str = "",
    new_id: Callable[[], str] = random_uuid,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[bytes, tuple[SignedReference, ...]]:
    """The signed envelope of ``message``, serialized, and the references its signature made.

    Messaging, Body and the ``(content_id, mime_type, content)`` attachments are signed as they
    are before encryption (sign-then-encrypt, ebMS3 core 7.6); a streamed attachment is given
    by its digest. ``security_head`` (the encryption header) goes first in ``wsse:Security``,
    then the signer's BinarySecurityToken and the ``ds:Signature`` (phase4's order).

    Nothing is parsed: eb:Messaging, the Body and SignedInfo are written in canonical form
    (:mod:`..xmltext`), so their canonical octets are known from the text itself: for
    Messaging and SignedInfo (exclusive C14N, PrefixList ``S12``) the prefixes they use plus
    ``S12``, which the envelope declares; for the Body the two it uses. The tests check every
    one against libxml2's canonicalization of the parsed envelope.
    """
    messaging_id = f"phase4-msg-{new_id()}"
    body_id = f"id-{new_id()}"
    bst_id = f"X509-{new_id()}"
    key_info_id = f"KI-{new_id()}"
    contents = {f"cid:{cid}": (mime, data) for cid, mime, data in attachments}
    spec = SignedInfoSpec(
        references=(
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
        ),
        c14n_prefixes=SIGNED_INFO_PREFIXES,
    )
    messaging, canonical_messaging = messaging_texts(message, wsu_id=messaging_id)
    inputs: list[bytes | ExternalDigest] = [
        canonical_messaging.encode(),
        body_xml(body_id, declare_soap=True).encode(),
        *(swa_signature_input(mime, data, limits=limits) for mime, data in contents.values()),
    ]
    digests = tuple(
        digest_of(reference.digest_method, data, reference.uri)
        for reference, data in zip(spec.references, inputs, strict=True)
    )
    canonical_signed_info = signed_info_xml(
        spec, digests=digests, namespaces={"S12": ns.SOAP12, "ds": ns.DS}
    )
    signature = signature_xml(
        spec,
        key_info_xml=f'<ds:KeyInfo Id="{attr(key_info_id)}">{str_xml(bst_id)}</ds:KeyInfo>',
        signature_id=f"SIG-{new_id()}",
        digests=digests,
        signature_value=key.sign(canonical_signed_info.encode(), spec.signature_method.hash),
    )
    envelope = envelope_xml(
        security=security_head + bst_xml(key.certificate, bst_id) + signature,
        messaging=messaging,
        body=body_xml(body_id),
    )
    references = tuple(
        SignedReference(
            uri=reference.uri,
            transforms=tuple(
                (t.value, reference.inclusive_prefixes if t is Transform.EXCLUSIVE_C14N else ())
                for t in reference.transforms
            ),
            digest_method=reference.digest_method.value,
            digest_value=digest,
        )
        for reference, digest in zip(spec.references, digests, strict=True)
    )
    return _XML_DECLARATION + envelope.encode(), references

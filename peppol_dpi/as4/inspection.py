"""Inspecting an AS4 message without its decryption key: what is it, who signed it, does it hold.

For operators debugging interop (docs/cli.md ``as4 inspect``). Everything that can be checked
without decrypting is checked: the SignatureValue over SignedInfo and the digests of the XML
references (eb:Messaging, Body). The digest of an encrypted attachment cannot be recomputed
without the receiver's key; :attr:`Inspection.attachments_checked` says so. Only malformed
input raises; a bad signature or an untrusted signer is reported in the result.

:func:`inspect_message_from` inspects a message in a file with memory that does not grow with
its attachments (issue 8): the body is scanned for its MIME delimiters where it lies
(:mod:`.mime_stream`), only the SOAP part (at most ``Limits.max_envelope_bytes``) is read, and
the attachments, which inspection never reads, stay in the file. A message with a base64
attachment (old phase4 test files; Peppol sends binary parts) is read whole instead, so that its
base64 is checked exactly as :func:`inspect_message` checks it.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from .. import ns
from ..arguments import (
    require_buffer,
    require_limits,
    require_source,
    require_spool_dir,
    require_time,
)
from ..errors import CertificateError, InputError
from ..limits import DEFAULT_LIMITS, Limits
from ..trust import TrustPolicy, require_trust
from .ebms_xml import parse_messaging
from .message_file import MessageSource, seekable_message
from .mime import Headers, MimeMessage, parse_message
from .mime_stream import scan_message
from .model import Ebms3HeaderError, SignalMessage, SignedReference, UserMessage
from .soap import SoapEnvelope, SoapFault, parse_envelope
from .wss_tokens import certificate_of, resolve_str
from .wss_verify import verify_envelope

__all__ = [
    "Inspection",
    "MessageKind",
    "SignatureStatus",
    "inspect_message",
    "inspect_message_from",
]


class MessageKind(enum.StrEnum):
    USER_MESSAGE = "user_message"
    RECEIPT = "receipt"
    ERROR = "error"


class SignatureStatus(enum.StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    ABSENT = "absent"


@dataclass(frozen=True)
class Inspection:
    """The structure of a message and the state of its signature."""

    kind: MessageKind
    message: UserMessage | SignalMessage
    attachment_count: int
    fault: SoapFault | None
    signature: SignatureStatus
    signature_error: InputError | None
    signer: x509.Certificate | None
    trusted: bool | None
    trust_error: CertificateError | None
    references: tuple[SignedReference, ...]
    attachments_checked: bool
    encrypted: bool


def _signer_of(envelope: SoapEnvelope) -> x509.Certificate | None:
    """The signing certificate, best effort (for reporting an invalid signature's signer)."""
    if envelope.security is None:
        return None
    signature = envelope.security.find(f"{{{ns.DS}}}Signature")
    if signature is None:
        return None
    try:
        token = resolve_str(
            signature.find(f"{{{ns.DS}}}KeyInfo"), envelope.security, what="signature"
        )
        return certificate_of(token, what="signing")
    except InputError:
        return None


def inspect_message(
    headers: Headers | Mapping[str, str],
    body: bytes | memoryview,
    *,
    trust: TrustPolicy | None = None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Inspection:
    """Parse and check what can be checked without a private key."""
    hdrs = _arguments("inspect_message", headers, trust=trust, at=at, limits=limits)
    body = require_buffer(body, caller="inspect_message", name="body")
    mime = parse_message(hdrs, body, limits=limits)
    return _inspect(mime, trust=trust, at=at, limits=limits)


def _arguments(
    caller: str, headers: Headers | Mapping[str, str], *, trust: object, at: object, limits: object
) -> Headers:
    require_trust(trust, caller=caller, optional=True)
    require_time(at, caller=caller, name="at", optional=True)
    require_limits(limits, caller=caller)
    return Headers.of(headers, caller=caller)


def inspect_message_from(
    source: MessageSource,
    headers: Headers | Mapping[str, str],
    *,
    trust: TrustPolicy | None = None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
    spool_dir: str | os.PathLike[str] | None = None,
) -> Inspection:
    """:func:`inspect_message` for the HTTP body in ``source`` (a path or a binary stream
    holding the body and nothing else; one that cannot seek is first copied to a spool),
    without reading its attachments into memory (see the module documentation)."""
    headers = _arguments("inspect_message_from", headers, trust=trust, at=at, limits=limits)
    require_source(source, caller="inspect_message_from", name="source")
    require_spool_dir(spool_dir, caller="inspect_message_from")
    with ExitStack() as stack:
        file = seekable_message(source, stack, limits=limits, spool_dir=spool_dir)
        size = file.seek(0, os.SEEK_END)
        scanned = scan_message(headers, file, size=size, limits=limits, allow_base64=True)
        mime = scanned.mime
        if scanned.base64:  # decoded and checked as the bytes path does (size checked above)
            file.seek(0)
            mime = parse_message(headers, file.read(size), limits=limits)
    return _inspect(mime, trust=trust, at=at, limits=limits)


def _inspect(
    mime: MimeMessage, *, trust: TrustPolicy | None, at: datetime | None, limits: Limits
) -> Inspection:
    envelope = parse_envelope(mime.root.body, limits=limits)
    if envelope.messaging is None:
        raise Ebms3HeaderError("the message has no eb:Messaging header", rule="as4:header-missing")
    message = parse_messaging(envelope.messaging)
    if isinstance(message, UserMessage):
        kind = MessageKind.USER_MESSAGE
    else:
        kind = MessageKind.RECEIPT if message.receipt is not None else MessageKind.ERROR
    status, error, signer = SignatureStatus.ABSENT, None, None
    references: tuple[SignedReference, ...] = ()
    checked = False
    has_signature = (
        envelope.security is not None
        and envelope.security.find(f"{{{ns.DS}}}Signature") is not None
    )
    if has_signature:
        try:
            result = verify_envelope(envelope, attachments=None, trust=None, limits=limits)
        except InputError as exc:
            status, error, signer = SignatureStatus.INVALID, exc, _signer_of(envelope)
        else:
            status, signer = SignatureStatus.VALID, result.signer
            references, checked = result.references, result.attachments_checked
    trusted: bool | None = None
    trust_error = None
    if trust is not None:
        trusted = False
        if signer is not None and status is SignatureStatus.VALID:
            try:
                trust.validate(signer, at=at)
                trusted = True
            except CertificateError as exc:
                trust_error = exc
    encrypted = (
        envelope.security is not None
        and envelope.security.find(f"{{{ns.XENC}}}EncryptedData") is not None
    )
    return Inspection(
        kind=kind,
        message=message,
        attachment_count=len(mime.attachments),
        fault=envelope.fault,
        signature=status,
        signature_error=error,
        signer=signer,
        trusted=trusted,
        trust_error=trust_error,
        references=references,
        attachments_checked=checked,
        encrypted=encrypted,
    )

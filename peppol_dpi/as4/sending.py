"""Peppol AS4 sender recipe: one SBD in, one signed, compressed, encrypted message out.

peppol.md 1.9 and Peppol AS4 2.0.3: gzip the SBD, build ``eb:Messaging`` from the SBDH and the
two access-point certificates, sign Messaging, Body and the gzip attachment, encrypt the
attachment for the receiver, serialize once, package as MIME. The payload is copied once (into
the HTTP body), or not at all with :func:`build_message_chunks`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from ..arguments import (
    require_bytes,
    require_callable,
    require_instance,
    require_limits,
    require_optional,
    require_time,
    wrong_type,
)
from ..certinfo import peppol_seat_id
from ..errors import UsageError
from ..ids import random_uuid
from ..keys import PrivateKey, require_certificate, require_key
from ..limits import DEFAULT_LIMITS, Limits
from ..xmldsig import ExternalDigest
from .compression import GZIP, gzip_compress
from .mime import build_multipart, new_boundary
from .model import MessageInfo, PartInfo, Party, Property, Role, SignedReference, UserMessage
from .profile import SbdRouting
from .sbd_routing import read_routing
from .wss_encrypt import encrypt_attachments
from .wss_sign import write_signed_envelope

__all__ = [
    "OCTET_STREAM",
    "SentMessage",
    "build_message",
    "build_message_chunks",
    "new_user_message",
    "seat_id",
    "signed_envelope",
]

#: The Content-Type of an encrypted attachment part (phase4).
OCTET_STREAM = "application/octet-stream"


def seat_id(cert: x509.Certificate) -> str:
    """The Peppol seat id of an access point: the CN of its certificate (Peppol AS4 5)."""
    require_certificate(cert, caller="seat_id", name="cert")
    cn = peppol_seat_id(cert)
    if cn is None:
        raise UsageError(f"{cert.subject.rfc4514_string()} has no single CN to use as seat id")
    return cn


@dataclass(frozen=True, kw_only=True)
class SentMessage:
    """What a sender keeps to check the receipt: the header and the digests it signed."""

    user_message: UserMessage
    signed_references: tuple[SignedReference, ...]

    @property
    def message_id(self) -> str:
        return self.user_message.message_id


def build_message_chunks(
    sbd: bytes,
    *,
    key: PrivateKey,
    receiver_cert: x509.Certificate,
    now: datetime,
    message_id: str,
    conversation_id: str | None = None,
    routing: SbdRouting | None = None,
    from_party: str | None = None,
    to_party: str | None = None,
    payload_mime_type: str = "application/xml",
    compression_level: int | None = None,
    new_id: Callable[[], str] = random_uuid,
    random_bytes: Callable[[int], bytes] = os.urandom,
    boundary: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[dict[str, str], list[bytes | memoryview], SentMessage]:
    """:func:`build_message`, with the HTTP body as chunks to write out one after the other
    (the payload is not copied into one buffer; send them with a chunked or sized request)."""
    sbd = require_bytes(sbd, caller="build_message_chunks", name="sbd")
    check_sender_arguments("build_message_chunks", locals())
    route = routing if routing is not None else read_routing(sbd, limits=limits)
    compressed = gzip_compress(sbd, level=compression_level)
    content_id = f"att-{new_id()}@peppol-dpi"
    user_message = new_user_message(
        route,
        key=key,
        receiver_cert=receiver_cert,
        now=now,
        message_id=message_id,
        content_id=content_id,
        conversation_id=conversation_id,
        from_party=from_party,
        to_party=to_party,
        payload_mime_type=payload_mime_type,
    )
    encrypted = encrypt_attachments(
        [(content_id, GZIP, compressed)], receiver_cert, new_id=new_id, random_bytes=random_bytes
    )
    root, sent = signed_envelope(
        user_message,
        key=key,
        content_id=content_id,
        signed=compressed,
        encryption_header=encrypted.header_xml,
        new_id=new_id,
        limits=limits,
    )
    headers, chunks = build_multipart(
        root,
        [(content_id, OCTET_STREAM, encrypted.bodies[content_id])],
        boundary=boundary or new_boundary(),
    )
    return headers, chunks, sent


def check_sender_arguments(caller: str, arguments: dict[str, object]) -> None:
    """The arguments :func:`build_message` and ``build_message_to`` share, checked before any
    work (:mod:`peppol_dpi.arguments`); ``arguments`` is the caller's ``locals()`` taken at
    its start, so that no parameter is left out by a call site."""
    require_key(arguments["key"], caller=caller)
    require_certificate(arguments["receiver_cert"], caller=caller, name="receiver_cert")
    require_time(arguments["now"], caller=caller, name="now")
    for name in ("message_id", "payload_mime_type"):
        require_instance(arguments[name], str, caller=caller, name=name)
    for name in ("conversation_id", "from_party", "to_party", "boundary"):
        require_optional(arguments[name], str, caller=caller, name=name)
    require_optional(arguments["routing"], SbdRouting, caller=caller, name="routing")
    level = arguments["compression_level"]
    if isinstance(level, bool):
        raise wrong_type(caller, "compression_level", "an int or None", level)
    require_optional(level, int, caller=caller, name="compression_level")
    for name in ("new_id", "random_bytes"):
        require_callable(arguments[name], caller=caller, name=name)
    require_limits(arguments["limits"], caller=caller)


def new_user_message(
    route: SbdRouting,
    *,
    key: PrivateKey,
    receiver_cert: x509.Certificate,
    now: datetime,
    message_id: str,
    content_id: str,
    conversation_id: str | None,
    from_party: str | None,
    to_party: str | None,
    payload_mime_type: str,
) -> UserMessage:
    """The ebMS user message of a Peppol message with one gzip payload (Peppol AS4 2.0.3 5)."""
    return UserMessage(
        message_info=MessageInfo(timestamp=now, message_id=message_id),
        sender=Party.peppol(from_party or seat_id(key.certificate), Role.INITIATOR),
        receiver=Party.peppol(to_party or seat_id(receiver_cert), Role.RESPONDER),
        service=route.process.value,
        service_type=route.process.scheme.value,
        action=str(route.document_type),
        conversation_id=conversation_id or message_id,
        properties=(
            Property(
                name="originalSender", value=route.sender.value, type=route.sender.scheme.value
            ),
            Property(
                name="finalRecipient", value=route.receiver.value, type=route.receiver.scheme.value
            ),
        ),
        parts=(
            PartInfo(
                href=f"cid:{content_id}",
                properties=(
                    Property(name="MimeType", value=payload_mime_type),
                    Property(name="CompressionType", value=GZIP),
                ),
            ),
        ),
    )


def signed_envelope(
    user_message: UserMessage,
    *,
    key: PrivateKey,
    content_id: str,
    signed: bytes | ExternalDigest,
    encryption_header: str,
    new_id: Callable[[], str],
    limits: Limits,
) -> tuple[bytes, SentMessage]:
    """The serialized envelope with Messaging, Body and the gzip attachment (its bytes, or its
    digest when it was streamed) signed and the encryption header in place, and what the
    sender keeps to check the receipt."""
    root, references = write_signed_envelope(
        user_message,
        key=key,
        attachments=[(content_id, GZIP, signed)],
        security_head=encryption_header,
        new_id=new_id,
        limits=limits,
    )
    return root, SentMessage(user_message=user_message, signed_references=references)


def build_message(
    sbd: bytes,
    *,
    key: PrivateKey,
    receiver_cert: x509.Certificate,
    now: datetime,
    message_id: str,
    conversation_id: str | None = None,
    routing: SbdRouting | None = None,
    from_party: str | None = None,
    to_party: str | None = None,
    payload_mime_type: str = "application/xml",
    compression_level: int | None = None,
    new_id: Callable[[], str] = random_uuid,
    random_bytes: Callable[[int], bytes] = os.urandom,
    boundary: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[dict[str, str], bytes, SentMessage]:
    """A signed, compressed and encrypted Peppol AS4 message carrying ``sbd``.

    Service, action, originalSender and finalRecipient come from the SBDH (or ``routing``);
    From/To default to the CN of the sender's and the receiver's certificate (the seat ids).
    Returns the HTTP headers, the HTTP body and what the sender must keep to verify the
    receipt. Clock, ids, randomness and boundary are injectable for reproducible builds.
    """
    # Checked here too, so that an error names the function called; build_message_chunks
    # checks again (1.5 us), which costs less to read than a second copy of its long call.
    require_bytes(sbd, caller="build_message", name="sbd")
    check_sender_arguments("build_message", locals())
    headers, chunks, sent = build_message_chunks(
        sbd,
        key=key,
        receiver_cert=receiver_cert,
        now=now,
        message_id=message_id,
        conversation_id=conversation_id,
        routing=routing,
        from_party=from_party,
        to_party=to_party,
        payload_mime_type=payload_mime_type,
        compression_level=compression_level,
        new_id=new_id,
        random_bytes=random_bytes,
        boundary=boundary,
        limits=limits,
    )
    return headers, b"".join(chunks), sent

"""Peppol AS4 (ebMS 3.0 / AS4 profile / Peppol AS4 2.0.3): build, open, sign, encrypt, receipts.

The recipes are :func:`build_message`, :func:`open_message` and :func:`receive` (which never
raises for a peer's fault and always lets the caller answer with a receipt or an error signal);
:func:`read_answer` + :func:`check_receipt` for the sender's side of the answer;
:func:`inspect_message` to check a message without its decryption key;
:func:`build_message_to`, :func:`open_message_from` and :func:`inspect_message_from` for
large payloads, chunk by chunk from files with memory that does not grow with the payload
(:func:`read_dump_from` reads a message file's headers and gives its body as a seekable
view). See docs/as4.md.
"""

from __future__ import annotations

from .compression import DecompressionError
from .dump import read_dump, write_dump
from .inspection import (
    Inspection,
    MessageKind,
    SignatureStatus,
    inspect_message,
    inspect_message_from,
)
from .message_file import read_dump_from
from .mime import Headers, MimeError
from .model import (
    PEPPOL_AGREEMENT,
    PEPPOL_PARTY_TYPE,
    Ebms3Error,
    Ebms3HeaderError,
    MessageInfo,
    PartInfo,
    Party,
    PartyId,
    Property,
    Receipt,
    Role,
    SignalMessage,
    SignedReference,
    UserMessage,
    check_message_id,
    message_id_factory,
)
from .profile import PEPPOL_PROFILE, PeppolProfile, SbdRouting, check_user_message
from .receipt import InvalidReceiptError, VerifiedReceipt, check_receipt, receipt_signal
from .receiving import (
    Acceptor,
    OpenedMessage,
    ReceivedMessage,
    Reception,
    open_message,
    receive,
)
from .sending import SentMessage, build_message, build_message_chunks, seat_id
from .signals import (
    PEPPOL_NOT_SERVICED,
    NotServicedError,
    PeerAnswer,
    error_signal,
    read_answer,
    write_signal,
)
from .stream_receive import StreamedMessage, open_message_from, receive_from
from .stream_send import build_message_to
from .wss_tokens import SecurityPolicyError

__all__ = [
    "PEPPOL_AGREEMENT",
    "PEPPOL_NOT_SERVICED",
    "PEPPOL_PARTY_TYPE",
    "PEPPOL_PROFILE",
    "Acceptor",
    "DecompressionError",
    "Ebms3Error",
    "Ebms3HeaderError",
    "Headers",
    "Inspection",
    "InvalidReceiptError",
    "MessageInfo",
    "MessageKind",
    "MimeError",
    "NotServicedError",
    "OpenedMessage",
    "PartInfo",
    "Party",
    "PartyId",
    "PeerAnswer",
    "PeppolProfile",
    "Property",
    "Receipt",
    "ReceivedMessage",
    "Reception",
    "Role",
    "SbdRouting",
    "SecurityPolicyError",
    "SentMessage",
    "SignalMessage",
    "SignatureStatus",
    "SignedReference",
    "StreamedMessage",
    "UserMessage",
    "VerifiedReceipt",
    "build_message",
    "build_message_chunks",
    "build_message_to",
    "check_message_id",
    "check_receipt",
    "check_user_message",
    "error_signal",
    "inspect_message",
    "inspect_message_from",
    "message_id_factory",
    "open_message",
    "open_message_from",
    "read_answer",
    "read_dump",
    "read_dump_from",
    "receipt_signal",
    "receive",
    "receive_from",
    "seat_id",
    "write_dump",
    "write_signal",
]

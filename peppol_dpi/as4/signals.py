"""Signal messages on the wire: writing receipts and errors, reading whatever a peer answers.

Writing (AS4 profile 5.1.8; ebMS3 core 6): a signal is a SOAP 1.2 envelope with ``eb:Messaging``
and an empty Body, signed like a user message (Messaging and Body, BinarySecurityToken) and
never encrypted, sent as a single ``application/soap+xml`` part in the synchronous HTTP response.

Reading what a peer answers to a user message (Peppol AS4 2.0.3; peppol.md 1.4):

* phase4 answers errors with HTTP 200 and an ``eb:Error`` signal, and 204 when there is
  nothing to say; receipts with 200;
* Oxalis answers with HTTP 500 and a SOAP Fault, usually with the ``eb:Error`` signal in the
  header (``PEPPOL:NOT_SERVICED`` with 200);
* error signals are sometimes unsigned (phase4 issue 188): they are read, and reported as
  unsigned. A receipt is only a receipt when its signature verifies (:mod:`.receipt`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ..arguments import (
    require_buffer,
    require_callable,
    require_instance,
    require_limits,
    require_time,
    wrong_type,
)
from ..errors import DecryptionError, EbmsError, InputError, RemoteError
from ..ids import random_uuid
from ..keys import PrivateKey, require_key
from ..limits import DEFAULT_LIMITS, Limits
from ..trust import TrustPolicy, require_trust
from ..xmltext import NOT_XML_CHAR, xml_strip
from .ebms_xml import parse_messaging
from .mime import Headers, parse_message
from .model import (
    Ebms3Error,
    Ebms3HeaderError,
    MessageInfo,
    SignalMessage,
    UserMessage,
    check_message_id,
)
from .soap import SoapFault, parse_envelope
from .wss_sign import write_signed_envelope
from .wss_verify import WssVerification, verify_envelope

__all__ = [
    "PEPPOL_NOT_SERVICED",
    "SIGNAL_CONTENT_TYPE",
    "NotServicedError",
    "PeerAnswer",
    "error_signal",
    "read_answer",
    "write_signal",
]

SIGNAL_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
#: ErrorDetail of the Peppol "not serviced" error (Peppol AS4 2.0.3 section 4).
PEPPOL_NOT_SERVICED = "PEPPOL:NOT_SERVICED"


class NotServicedError(InputError):
    """This access point does not serve the addressed participant, document type or process.

    Peppol AS4 2.0.3 section 4: answered with EBMS:0004, severity failure, and the ErrorDetail
    ``PEPPOL:NOT_SERVICED`` (the rule of this error, which :func:`error_signal` puts there).
    """

    default_ebms_code = EbmsError.OTHER

    def __init__(self, message: str = "the receiver is not serviced by this access point") -> None:
        super().__init__(message, rule=PEPPOL_NOT_SERVICED)


def write_signal(
    signal: SignalMessage,
    *,
    key: PrivateKey,
    new_id: Callable[[], str] = random_uuid,
) -> tuple[dict[str, str], bytes]:
    """The signed signal as HTTP headers and body, ready to send back."""
    require_instance(signal, SignalMessage, caller="write_signal", name="signal")
    require_key(key, caller="write_signal")
    require_callable(new_id, caller="write_signal", name="new_id")
    body, _ = write_signed_envelope(signal, key=key, new_id=new_id)
    return {"Content-Type": SIGNAL_CONTENT_TYPE}, body


def error_signal(
    error: InputError,
    *,
    ref_to_message_id: str | None,
    now: datetime,
    message_id: str,
) -> SignalMessage:
    """The ``eb:Error`` signal that tells a peer about ``error`` (EBMS:0004 Other without a code).

    A decryption failure is described with the same words whatever its cause (no oracle).
    """
    require_instance(error, InputError, caller="error_signal", name="error")
    code = error.ebms_code or EbmsError.OTHER
    description = "decryption failed" if isinstance(error, DecryptionError) else error.message
    # The words of an error may quote the bad input: keep only what XML 1.0 can carry
    # (section 2.2 Char), and echo a RefToMessageId only when it is a well-formed message id.
    description = NOT_XML_CHAR.sub("\N{REPLACEMENT CHARACTER}", description)
    if ref_to_message_id is not None:
        try:
            check_message_id(ref_to_message_id)
        except InputError:
            ref_to_message_id = None
    return SignalMessage(
        message_info=MessageInfo(
            timestamp=now, message_id=message_id, ref_to_message_id=ref_to_message_id
        ),
        errors=(
            Ebms3Error.of(
                code,
                ref_to_message_in_error=ref_to_message_id,
                description=description[:2000],
                detail=error.rule,
            ),
        ),
    )


@dataclass(frozen=True)
class PeerAnswer:
    """What came back for a user message.

    ``signal`` is the receipt or error signal (None for an empty 204 answer or a bare fault);
    ``verification`` the signature check, None when the signal was unsigned; ``fault`` a SOAP
    fault when there was one.
    """

    status: int
    signal: SignalMessage | None
    verification: WssVerification | None
    fault: SoapFault | None

    @property
    def errors(self) -> tuple[Ebms3Error, ...]:
        return self.signal.errors if self.signal is not None else ()

    @property
    def not_serviced(self) -> bool:
        """The peer said it does not serve the receiver (EBMS:0004 with PEPPOL:NOT_SERVICED)."""
        return any(xml_strip(e.detail or "") == PEPPOL_NOT_SERVICED for e in self.errors)

    def raise_for_errors(self) -> None:
        """Raise :class:`~peppol_dpi.errors.RemoteError` for a failure the peer reported."""
        failures = [e for e in self.errors if e.is_failure]
        if failures:
            first = failures[0]
            raise RemoteError(
                "the peer reported: " + "; ".join(str(e) for e in failures),
                rule="as4:peer-error",
                ebms_code=first.known or EbmsError.OTHER,
            )
        if self.fault is not None:
            raise RemoteError(
                f"the peer answered with a SOAP fault {self.fault.code}: {self.fault.reason}",
                rule="as4:soap-fault",
                ebms_code=EbmsError.OTHER,
            )


def read_answer(
    status: int,
    headers: Headers | Mapping[str, str],
    body: bytes | memoryview,
    *,
    trust: TrustPolicy | None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> PeerAnswer:
    """Read the HTTP answer to a user message (never raises for a well-formed error answer).

    A signed signal is verified (signature and, with ``trust``, its certificate); a signature
    that fails raises, since a forged answer must not be believed.
    """
    caller = "read_answer"
    if not isinstance(status, int) or isinstance(status, bool):
        raise wrong_type(caller, "status", "an int (the HTTP status)", status)
    headers = Headers.of(headers, caller=caller)
    body = require_buffer(body, caller=caller, name="body")
    require_trust(trust, caller=caller, optional=True)
    require_time(at, caller=caller, name="at", optional=True)
    require_limits(limits, caller=caller)
    if status == 204 or not bytes(body[:1024]).strip():
        return PeerAnswer(status=status, signal=None, verification=None, fault=None)
    message = parse_message(headers, body, limits=limits)
    envelope = parse_envelope(message.root.body, limits=limits)
    signal: SignalMessage | None = None
    if envelope.messaging is not None:
        parsed = parse_messaging(envelope.messaging)
        if isinstance(parsed, UserMessage):
            raise Ebms3HeaderError(
                "the answer is a user message, not a signal", rule="as4:answer-not-signal"
            )
        signal = parsed
    verification = None
    if envelope.security is not None and signal is not None:
        verification = verify_envelope(envelope, attachments={}, trust=trust, at=at, limits=limits)
    if signal is None and envelope.fault is None:
        raise Ebms3HeaderError(
            f"HTTP {status} answer holds neither a signal nor a SOAP fault", rule="as4:answer-empty"
        )
    return PeerAnswer(status=status, signal=signal, verification=verification, fault=envelope.fault)

"""Non-repudiation receipts (AS4 profile 5.1.8, ebbp-signals 2.0).

A receipt repeats, in ``ebbp:NonRepudiationInformation``, every ``ds:Reference`` of the signature
of the message it acknowledges (AS4 5.1.8 (b)): URI, transforms, digest method and value. The
sender checks that the receipt is signed by the receiver, refers to its message id, and repeats
exactly the digests it signed (CEF eDelivery AS4 1.14 "Reliable messaging"). Any failure is
EBMS:0302 InvalidReceipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..arguments import require_instance, require_items, require_optional
from ..errors import EbmsError, InputError
from ..trust import ValidatedCertificate
from .model import MessageInfo, Receipt, SignalMessage, SignedReference
from .signals import PeerAnswer

__all__ = ["InvalidReceiptError", "VerifiedReceipt", "check_receipt", "receipt_signal"]


class InvalidReceiptError(InputError):
    """The answer is not a valid receipt for the message sent (EBMS:0302)."""

    default_ebms_code = EbmsError.INVALID_RECEIPT


def receipt_signal(
    *,
    ref_to_message_id: str,
    references: tuple[SignedReference, ...],
    now: datetime,
    message_id: str,
) -> SignalMessage:
    """The receipt signal for a received message whose signature had ``references``."""
    require_items(
        references,
        SignedReference,
        caller="receipt_signal",
        name="references",
        expected="a tuple of SignedReference",
        containers=(tuple,),
    )
    return SignalMessage(
        message_info=MessageInfo(
            timestamp=now, message_id=message_id, ref_to_message_id=ref_to_message_id
        ),
        receipt=Receipt(references=references),
    )


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt whose signature verified and which acknowledges the message that was sent."""

    signal: SignalMessage
    signer_subject: str
    validated: ValidatedCertificate | None

    @property
    def message_id(self) -> str:
        return self.signal.message_id


def _key(ref: SignedReference) -> tuple[str, str, bytes]:
    return (ref.uri, ref.digest_method, ref.digest_value)


def check_receipt(
    answer: PeerAnswer,
    *,
    message_id: str | None = None,
    signed_references: tuple[SignedReference, ...] | None = None,
) -> VerifiedReceipt:
    """Require ``answer`` to be a signed receipt for ``message_id`` repeating ``signed_references``.

    An error signal raises :class:`~peppol_dpi.errors.RemoteError`; anything else wrong raises
    :class:`InvalidReceiptError`. Without ``message_id``/``signed_references`` only the receipt
    itself is checked (for example a receipt read from a file).
    """
    caller = "check_receipt"
    require_instance(
        answer, PeerAnswer, caller=caller, name="answer", expected="a PeerAnswer (see read_answer)"
    )
    # Unchecked, a wrong id or reference list was the receipt's fault (InvalidReceiptError).
    require_optional(message_id, str, caller=caller, name="message_id")
    if signed_references is not None:
        require_items(
            signed_references,
            SignedReference,
            caller=caller,
            name="signed_references",
            expected="a tuple of SignedReference (SentMessage's)",
            containers=(tuple,),
        )
    answer.raise_for_errors()
    signal = answer.signal
    if signal is None or signal.receipt is None:
        raise InvalidReceiptError("the answer holds no eb:Receipt", rule="receipt:missing")
    if answer.verification is None:
        raise InvalidReceiptError("the receipt is not signed", rule="receipt:unsigned")
    ref = signal.message_info.ref_to_message_id
    if ref is None:
        raise InvalidReceiptError("the receipt has no RefToMessageId", rule="receipt:ref-missing")
    if message_id is not None and ref != message_id:
        raise InvalidReceiptError(
            f"the receipt acknowledges {ref!r}, not {message_id!r}", rule="receipt:ref-mismatch"
        )
    repeated = signal.receipt.references
    if not repeated:
        raise InvalidReceiptError(
            "the receipt has no NonRepudiationInformation references", rule="receipt:nri-missing"
        )
    if signed_references is not None:
        expected = sorted(_key(r) for r in signed_references)
        if sorted(_key(r) for r in repeated) != expected:
            raise InvalidReceiptError(
                "the receipt's digests differ from the ones that were signed",
                rule="receipt:nri-mismatch",
            )
    validated = answer.verification.validated
    return VerifiedReceipt(
        signal=signal,
        signer_subject=answer.verification.signer.subject.rfc4514_string(),
        validated=validated,
    )

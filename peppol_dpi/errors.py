"""The one error hierarchy of peppol-dpi.

Two families hang under :class:`PeppolDpiError`, as in h11:

* :class:`UsageError` - *we* did something wrong: a bad argument, a missing key, a
  configuration that cannot work. Fix the calling code.
* :class:`InputError` - *the input* is wrong: a message, document, certificate or answer
  that came from outside breaks a rule. Every InputError names the rule it broke
  (``rule``), and the ones a peer must be told about carry their protocol code
  (``ebms_code``, one entry of :class:`EbmsError`, the single table of ebMS codes).

Nothing else escapes the package's parsers: lxml, cryptography and zipfile errors are
translated at the boundary where they happen.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature

__all__ = [
    "ArgumentTypeError",
    "CertificateError",
    "DecryptionError",
    "EbmsCategory",
    "EbmsError",
    "EbmsSeverity",
    "InputError",
    "PeppolDpiError",
    "Problem",
    "RemoteError",
    "SignatureError",
    "TransportError",
    "UsageError",
    "ValidationError",
    "XmlSecurityError",
]


class EbmsSeverity(enum.StrEnum):
    FAILURE = "failure"
    WARNING = "warning"


class EbmsCategory(enum.StrEnum):
    CONTENT = "Content"
    COMMUNICATION = "Communication"
    UNPACKAGING = "Unpackaging"
    PROCESSING = "Processing"


class EbmsError(enum.Enum):
    """The ebMS 3.0 error table (ebMS3 core 6.7.1-6.7.3) plus the AS4 profile codes (AS4 3.2).

    The value is the ``errorCode`` attribute; ``short_description``, ``severity`` and
    ``category`` are what goes into an ``eb:Error`` signal for it.
    """

    VALUE_NOT_RECOGNIZED = "EBMS:0001"
    FEATURE_NOT_SUPPORTED = "EBMS:0002"
    VALUE_INCONSISTENT = "EBMS:0003"
    OTHER = "EBMS:0004"
    CONNECTION_FAILURE = "EBMS:0005"
    EMPTY_MESSAGE_PARTITION_CHANNEL = "EBMS:0006"
    MIME_INCONSISTENCY = "EBMS:0007"
    FEATURE_NOT_SUPPORTED_UNPACKAGING = "EBMS:0008"
    INVALID_HEADER = "EBMS:0009"
    PROCESSING_MODE_MISMATCH = "EBMS:0010"
    EXTERNAL_PAYLOAD_ERROR = "EBMS:0011"
    FAILED_AUTHENTICATION = "EBMS:0101"
    FAILED_DECRYPTION = "EBMS:0102"
    POLICY_NONCOMPLIANCE = "EBMS:0103"
    DYSFUNCTIONAL_RELIABILITY = "EBMS:0201"
    DELIVERY_FAILURE = "EBMS:0202"
    MISSING_RECEIPT = "EBMS:0301"
    INVALID_RECEIPT = "EBMS:0302"
    DECOMPRESSION_FAILURE = "EBMS:0303"

    @property
    def code(self) -> str:
        return str(self.value)

    @property
    def short_description(self) -> str:
        return _EBMS_TABLE[self][0]

    @property
    def severity(self) -> EbmsSeverity:
        return _EBMS_TABLE[self][1]

    @property
    def category(self) -> EbmsCategory:
        return _EBMS_TABLE[self][2]

    @classmethod
    def from_code(cls, code: str) -> EbmsError | None:
        """The table entry for an ``errorCode``; None for codes outside the table."""
        try:
            return cls(code)
        except ValueError:
            return None


_F, _W = EbmsSeverity.FAILURE, EbmsSeverity.WARNING
_C, _COM, _U, _P = (
    EbmsCategory.CONTENT,
    EbmsCategory.COMMUNICATION,
    EbmsCategory.UNPACKAGING,
    EbmsCategory.PROCESSING,
)
_EBMS_TABLE: dict[EbmsError, tuple[str, EbmsSeverity, EbmsCategory]] = {
    EbmsError.VALUE_NOT_RECOGNIZED: ("ValueNotRecognized", _F, _C),
    EbmsError.FEATURE_NOT_SUPPORTED: ("FeatureNotSupported", _W, _C),
    EbmsError.VALUE_INCONSISTENT: ("ValueInconsistent", _F, _C),
    EbmsError.OTHER: ("Other", _F, _C),
    EbmsError.CONNECTION_FAILURE: ("ConnectionFailure", _F, _COM),
    EbmsError.EMPTY_MESSAGE_PARTITION_CHANNEL: ("EmptyMessagePartitionChannel", _W, _COM),
    EbmsError.MIME_INCONSISTENCY: ("MimeInconsistency", _F, _U),
    EbmsError.FEATURE_NOT_SUPPORTED_UNPACKAGING: ("FeatureNotSupported", _F, _U),
    EbmsError.INVALID_HEADER: ("InvalidHeader", _F, _U),
    EbmsError.PROCESSING_MODE_MISMATCH: ("ProcessingModeMismatch", _F, _P),
    EbmsError.EXTERNAL_PAYLOAD_ERROR: ("ExternalPayloadError", _F, _C),
    EbmsError.FAILED_AUTHENTICATION: ("FailedAuthentication", _F, _P),
    EbmsError.FAILED_DECRYPTION: ("FailedDecryption", _F, _P),
    EbmsError.POLICY_NONCOMPLIANCE: ("PolicyNoncompliance", _F, _P),
    EbmsError.DYSFUNCTIONAL_RELIABILITY: ("DysfunctionalReliability", _F, _P),
    EbmsError.DELIVERY_FAILURE: ("DeliveryFailure", _F, _COM),
    EbmsError.MISSING_RECEIPT: ("MissingReceipt", _F, _COM),
    EbmsError.INVALID_RECEIPT: ("InvalidReceipt", _F, _COM),
    EbmsError.DECOMPRESSION_FAILURE: ("DecompressionFailure", _F, _COM),
}


class PeppolDpiError(Exception):
    """Root of every error peppol-dpi raises on purpose."""


class UsageError(PeppolDpiError, ValueError):
    """The caller misused the library (bad argument, impossible configuration)."""


class ArgumentTypeError(UsageError, TypeError):
    """A public function was given an argument of the wrong Python type (text where bytes
    belong, a certificate where a key belongs, no time at all). Both a UsageError and a
    TypeError; raised before any work is done (:mod:`peppol_dpi.arguments`)."""


class InputError(PeppolDpiError):
    """Input from outside breaks a rule.

    ``rule`` names the rule in a few words that a log reader can grep for (for example
    ``"sbdh:country-c1"`` or ``"xml:dtd-forbidden"``). ``ebms_code`` is set when an AS4
    peer must be told about the failure with an ``eb:Error`` signal.
    """

    default_ebms_code: EbmsError | None = None

    def __init__(self, message: str, *, rule: str, ebms_code: EbmsError | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.ebms_code = ebms_code if ebms_code is not None else self.default_ebms_code

    def __str__(self) -> str:
        prefix = (
            f"{self.ebms_code.code} {self.ebms_code.short_description}: " if self.ebms_code else ""
        )
        return f"{prefix}{self.message} [{self.rule}]"


class XmlSecurityError(InputError):
    """XML refused by the hardened parser: DTD, entities, too deep, too large, not well formed."""

    default_ebms_code = EbmsError.INVALID_HEADER


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One broken rule found by a validator; validators collect all of them."""

    rule: str
    message: str
    location: str = ""

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        return f"{self.rule}: {self.message}{where}"


class ValidationError(InputError):
    """A document breaks one or more rules; ``problems`` lists every one of them."""

    def __init__(
        self,
        problems: Sequence[Problem],
        *,
        what: str = "document",
        ebms_code: EbmsError | None = None,
    ) -> None:
        if not problems:
            raise UsageError("ValidationError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        summary = "; ".join(str(p) for p in self.problems)
        super().__init__(
            f"invalid {what}: {summary}", rule=self.problems[0].rule, ebms_code=ebms_code
        )

    @classmethod
    def raise_if_any(
        cls,
        problems: Iterable[Problem],
        *,
        what: str = "document",
        ebms_code: EbmsError | None = None,
    ) -> None:
        collected = list(problems)
        if collected:
            raise cls(collected, what=what, ebms_code=ebms_code)


class SignatureError(InputError, _CryptoInvalidSignature):
    """A signature or digest does not verify, or covers the wrong parts.

    Also a ``cryptography.exceptions.InvalidSignature``, so callers may catch either.
    """

    default_ebms_code = EbmsError.FAILED_AUTHENTICATION


class CertificateError(InputError):
    """A certificate is not trusted: no chain to an anchor, expired, revoked, wrong usage."""

    default_ebms_code = EbmsError.FAILED_AUTHENTICATION


class DecryptionError(InputError):
    """Decryption failed. Always the same message, whatever the cause (no padding oracle)."""

    default_ebms_code = EbmsError.FAILED_DECRYPTION

    def __init__(self, *, rule: str = "decryption-failed") -> None:
        super().__init__("decryption failed", rule=rule)


class RemoteError(InputError):
    """A peer answered with an error (ebMS error signal, SOAP fault, HTTP problem)."""


class TransportError(PeppolDpiError):
    """The network failed us: connection refused, timeout, TLS failure. Usually retryable."""

"""The ebMS 3.0 message model: user messages, signals (receipts and errors), as typed values.

The model is generic ebMS 3.0 (ebMS3 core 5.2): values are what is on the wire, so a message
from any access point can be represented and then judged by the Peppol profile
(:mod:`peppol_dpi.as4.profile`). Builders take the clock and the message id from the caller.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..arguments import require_instance, require_optional, require_time
from ..errors import EbmsError, EbmsSeverity, InputError, UsageError
from ..ids import random_uuid
from ..xmltext import is_xml_space

__all__ = [
    "PEPPOL_AGREEMENT",
    "PEPPOL_PARTY_TYPE",
    "Ebms3Error",
    "Ebms3HeaderError",
    "MessageInfo",
    "PartInfo",
    "Party",
    "PartyId",
    "Property",
    "Receipt",
    "Role",
    "SignalMessage",
    "SignedReference",
    "UserMessage",
    "check_message_id",
    "message_id_factory",
]

#: The only agreement of the Peppol AS4 profile (Peppol AS4 2.0.3 section 5, P-Mode table).
PEPPOL_AGREEMENT = "urn:fdc:peppol.eu:2017:agreements:tia:ap_provider"
#: PartyId type of From and To (Peppol AS4 2.0.3 section 5).
PEPPOL_PARTY_TYPE = "urn:fdc:peppol.eu:2017:identifiers:ap"

# RFC 2822 msg-id without the angle brackets (ebMS3 core 5.2.2.1; Oxalis-NG MessageIdUtil):
# dot-atom-text "@" (dot-atom-text / no-fold-literal).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
_MESSAGE_ID_RE = re.compile(rf"{_DOT_ATOM}@(?:{_DOT_ATOM}|\[[^\[\]\\\s]*\])")
_MAX_MESSAGE_ID = 1024


class Ebms3HeaderError(InputError):
    """The eb:Messaging header is missing, malformed or inconsistent (EBMS:0009 by default)."""

    default_ebms_code = EbmsError.INVALID_HEADER


def check_message_id(value: str, *, what: str = "MessageId") -> str:
    """``value`` if it is an RFC 2822 ``local@domain`` message id; raise EBMS:0009 otherwise."""
    require_instance(value, str, caller="check_message_id", name="value")
    if len(value) > _MAX_MESSAGE_ID or not _MESSAGE_ID_RE.fullmatch(value):
        raise Ebms3HeaderError(
            f"{what} {value[:100]!r} is not an RFC 2822 message id 'local@domain'",
            rule="as4:message-id",
        )
    return value


def message_id_factory(host: str) -> Callable[[], str]:
    """A generator of fresh ``<uuid4>@host`` message ids (inject it for stable tests)."""
    require_instance(host, str, caller="message_id_factory", name="host")
    check_message_id(f"x@{host}", what="message id host")

    def new_id() -> str:
        return f"{random_uuid()}@{host}"

    return new_id


class Role(enum.StrEnum):
    """ebMS3 default roles, the ones Peppol uses (Peppol AS4 2.0.3 section 5)."""

    INITIATOR = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/initiator"
    RESPONDER = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/responder"


def _need(value: str, what: str) -> None:
    # Empty or XML white space only (a value of U+3000 is a value to every XML reader; the
    # Peppol profile checks what a MessageId or PartyId may hold).
    if not isinstance(value, str) or is_xml_space(value):
        raise UsageError(f"{what} must be a non-empty string")


@dataclass(frozen=True, kw_only=True)
class PartyId:
    value: str
    type: str | None = PEPPOL_PARTY_TYPE

    def __post_init__(self) -> None:
        _need(self.value, "PartyId")


@dataclass(frozen=True, kw_only=True)
class Party:
    """eb:From or eb:To: party ids (Peppol: exactly one) and the role (ebMS3 core 5.2.2.3)."""

    ids: tuple[PartyId, ...]
    role: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", tuple(self.ids))
        if not self.ids:
            raise UsageError("a party needs at least one PartyId")
        _need(self.role, "Role")

    @classmethod
    def peppol(cls, seat_id: str, role: Role) -> Party:
        """A Peppol party: the seat id (CN of the AP certificate) with the Peppol type."""
        return cls(ids=(PartyId(value=seat_id),), role=role.value)

    @property
    def id(self) -> str:
        return self.ids[0].value


@dataclass(frozen=True, kw_only=True)
class Property:
    """eb:Property of MessageProperties or PartProperties (``type`` per the OASIS errata XSD)."""

    name: str
    value: str
    type: str | None = None

    def __post_init__(self) -> None:
        _need(self.name, "Property name")


@dataclass(frozen=True, kw_only=True)
class PartInfo:
    """eb:PartInfo: the reference to one payload and its part properties (ebMS3 5.2.2.13).

    Without ``href`` the payload is the SOAP Body (ebMS3 allows it, Peppol does not).
    """

    href: str | None
    properties: tuple[Property, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "properties", tuple(self.properties))

    def value_of(self, name: str) -> str | None:
        return next((p.value for p in self.properties if p.name == name), None)

    @property
    def mime_type(self) -> str | None:
        return self.value_of("MimeType")

    @property
    def compression_type(self) -> str | None:
        return self.value_of("CompressionType")

    @property
    def content_id(self) -> str | None:
        """The Content-ID the href points at (``cid:`` removed); None for other hrefs."""
        return self.href[4:] if self.href and self.href.startswith("cid:") else None


@dataclass(frozen=True, kw_only=True)
class MessageInfo:
    timestamp: datetime
    message_id: str
    ref_to_message_id: str | None = None

    def __post_init__(self) -> None:
        require_time(self.timestamp, caller="MessageInfo", name="timestamp")
        require_instance(self.message_id, str, caller="MessageInfo", name="message_id")
        require_optional(
            self.ref_to_message_id, str, caller="MessageInfo", name="ref_to_message_id"
        )
        _need(self.message_id, "MessageId")


@dataclass(frozen=True, kw_only=True)
class UserMessage:
    """eb:UserMessage (ebMS3 core 5.2.2)."""

    message_info: MessageInfo
    sender: Party
    receiver: Party
    service: str
    service_type: str | None
    action: str
    conversation_id: str
    agreement: str | None = PEPPOL_AGREEMENT
    agreement_type: str | None = None
    agreement_pmode: str | None = None
    properties: tuple[Property, ...] = ()
    parts: tuple[PartInfo, ...] = ()
    mpc: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "properties", tuple(self.properties))
        object.__setattr__(self, "parts", tuple(self.parts))
        _need(self.service, "Service")
        _need(self.action, "Action")
        _need(self.conversation_id, "ConversationId")

    @property
    def message_id(self) -> str:
        return self.message_info.message_id

    def find_property(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)


@dataclass(frozen=True, kw_only=True)
class SignedReference:
    """One ds:Reference of a signature: what a receipt's NonRepudiationInformation repeats.

    ``transforms`` holds (algorithm URI, InclusiveNamespaces prefixes) pairs.
    """

    uri: str
    transforms: tuple[tuple[str, tuple[str, ...]], ...]
    digest_method: str
    digest_value: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "transforms", tuple((a, tuple(p)) for a, p in self.transforms))


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """eb:Receipt with ebbp:NonRepudiationInformation (AS4 profile 5.1.8)."""

    references: tuple[SignedReference, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "references", tuple(self.references))


@dataclass(frozen=True, kw_only=True)
class Ebms3Error:
    """eb:Error (ebMS3 core 6.2): one error reported by a signal.

    ``code`` is the wire ``errorCode`` (peers use private codes too); :attr:`known` maps it to
    the table in :class:`~peppol_dpi.errors.EbmsError`.
    """

    code: str
    severity: str
    category: str | None = None
    short_description: str | None = None
    ref_to_message_in_error: str | None = None
    origin: str | None = None
    description: str | None = None
    detail: str | None = None

    @classmethod
    def of(
        cls,
        error: EbmsError,
        *,
        ref_to_message_in_error: str | None = None,
        description: str | None = None,
        detail: str | None = None,
    ) -> Ebms3Error:
        return cls(
            code=error.code,
            severity=error.severity.value,
            category=error.category.value,
            short_description=error.short_description,
            ref_to_message_in_error=ref_to_message_in_error,
            description=description,
            detail=detail,
        )

    @property
    def known(self) -> EbmsError | None:
        return EbmsError.from_code(self.code)

    @property
    def is_failure(self) -> bool:
        # Oxalis-NG writes "error" and phase4 "Failure": anything but "warning" fails.
        return self.severity.lower() != EbmsSeverity.WARNING.value

    def __str__(self) -> str:
        text = self.description or self.detail or ""
        return f"{self.code} {self.short_description or ''}: {text}".strip().rstrip(":")


@dataclass(frozen=True, kw_only=True)
class SignalMessage:
    """eb:SignalMessage carrying a receipt or errors (ebMS3 core 5.2.3)."""

    message_info: MessageInfo
    receipt: Receipt | None = None
    errors: tuple[Ebms3Error, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "errors", tuple(self.errors))
        if (self.receipt is None) == (not self.errors):
            raise UsageError("a signal carries either a receipt or errors")

    @property
    def message_id(self) -> str:
        return self.message_info.message_id

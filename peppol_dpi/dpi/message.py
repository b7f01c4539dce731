"""The DPI business message ("forretningsmelding"): a JSON Standard Business Document.

``{"standardBusinessDocument": {"standardBusinessDocumentHeader": {...}, "<type>": {...}}}``:
the header of Digdir's ``schemas/common/sbdh.schema.json`` and one body keyed by
``documentIdentification.type`` (docs/dpi.md, "Business messages").

:func:`parse_business_message` reads bytes and reports every problem at once in a
:class:`~peppol_dpi.errors.ValidationError`: the rules of the type's JSON schema
(``dpi-schema:*``) and the DPI profile rules (``dpi:*`` and ``id:*``): the standard and the
ConversationId scope's process must match the type, identifiers must be valid participants.
:meth:`BusinessMessage.to_bytes` writes compact UTF-8 JSON with members in the order of the
schemas, as Digdir's client writes them (except SBDH ``identifier``: ``value`` before
``authority``, as in Digdir's signed samples).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from ..arguments import require_bytes, require_limits
from ..errors import Problem, UsageError, ValidationError
from ..ids import ParticipantId
from ..jsonparse import Json, dump_json, load_json
from ..limits import DEFAULT_LIMITS, Limits
from .bodies import (
    Body,
    Digital,
    Feil,
    Flyttet,
    Kvittering,
    Utskrift,
    VarslingfeiletKvittering,
)
from .identifiers import DpiProcess, MessageType
from .jsonmodel import (
    DATE_TIME,
    UUID,
    Converted,
    Field,
    JsonObject,
    ListOf,
    Nested,
    Text,
    child_path,
    format_datetime,
    schema_problem,
)

__all__ = [
    "BODY_CLASSES",
    "BusinessMessage",
    "DocumentIdentification",
    "Sbdh",
    "Scope",
    "parse_business_message",
    "validate_business_message",
]

CONVERSATION_ID = "ConversationId"
_ROOT = "standardBusinessDocument"
_HEADER = "standardBusinessDocumentHeader"

#: The body class of each message type (the four plain receipts share :class:`Kvittering`).
BODY_CLASSES: dict[MessageType, type[JsonObject]] = {
    MessageType.DIGITAL: Digital,
    MessageType.UTSKRIFT: Utskrift,
    MessageType.FLYTTET: Flyttet,
    MessageType.LEVERINGSKVITTERING: Kvittering,
    MessageType.AAPNINGSKVITTERING: Kvittering,
    MessageType.MOTTAKSKVITTERING: Kvittering,
    MessageType.RETURPOSTKVITTERING: Kvittering,
    MessageType.VARSLINGFEILETKVITTERING: VarslingfeiletKvittering,
    MessageType.FEIL: Feil,
}


# -- the header (sbdh.schema.json) ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Identifier(JsonObject):
    value: str
    authority: str
    _fields: ClassVar = (
        Field("value", "value", Text(), True),
        Field("authority", "authority", Text(), True),
    )


@dataclass(frozen=True, kw_only=True)
class _Actor(JsonObject):
    identifier: _Identifier
    _fields: ClassVar = (Field("identifier", "identifier", Nested(_Identifier), True),)


def _actor_participant(actors: tuple[_Actor, ...]) -> ParticipantId:
    # DPI profile: a Peppol participant (iso6523-actorid-upis, 0192:<orgnr> for Norway).
    identifier = actors[0].identifier
    return ParticipantId(value=identifier.value, scheme=identifier.authority)  # type: ignore[arg-type]


def _participant_actors(participant: ParticipantId) -> tuple[_Actor, ...]:
    return (_Actor(identifier=_Identifier(value=participant.value, authority=participant.scheme)),)


_ACTOR: Converted[ParticipantId] = Converted(
    ListOf(Nested(_Actor), min_items=1, max_items=1),
    _actor_participant,
    _participant_actors,
    ParticipantId,
)


@dataclass(frozen=True, kw_only=True)
class DocumentIdentification(JsonObject):
    standard: str
    type: str
    instance_identifier: uuid.UUID
    creation_date_and_time: datetime
    type_version: str = "1.0"
    _what: ClassVar = "documentIdentification"
    _fields: ClassVar = (
        Field("standard", "standard", Text(), True),
        Field("typeVersion", "type_version", Text(), True),
        Field("instanceIdentifier", "instance_identifier", UUID, True),
        Field("type", "type", Text(), True),
        Field("creationDateAndTime", "creation_date_and_time", DATE_TIME, True),
    )


@dataclass(frozen=True, kw_only=True)
class ScopeInformation(JsonObject):
    expected_response_date_time: str | None = None  # the schema: any string
    _fields: ClassVar = (Field("expectedResponseDateTime", "expected_response_date_time", Text()),)


@dataclass(frozen=True, kw_only=True)
class Scope(JsonObject):
    type: str
    instance_identifier: uuid.UUID | None = None
    identifier: str | None = None
    scope_information: tuple[ScopeInformation, ...] | None = None
    _what: ClassVar = "scope"
    _fields: ClassVar = (
        Field("type", "type", Text(), True),
        Field("instanceIdentifier", "instance_identifier", UUID),
        Field("identifier", "identifier", Text()),
        Field("scopeInformation", "scope_information", ListOf(Nested(ScopeInformation))),
    )


@dataclass(frozen=True, kw_only=True)
class _BusinessScope(JsonObject):
    scope: tuple[Scope, ...]
    _fields: ClassVar = (Field("scope", "scope", ListOf(Nested(Scope)), True),)


_BUSINESS_SCOPE: Converted[tuple[Scope, ...]] = Converted(
    Nested(_BusinessScope), lambda b: b.scope, lambda s: _BusinessScope(scope=s), tuple
)


@dataclass(frozen=True, kw_only=True)
class Sbdh(JsonObject):
    """The JSON ``standardBusinessDocumentHeader``.

    ``sender`` is the technical sender whose certificate signs (the legal sender itself, or
    its data processor); ``receiver`` the mailbox or print provider (for a receipt: the
    other way round). Use :meth:`create` to build one with the DPI identifiers filled in.
    """

    sender: ParticipantId
    receiver: ParticipantId
    document_identification: DocumentIdentification
    business_scope: tuple[Scope, ...]
    header_version: str = "1.0"
    _what: ClassVar = "standardBusinessDocumentHeader"
    _fields: ClassVar = (
        Field("headerVersion", "header_version", Text(), True),
        Field("sender", "sender", _ACTOR, True),
        Field("receiver", "receiver", _ACTOR, True),
        Field(
            "documentIdentification",
            "document_identification",
            Nested(DocumentIdentification),
            True,
        ),
        Field("businessScope", "business_scope", _BUSINESS_SCOPE, True),
    )

    @classmethod
    def create(
        cls,
        *,
        message_type: MessageType,
        sender: ParticipantId,
        receiver: ParticipantId,
        message_id: uuid.UUID,
        conversation_id: uuid.UUID,
        created: datetime,
        process: DpiProcess | None = None,
        expected_response: datetime | None = None,
    ) -> Sbdh:
        """A DPI header; ``process`` defaults to the one an outgoing type starts (receipts
        must name the process of the message they answer)."""
        if process is None:
            process = DpiProcess.for_message(message_type)
        information = (
            (ScopeInformation(expected_response_date_time=format_datetime(expected_response)),)
            if expected_response is not None
            else ()  # Digipost's receipts carry "scopeInformation": []
        )
        return cls(
            sender=sender,
            receiver=receiver,
            document_identification=DocumentIdentification(
                standard=message_type.standard,
                type=message_type.value,
                instance_identifier=message_id,
                creation_date_and_time=created,
            ),
            business_scope=(
                Scope(
                    type=CONVERSATION_ID,
                    instance_identifier=conversation_id,
                    identifier=process.value,
                    scope_information=information,
                ),
            ),
        )

    @property
    def message_id(self) -> uuid.UUID:
        """``documentIdentification.instanceIdentifier``: the id C2's status API is keyed by."""
        return self.document_identification.instance_identifier

    @property
    def created(self) -> datetime:
        return self.document_identification.creation_date_and_time

    @property
    def conversation_scope(self) -> Scope | None:
        scopes = [s for s in self.business_scope if s.type == CONVERSATION_ID]
        return scopes[0] if len(scopes) == 1 else None


# -- the whole message --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BusinessMessage:
    """A DPI business message: header and body. Constructing one checks the DPI profile
    rules that tie them together (the parts have checked themselves)."""

    header: Sbdh
    body: Body

    def __post_init__(self) -> None:
        ValidationError.raise_if_any(_profile_problems(self.header, self.body, "$"), what=_WHAT)

    @property
    def type(self) -> MessageType:
        return MessageType(self.header.document_identification.type)

    @property
    def message_id(self) -> uuid.UUID:
        return self.header.message_id

    @property
    def conversation_id(self) -> uuid.UUID:
        scope = self.header.conversation_scope
        assert scope is not None and scope.instance_identifier is not None  # checked on creation
        return scope.instance_identifier

    @property
    def process(self) -> DpiProcess:
        scope = self.header.conversation_scope
        assert scope is not None and scope.identifier is not None  # checked on creation
        return DpiProcess(scope.identifier)

    @property
    def sender(self) -> ParticipantId:
        return self.header.sender

    @property
    def receiver(self) -> ParticipantId:
        return self.header.receiver

    def to_json(self) -> dict[str, Json]:
        return {_ROOT: {_HEADER: self.header.to_json(), self.type.value: self.body.to_json()}}

    def to_bytes(self) -> bytes:
        """The deterministic JSON bytes (the JWS payload)."""
        return dump_json(self.to_json())


_WHAT = "DPI business message"


def _profile_problems(header: Sbdh, body: Any, path: str) -> list[Problem]:
    """DPI rules that Digdir's schemas do not express (docs/dpi.md, "Identifiers")."""
    where = child_path(child_path(path, _ROOT), _HEADER)
    ident = child_path(where, "documentIdentification")
    problems: list[Problem] = []

    def problem(rule: str, message: str, location: str) -> None:
        problems.append(Problem(rule=rule, message=message, location=location))

    try:
        message_type = MessageType(header.document_identification.type)
    except ValueError:
        problem("dpi:message-type", "not a DPI message type", child_path(ident, "type"))
        return problems
    if not isinstance(body, BODY_CLASSES[message_type]):
        raise UsageError(f"a {message_type} message needs a {BODY_CLASSES[message_type].__name__}")
    if header.header_version != "1.0":
        problem("dpi:header-version", "headerVersion must be 1.0", child_path(where, "headerVersion"))  # fmt: skip
    # identifiers.md: standard = the document type identifier of the type (Digipost writes
    # "xsd::Innbyggerpost": compared case-insensitively).
    if MessageType.from_standard(header.document_identification.standard) is not message_type:
        problem(
            "dpi:standard",
            f"standard must be {message_type.standard!r} for a {message_type} message",
            child_path(ident, "standard"),
        )
    if header.document_identification.type_version != "1.0":
        problem("dpi:type-version", "typeVersion must be 1.0", child_path(ident, "typeVersion"))
    scope = header.conversation_scope
    scopes = child_path(child_path(where, "businessScope"), "scope")
    if scope is None or scope.instance_identifier is None or scope.identifier is None:
        problem(
            "dpi:conversation-scope",
            "there must be exactly one ConversationId scope, with instanceIdentifier and identifier",
            scopes,
        )
    elif scope.identifier not in DpiProcess.__members__.values() or message_type not in (
        DpiProcess(scope.identifier).message_types
    ):
        allowed = ", ".join(sorted(p.value for p in message_type.processes))
        problem(
            "dpi:process",
            f"a {message_type} travels in {allowed}, not {scope.identifier!r}",
            scopes,
        )
    return problems


def _message_type(sbd: dict[str, Json]) -> MessageType | None:
    """The type that selects the schema: ``documentIdentification.type`` (as Digdir's client
    dispatches), else the single body key."""
    header = sbd.get(_HEADER)
    if isinstance(header, dict) and isinstance(header.get("documentIdentification"), dict):
        declared = header["documentIdentification"].get("type")
        if isinstance(declared, str):
            return MessageType(declared) if declared in MessageType.__members__.values() else None
    keys = [MessageType(k) for k in sbd if k in MessageType.__members__.values()]
    return keys[0] if len(keys) == 1 else None


def _decode(raw: Json, out: list[Problem]) -> BusinessMessage | None:
    start = len(out)
    if not isinstance(raw, dict):
        out.append(schema_problem("type", "must be an object", "$"))
        return None
    out.extend(
        schema_problem("additionalProperties", f"the member {k!r} is not allowed", "$")
        for k in raw
        if k != _ROOT
    )
    if _ROOT not in raw:
        out.append(schema_problem("required", f"the member {_ROOT!r} is missing", "$"))
        return None
    path = child_path("$", _ROOT)
    sbd = raw[_ROOT]
    if not isinstance(sbd, dict):
        out.append(schema_problem("type", "must be an object", path))
        return None
    message_type = _message_type(sbd)
    header = None
    if _HEADER in sbd:
        header = Sbdh.decode(sbd[_HEADER], child_path(path, _HEADER), out)
    else:
        out.append(schema_problem("required", f"the member {_HEADER!r} is missing", path))
    if message_type is None:
        out.append(
            Problem(
                rule="dpi:message-type",
                message=f"documentIdentification.type is not one of {[t.value for t in MessageType]}",
                location=path,
            )
        )
        return None
    out.extend(
        schema_problem("additionalProperties", f"the member {k!r} is not allowed", path)
        for k in sbd
        if k not in (_HEADER, message_type.value)
    )
    body = None
    if message_type.value in sbd:
        body_path = child_path(path, message_type.value)
        body = BODY_CLASSES[message_type].decode(sbd[message_type.value], body_path, out)
    else:
        out.append(
            schema_problem("required", f"the member {message_type.value!r} is missing", path)
        )
    if header is None or body is None or len(out) != start:
        return None
    problems = _profile_problems(header, body, "$")
    if problems:
        out.extend(problems)
        return None
    return BusinessMessage(header=header, body=body)  # type: ignore[arg-type]


def validate_business_message(raw: Json) -> list[Problem]:
    """Every problem of a parsed JSON value as a DPI business message (empty when valid)."""
    problems: list[Problem] = []
    _decode(raw, problems)
    return problems


def parse_business_message(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> BusinessMessage:
    """Read a business message (the JWS payload) from its JSON bytes.

    Raises :class:`~peppol_dpi.dpi.jsonmodel.JsonError` for bytes that are not strict JSON and
    :class:`~peppol_dpi.errors.ValidationError` listing every broken rule.
    """
    data = require_bytes(data, caller="parse_business_message", name="data")
    require_limits(limits, caller="parse_business_message")
    raw = load_json(data, what=_WHAT, max_bytes=limits.max_jws_bytes)
    problems: list[Problem] = []
    message = _decode(raw, problems)
    ValidationError.raise_if_any(problems, what=_WHAT)
    assert message is not None
    return message

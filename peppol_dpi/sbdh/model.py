"""The Peppol envelope as typed values: header, scopes and the three kinds of payload.

Everything here is a frozen, keyword-only value that checks itself when made: an invalid
header cannot exist, so :func:`~peppol_dpi.sbdh.build_sbd` only has to check how the header
fits the payload. Problems are reported all together in one
:class:`~peppol_dpi.errors.ValidationError` (rules in :mod:`peppol_dpi.sbdh.rules`).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from lxml import etree

from .. import ns
from ..errors import Problem, UsageError, ValidationError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..xmlparse import parse_xml
from ..xmltext import NOT_XML_CHAR
from . import rules

__all__ = [
    "BinaryContent",
    "MlsType",
    "Payload",
    "SbdDocument",
    "SbdHeader",
    "Scope",
    "TextContent",
    "XmlPayload",
]

_HEADER = "StandardBusinessDocumentHeader"
# A media type as RFC 6838 §4.2 names it, parameters allowed; xs:token in the envelope XSD.
_MIME_RE = re.compile(r"[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*(\s*;\s*\S.*)?")


class MlsType(enum.StrEnum):
    """When C3 sends a Message Level Status back (Peppol MLS 1.0, SBDH scope MLS_TYPE)."""

    FAILURE_ONLY = "FAILURE_ONLY"
    ALWAYS_SEND = "ALWAYS_SEND"


@dataclass(frozen=True, kw_only=True)
class Scope:
    """An additional ``BusinessScope/Scope`` (Envelope 2.0 §2.4): key, value, optional scheme."""

    type: str
    instance_identifier: str = ""
    identifier: str | None = None

    def __post_init__(self) -> None:
        for name in ("type", "instance_identifier"):
            if not isinstance(getattr(self, name), str):
                raise UsageError(f"Scope.{name} must be a str")
        if self.identifier is not None and not isinstance(self.identifier, str):
            raise UsageError("Scope.identifier must be a str or None")
        where = "BusinessScope/Scope"
        ValidationError.raise_if_any(
            [
                *rules.check_extra_scopes([self.type], location=where),
                *rules.check_xml_text(self.type, rule="sbdh:scope", what="Type", location=where),
                *rules.check_xml_text(
                    self.instance_identifier + (self.identifier or ""),
                    rule="sbdh:scope",
                    what="InstanceIdentifier/Identifier",
                    location=where,
                ),
            ],
            what="SBDH scope",
        )


@dataclass(frozen=True, kw_only=True)
class SbdHeader:
    """The Peppol Standard Business Document Header (Envelope 2.0 §2).

    ``standard``, ``type`` and ``type_version`` describe the payload; :meth:`for_payload`
    derives them. ``created`` must carry a timezone. ``scopes`` are the additional scopes, in
    document order. The clock and the instance id are the caller's: nothing here makes them up.
    """

    sender: ParticipantId
    receiver: ParticipantId
    document_type: DocumentTypeId
    process: ProcessId
    country_c1: str
    instance_id: str
    created: datetime
    standard: str
    type: str
    type_version: str
    mls_to: ParticipantId | None = None
    mls_type: MlsType | None = None
    scopes: tuple[Scope, ...] = ()

    def __post_init__(self) -> None:
        _require(self, "sender", ParticipantId)
        _require(self, "receiver", ParticipantId)
        _require(self, "document_type", DocumentTypeId)
        _require(self, "process", ProcessId)
        _require(self, "created", datetime)
        for name in ("country_c1", "instance_id", "standard", "type", "type_version"):
            _require(self, name, str)
        if self.mls_to is not None:
            _require(self, "mls_to", ParticipantId)
        if not isinstance(self.scopes, tuple) or not all(isinstance(s, Scope) for s in self.scopes):
            raise UsageError("SbdHeader.scopes must be a tuple of Scope")
        problems = _header_problems(self)
        if self.mls_type is not None and not isinstance(self.mls_type, MlsType):
            if self.mls_type in MlsType.__members__:
                object.__setattr__(self, "mls_type", MlsType(self.mls_type))
            else:  # MLS 1.0: FAILURE_ONLY or ALWAYS_SEND
                problems.append(
                    Problem(rule="sbdh:mls-type", message=f"MLS_TYPE {self.mls_type!r} is unknown")
                )
        ValidationError.raise_if_any(problems, what="SBDH header")

    def with_identification(self, *, instance_id: str, created: datetime) -> SbdHeader:
        """This header with another InstanceIdentifier and CreationDateAndTime: the rules on
        those two values are checked (as on construction), the rest was checked already."""
        location = f"{_HEADER}/DocumentIdentification"
        if not isinstance(instance_id, str) or not isinstance(created, datetime):
            raise UsageError("instance_id must be a str and created a datetime")
        ValidationError.raise_if_any(
            [
                *rules.check_not_empty(
                    instance_id,
                    rule="sbdh:instance-identifier",
                    what="InstanceIdentifier",
                    location=f"{location}/InstanceIdentifier",
                ),
                *rules.check_created(created, location=f"{location}/CreationDateAndTime"),
            ],
            what="SBDH header",
        )
        # A copy with the two fields replaced; every other field was checked when this header
        # was made (a frozen dataclass: its fields live in the instance dictionary).
        header = object.__new__(SbdHeader)
        fields = {**self.__dict__, "instance_id": instance_id, "created": created}
        object.__setattr__(header, "__dict__", fields)
        return header

    @classmethod
    def for_payload(
        cls,
        payload: Payload,
        *,
        sender: ParticipantId,
        receiver: ParticipantId,
        document_type: DocumentTypeId,
        process: ProcessId,
        country_c1: str,
        instance_id: str,
        created: datetime,
        mls_to: ParticipantId | None = None,
        mls_type: MlsType | None = None,
        scopes: tuple[Scope, ...] = (),
    ) -> SbdHeader:
        """A header whose Standard, Type and TypeVersion are derived as Peppol prescribes.

        XML payload: Standard and Type from its root element; TypeVersion from the document
        type id (the part after its last ``::``). Other payloads: all three from the document
        type id; a non-XML document type (no ``<ns>::<name>``) gives its syntax id as Standard
        and the wrapper element name (``BinaryContent``/``TextContent``) as Type, as phase4 does.
        """
        if isinstance(payload, XmlPayload):
            standard, type_ = payload.namespace, payload.local_name
        elif isinstance(payload, BinaryContent | TextContent):
            standard = document_type.root_namespace
            type_ = document_type.local_name or type(payload).__name__
        else:
            raise UsageError(f"not a payload: {type(payload).__name__}")
        return cls(
            sender=sender,
            receiver=receiver,
            document_type=document_type,
            process=process,
            country_c1=country_c1,
            instance_id=instance_id,
            created=created,
            standard=standard,
            type=type_,
            type_version=document_type.version,
            mls_to=mls_to,
            mls_type=mls_type,
            scopes=scopes,
        )


def _header_problems(header: SbdHeader) -> list[Problem]:
    """The rules a header obeys on its own, whatever the payload."""
    di = f"{_HEADER}/DocumentIdentification"
    problems = [
        *rules.check_not_empty(
            header.standard, rule="sbdh:standard", what="Standard", location=f"{di}/Standard"
        ),
        *rules.check_not_empty(
            header.type_version,
            rule="sbdh:type-version",
            what="TypeVersion",
            location=f"{di}/TypeVersion",
        ),
        *rules.check_not_empty(
            header.instance_id,
            rule="sbdh:instance-identifier",
            what="InstanceIdentifier",
            location=f"{di}/InstanceIdentifier",
        ),
        *rules.check_not_empty(header.type, rule="sbdh:type", what="Type", location=f"{di}/Type"),
        *rules.check_created(header.created, location=f"{di}/CreationDateAndTime"),
        *rules.check_country_c1(header.country_c1, location=f"{_HEADER}/BusinessScope"),
        *rules.check_extra_scopes(
            (s.type for s in header.scopes), location=f"{_HEADER}/BusinessScope"
        ),
    ]
    return problems


def _require(obj: object, name: str, kind: type) -> None:
    value = getattr(obj, name)
    if not isinstance(value, kind):
        raise UsageError(
            f"{type(obj).__name__}.{name} must be a {kind.__name__}, not {type(value).__name__}"
        )


@dataclass(frozen=True, kw_only=True)
class XmlPayload:
    """An XML business message: a standalone XML document (the payload's own bytes).

    Parsed once, through the hardened parser, when made; ``namespace`` and ``local_name`` are
    its root element's. Its root must be in a namespace and must not be another envelope.
    """

    data: bytes = field(repr=False)
    namespace: str = field(init=False)
    local_name: str = field(init=False)
    # The document without XML declaration, in UTF-8: what goes inside the envelope.
    _body: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.data, bytes):
            raise UsageError("XmlPayload.data must be bytes")
        root = parse_xml(self.data, what="XML payload")
        qname = etree.QName(root)
        namespace, local = qname.namespace or "", qname.localname
        problems = xml_payload_problems(namespace, local)
        ValidationError.raise_if_any(problems, what="XML payload")
        object.__setattr__(self, "namespace", namespace)
        object.__setattr__(self, "local_name", local)
        object.__setattr__(self, "_body", _body_of(self.data, root))

    @classmethod
    def _trusted(cls, data: bytes, namespace: str, local_name: str) -> XmlPayload:
        """For the reader: a payload it has just parsed and checked itself."""
        payload = object.__new__(cls)
        object.__setattr__(payload, "data", data)
        object.__setattr__(payload, "namespace", namespace)
        object.__setattr__(payload, "local_name", local_name)
        object.__setattr__(payload, "_body", b"")
        return payload

    @property
    def body(self) -> bytes:
        """The document as it goes into the envelope: UTF-8, without XML declaration."""
        if not self._body:
            object.__setattr__(self, "_body", _body_of(self.data, parse_xml(self.data)))
        return self._body

    def __repr__(self) -> str:
        return f"XmlPayload({{{self.namespace}}}{self.local_name}, {len(self.data)} bytes)"


def xml_payload_problems(namespace: str, local: str) -> list[Problem]:
    if namespace == ns.SBDH:
        # Envelope 2.0 §2: the envelope carries one business message; it is not nested.
        return [Problem(rule="sbdh:nested-envelope", message=f"the payload is an SBDH {local}")]
    if namespace == ns.PEPPOL_ENVELOPE:
        return [
            Problem(
                rule="sbdh:business-message",
                message=f"{local} is a non-XML wrapper; pass BinaryContent or TextContent instead",
            )
        ]
    if not namespace:
        # Envelope 2.0 §2: Standard is the root element's namespace, so there must be one.
        return [
            Problem(rule="sbdh:standard", message=f"the payload root {local!r} has no namespace")
        ]
    return []


_UTF8 = frozenset({"UTF-8", "UTF8", "US-ASCII", "ASCII"})


def _body_of(data: bytes, root: etree._Element) -> bytes:
    """The UTF-8 document without its XML declaration (the bytes themselves when possible)."""
    encoding = (root.getroottree().docinfo.encoding or "UTF-8").upper()
    body = data.removeprefix(b"\xef\xbb\xbf")
    if encoding in _UTF8 and not body.startswith((b"\xff\xfe", b"\xfe\xff")):
        # XML 1.0 §2.8: the declaration, when present, is the very first thing.
        if body.startswith(b"<?xml"):
            body = body[body.index(b"?>") + 2 :]
        return body
    # Envelope 2.0 §2: envelope and payload share one encoding (ours is UTF-8).
    return etree.tostring(root, encoding="UTF-8")


def _check_mime_type(value: str, owner: str) -> None:
    if not isinstance(value, str) or not _MIME_RE.fullmatch(value):
        raise ValidationError(
            [
                Problem(
                    rule="sbdh:mime-type", message=f"{owner} mimeType {value!r} is not a media type"
                )
            ],
            what=owner,
        )


@dataclass(frozen=True, kw_only=True)
class BinaryContent:
    """A non-XML payload carried base64-encoded (Peppol envelope ``BinaryContent``).

    ``encoding`` names the character set of a text-based payload, when it has one.
    """

    data: bytes = field(repr=False)
    mime_type: str = "application/octet-stream"
    encoding: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.data, bytes):
            raise UsageError("BinaryContent.data must be bytes")
        _check_mime_type(self.mime_type, "BinaryContent")
        if self.encoding is not None and (
            not isinstance(self.encoding, str) or not self.encoding.strip()
        ):
            raise ValidationError(
                [Problem(rule="sbdh:encoding", message=f"encoding {self.encoding!r} is empty")],
                what="BinaryContent",
            )

    def __repr__(self) -> str:
        return f"BinaryContent({self.mime_type}, {len(self.data)} bytes)"


@dataclass(frozen=True, kw_only=True)
class TextContent:
    """A non-XML text payload carried as text (Peppol envelope ``TextContent``)."""

    text: str
    mime_type: str = "text/plain"

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise UsageError("TextContent.text must be a str")
        _check_mime_type(self.mime_type, "TextContent")
        bad = NOT_XML_CHAR.search(self.text)
        if bad:
            # Envelope spec, non-XML payloads: text that XML cannot carry goes in BinaryContent.
            raise ValidationError(
                [
                    Problem(
                        rule="sbdh:text-content",
                        message=f"character U+{ord(bad.group()):04X} cannot appear in XML;"
                        " use BinaryContent",
                    )
                ],
                what="TextContent",
            )

    @property
    def data(self) -> bytes:
        """The text in UTF-8, the envelope's encoding."""
        return self.text.encode("utf-8")


Payload: TypeAlias = XmlPayload | BinaryContent | TextContent


@dataclass(frozen=True, kw_only=True)
class SbdDocument:
    """A read envelope: its header and its payload."""

    header: SbdHeader
    payload: Payload

"""Writing a Peppol Standard Business Document: header plus payload, as UTF-8 bytes.

The header is built with lxml element factories. The payload is not copied into the tree: an
XML payload's own bytes (already parsed and checked by :class:`XmlPayload`) and the base64 of a
binary payload are joined between the serialized start and end of their parents, so a 50 MB
attachment is encoded once and copied once.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from lxml import etree

from .. import ns
from ..arguments import require_instance, require_time, wrong_type
from ..errors import ValidationError
from .model import BinaryContent, Payload, SbdHeader, TextContent, XmlPayload
from .rules import HEADER_VERSION, ScopeType, check_xml_payload

__all__ = ["build_sbd", "format_created"]

_SH = {"sh": ns.SBDH}


def _sh(name: str) -> str:
    return ns.qname(ns.SBDH, name)


def format_created(value: datetime) -> str:
    """xs:dateTime with its offset, ``Z`` for UTC (Envelope 2.0 §2: timezone required)."""
    require_time(value, caller="format_created", name="value")
    timespec = (
        "seconds"
        if not value.microsecond
        else "milliseconds"
        if not value.microsecond % 1000
        else "microseconds"
    )
    text = value.isoformat(timespec=timespec)
    if value.utcoffset() == timedelta(0):
        text = text.removesuffix("+00:00") + "Z"
    return text


def _add(parent: etree._Element, name: str, text: str) -> etree._Element:
    child = etree.SubElement(parent, _sh(name))
    child.text = text
    return child


def _add_scope(
    parent: etree._Element, type_: str, instance_identifier: str, identifier: str | None
) -> None:
    # BusinessScope.xsd: Type, InstanceIdentifier, then the optional Identifier (the scheme).
    scope = etree.SubElement(parent, _sh("Scope"))
    _add(scope, "Type", type_)
    _add(scope, "InstanceIdentifier", instance_identifier)
    if identifier is not None:
        _add(scope, "Identifier", identifier)


def header_element(header: SbdHeader) -> etree._Element:
    """The ``sh:StandardBusinessDocumentHeader`` element for ``header`` (Envelope 2.0 §2)."""
    sbdh = etree.Element(_sh("StandardBusinessDocumentHeader"), nsmap=_SH)
    _add(sbdh, "HeaderVersion", HEADER_VERSION)
    for role, participant in (("Sender", header.sender), ("Receiver", header.receiver)):
        ident = _add(etree.SubElement(sbdh, _sh(role)), "Identifier", participant.value)
        ident.set("Authority", participant.scheme.value)
    di = etree.SubElement(sbdh, _sh("DocumentIdentification"))
    _add(di, "Standard", header.standard)
    _add(di, "TypeVersion", header.type_version)
    _add(di, "InstanceIdentifier", header.instance_id)
    _add(di, "Type", header.type)
    _add(di, "CreationDateAndTime", format_created(header.created))
    scopes = etree.SubElement(sbdh, _sh("BusinessScope"))
    # Envelope 2.0 §2.3: the schemes are written explicitly (optional since 1.1 for compatibility).
    _add_scope(
        scopes,
        ScopeType.DOCUMENTID,
        header.document_type.value,
        header.document_type.scheme.value,
    )
    _add_scope(scopes, ScopeType.PROCESSID, header.process.value, header.process.scheme.value)
    _add_scope(scopes, ScopeType.COUNTRY_C1, header.country_c1, None)
    if header.mls_to is not None:
        _add_scope(scopes, ScopeType.MLS_TO, header.mls_to.value, header.mls_to.scheme.value)
    if header.mls_type is not None:
        _add_scope(scopes, ScopeType.MLS_TYPE, header.mls_type.value, None)
    for extra in header.scopes:
        _add_scope(scopes, extra.type, extra.instance_identifier, extra.identifier)
    return sbdh


def _payload_parts(payload: Payload) -> list[bytes]:
    if isinstance(payload, XmlPayload):
        return [payload.body]
    if isinstance(payload, TextContent):
        text = etree.Element(
            ns.qname(ns.PEPPOL_ENVELOPE, "TextContent"),
            nsmap={None: ns.PEPPOL_ENVELOPE},  # type: ignore[dict-item]
        )
        text.set("mimeType", payload.mime_type)
        text.text = payload.text
        return [etree.tostring(text, encoding="UTF-8")]
    binary = etree.Element(
        ns.qname(ns.PEPPOL_ENVELOPE, "BinaryContent"),
        nsmap={None: ns.PEPPOL_ENVELOPE},  # type: ignore[dict-item]
    )
    binary.set("mimeType", payload.mime_type)
    if payload.encoding is not None:
        binary.set("encoding", payload.encoding)
    binary.text = ""  # serialized as start tag + end tag; the base64 goes between them
    empty = etree.tostring(binary, encoding="UTF-8")
    start_end = empty.index(b">") + 1  # '>' inside attribute values is escaped by lxml
    return [empty[:start_end], base64.b64encode(payload.data), empty[start_end:]]


def build_sbd(header: SbdHeader, payload: Payload) -> bytes:
    """The Standard Business Document for ``header`` and ``payload``, UTF-8 with declaration.

    Raises :class:`~peppol_dpi.errors.ValidationError` listing every way the header does not
    fit an XML payload (Standard, Type, TypeVersion; Envelope 2.0 §2).
    """
    require_instance(header, SbdHeader, caller="build_sbd", name="header", expected="an SbdHeader")
    if isinstance(payload, XmlPayload):
        ValidationError.raise_if_any(
            check_xml_payload(
                standard=header.standard,
                type_=header.type,
                type_version=header.type_version,
                document_type=header.document_type,
                namespace=payload.namespace,
                local_name=payload.local_name,
            ),
            what="SBD",
        )
    elif not isinstance(payload, BinaryContent | TextContent):
        raise wrong_type(
            "build_sbd", "payload", "an XmlPayload, BinaryContent or TextContent", payload
        )
    root = etree.Element(_sh("StandardBusinessDocument"), nsmap=_SH)
    root.append(header_element(header))
    envelope = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    close = b"</sh:StandardBusinessDocument>"
    head = envelope.removesuffix(close)
    assert len(head) < len(envelope), "lxml writes the end tag last"
    return b"".join([head, *_payload_parts(payload), close])

"""Reading a Peppol Standard Business Document: parse, validate, extract.

:func:`read_sbd` checks the document against the schema and every Peppol envelope rule and
reports all problems in one :class:`~peppol_dpi.errors.ValidationError`; a problem the Peppol
checks name precisely is not repeated as a schema error on the same element.
:func:`read_sbdh` parses and checks only the header, for the AS4 layer that compares it with
the ebMS headers.
"""

from __future__ import annotations

import copy
from typing import IO

from lxml import etree

from .. import ns
from ..arguments import require_binary_file, require_buffer, require_limits
from ..errors import Problem, ValidationError
from ..ids import DocumentTypeId
from ..limits import DEFAULT_LIMITS, Limits
from ..xmlparse import DECLARATION_HEAD, parse_xml, xml_declaration
from ..xmlprefix import end_tag_end, parse_xml_until
from ..xmltext import base64_binary
from . import rules
from .header_cache import header_shape
from .header_reader import Collector, HeaderReader, sh
from .model import (
    BinaryContent,
    Payload,
    SbdDocument,
    SbdHeader,
    TextContent,
    XmlPayload,
    xml_payload_problems,
)
from .schema import schema_problems

__all__ = ["read_sbd", "read_sbdh"]

_H = "StandardBusinessDocumentHeader"
_BINARY_CONTENT = ns.qname(ns.PEPPOL_ENVELOPE, "BinaryContent")
_TEXT_CONTENT = ns.qname(ns.PEPPOL_ENVELOPE, "TextContent")
_CONTENT_RULES = {"BinaryContent": "sbdh:binary-content", "TextContent": "sbdh:text-content"}
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _business_message(out: Collector, root: etree._Element) -> etree._Element | None:
    """The one element after the header (Envelope 2.0 §2: exactly one business message)."""
    elements = [child for child in root if isinstance(child.tag, str)]
    if elements and elements[0].tag == sh(_H):
        elements = elements[1:]
    if not elements:
        out.add(
            "sbdh:business-message",
            "the envelope carries no business message",
            "StandardBusinessDocument",
            root,
        )
        return None
    if len(elements) > 1:
        out.add(
            "sbdh:business-message",
            f"{len(elements)} elements follow the header; the envelope carries exactly one",
            "StandardBusinessDocument",
            root,
        )
    message = elements[0]
    qname = etree.QName(message)
    if qname.namespace == ns.PEPPOL_ENVELOPE:
        return message  # BinaryContent / TextContent: the schema checks their shape
    out.extend(xml_payload_problems(qname.namespace or "", qname.localname), message)
    return message


def _check_fit(out: Collector, values: dict[str, object], message: etree._Element) -> None:
    """Standard, Type and TypeVersion against an XML business message (Envelope 2.0 §2)."""
    qname = etree.QName(message)
    document_type = values.get("document_type")
    standard, type_, version = (values.get(k) for k in ("standard", "type", "type_version"))
    if qname.namespace == ns.PEPPOL_ENVELOPE or not isinstance(document_type, DocumentTypeId):
        return
    if isinstance(standard, str) and isinstance(type_, str) and isinstance(version, str):
        found = rules.check_xml_payload(
            standard=standard,
            type_=type_,
            type_version=version,
            document_type=document_type,
            namespace=qname.namespace or "",
            local_name=qname.localname,
        )
        for problem in found:
            out.add(problem.rule, problem.message, problem.location, None)


def _extract(message: etree._Element, binary: bytes) -> Payload:
    qname = etree.QName(message)
    if qname.namespace != ns.PEPPOL_ENVELOPE:
        # A standalone document: the copy declares exactly the namespaces its names use.
        data = _XML_DECLARATION + etree.tostring(
            copy.deepcopy(message), encoding="UTF-8", with_tail=False
        )
        return XmlPayload._trusted(data, qname.namespace or "", qname.localname)
    mime = message.get("mimeType", "")
    if qname.localname == "TextContent":
        return TextContent(text=message.text or "", mime_type=mime)
    return BinaryContent(data=binary, mime_type=mime, encoding=message.get("encoding"))


def _header(values: dict[str, object]) -> SbdHeader:
    return SbdHeader(**values)  # type: ignore[arg-type]


def _check_root(root: etree._Element) -> None:
    if root.tag != sh("StandardBusinessDocument"):
        raise ValidationError(
            [
                Problem(
                    rule="sbdh:not-sbd",
                    message=f"the root element is {root.tag}, not sh:StandardBusinessDocument",
                )
            ],
            what="SBD",
        )


def _start(data: bytes, limits: Limits) -> tuple[etree._Element, etree._Element | None]:
    root = parse_xml(data, limits=limits, what="SBD")
    _check_root(root)
    first = next((child for child in root if isinstance(child.tag, str)), None)
    return root, first if first is not None and first.tag == sh(_H) else None


def read_sbd(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> SbdDocument:
    """Parse and validate a Peppol Standard Business Document; return header and payload.

    Raises :class:`~peppol_dpi.errors.XmlSecurityError` for hostile or broken XML and
    :class:`~peppol_dpi.errors.ValidationError` listing every schema and envelope problem.
    """
    require_buffer(data, caller="read_sbd", name="data")
    require_limits(limits, caller="read_sbd")
    root, header = _start(data, limits)
    out = Collector(root.getroottree())
    values: dict[str, object] = {}
    if header is None:
        out.add("sbdh:missing-header", "StandardBusinessDocumentHeader is missing", "", root)
    else:
        reader = HeaderReader(out, header)
        reader.read()
        values = reader.values
    message = _business_message(out, root)
    binary = b""
    if message is not None:
        _check_fit(out, values, message)
        if message.tag in (_BINARY_CONTENT, _TEXT_CONTENT) and len(message):
            # A processing instruction inside the content (the schema sees none): the text
            # before it would be the payload here, the joined text to another reader.
            local = etree.QName(message).localname
            out.add(_CONTENT_RULES[local], f"{local} holds markup inside its value", "", message)
        elif message.tag == _BINARY_CONTENT:
            # Decoded here, strictly; taking the base64 out of the tree first spares the
            # schema a second pass over it and frees libxml2's copy.
            base64_text, message.text = message.text or "", None
            try:
                binary = base64_binary(base64_text)
            except ValueError as exc:
                out.add("sbdh:binary-content", f"BinaryContent is not base64: {exc}", "", message)
            del base64_text
    for path, problem in schema_problems(root.getroottree()):
        if path not in out.paths:
            out.problems.append(problem)
    ValidationError.raise_if_any(out.problems, what="SBD")
    assert message is not None  # no problems: there is exactly one business message
    return SbdDocument(header=_header(values), payload=_extract(message, binary))


def read_sbdh(
    data: bytes | memoryview | IO[bytes], *, limits: Limits = DEFAULT_LIMITS
) -> SbdHeader:
    """Only the header of an SBD (bytes, or a seekable file read from its start), validated on
    its own (schema and header rules).

    The document is parsed only as far as the end of the header: the payload is neither
    parsed, extracted, decoded nor checked against the header, so this costs the same for a
    50 MB payload as for a small one. The AS4 layer uses it to compare sender, receiver,
    document type and process with the ebMS headers; :func:`read_sbd` makes the full check.
    A header that differs from one read before only in its instance id and creation time is
    not parsed again: its two values are checked on their own (:mod:`.header_cache`).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        require_binary_file(
            data, caller="read_sbdh", name="data", expected="bytes or a binary file"
        )
    header: SbdHeader | None = None
    shape = None
    if (
        isinstance(data, bytes | bytearray | memoryview)
        and len(data) <= limits.max_xml_bytes
        and _is_utf8(data)
    ):
        # A header like one read before but for its instance id and time (header_cache), which
        # reads those two from the bytes as UTF-8: only for a document in UTF-8.
        end = end_tag_end(data, sh(_H))
        shape = header_shape(bytes(data[:end]), limits) if end >= 0 else None
        header = shape.known() if shape is not None else None
    if header is None:
        header = _read_sbdh_fully(data, limits)
        if shape is not None:
            shape.remember(header)
    return header


def _is_utf8(data: bytes | bytearray | memoryview) -> bool:
    """UTF-8, declared or not (XML 1.0 4.3.3): the cache reads its two values from the bytes
    as UTF-8. In another encoding that writes ASCII as ASCII the same bytes may mean other
    characters."""
    declared = xml_declaration(bytes(data[:DECLARATION_HEAD]))
    return declared.family == "utf-8" and declared.encoding in (None, "utf-8")


def _read_sbdh_fully(data: bytes | memoryview | IO[bytes], limits: Limits) -> SbdHeader:
    header = parse_xml_until(data, sh(_H), limits=limits, what="SBD")
    root = header.getparent() if header is not None else None
    if header is None or root is None or root.getparent() is not None:
        raise ValidationError(
            [
                Problem(
                    rule="sbdh:missing-header",
                    message="no StandardBusinessDocumentHeader at the start of an SBD",
                )
            ],
            what="SBD",
        )
    _check_root(root)
    if next(child for child in root if isinstance(child.tag, str)) is not header:
        raise ValidationError(
            [Problem(rule="sbdh:schema", message="the header is not the first element")],
            what="SBD",
        )
    out = Collector(etree.ElementTree(header))
    reader = HeaderReader(out, header)
    reader.read()
    for path, problem in schema_problems(header):
        if path not in out.paths:
            out.problems.append(problem)
    ValidationError.raise_if_any(out.problems, what="SBDH")
    return _header(reader.values)

"""The ebMS 3.0 header schema check of a received ``eb:Messaging`` (EBMS:0009).

ebMS 3.0 Core 5.2 defines the header by its schema, and receivers such as phase4 read it with
schema validation, answering EBMS:0009 (InvalidHeader) to a header that fails it. The reader
(:mod:`.ebms_xml`) looks its parts up by name; without this check it took headers with children
out of order, elements and attributes the schema does not declare, text in element-only
content, empty values the schema requires to hold something, or a ``mustUnderstand`` that is
not a boolean (tests/test_ebms_never_laxer.py holds us to the official schema). The project's
own schema (``peppol_dpi/xsd/ebms-header-3.0.xsd``) is compiled once per thread.
"""

from __future__ import annotations

from lxml import etree

from .. import ns
from ..errors import EbmsError
from ..xmlparse import Element
from ..xsd import thread_schema
from .model import Ebms3HeaderError

__all__ = ["check_header_schema"]

_MAIN = "ebms-header-3.0.xsd"
_EB_PREFIX = f"{{{ns.EB}}}"
_IMPORTS = frozenset(
    {"ebms-soap11-attributes.xsd", "ebms-soap12-attributes.xsd", "ebms-xml-attributes.xsd"}
)


def _schema() -> etree.XMLSchema:
    return thread_schema(_MAIN, _IMPORTS)


def check_header_schema(messaging: Element) -> None:
    """Refuse an ``eb:Messaging`` its schema refuses (``as4:schema``, EBMS:0009)."""
    schema = _schema()
    if schema.validate(messaging):
        _check_extensions_last(messaging)
        return
    entry = schema.error_log.last_error  # type: ignore[attr-defined]
    raise _invalid(f"{entry.message} (line {entry.line})")


def _invalid(reason: str) -> Ebms3HeaderError:
    return Ebms3HeaderError(
        "eb:Messaging does not follow the ebMS 3.0 header schema: "
        + reason.replace(f"{{{ns.EB}}}", "eb:"),
        rule="as4:schema",
        ebms_code=EbmsError.INVALID_HEADER,
    )


def _check_extensions_last(messaging: Element) -> None:
    # ebMS 3.0 Core 5.2.1 and 5.2.3: in eb:Messaging and eb:SignalMessage the ##other wildcard
    # ends the sequence. libxml2 lets an element of another namespace through before
    # eb:UserMessage or between two eb:Error (Xerces, with which phase4 validates, and the
    # pure-Python xmlschema refuse both), so the order is checked here.
    for parent in (messaging, *messaging.iterchildren(f"{{{ns.EB}}}SignalMessage")):
        extension = None
        for child in parent.iterchildren(etree.Element):
            if not str(child.tag).startswith(_EB_PREFIX):
                extension = child
            elif extension is not None:
                raise _invalid(f"{extension.tag} comes before {child.tag}; extensions come last")

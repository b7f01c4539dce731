"""Refusals of the hardened XML parsers (the tree, prefix and streaming ones) no other test
drove, each held to the exact error class and rule."""

from __future__ import annotations

import io

import pki
import pytest

from peppol_dpi import ns
from peppol_dpi.errors import (
    EbmsError,
    XmlSecurityError,
)
from peppol_dpi.xmlparse import Element, parse_xml
from peppol_dpi.xmlprefix import parse_xml_until
from peppol_dpi.xmlstream import parse_xml_from

C2, C3 = pki.ap_key("c2"), pki.ap_key("c3")
S12, WSSE, DS = ns.SOAP12, ns.WSSE, ns.DS

# With counter_ids() the ids of a built message are fixed: the receiver's token X509-id-0002,
# EncryptedKey EK-id-0003, EncryptedData ED-id-0004, Messaging phase4-msg-id-0005, Body
# id-id-0006, the signer's token X509-id-0007; the attachment is cid:att-id-0001@peppol-dpi.


# -- the hardened XML parsers ------------------------------------------------------------------

_FLOOD = " ".join(f'xmlns:p{i}="urn:p{i}"' for i in range(70))  # beyond 64 in scope


def test_a_namespace_flood_in_utf16_is_refused() -> None:
    # XML 1.0 appendix F: the encoding is detected without a declaration; the count of
    # declarations must not miss a UTF-16 document.
    document = f"<root {_FLOOD}/>".encode("utf-16")
    with pytest.raises(XmlSecurityError) as info:
        parse_xml(document)
    assert (info.value.rule, info.value.ebms_code) == (
        "xml:too-many-namespaces",
        EbmsError.INVALID_HEADER,
    )


def test_parse_xml_takes_bytes() -> None:
    with pytest.raises(TypeError, match="takes bytes"):
        parse_xml("<a/>")  # type: ignore[arg-type]


def test_a_namespace_flood_before_the_header_is_refused_by_the_prefix_parser() -> None:
    with pytest.raises(XmlSecurityError) as info:
        parse_xml_until(f"<root {_FLOOD}><header/></root>".encode(), "header")
    assert info.value.rule == "xml:too-many-namespaces"


def test_a_header_beyond_the_first_piece_of_a_file_is_found() -> None:
    document = b"<root><pad>" + b"x" * 100_000 + b"</pad><header>found</header></root>"
    element = parse_xml_until(io.BytesIO(document), "header")
    assert element is not None and element.text == "found"


def _parse_from(source: io.BytesIO) -> Element:
    return parse_xml_from(source, divert=("root",), text_sink=lambda text: None)


@pytest.mark.parametrize(
    ("document", "rule"),
    [(b"<!DOCTYPE root><root/>", "xml:dtd-forbidden"), (b"  \n ", "xml:not-well-formed")],
    ids=["doctype", "empty"],
)
def test_the_streaming_parser_refuses_a_doctype_or_an_empty_file(
    document: bytes, rule: str
) -> None:
    with pytest.raises(XmlSecurityError) as info:
        _parse_from(io.BytesIO(document))
    assert info.value.rule == rule
    assert ("DOCTYPE" if b"DOCTYPE" in document else "XML is empty") in info.value.message


class _FailingDisk(io.BytesIO):
    """A file whose reads after the first (the prolog scan) fail."""

    reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        if self.reads > 1:
            raise OSError("read error")
        return super().read(size)


def test_an_io_error_of_the_streaming_parser_source_is_raised_as_it_is() -> None:
    with pytest.raises(OSError, match="read error"):
        _parse_from(_FailingDisk(b"<root>text</root>"))

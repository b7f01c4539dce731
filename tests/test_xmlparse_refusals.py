"""Refusals of the hardened XML parsers (the tree, prefix and streaming ones) no other test
drove, each held to the exact error class and rule."""

from __future__ import annotations

import io
from collections.abc import Callable

import pki
import pytest

from peppol_dpi import ns
from peppol_dpi.errors import (
    ArgumentTypeError,
    EbmsError,
    XmlSecurityError,
)
from peppol_dpi.limits import DEFAULT_LIMITS, Limits
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
    with pytest.raises(ArgumentTypeError, match="parse_xml: data must be bytes, not str"):
        parse_xml("<a/>")  # type: ignore[arg-type]


def test_a_namespace_flood_before_the_header_is_refused_by_the_prefix_parser() -> None:
    with pytest.raises(XmlSecurityError) as info:
        parse_xml_until(f"<root {_FLOOD}><header/></root>".encode(), "header")
    assert info.value.rule == "xml:too-many-namespaces"


def test_a_header_beyond_the_first_piece_of_a_file_is_found() -> None:
    document = b"<root><pad>" + b"x" * 100_000 + b"</pad><header>found</header></root>"
    element = parse_xml_until(io.BytesIO(document), "header")
    assert element is not None and element.text == "found"


def _parse_from(source: io.BytesIO, limits: Limits = DEFAULT_LIMITS) -> Element:
    return parse_xml_from(source, divert=("root",), text_sink=lambda text: None, limits=limits)


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


# -- namespace errors libxml2 goes on from (XML Namespaces 1.0 sections 3 and 5) ---------------

# Each is an error libxml2 logs and parses on from; lxml's tree parser refused the document
# only when that error was the last message logged. A relative namespace name after it (a
# warning, which every parser accepts) made parse_xml take it: the prefix dropped, or one of
# two attributes lost. The streaming parsers took them in any case.
_NAMESPACE_ERRORS = {
    "undeclared prefix of an element": b"<p:x/>",
    "undeclared prefix of an attribute": b'<x p:a="1"/>',
    "a prefix bound to the empty name": b'<x xmlns:p=""/>',
    "the xmlns prefix declared": b'<x xmlns:xmlns="urn:x"/>',
    "the xml prefix bound elsewhere": b'<x xmlns:xml="urn:x"/>',
    "the xml namespace under another prefix": (
        b'<x xmlns:q="http://www.w3.org/XML/1998/namespace"/>'
    ),
    "the xmlns namespace declared": b'<x xmlns:q="http://www.w3.org/2000/xmlns/"/>',
    "one attribute twice under two prefixes": (
        b'<x xmlns:a="urn:a" xmlns:b="urn:a" a:v="1" b:v="2"/>'
    ),
    "a name with two colons": b'<x xmlns:a="urn:a" a:b:c="1"/>',
}
_THEN_A_WARNING = b'<w xmlns="relative"/>'


def _three_ways(document: bytes) -> list[object]:
    """What parse_xml, parse_xml_until (bytes, then a file) and parse_xml_from make of
    ``document``: its rule when refused, else "accepted"."""
    readers = [
        lambda: parse_xml(document),
        lambda: parse_xml_until(document, "stop"),
        lambda: parse_xml_until(io.BytesIO(document), "stop"),
        lambda: _parse_from(io.BytesIO(document)),
    ]
    outcomes: list[object] = []
    for read in readers:
        try:
            read()
        except XmlSecurityError as exc:
            outcomes.append((exc.rule, exc.ebms_code))
        else:
            outcomes.append("accepted")
    return outcomes


@pytest.mark.parametrize("name", sorted(_NAMESPACE_ERRORS))
@pytest.mark.parametrize("warnings", [0, 1, 150], ids=["alone", "then-a-warning", "150-first"])
def test_a_namespace_error_is_refused_by_every_parser(name: str, warnings: int) -> None:
    error = _NAMESPACE_ERRORS[name]
    # libxml2 stops logging warnings after 100 of them, never errors.
    before = _THEN_A_WARNING * (warnings if warnings > 1 else 0)
    after = _THEN_A_WARNING if warnings else b""
    document = b"<root>" + before + error + after + b"<stop/></root>"
    assert _three_ways(document) == [("xml:not-well-formed", EbmsError.INVALID_HEADER)] * 4


def test_a_relative_namespace_name_alone_is_accepted_by_every_parser() -> None:
    assert _three_ways(b"<root>" + _THEN_A_WARNING * 150 + b"<stop/></root>") == ["accepted"] * 4


def test_a_namespace_error_after_the_element_is_not_read_by_parse_xml_until() -> None:
    # parse_xml_until applies parse_xml's refusals to the part it reads, and stops there.
    document = b"<root><stop/>" + _NAMESPACE_ERRORS["undeclared prefix of an element"] + b"</root>"
    for source in (document, io.BytesIO(document)):
        element = parse_xml_until(source, "stop")
        assert element is not None and element.tag == "stop"


# -- the streaming parsers give parse_xml's answer when a document has two faults --------------


def test_a_limit_passed_is_refused_after_the_syntax_error_that_follows() -> None:
    # parse_xml refuses a syntax error before any limit, wherever it lies.
    document = b"<root>" + b"<a/>" * 20 + b"<stop/><b></c></root>"
    tight = Limits(max_xml_elements=10)
    for read in (
        lambda: _parse_from(io.BytesIO(document), tight),
        lambda: parse_xml_until(io.BytesIO(document), "never", limits=tight),
        lambda: parse_xml(document, limits=tight),
    ):
        with pytest.raises(XmlSecurityError) as info:
            read()
        assert info.value.rule == "xml:not-well-formed"
    # Within the part parse_xml_until reads (up to the end of "stop"), the limit is the fault.
    with pytest.raises(XmlSecurityError) as info:
        parse_xml_until(io.BytesIO(document), "stop", limits=tight)
    assert info.value.rule == "xml:too-many-elements"


def test_two_limits_passed_are_refused_in_parse_xml_order() -> None:
    # Too deep first in the document, too many elements overall: parse_xml counts first.
    document = b"<root>" + b"<a>" * 8 + b"</a>" * 8 + b"<b/>" * 10 + b"</root>"
    tight = Limits(max_xml_depth=6, max_xml_elements=15)
    with pytest.raises(XmlSecurityError) as info:
        parse_xml(document, limits=tight)
    assert info.value.rule == "xml:too-many-elements"
    with pytest.raises(XmlSecurityError) as info:
        _parse_from(io.BytesIO(document), tight)
    assert info.value.rule == "xml:too-many-elements"


def test_nothing_more_is_built_or_handed_out_once_a_limit_is_passed() -> None:
    # The parse goes on to find a later syntax error, but keeps nothing of what it reads.
    handed: list[str] = []
    document = b"<root>" + b"<a/>" * 20 + b"<d>" + b"x" * 100_000 + b"</d></root>"
    with pytest.raises(XmlSecurityError) as info:
        parse_xml_from(
            io.BytesIO(document),
            divert=("root", "d"),
            text_sink=handed.append,
            limits=Limits(max_xml_elements=10),
        )
    assert info.value.rule == "xml:too-many-elements"
    assert handed == []


# -- XML 1.1, which Xerces reads otherwise --------------------------------------------------------
# Xerces (the JDK's parser, under phase4, Oxalis and Santuario) reads a document declared 1.1 as
# XML 1.1: NEL (U+0085) and LINE SEPARATOR (U+2028) become line feeds, "&#1;" is a character.
# libxml2 takes it for 1.0 and keeps them: one document, two texts. Every reader refuses it alike.


def _readers() -> list[tuple[str, Callable[[bytes], object]]]:
    return [
        ("parse_xml", parse_xml),
        ("parse_xml_until, bytes", lambda data: parse_xml_until(data, "b")),
        ("parse_xml_until, file", lambda data: parse_xml_until(io.BytesIO(data), "b")),
        (
            "parse_xml_from",
            lambda data: parse_xml_from(io.BytesIO(data), divert=(), text_sink=lambda t: None),
        ),
    ]


@pytest.mark.parametrize(
    "document",
    [
        '<?xml version="1.1"?><a>x\u0085y<b/></a>'.encode(),
        '<?xml version="1.1" encoding="UTF-16"?><a>x\u2028y<b/></a>'.encode("utf-16"),
        b"\xef\xbb\xbf<?xml version='1.1'?><a><b/></a>",
        b'<?xml version="1.5"?><a><b/></a>',
        # A prolog longer than the part a streaming reader looks at for the root element:
        b'<?xml version="1.1"?>' + b"<?pi " + b"x" * (1024 * 1024) + b"?><a><b/></a>",
    ],
    ids=["1.1 with NEL", "1.1 in UTF-16", "1.1 after a BOM", "1.5", "1.1, long prolog"],
)
@pytest.mark.parametrize("reader", [name for name, _ in _readers()])
def test_a_document_that_is_not_xml_1_0_is_refused(document: bytes, reader: str) -> None:
    read = dict(_readers())[reader]
    with pytest.raises(XmlSecurityError) as info:
        read(document)
    assert info.value.rule == "xml:version"


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?><a>x\xc2\x85y<b/></a>',
        b"<a><b/></a>",
        b"<?xml version='1.0' ?><a><b/></a>",
    ],
)
@pytest.mark.parametrize("reader", [name for name, _ in _readers()])
def test_xml_1_0_with_or_without_a_declaration_is_read(document: bytes, reader: str) -> None:
    read = dict(_readers())[reader]
    assert read(document) is not None


# -- encodings the JDK decodes otherwise (tests/test_xml_parse_against_xerces.py) -----------------


@pytest.mark.parametrize(
    "document",
    [
        # A UTF-8 mark against the declaration: libxml2 follows the mark, the JDK the declaration.
        b'\xef\xbb\xbf<?xml version="1.0" encoding="ISO-8859-1"?><a>\xc3\xa5<b/></a>',
        # Shift_JIS 5C: a yen sign to iconv, a backslash to the JDK.
        b'<?xml version="1.0" encoding="Shift_JIS"?><a>C:\\tmp<b/></a>',
        b'<?xml version="1.0" encoding="windows-1252"?><a>\x80<b/></a>',
        '<?xml version="1.0" encoding="UTF-16"?><a><b/></a>'.encode("utf-16-le"),  # no mark
        '<?xml version="1.0" encoding="UTF-16BE"?><a><b/></a>'.encode("utf-16"),  # mark, LE/BE
        '<?xml version="1.0" encoding="UTF-32"?><a><b/></a>'.encode("utf-32"),
    ],
    ids=[
        "utf-8 mark, latin-1",
        "shift_jis",
        "windows-1252",
        "utf-16, no mark",
        "utf-16be, mark",
        "utf-32",
    ],
)
@pytest.mark.parametrize("reader", [name for name, _ in _readers()])
def test_an_encoding_the_jdk_reads_otherwise_is_refused(document: bytes, reader: str) -> None:
    read = dict(_readers())[reader]
    with pytest.raises(XmlSecurityError) as info:
        read(document)
    assert info.value.rule == "xml:encoding"


@pytest.mark.parametrize(
    "document",
    [
        '<?xml version="1.0" encoding="UTF-16"?><a>å<b/></a>'.encode("utf-16"),
        "<a>å<b/></a>".encode("utf-16"),
        '<?xml version="1.0" encoding="UTF-16LE"?><a>å<b/></a>'.encode("utf-16-le"),
        '<?xml version="1.0" encoding="ISO-8859-1"?><a>\xe5<b/></a>'.encode("latin-1"),
        b'<?xml version="1.0" encoding="US-ASCII"?><a><b/></a>',
        b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><a>\xc3\xa5<b/></a>',
    ],
    ids=["utf-16", "utf-16, no declaration", "utf-16le, no mark", "latin-1", "ascii", "utf-8 mark"],
)
@pytest.mark.parametrize("reader", [name for name, _ in _readers()])
def test_utf8_utf16_ascii_and_latin1_are_read(document: bytes, reader: str) -> None:
    assert dict(_readers())[reader](document) is not None

"""parse_xml_until: the streaming twin of parse_xml, stopping after one element."""

from __future__ import annotations

import io
from typing import Any

import pytest
from as4_support import make_sbd, mutated
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from test_xmlparse import HOSTILE

from peppol_dpi import xmlprefix
from peppol_dpi.errors import XmlSecurityError
from peppol_dpi.limits import Limits
from peppol_dpi.xmlparse import parse_xml
from peppol_dpi.xmlprefix import parse_xml_until


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused_with_the_same_rule(name: str) -> None:
    data, rule = HOSTILE[name]
    with pytest.raises(XmlSecurityError) as info:
        parse_xml_until(data, "never")
    assert info.value.rule == rule


def test_stops_after_the_element() -> None:
    head = b'<r xmlns="urn:x"><h><a>1</a><b/></h><p>'
    # What follows the element is never parsed: not even broken XML matters.
    data = head + b"x" * 300_000 + b"</not-closed>&undeclared;"
    element = parse_xml_until(data, "{urn:x}h")
    assert element is not None
    assert [child.tag for child in element] == ["{urn:x}a", "{urn:x}b"]
    assert element.getparent() is not None and element.getparent().tag == "{urn:x}r"


def test_absent_element_and_limits() -> None:
    assert parse_xml_until(b"<r><a/></r>", "h") is None
    with pytest.raises(XmlSecurityError) as info:
        parse_xml_until(
            b"<r>" + b"<a/>" * 20 + b"<h/></r>", "h", limits=Limits(max_xml_elements=10)
        )
    assert info.value.rule == "xml:too-many-elements"
    with pytest.raises(XmlSecurityError) as info:
        parse_xml_until(b"<r><h/></r>", "h", limits=Limits(max_xml_bytes=5))
    assert info.value.rule == "xml:too-large"
    with pytest.raises(XmlSecurityError) as info:
        parse_xml_until(b"<r><a></b><h/></r>", "h")
    assert info.value.rule == "xml:not-well-formed"


def test_a_fault_after_the_stop_is_never_read() -> None:
    # Found by fuzz_payload_readers (regressions/payload_readers/): too deep before the
    # element, an end tag that does not match after it. parse_xml names the syntax error
    # (it comes before any limit); parse_xml_until never reads that far, and names the limit
    # its part passed, as parse_xml does for that part closed.
    part = b"<r>" + b"<a>" * 7 + b"</a>a></a></a><stop/>"
    limits = Limits(max_xml_depth=6)
    with pytest.raises(XmlSecurityError) as whole:
        parse_xml(part + b"</r>", limits=limits)
    assert whole.value.rule == "xml:not-well-formed"
    for source in (part + b"</r>", io.BytesIO(part + b"</r>")):
        with pytest.raises(XmlSecurityError) as until:
            parse_xml_until(source, "stop", limits=limits)
        assert until.value.rule == "xml:too-deep"
    with pytest.raises(XmlSecurityError) as closed:
        parse_xml(part + b"</a>" * 4 + b"</r>", limits=limits)
    assert closed.value.rule == "xml:too-deep"


# -- the one-call path and the streaming parser agree --------------------------------------------

_H = "{urn:x}h"
# Documents where the one-call path (the prefix closed with the root's end tag) must either
# find what the streaming parser finds or step aside; each with what the streaming parser gives.
_AGREEMENT = {
    "plain": b'<?xml version="1.0"?>\n<r xmlns="urn:x"><h><a>1</a></h><p>' + b"z" * 5000,
    "bom and prefix": b'\xef\xbb\xbf<x:r xmlns:x="urn:x"><x:h><x:a/></x:h><x:p>',
    "end tag in a comment": b'<r xmlns="urn:x"><h><!-- </h> --><a/></h><p>',
    "end tag in CDATA": b'<r xmlns="urn:x"><h><a><![CDATA[</h>]]></a></h><p>',
    "end tag in a PI": b'<r xmlns="urn:x"><h><?pi </h> ?><a/></h><p>',
    "other namespace first": b'<r xmlns="urn:x"><h><o:h xmlns:o="urn:o">1</o:h></h><p>',
    "same name other namespace only": b'<r xmlns="urn:x"><o:h xmlns:o="urn:o">1</o:h><p>',
    "empty one first": b'<r xmlns="urn:x"><h/><h><a/></h><p>',
    "nested empty one": b'<r xmlns="urn:x"><h><h/><a/></h><p>',
    "not a child of the root": b'<r xmlns="urn:x"><w><h><a/></h></w><p>',
    "the root itself": b'<h xmlns="urn:x"><a/></h>',
    "comment before the root": b'<!-- c --><r xmlns="urn:x"><h><a/></h><p>',
    "broken before the end": b'<r xmlns="urn:x"><h><a></b></h><p>',
    "broken after the end": b'<r xmlns="urn:x"><h><a/></h></broken>',
    "unclosed sibling": b'<r xmlns="urn:x"><s><h><a/></h><p>',
}


def _canonical(element: etree._Element) -> bytes:
    """The element's content as C14N renders it: a CDATA section and the text it holds are
    one thing (the streaming parser hands out text; parse_xml keeps CDATA nodes)."""
    return etree.tostring(element, method="c14n", exclusive=True)


def _position(element: etree._Element) -> tuple[int, ...]:
    """Where ``element`` is: its index among its parent's children, and its parent's, up to
    the root (the streaming parser's elements have no source line)."""
    parent = element.getparent()
    return () if parent is None else (*_position(parent), parent.index(element))


def _streamed(data: bytes, limits: Limits | None = None) -> object:
    try:
        element = xmlprefix._read_through(data, _H, limits or Limits(), "XML")
    except XmlSecurityError as exc:
        return exc.rule
    return None if element is None else (_position(element), _canonical(element))


def _public(data: bytes | io.BytesIO, limits: Limits | None = None) -> object:
    try:
        element = parse_xml_until(data, _H, limits=limits or Limits())
    except XmlSecurityError as exc:
        return exc.rule
    return None if element is None else (_position(element), _canonical(element))


@pytest.mark.parametrize("name", sorted(_AGREEMENT))
def test_the_one_call_path_gives_what_the_streaming_parser_gives(name: str) -> None:
    data = _AGREEMENT[name]
    expected = _streamed(data)
    assert _public(data) == expected
    assert _public(io.BytesIO(data)) == expected
    tight = Limits(max_xml_elements=3)
    assert _public(data, tight) == _streamed(data, tight)


def test_a_plain_header_is_read_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("the streaming parser was used")

    monkeypatch.setattr(xmlprefix, "_read_through", refuse)
    element = parse_xml_until(_AGREEMENT["plain"], _H)
    assert element is not None and [child.tag for child in element] == ["{urn:x}a"]
    with pytest.raises(AssertionError):
        parse_xml_until(_AGREEMENT["empty one first"], _H)


_SBDH = "{http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader}"


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_sbds_give_what_the_streaming_parser_gives(data: st.DataObject) -> None:
    # End tags, comments, CDATA and empty headers inserted anywhere in the header: the
    # one-call path finds the same element, or steps aside, every time.
    sbd = make_sbd()
    end = sbd.index(b"<Invoice") if b"<Invoice" in sbd else len(sbd) // 2
    inserts = [
        b"<",
        b"</",
        b"<!--",
        b"-->",
        b"<![CDATA[",
        b"]]>",
        b"</StandardBusinessDocumentHeader>",
        b"<StandardBusinessDocumentHeader/>",
        b'<o:StandardBusinessDocumentHeader xmlns:o="urn:o">',
        b"<?pi ?>",
    ]
    changed = mutated(data, sbd[:end], inserts, most=3) + sbd[end:]
    tag = _SBDH + "StandardBusinessDocumentHeader"
    expected = _outcome(lambda: xmlprefix._read_through(changed, tag, Limits(), "XML"))
    assert _outcome(lambda: parse_xml_until(changed, tag)) == expected


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_well_formed_insertions_give_what_the_streaming_parser_gives(data: st.DataObject) -> None:
    # Well-formed pieces put between the header's tags: the one-call path is taken for most
    # of them, and must agree with the streaming parser on each.
    sbd = make_sbd()
    boundaries = [i + 1 for i in range(sbd.index(b"<Invoice")) if sbd[i : i + 1] == b">"]
    pieces = [
        b"<!-- </StandardBusinessDocumentHeader> -->",
        b"<?pi </StandardBusinessDocumentHeader>?>",
        b"<StandardBusinessDocumentHeader/>",
        b'<o:StandardBusinessDocumentHeader xmlns:o="urn:o"></o:StandardBusinessDocumentHeader>',
        b'<o:x xmlns:o="urn:o"><![CDATA[</StandardBusinessDocumentHeader>]]></o:x>',
        b"text",
        b" \r\n",
    ]
    changed = sbd
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.sampled_from(boundaries))
        changed = changed[:at] + data.draw(st.sampled_from(pieces)) + changed[at:]
    tag = _SBDH + "StandardBusinessDocumentHeader"
    expected = _outcome(lambda: xmlprefix._read_through(changed, tag, Limits(), "XML"))
    assert _outcome(lambda: parse_xml_until(changed, tag)) == expected


def _outcome(reader: Any) -> object:
    try:
        element = reader()
    except XmlSecurityError as exc:
        return exc.rule
    return None if element is None else (_position(element), _canonical(element))

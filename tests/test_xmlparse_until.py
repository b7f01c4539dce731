"""parse_xml_until: the streaming twin of parse_xml, stopping after one element."""

from __future__ import annotations

import pytest
from test_xmlparse import HOSTILE

from peppol_dpi.errors import XmlSecurityError
from peppol_dpi.limits import Limits
from peppol_dpi.xmlparse import parse_xml_until


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

"""The hardened XML entry point refuses hostile documents quickly and with a named rule."""

from __future__ import annotations

import copy
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from xml_support import elements_and_depth

from peppol_dpi.errors import XmlSecurityError
from peppol_dpi.limits import Limits
from peppol_dpi.xmlparse import c14n, children_at, first_child, parse_xml, text_at

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><lolz>&lol9;</lolz>"
)

HOSTILE = {
    "xxe-file": (
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        "xml:dtd-forbidden",
    ),
    "xxe-network": (
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><r>&x;</r>',
        "xml:dtd-forbidden",
    ),
    "external-dtd": (b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd"><r/>', "xml:dtd-forbidden"),
    "billion-laughs": (LAUGHS, "xml:dtd-forbidden"),
    "quadratic": (
        b'<!DOCTYPE r [<!ENTITY a "' + b"x" * 100_000 + b'">]><r>' + b"&a;" * 10_000 + b"</r>",
        "xml:dtd-forbidden",
    ),
    "deep": (b"<a>" * 5000 + b"</a>" * 5000, "xml:too-deep"),
    "moderately-deep": (b"<a>" * 150 + b"</a>" * 150, "xml:too-deep"),
    "undeclared-entity": (b"<a>&foo;</a>", "xml:not-well-formed"),
    "truncated": (b"<a><b>", "xml:not-well-formed"),
    "empty": (b"  ", "xml:not-well-formed"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused_fast(name: str) -> None:
    data, rule = HOSTILE[name]
    started = time.monotonic()
    with pytest.raises(XmlSecurityError) as info:
        parse_xml(data)
    assert info.value.rule == rule
    assert time.monotonic() - started < 5  # a guard against hangs, not a performance test


def test_size_limit() -> None:
    with pytest.raises(XmlSecurityError) as info:
        parse_xml(b"<a>" + b"x" * 2000 + b"</a>", limits=Limits(max_xml_bytes=1000))
    assert info.value.rule == "xml:too-large"


def test_element_count_limit() -> None:
    with pytest.raises(XmlSecurityError) as info:
        parse_xml(b"<a>" + b"<b/>" * 20 + b"</a>", limits=Limits(max_xml_elements=10))
    assert info.value.rule == "xml:too-many-elements"


def test_large_text_node_is_accepted() -> None:
    # lxml's default parser refuses text nodes over 10 MB; a real SBD with a 20 MB base64 PDF
    # must still parse.
    root = parse_xml(b"<a>" + b"QUFB" * 6_000_000 + b"</a>")
    assert len(root.text or "") == 24_000_000


def test_c14n_exclusive() -> None:
    root = parse_xml(b'<r xmlns:u="urn:u" xmlns:x="urn:x"><x:c a="1"  >t</x:c></r>')
    assert c14n(root[0]) == b'<x:c xmlns:x="urn:x" a="1">t</x:c>'
    assert (
        c14n(root[0], inclusive_prefixes=("u",))
        == b'<x:c xmlns:u="urn:u" xmlns:x="urn:x" a="1">t</x:c>'
    )


def test_c14n_inclusive_subtree_with_inherited_default_namespace() -> None:
    # dpi.md 9.4: lxml alone writes xmlns="" on grandchildren of such a subtree.
    root = parse_xml(b'<a xmlns="urn:a" xmlns:p="urn:p"><b Id="x"><c><d><p:e/></d></c></b></a>')
    assert c14n(root[0], exclusive=False) == (
        b'<b xmlns="urn:a" xmlns:p="urn:p" Id="x"><c><d><p:e></p:e></d></c></b>'
    )


def test_c14n_inclusive_subtree_keeps_tails_text_and_leaves_the_document_alone() -> None:
    # The subtree is canonicalized from a deep copy of its children (copy.copy of an lxml
    # element copies the whole subtree, tails included); the document is not touched.
    data = b'<a xmlns="urn:a"><b>t<c>u<d>v</d>w</c>x<e/>y</b>z</a>'
    root = parse_xml(data)
    expected = b'<b xmlns="urn:a">t<c>u<d>v</d>w</c>x<e></e>y</b>'
    assert c14n(root[0], exclusive=False) == expected
    assert c14n(root[0], exclusive=False) == expected
    assert c14n(root, exclusive=False) == data.replace(b"<e/>", b"<e></e>")


def test_c14n_inclusive_subtree_renders_unused_namespaces_in_scope() -> None:
    # C14N 1.0 section 2.4: every namespace in scope appears on the apex, used or not (an SMP
    # SignedInfo inside SignedServiceMetadata carries xmlns, xmlns:ids and xmlns:wsa).
    root = parse_xml(
        b'<r xmlns="urn:a" xmlns:i="urn:i" xmlns:w="urn:w"><s:x xmlns:s="urn:s"><s:y/></s:x></r>'
    )
    assert c14n(root[0], exclusive=False) == (
        b'<s:x xmlns="urn:a" xmlns:i="urn:i" xmlns:s="urn:s" xmlns:w="urn:w"><s:y></s:y></s:x>'
    )


XML_NS = "http://www.w3.org/XML/1998/namespace"


def _canonical_from_built_root(element: etree._Element) -> bytes:
    """Inclusive C14N of ``element`` the general way: a new root declaring every namespace
    in scope, with deep copies of the children (what c14n does when its shortcut, one copy
    of the whole subtree, would not declare them all)."""
    # C14N 1.0 section 2.4: the apex of a document subset carries the xml:* attributes it
    # inherits from its ancestors (the nearest one's, unless it has its own).
    inherited: dict[str, str] = {}
    for ancestor in element.iterancestors():
        for name, value in ancestor.attrib.items():
            if name.startswith(f"{{{XML_NS}}}"):
                inherited.setdefault(name, value)
    root = etree.Element(element.tag, attrib=inherited | dict(element.attrib), nsmap=element.nsmap)
    root.text = element.text
    for child in element:
        root.append(copy.deepcopy(child))
    return etree.tostring(root, method="c14n", exclusive=False, with_comments=False)


def test_inclusive_c14n_of_a_subtree_renders_the_xml_attributes_it_inherits() -> None:
    # C14N 1.0 section 2.4 (xmlsec and Santuario do so); exclusive C14N does not (Exc-C14N 3).
    root = parse_xml(
        b'<r xml:lang="en" xml:space="preserve"><s xml:lang="no"><t xml:space="default"/></s></r>'
    )
    t = root[0][0]
    assert c14n(t, exclusive=False) == b'<t xml:lang="no" xml:space="default"></t>'
    assert c14n(t, exclusive=True) == b'<t xml:space="default"></t>'
    assert c14n(root[0], exclusive=False) == (
        b'<s xml:lang="no" xml:space="preserve"><t xml:space="default"></t></s>'
    )


@pytest.mark.parametrize("exclusive", [True, False])
def test_c14n_refuses_a_namespace_name_holding_an_ampersand(exclusive: bool) -> None:
    # libxml2 writes it unescaped, where C14N 2.3 (and Santuario) write "&amp;".
    root = parse_xml(b'<r xmlns:p="http://example.com/?a=1&amp;b=2"><p:e p:a="1"/></r>')
    with pytest.raises(XmlSecurityError) as caught:
        c14n(root[0], exclusive=exclusive)
    assert caught.value.rule == "xml:c14n"
    # An "&" in text or in an attribute value, even one that looks like a declaration, is fine.
    text = parse_xml(
        b'<r xmlns:p="urn:p"><p:e p:a="x&amp;y"> xmlns="a&amp;b" &lt;e xmlns="&amp;"</p:e></r>'
    )
    assert b'xmlns="a&amp;b" &lt;e xmlns="&amp;"' in c14n(text[0], exclusive=exclusive)


def test_c14n_1_1_of_a_subtree_inherits_xml_lang_and_space_but_not_xml_id() -> None:
    # C14N 1.1 section 2.4: xml:id is not inherited (1.0 inherits every xml:* attribute), and
    # xml:base needs a fix-up, which is refused rather than done wrongly.
    root = parse_xml(b'<r xml:id="r1" xml:lang="en"><s xml:space="preserve"><t/></s></r>')
    t = root[0][0]
    assert c14n(t, exclusive=False, version_1_1=True) == (
        b'<t xml:lang="en" xml:space="preserve"></t>'
    )
    assert c14n(t, exclusive=False) == b'<t xml:id="r1" xml:lang="en" xml:space="preserve"></t>'
    based = parse_xml(b'<r xml:base="http://a/b/"><s><t/></s></r>')
    assert c14n(based[0], exclusive=False).startswith(b'<s xml:base="http://a/b/">')
    with pytest.raises(XmlSecurityError) as caught:
        c14n(based[0], exclusive=False, version_1_1=True)
    assert caught.value.rule == "xml:c14n"
    assert c14n(based, exclusive=False, version_1_1=True)  # the whole document: nothing to fix


@pytest.mark.parametrize(
    "data",
    [
        b'<a xmlns="urn:a" xmlns:p="urn:p"><b Id="x"><c><d><p:e/></d></c></b>tail</a>',
        b'<r xmlns="urn:a" xmlns:i="urn:i"><x xmlns="urn:b"><y i:at="1"/></x></r>',
        b'<r xmlns:p="urn:1"><p:x><q xmlns:p="urn:2"><p:y/></q></p:x>t<p:z/></r>',
        b'<r xmlns="urn:d"><s xmlns=""><t><u xmlns="urn:e"><v/></u></t></s></r>',
        b'<r xmlns:a="urn:a" xmlns:b="urn:b"><a:s b:at="v" xml:lang="no">x<a:t/>y</a:s>z</r>',
        b'<r xmlns="urn:a" xmlns:u="urn:unused"><s>only text</s><s/></r>',
    ],
)
def test_c14n_inclusive_subtree_shortcut_equals_the_general_way(data: bytes) -> None:
    root = parse_xml(data)
    for element in root.iter(etree.Element):
        if element.getparent() is not None:
            assert c14n(element, exclusive=False) == _canonical_from_built_root(element)


# -- the depth and element-count limits ---------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.sampled_from(
            [b"<b/>", b"text", b"<!-- </</ < -->", b"<![CDATA[</a><</]]>", b"<?p </?>"]
        ),
        lambda inner: st.lists(inner, max_size=4).map(
            lambda kids: b"<c x='&lt;/'>" + b"".join(kids) + b"</c>"
        ),
        max_leaves=30,
    )
)
def test_what_is_accepted_is_within_the_limits(body: bytes) -> None:
    limits = Limits(max_xml_depth=4, max_xml_elements=12)
    data = b"<?xml version='1.0' encoding='UTF-8'?><r>" + body + b"</r>"
    count, depth = elements_and_depth(etree.fromstring(data))
    try:
        parse_xml(data, limits=limits)
    except XmlSecurityError as exc:
        assert exc.rule in ("xml:too-deep", "xml:too-many-elements")
        assert count > limits.max_xml_elements or depth > limits.max_xml_depth
    else:
        assert count <= limits.max_xml_elements and depth <= limits.max_xml_depth


def test_a_utf16_document_with_slash_like_names_is_counted() -> None:
    # In UTF-16BE "<" followed by U+2F00 (a NameStartChar) is the byte pair of "</": a check
    # that counted tags in the bytes would see none of these 200 elements.
    data = b"\xfe\xff" + ("<a>" + "<\u2f00/>" * 200 + "</a>").encode("utf-16-be")
    with pytest.raises(XmlSecurityError) as info:
        parse_xml(data, limits=Limits(max_xml_elements=100))
    assert info.value.rule == "xml:too-many-elements"


def test_tight_limits_apply() -> None:
    with pytest.raises(XmlSecurityError) as info:
        parse_xml(b"<a><a><a><a/></a></a></a>", limits=Limits(max_xml_depth=3))
    assert info.value.rule == "xml:too-deep"
    with pytest.raises(XmlSecurityError) as info:
        parse_xml(b"<a><b/><b/><b/></a>", limits=Limits(max_xml_elements=3))
    assert info.value.rule == "xml:too-many-elements"


# -- paths without lxml's ElementPath ---------------------------------------------------------

_TREES = st.recursive(
    st.builds(
        lambda tag, text: (tag, text, []), st.sampled_from("abc"), st.sampled_from(["", "t"])
    ),
    lambda kids: st.builds(
        lambda tag, text, children: (tag, text, children),
        st.sampled_from("abc"),
        st.sampled_from(["", "t"]),
        st.lists(kids, max_size=4),
    ),
    max_leaves=20,
)


_Tree = tuple[str, str, list["_Tree"]]


def _element(tree: _Tree) -> etree._Element:
    tag, text, children = tree
    element = etree.Element(tag)
    element.text = text or None
    element.extend(_element(child) for child in children)
    return element


@given(_TREES, st.lists(st.sampled_from("abc"), min_size=1, max_size=3))
def test_path_helpers_follow_element_path(tree: _Tree, path: list[str]) -> None:
    root = _element(tree)
    expression = "/".join(path)
    assert first_child(root, *path) is root.find(expression)
    assert list(children_at(root, *path)) == root.findall(expression)
    assert text_at(root, *path) == root.findtext(expression)

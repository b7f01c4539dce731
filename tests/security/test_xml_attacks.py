"""Attacks on the XML parser itself (docs/security.md, section "XML").

The classic entity attacks (billion laughs, quadratic blow-up, file XXE, deep nesting) are in
tests/test_xmlparse.py; this file adds the ones that need more than a byte string: proof that
nothing is fetched, other encodings, XInclude, attribute and namespace floods, and the comment
and processing-instruction tricks against signed text.
"""

from __future__ import annotations

import pytest
from loopback import listener

from peppol_dpi.errors import XmlSecurityError
from peppol_dpi.limits import Limits
from peppol_dpi.xmlparse import c14n, parse_xml


@pytest.mark.parametrize(
    "template",
    [
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "{url}/entity">]><r>&x;</r>',
        b'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/param"> %p;]><r/>',
        b'<!DOCTYPE r SYSTEM "{url}/external.dtd"><r/>',
        b'<!DOCTYPE r PUBLIC "-//X//Y" "{url}/public.dtd"><r/>',
    ],
    ids=["general-entity", "parameter-entity", "system-dtd", "public-dtd"],
)
def test_network_xxe_makes_no_connection(template: bytes) -> None:
    with listener() as (url, seen), pytest.raises(XmlSecurityError) as err:
        parse_xml(template.replace(b"{url}", url.encode()))
    assert err.value.rule == "xml:dtd-forbidden"
    assert seen == []


def test_xinclude_is_not_processed() -> None:
    with listener() as (url, seen):
        root = parse_xml(
            b'<r xmlns:xi="http://www.w3.org/2001/XInclude">'
            b'<xi:include href="file:///etc/passwd" parse="text"/>'
            b'<xi:include href="' + url.encode() + b'/x"/></r>'
        )
    assert [child.get("href") for child in root] == ["file:///etc/passwd", f"{url}/x"]
    assert b"root:" not in c14n(root)
    assert seen == []


@pytest.mark.parametrize(
    ("encoding", "rule"),
    [
        ("utf-16", "xml:dtd-forbidden"),
        # Refused before they are parsed: UTF-16 without its byte order mark and UTF-32 are
        # not read at all (xmlparse.check_declaration), a DOCTYPE in them or not.
        ("utf-16-be", "xml:encoding"),
        ("utf-32", "xml:encoding"),
    ],
)
def test_doctype_in_other_encodings_is_refused(encoding: str, rule: str) -> None:
    document = (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    ).encode(encoding)
    with pytest.raises(XmlSecurityError) as err:
        parse_xml(document)
    assert err.value.rule == rule


def test_billion_laughs_in_utf16_is_refused_as_a_dtd() -> None:
    entities = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )  # l0 is declared below
    document = (
        f'<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY l0 "lol">{entities}]>'
        "<r>&l9;</r>"
    ).encode("utf-16")
    with pytest.raises(XmlSecurityError) as err:
        parse_xml(document)
    assert err.value.rule == "xml:dtd-forbidden"


def test_huge_attribute_is_bounded_by_the_size_limit() -> None:
    document = b'<r a="' + b"x" * 2_000_000 + b'"/>'
    with pytest.raises(XmlSecurityError) as err:
        parse_xml(document, limits=Limits(max_xml_bytes=1_000_000))
    assert err.value.rule == "xml:too-large"
    # within the limit it is accepted whole (libxml2's own 10 MB cap is replaced by ours)
    assert len(parse_xml(document).get("a") or "") == 2_000_000


def test_attribute_flood_is_linear() -> None:
    # libxml2 checks duplicate attributes with a hash table; 100,000 attributes parse at once
    # and a duplicate among them is still found.
    attributes = b" ".join(b'a%d="1"' % i for i in range(100_000))
    assert len(parse_xml(b"<r " + attributes + b"/>").attrib) == 100_000
    with pytest.raises(XmlSecurityError) as err:
        parse_xml(b"<r " + attributes + b' a5="2"/>')
    assert err.value.rule == "xml:not-well-formed"


def _namespace_flood(declarations: int, elements: int) -> bytes:
    decls = b" ".join(b'xmlns:p%d="urn:%d"' % (i, i) for i in range(declarations))
    return b"<r " + decls + b"><signed>" + b"<e/>" * elements + b"</signed></r>"


def test_namespace_flood_is_refused_before_c14n_can_burn_cpu() -> None:
    # 1,000 declarations over 10,000 elements (65 KB) cost libxml2's inclusive C14N 30 s of CPU
    # before the limit existed (quadratic in the declarations in scope, per element).
    with pytest.raises(XmlSecurityError) as err:
        parse_xml(_namespace_flood(1000, 10_000))
    assert err.value.rule == "xml:too-many-namespaces"
    # shadowed re-declarations count too: libxml2 walks all of them
    nested = b'<a xmlns:p="urn:x">' * 70 + b"</a>" * 70
    with pytest.raises(XmlSecurityError) as err:
        parse_xml(nested)
    assert err.value.rule == "xml:too-many-namespaces"
    # siblings do not add up: each declares one namespace in its own scope
    siblings = b"<r>" + b'<a xmlns:p="urn:x"/>' * 1000 + b"</r>"
    assert len(parse_xml(siblings)) == 1000
    signed = parse_xml(_namespace_flood(60, 10)).find("signed")
    assert signed is not None and len(signed) == 10


def test_comment_inside_signed_text_cannot_truncate_it() -> None:
    # CVE-2017-11427 (SAML): C14N drops comments, so inserting one does not break a signature,
    # and a reader of the first text node saw "alice" instead of the signed address.
    root = parse_xml(b"<r><id>alice<!-- -->@evil.example</id></r>")
    assert root[0].text == "alice@evil.example"
    assert len(root[0]) == 0
    assert c14n(root) == b"<r><id>alice@evil.example</id></r>"


def test_processing_instruction_inside_signed_text_changes_the_canonical_form() -> None:
    # PIs are part of C14N output: inserting one is caught by the digest (see the signature
    # attacks), so it cannot truncate signed text unnoticed.
    plain = parse_xml(b"<r><id>alice@evil.example</id></r>")
    with_pi = parse_xml(b"<r><id>alice<?x y?>@evil.example</id></r>")
    assert c14n(plain) != c14n(with_pi)


def test_namespace_prefix_tricks_change_the_exclusive_canonical_form() -> None:
    # Exclusive C14N keeps prefixes and renders each visibly used declaration on the element
    # that uses it: renaming a prefix, or moving the element to another namespace, changes
    # the octets; re-declaring an unused prefix on an ancestor does not (a wrapper may do it).
    signed = b'<s:b xmlns:s="urn:s" Id="b"><s:v>1</s:v></s:b>'
    original = c14n(parse_xml(b'<env xmlns:z="urn:z">' + signed + b"</env>")[0])
    assert original == c14n(parse_xml(b'<env xmlns:s="urn:other">' + signed + b"</env>")[0])
    renamed = b'<t:b xmlns:t="urn:s" Id="b"><t:v>1</t:v></t:b>'
    assert c14n(parse_xml(b"<env>" + renamed + b"</env>")[0]) != original
    rebound = signed.replace(b'xmlns:s="urn:s"', b'xmlns:s="urn:evil"')
    assert c14n(parse_xml(b"<env>" + rebound + b"</env>")[0]) != original


def test_qname_in_content_needs_the_prefix_list() -> None:
    # A prefix used only inside text (xsi:type="eb:T", an XPath) is not "visibly used", so
    # exclusive C14N leaves its declaration out and an attacker may re-bind it on an ancestor.
    # An InclusiveNamespaces PrefixList naming it (as AS4 does for the SOAP prefix) covers it.
    def canonical(binding: bytes, prefixes: tuple[str, ...]) -> bytes:
        document = b'<env xmlns:eb="' + binding + b'"><v type="eb:T"/></env>'
        return c14n(parse_xml(document)[0], inclusive_prefixes=prefixes)

    assert canonical(b"urn:good", ()) == canonical(b"urn:evil", ())
    assert canonical(b"urn:good", ("eb",)) != canonical(b"urn:evil", ("eb",))


def test_relative_namespace_uri_cannot_be_canonicalized() -> None:
    # Regression (fuzz_xml): libxml2's C14N refuses a relative namespace URI (C14N 1.0
    # section 2.1) with lxml's C14NError, which escaped from c14n().
    root = parse_xml(b'<a xmlns:b="urn1"><b:c>t</b:c></a>')
    for exclusive in (True, False):
        with pytest.raises(XmlSecurityError) as err:
            c14n(root, exclusive=exclusive)
        assert err.value.rule == "xml:c14n"

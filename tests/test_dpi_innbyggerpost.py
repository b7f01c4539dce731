"""The Innbyggerpost XML (corner 2 to corner 3), against Digdir's XSD and sample."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from peppol_dpi import ns
from peppol_dpi.dpi.innbyggerpost import Innbyggerpost, InnbyggerpostError
from peppol_dpi.errors import UsageError, XmlSecurityError
from peppol_dpi.xmlparse import parse_xml


@pytest.fixture(scope="module")
def xsd(shared: Path) -> xmlschema.XMLSchema:
    with warnings.catch_warnings():
        # The XSD imports businessMessageEnvelope.xsd without using it; it is not published.
        warnings.simplefilter("ignore", xmlschema.XMLSchemaImportWarning)
        return xmlschema.XMLSchema(str(shared / "xsd" / "dpi" / "innbyggerpost.xsd"))


def _real(shared: Path) -> Innbyggerpost:
    samples = shared / "dpi" / "digdir-samples"
    return Innbyggerpost(
        forretningsmelding=(samples / "digital-forretningsmelding.jwt").read_bytes().strip(),
        dokumentpakke=(samples / "digital-dokumentpakke.cms").read_bytes(),
    )


def test_round_trip_and_xsd(shared: Path, xsd: xmlschema.XMLSchema) -> None:
    payload = _real(shared)
    data = payload.to_bytes()
    assert xsd.is_valid(data.decode())
    assert Innbyggerpost.parse(data) == payload


def test_digdir_sample_placeholder_content_is_refused_by_both(
    shared: Path, xsd: xmlschema.XMLSchema
) -> None:
    # Digdir's digitalpost_c2_c3.xml carries placeholders ("eyJ...c2l.....", "ABCD...").
    document = parse_xml((shared / "dpi" / "digitalpost_c2_c3.xml").read_bytes())
    element = document.find(f"{{{ns.INNBYGGERPOST}}}Innbyggerpost")
    assert element is not None
    assert not xsd.is_valid(etree.tostring(element).decode())
    with pytest.raises(InnbyggerpostError) as caught:
        Innbyggerpost.from_element(element)
    assert caught.value.rule == "innbyggerpost:jws"


def test_digdir_sample_shape_with_real_content(shared: Path, xsd: xmlschema.XMLSchema) -> None:
    real = _real(shared)
    document = parse_xml((shared / "dpi" / "digitalpost_c2_c3.xml").read_bytes())
    element = document.find(f"{{{ns.INNBYGGERPOST}}}Innbyggerpost")
    assert element is not None
    element[0].text = real.forretningsmelding.decode()
    # base64 folded at 76 characters, as Java's MIME encoder writes it, is still base64Binary
    encoded = real.to_element()[1].text or ""
    element[1].text = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    assert xsd.is_valid(etree.tostring(element).decode())
    assert Innbyggerpost.from_element(element) == real


@pytest.mark.parametrize(
    ("xml", "rule"),
    [
        (b'<Innbyggerpost xmlns="urn:other"><A/></Innbyggerpost>', "innbyggerpost:root"),
        (b'<Innbyggerpost xmlns="{ns}"><Dokumentpakke>AA==</Dokumentpakke></Innbyggerpost>', "innbyggerpost:content"),
        (b'<Innbyggerpost xmlns="{ns}"><Dokumentpakke>AA==</Dokumentpakke><SignertForretningsmelding>a.b.c</SignertForretningsmelding></Innbyggerpost>', "innbyggerpost:content"),
        (b'<Innbyggerpost xmlns="{ns}"><SignertForretningsmelding>a.b.c</SignertForretningsmelding><Dokumentpakke>AA==</Dokumentpakke><X/></Innbyggerpost>', "innbyggerpost:content"),
        (b'<Innbyggerpost xmlns="{ns}">text<SignertForretningsmelding>a.b.c</SignertForretningsmelding><Dokumentpakke>AA==</Dokumentpakke></Innbyggerpost>', "innbyggerpost:content"),
        (b'<Innbyggerpost xmlns="{ns}"><SignertForretningsmelding>a.b</SignertForretningsmelding><Dokumentpakke>AA==</Dokumentpakke></Innbyggerpost>', "innbyggerpost:jws"),
        (b'<Innbyggerpost xmlns="{ns}"><SignertForretningsmelding>a.b.c</SignertForretningsmelding><Dokumentpakke>A*==</Dokumentpakke></Innbyggerpost>', "innbyggerpost:base64"),
        (b'<Innbyggerpost xmlns="{ns}"><SignertForretningsmelding>a.b.c</SignertForretningsmelding><Dokumentpakke></Dokumentpakke></Innbyggerpost>', "innbyggerpost:base64"),
    ],
)  # fmt: skip
def test_bad_innbyggerpost(xml: bytes, rule: str, xsd: xmlschema.XMLSchema) -> None:
    data = xml.replace(b"{ns}", ns.INNBYGGERPOST.encode())
    with pytest.raises(InnbyggerpostError) as caught:
        Innbyggerpost.parse(data)
    assert caught.value.rule == rule
    if rule not in {"innbyggerpost:jws", "innbyggerpost:base64"}:
        assert not xsd.is_valid(data.decode())  # the XSD refuses the shape too


def test_size_limit_before_decoding() -> None:
    from dataclasses import replace

    from peppol_dpi.limits import DEFAULT_LIMITS

    data = Innbyggerpost(forretningsmelding=b"a.b.c", dokumentpakke=b"x" * 3000).to_bytes()
    with pytest.raises(InnbyggerpostError) as caught:
        Innbyggerpost.parse(data, limits=replace(DEFAULT_LIMITS, max_package_bytes=1000))
    assert caught.value.rule == "innbyggerpost:size"


def test_hostile_xml_is_refused() -> None:
    data = (
        b'<!DOCTYPE x [<!ENTITY e "e">]><Innbyggerpost xmlns="' + ns.INNBYGGERPOST.encode() + b'"/>'
    )
    with pytest.raises(XmlSecurityError):
        Innbyggerpost.parse(data)


def test_builder_refuses_what_is_not_a_jws() -> None:
    with pytest.raises(UsageError):
        Innbyggerpost(forretningsmelding=b"not a jws", dokumentpakke=b"x")

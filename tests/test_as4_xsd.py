"""What the AS4 layer writes, against the official schemas in ../shared/fixtures/xsd: the ebMS 3.0
header schema (eb:Messaging of user messages, receipts and error signals), ebBP signals 2.0.4
(ebbp:NonRepudiationInformation), SOAP 1.2, XML Signature (with exclusive C14N's
InclusiveNamespaces) and XML Encryption.

The schemas are compiled by libxml2 from a temporary folder laid out as their imports expect
(never copied into the project). Two schemas are not among the fixtures: the SOAP 1.1 schema
the ebMS schema imports only for ``S11:mustUnderstand``, and XML Encryption 1.1's, used only
for ``xenc11:MGF``; a stub declaring just that stands in for each. phase4's own receipt and error samples validate too, which shows the
schemas are put together right.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pki
import pytest
from as4_support import NOW, make_sbd, trust
from differential import lxml_schema, schema_driver
from lxml import etree

from peppol_dpi import ns
from peppol_dpi.as4 import build_message, receive
from peppol_dpi.as4.mime import parse_message
from peppol_dpi.xmlparse import Element, parse_xml

C2, C3 = pki.ap_key("c2"), pki.ap_key("c3")

# XML Encryption 1.1's schema is not among the fixtures either; RSA-OAEP names its mask
# function with xenc11:MGF, declared here as XML Encryption 1.1 section 5.5.2 declares it.
_XENC11_STUB = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xenc11="http://www.w3.org/2009/xmlenc11#"
           targetNamespace="http://www.w3.org/2009/xmlenc11#" elementFormDefault="qualified">
  <xs:element name="MGF" type="xenc11:MGFType"/>
  <xs:complexType name="MGFType">
    <xs:sequence><xs:element name="Parameters" type="xs:anyType" minOccurs="0"/></xs:sequence>
    <xs:attribute name="Algorithm" type="xs:anyURI" use="required"/>
  </xs:complexType>
</xs:schema>
"""

SOAP11_STUB = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           targetNamespace="http://schemas.xmlsoap.org/soap/envelope/">
  <xs:attribute name="mustUnderstand">
    <xs:simpleType><xs:restriction base="xs:boolean"><xs:pattern value="0|1"/></xs:restriction>
    </xs:simpleType>
  </xs:attribute>
</xs:schema>
"""

# Every namespace the messages use that has an official schema among the fixtures.
_IMPORTS = {
    ns.XML: "w3/xml.xsd",
    "http://www.w3.org/1999/xlink": "w3/xlink.xsd",
    ns.DS: "w3/xmldsig-core-schema.xsd",
    ns.XENC: "w3/xenc-schema.xsd",
    ns.EXC_C14N: "w3/exc-c14n.xsd",
    ns.XENC11: "xenc11.xsd",
    "http://schemas.xmlsoap.org/soap/envelope/": "ebms/soap11.xsd",
    ns.SOAP12: "ebms/soap12.xsd",
    ns.EB: "ebms/ebms-header-3_0-200704.xsd",
    ns.EBBP: "ebms/ebbp-signals-2.0.4.xsd",
}


@pytest.fixture(scope="module")
def schema(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    folder = tmp_path_factory.mktemp("as4-xsd")
    shutil.copytree(shared / "xsd" / "ebms", folder / "ebms")
    shutil.copytree(shared / "xsd" / "w3", folder / "w3")
    (folder / "ebms" / "soap11.xsd").write_text(SOAP11_STUB)
    (folder / "xenc11.xsd").write_text(_XENC11_STUB)
    return lxml_schema(schema_driver(folder, _IMPORTS, "urn:peppol-dpi:test:as4-xsd"))


def _valid(schema: etree.XMLSchema, element: Element) -> None:
    # Each element is checked as the root of a document of its own (xs:any lax would skip it).
    standalone = etree.fromstring(etree.tostring(element))
    assert schema.validate(standalone), (etree.QName(element).localname, schema.error_log)


def _envelope(headers: dict[str, str] | object, body: bytes) -> Element:
    return parse_xml(bytes(parse_message(headers, body).root.body))  # type: ignore[arg-type]


def _every(root: Element, namespace: str, local: str) -> list[Element]:
    found = list(root.iter(f"{{{namespace}}}{local}"))
    assert found, local
    return found


def test_a_built_user_message_is_valid(schema: etree.XMLSchema) -> None:
    headers, body, _ = build_message(
        make_sbd(), key=C2, receiver_cert=C3.certificate, now=NOW, message_id="xsd@c2.test"
    )
    envelope = _envelope(headers, body)
    _valid(schema, envelope)
    for namespace, local in [
        (ns.EB, "Messaging"),
        (ns.DS, "Signature"),
        (ns.XENC, "EncryptedKey"),
        (ns.XENC, "EncryptedData"),
    ]:
        for element in _every(envelope, namespace, local):
            _valid(schema, element)


def _answer(body: bytes) -> Element:
    headers, message, _ = build_message(
        make_sbd(), key=C2, receiver_cert=C3.certificate, now=NOW, message_id="xsd@c2.test"
    )
    reception = receive(headers, body or message, key=C3, trust=trust())
    _, answer_headers, answer = reception.answer(key=C3, now=NOW, message_id="answer@c3.test")
    return _envelope(answer_headers, answer)


def test_a_receipt_is_valid(schema: etree.XMLSchema) -> None:
    envelope = _answer(b"")
    assert _every(envelope, ns.EB, "Receipt")
    _valid(schema, envelope)
    for namespace, local in [
        (ns.EB, "Messaging"),
        (ns.EBBP, "NonRepudiationInformation"),
        (ns.DS, "Signature"),
    ]:
        for element in _every(envelope, namespace, local):
            _valid(schema, element)


def test_an_error_signal_is_valid(schema: etree.XMLSchema) -> None:
    envelope = _answer(b"not a message")
    assert _every(envelope, ns.EB, "Error")
    _valid(schema, envelope)
    for element in _every(envelope, ns.EB, "Messaging"):
        _valid(schema, element)


@pytest.mark.parametrize("name", ["NonRepudiationInformation.xml", "ErrorMessage.xml"])
def test_phase4_samples_are_valid(schema: etree.XMLSchema, shared: Path, name: str) -> None:
    document = parse_xml((shared / "peppol" / "as4" / "phase4-testfiles" / name).read_bytes())
    _valid(schema, document)
    for element in document.iter(f"{{{ns.EB}}}Messaging"):
        _valid(schema, element)


def test_the_schema_refuses_what_ebms_forbids(schema: etree.XMLSchema) -> None:
    headers, body, _ = build_message(
        make_sbd(), key=C2, receiver_cert=C3.certificate, now=NOW, message_id="xsd@c2.test"
    )
    messaging = _every(_envelope(headers, body), ns.EB, "Messaging")[0]
    info = _every(messaging, ns.EB, "MessageInfo")[0]
    info.remove(_every(info, ns.EB, "MessageId")[0])  # ebMS3 5.2.2.1: MessageId is required
    assert not schema.validate(etree.fromstring(etree.tostring(messaging)))

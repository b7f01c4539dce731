"""Attacks on the XML signature core (docs/security.md, section "XML signatures").

Signature wrapping (XSW, Somorovsky et al. 2011/2012) comes in two halves: the core must never
resolve an id ambiguously, and must say which element it verified so the caller can insist that
the element it processes is that one. Here the first half is proved, and the second half's
contract (``VerifiedReference.element``); the AS4 receiver's use of it is tested with the
AS4 parser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable

import pki
import pytest
import signed_samples
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from loopback import listener
from lxml import etree

from peppol_dpi import ns
from peppol_dpi.errors import CertificateError, SignatureError
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.xmldsig import (
    SignaturePolicy,
    Transform,
    VerifiedSignature,
    certificates_in,
    id_attributes,
    verify,
)
from peppol_dpi.xmlparse import Element, c14n, parse_xml

S12, WSU, EB, WSSE, DS = ns.SOAP12, ns.WSU, ns.EB, ns.WSSE, ns.DS

SIGNED_PARTS = signed_samples.SIGNED_PARTS


def _key() -> LocalPrivateKey:
    return pki.ap_key("c2")


def _public(key: LocalPrivateKey | None = None) -> rsa.RSAPublicKey:
    public = (key or _key()).certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    return public


def _signed(
    uris: tuple[str, ...] = SIGNED_PARTS,
    *,
    key: LocalPrivateKey | None = None,
    resolver: Callable[[str], bytes | None] = lambda uri: None,
) -> bytes:
    return signed_samples.signed_soap(uris, key=key, resolver=resolver)


def _verify(document: bytes | Element, **kwargs: object) -> VerifiedSignature:
    root = parse_xml(document) if isinstance(document, bytes) else document
    signature = root.find(f".//{{{DS}}}Signature")
    assert signature is not None
    kwargs.setdefault("public_key", _public())
    return verify(signature, **kwargs)  # type: ignore[arg-type]


def _refused(document: bytes | Element, rule: str, **kwargs: object) -> None:
    with pytest.raises(SignatureError) as err:
        _verify(document, **kwargs)
    assert err.value.rule == rule


def _parts(root: Element) -> tuple[Element, Element, Element]:
    header, body = root[0], root[1]
    security = header.find(f"{{{WSSE}}}Security")
    assert security is not None
    return header, body, security


def _evil_body(wsu_id: str | None = None) -> Element:
    body = etree.Element(f"{{{S12}}}Body")
    if wsu_id is not None:
        body.set(f"{{{WSU}}}Id", wsu_id)
    etree.SubElement(body, "order", amount="1000000")
    return body


def test_the_untouched_message_verifies() -> None:
    result = _verify(_signed())
    root_body = result.reference("#b1")
    assert root_body is not None and root_body.element is not None
    assert root_body.element.tag == f"{{{S12}}}Body"


def _with_key_info_certificate(text: str) -> Element:
    root = parse_xml(_signed())
    signature = root.find(f".//{{{DS}}}Signature")
    assert signature is not None
    for old in signature.findall(f"{{{DS}}}KeyInfo"):
        signature.remove(old)
    key_info = etree.Element(f"{{{DS}}}KeyInfo")
    signature.insert(2, key_info)  # after SignedInfo and SignatureValue (XMLDSig 4.1)
    etree.SubElement(etree.SubElement(key_info, f"{{{DS}}}X509Data"), f"{{{DS}}}X509Certificate").text = text  # fmt: skip
    return parse_xml(etree.tostring(root))


def test_a_key_info_certificate_that_is_none_is_refused_though_the_key_is_given() -> None:
    # KeyInfo is not signed, and the caller gave the key; Santuario (the JDK's verifier,
    # phase4's) unmarshals it anyway and refuses the signature (tests/test_jdk_xmldsig_never_laxer).
    _refused(_with_key_info_certificate("AAAA"), "dsig:malformed")
    der = _key().certificate.public_bytes(serialization.Encoding.DER)
    assert _verify(_with_key_info_certificate(base64.b64encode(der).decode())).references


# -- signature wrapping -----------------------------------------------------------------------


def test_xsw_evil_body_with_the_signed_id_is_refused() -> None:
    # XSW1/2: the signed Body moved into a wrapper, an attacker's Body in its place with the
    # same id: two candidates for "#b1", refused outright.
    root = parse_xml(_signed())
    header, body, _ = _parts(root)
    wrapper = etree.SubElement(header, "Wrapper")
    root.replace(body, _evil_body("b1"))
    wrapper.append(body)
    _refused(root, "dsig:duplicate-id")


@pytest.mark.parametrize(
    "attribute",
    ["Id", "ID", "id", f"{{{ns.XML}}}id", f"{{{WSU}}}Id"],
)
def test_xsw_the_same_id_in_any_id_attribute_is_a_duplicate(attribute: str) -> None:
    root = parse_xml(_signed())
    header, _, _ = _parts(root)
    etree.SubElement(header, "Extra").set(attribute, "b1")
    _refused(root, "dsig:duplicate-id")


@pytest.mark.parametrize("placement", ["wrapper-in-header", "nested-in-evil-body", "in-security"])
def test_xsw_moved_signed_body_is_reported_where_it_really_is(placement: str) -> None:
    # XSW3-8: the signed Body keeps its id but moves (into the header, inside the attacker's
    # Body, into the Security header); the attacker's Body, without an id, takes its place.
    # The digest still matches, so the core must tell the caller *which* element it verified:
    # it is not the one at /Envelope/Body, and a receiver comparing the two refuses it.
    root = parse_xml(_signed())
    header, body, security = _parts(root)
    evil = _evil_body()
    root.replace(body, evil)
    {"wrapper-in-header": etree.SubElement(header, "Wrapper"), "nested-in-evil-body": evil}.get(
        placement, security
    ).append(body)
    result = _verify(root)
    covered = result.reference("#b1")
    assert covered is not None
    assert covered.element is body
    assert covered.element is not root[1]
    assert root[1] is evil


def test_xsw_second_messaging_header_is_not_what_was_verified() -> None:
    # A second, unsigned eb:Messaging: the verified one is the first; an AS4 receiver must
    # refuse more than one Messaging (ebMS3 5.2.2) and use only the verified element.
    root = parse_xml(_signed())
    header, _, _ = _parts(root)
    evil = etree.SubElement(header, f"{{{EB}}}Messaging")
    etree.SubElement(evil, f"{{{EB}}}To").text = "ATTACKER"
    covered = _verify(root).reference("#m1")
    assert covered is not None and covered.element is header[0]
    assert covered.element is not evil


def test_an_id_flood_is_indexed_in_linear_time() -> None:
    # Every AS4 open indexes the envelope's ids before the signature is checked, so this is
    # input from anyone. A union of XPath paths (one per id attribute name) once did it inside
    # libxml2, which merges node sets by comparing every pair and then sorts them into document
    # order: these 36,000 ids took 7 s there (120,000 took over ten minutes), 0.15 s in the
    # walk. A guard against that, not a benchmark.
    flood = "".join(
        f'<e xmlns:wsu="{ns.WSU}" wsu:Id="a{i}"/><e Id="b{i}"/><e ID="c{i}"/>'
        for i in range(12_000)
    )
    root = etree.fromstring(f"<r>{flood}</r>".encode())
    started = time.monotonic()
    found = id_attributes(root)
    assert time.monotonic() - started < 2
    assert len(found) == 36_000


def test_an_id_in_a_foreign_namespace_is_not_an_id() -> None:
    # The signed element's id moved into an attacker's namespace: it is not an id attribute,
    # so the reference resolves to nothing rather than to an element an attacker chose.
    document = _signed().replace(b'wsu:Id="b1"', b'xmlns:x="urn:evil" x:Id="b1"')
    _refused(document, "dsig:unresolved-reference")


def test_an_id_in_a_foreign_namespace_does_not_shadow_the_real_one() -> None:
    root = parse_xml(_signed())
    header, body, _ = _parts(root)
    decoy = _evil_body()
    decoy.set("{urn:evil}Id", "b1")
    header.append(decoy)
    covered = _verify(root).reference("#b1")
    assert covered is not None and covered.element is body


# -- references to other places ---------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:{port}/payload",
        "file:///etc/passwd",
        "#xpointer(/)",
        "#xpointer(id('b1'))",
        "cid:not-there@example",
    ],
)
def test_references_outside_the_document_are_never_fetched(uri: str) -> None:
    with listener() as (url, seen):
        uri = uri.replace("http://127.0.0.1:{port}", url)
        # a genuinely valid signature whose signer supplied the content of that URI
        document = _signed((*SIGNED_PARTS, uri), resolver=lambda _: b"content")
        _refused(document, "dsig:unresolved-reference")
    assert seen == []


@pytest.mark.parametrize(
    "algorithm",
    [
        "http://www.w3.org/TR/1999/REC-xpath-19991116",
        "http://www.w3.org/2002/06/xmldsig-filter2",
        "http://www.w3.org/TR/1999/REC-xslt-19991116",
        "http://www.w3.org/2000/09/xmldsig#base64",
        "http://www.w3.org/2006/12/xml-c14n11#WithComments",
        "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    ],
)
def test_unknown_transforms_are_refused(algorithm: str) -> None:
    document = _signed().replace(b"http://www.w3.org/2001/10/xml-exc-c14n#", algorithm.encode())
    _refused(_resign_rsa(parse_xml(document)), "dsig:algorithm-not-allowed")


def test_transform_chains_are_not_stacked() -> None:
    root = parse_xml(_signed())
    transforms = root.find(f".//{{{DS}}}Transforms")
    assert transforms is not None
    for _ in range(1000):
        etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=Transform.EXCLUSIVE_C14N.value)
    _refused(_resign_rsa(root), "dsig:transform-not-allowed")


def test_more_references_than_the_policy_allows() -> None:
    document = _signed(SIGNED_PARTS * 16)
    _refused(document, "dsig:too-many-references")
    assert len(_verify(document, policy=SignaturePolicy(max_references=32)).references) == 32


# -- algorithm confusion ------------------------------------------------------------------


def _resign(root: Element, method: str, signer: Callable[[bytes], bytes]) -> Element:
    signed_info = root.find(f".//{{{DS}}}SignedInfo")
    value = root.find(f".//{{{DS}}}SignatureValue")
    method_element = root.find(f".//{{{DS}}}SignatureMethod")
    assert signed_info is not None and value is not None and method_element is not None
    method_element.set("Algorithm", method)
    value.text = base64.b64encode(signer(c14n(signed_info))).decode()
    return root


def _resign_rsa(root: Element) -> Element:
    """A valid RSA-SHA256 signature over whatever SignedInfo now says."""
    key = _key().key
    return _resign(
        root,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256()),
    )


@pytest.mark.parametrize(
    "key_bytes",
    [
        lambda: _key().certificate.public_bytes(serialization.Encoding.DER),
        lambda: _key().certificate.public_bytes(serialization.Encoding.PEM),
        lambda: _public().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    ],
    ids=["cert-der", "cert-pem", "spki-pem"],
)
@pytest.mark.parametrize("bits", ["sha1", "sha256"])
def test_hmac_keyed_with_the_public_key_is_refused(
    key_bytes: Callable[[], bytes], bits: str
) -> None:
    # Key confusion: an HMAC "signature" whose secret is the sender's public certificate.
    uri = f"http://www.w3.org/{'2000/09/xmldsig' if bits == 'sha1' else '2001/04/xmldsig-more'}#hmac-{bits}"
    secret = key_bytes()
    root = _resign(
        parse_xml(_signed()),
        uri,
        lambda data: hmac.new(secret, data, getattr(hashlib, bits)).digest(),
    )
    _refused(root, "dsig:algorithm-not-allowed")


def test_rsa_sha1_verifies_only_on_opt_in() -> None:
    key = _key().key
    root = _resign(
        parse_xml(_signed()),
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA1()),
    )
    _refused(root, "dsig:algorithm-not-allowed")
    assert (
        _verify(root, policy=SignaturePolicy().allowing_sha1()).signature_method.name == "RSA_SHA1"
    )


def test_sha1_digest_verifies_only_on_opt_in() -> None:
    root = parse_xml(_signed())
    signed_info = root.find(f".//{{{DS}}}SignedInfo")
    assert signed_info is not None
    for reference in signed_info.iter(f"{{{DS}}}Reference"):
        target = root.xpath(
            f"//*[@wsu:Id='{reference.get('URI', '')[1:]}']", namespaces={"wsu": WSU}
        )
        assert isinstance(target, list)
        reference.find(f"{{{DS}}}DigestMethod").set(  # type: ignore[union-attr]
            "Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1"
        )
        reference.find(f"{{{DS}}}DigestValue").text = base64.b64encode(  # type: ignore[union-attr]
            hashlib.sha1(c14n(target[0])).digest()  # type: ignore[arg-type]
        ).decode()
    root = _resign_rsa(root)
    _refused(root, "dsig:algorithm-not-allowed")
    assert len(_verify(root, policy=SignaturePolicy().allowing_sha1()).references) == 2


def test_rsa_sha256_with_a_raw_public_key_value_still_needs_the_callers_key() -> None:
    # KeyInfo pointing elsewhere: a KeyValue, a RetrievalMethod to a URL, or another party's
    # certificate. The core never takes the key from the message: verify() checks against
    # the key the caller chose (after TrustPolicy validation), and certificates_in() reads
    # only X509Data/X509Certificate.
    attacker = pki.wrong_ca_key()
    document = parse_xml(_signed(key=attacker))
    signature = document.find(f".//{{{DS}}}Signature")
    assert signature is not None
    key_info = etree.SubElement(signature, f"{{{DS}}}KeyInfo")
    etree.SubElement(key_info, f"{{{DS}}}RetrievalMethod", URI="http://127.0.0.1:9/cert")
    assert certificates_in(signature) == []
    _refused(document, "dsig:bad-signature-value")  # against the expected sender's key


def test_a_self_chosen_certificate_verifies_but_is_not_trusted() -> None:
    attacker = pki.wrong_ca_key()
    document = parse_xml(_signed(key=attacker))
    assert len(_verify(document, public_key=_public(attacker)).references) == 2
    with pytest.raises(CertificateError) as err:
        pki.peppol_trust().validate(attacker.certificate, chain=attacker.chain)
    assert err.value.rule == "cert:untrusted"


# -- content tricks inside signed parts ---------------------------------------------------


def test_comment_in_signed_text_keeps_the_signature_and_the_whole_text() -> None:
    document = _signed().replace(b"<eb:To>POP000002</eb:To>", b"<eb:To>POP<!---->000002</eb:To>")
    covered = _verify(document).reference("#m1")
    assert covered is not None and covered.element is not None
    assert covered.element.findtext(f"{{{EB}}}To") == "POP000002"


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda d: d.replace(b"POP000002", b"POP<?x?>000002"), "dsig:digest-mismatch"),
        (lambda d: d.replace(b"<eb:To>", b"<eb:To><![CDATA[]]>"), None),  # CDATA is only syntax
        (lambda d: d.replace(b'amount="10"', b'amount="10" extra=""'), "dsig:digest-mismatch"),
        (lambda d: d.replace(b"<order ", b'<order xmlns="urn:new" '), "dsig:digest-mismatch"),
        (
            lambda d: d.replace(b'xmlns:eb="', b'xmlns:eb="urn:evil" xmlns:x="'),
            "dsig:digest-mismatch",
        ),
    ],
    ids=["pi", "empty-cdata", "attribute", "default-namespace", "rebound-prefix"],
)
def test_content_tricks_in_signed_parts(mutate: Callable[[bytes], bytes], rule: str | None) -> None:
    document = mutate(_signed())
    if rule is None:
        assert len(_verify(document).references) == 2
    else:
        _refused(document, rule)


def test_a_signature_value_that_is_not_base64() -> None:
    root = parse_xml(_signed())
    value = root.find(f".//{{{DS}}}SignatureValue")
    assert value is not None
    value.text = "not base64!"
    _refused(root, "dsig:malformed")

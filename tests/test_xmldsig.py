"""The XML signature core: round trips, strictness, and independent oracles (signxml, real SMP samples)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import signxml
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from xml_support import MARKUP_TEXT

from peppol_dpi import ns
from peppol_dpi.errors import SignatureError, UsageError
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.xmldsig import (
    C14nMethod,
    DigestMethod,
    ReferenceSpec,
    SignatureMethod,
    SignaturePolicy,
    SignedInfoSpec,
    Transform,
    certificates_in,
    complete_signature,
    id_attributes,
    sign,
    signature_xml,
    signed_info_xml,
    verify,
)
from peppol_dpi.xmlparse import c14n, parse_xml, to_bytes


@pytest.fixture(scope="module")
def key() -> LocalPrivateKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xmldsig test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(private, hashes.SHA256())
    )
    return LocalPrivateKey(key=private, certificate=cert)


def _x509_key_info(cert: x509.Certificate, prefix: str | None = "ds") -> etree._Element:
    key_info = etree.Element(f"{{{ns.DS}}}KeyInfo", nsmap={prefix: ns.DS})  # type: ignore[dict-item]
    data = etree.SubElement(key_info, f"{{{ns.DS}}}X509Data")
    etree.SubElement(data, f"{{{ns.DS}}}X509Certificate").text = base64.b64encode(
        cert.public_bytes(Encoding.DER)
    ).decode()
    return key_info


SOAP = (
    b'<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">'
    b'<S12:Header><eb:Messaging xmlns:eb="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/" '
    b'wsu:Id="m1"><eb:X>1</eb:X></eb:Messaging>'
    b'<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"/>'
    b'</S12:Header><S12:Body wsu:Id="b1"/></S12:Envelope>'
)


def _sign_soap(key: LocalPrivateKey, attachment: bytes = b"gzip-bytes") -> bytes:
    root = parse_xml(SOAP)
    security = root.find(f"{{{ns.SOAP12}}}Header/{{{ns.WSSE}}}Security")
    assert security is not None
    sign(
        parent=security,
        references=[
            ReferenceSpec(
                uri="#m1", transforms=(Transform.EXCLUSIVE_C14N,), inclusive_prefixes=("S12",)
            ),
            ReferenceSpec(
                uri="#b1", transforms=(Transform.EXCLUSIVE_C14N,), inclusive_prefixes=("S12",)
            ),
            ReferenceSpec(uri="cid:a@x", transforms=(Transform.SWA_CONTENT_SIGNATURE,)),
        ],
        key=key,
        c14n_prefixes=("S12",),
        key_info=_x509_key_info(key.certificate),
        resolver=lambda uri: attachment if uri == "cid:a@x" else None,
    )
    return to_bytes(root)


def _signature(root: etree._Element) -> etree._Element:
    found = root.find(f".//{{{ns.DS}}}Signature")
    assert found is not None
    return found


def test_soap_round_trip_returns_what_was_verified(key: LocalPrivateKey) -> None:
    signed = parse_xml(_sign_soap(key))
    result = verify(
        _signature(signed),
        public_key=key.certificate.public_key(),  # type: ignore[arg-type]
        resolver=lambda uri: b"gzip-bytes" if uri == "cid:a@x" else None,
    )
    assert [r.uri for r in result.references] == ["#m1", "#b1", "cid:a@x"]
    messaging = result.reference("#m1")
    assert messaging is not None and messaging.element is not None
    assert messaging.element.tag == f"{{{ns.EB}}}Messaging"
    assert result.c14n_method is C14nMethod.EXCLUSIVE


def test_signxml_verifies_our_xml_references(key: LocalPrivateKey) -> None:
    signed = _sign_soap(key)
    pem = key.certificate.public_bytes(Encoding.PEM).decode()
    config = signxml.SignatureConfiguration(
        location=f"./{{{ns.SOAP12}}}Header/{{{ns.WSSE}}}Security/", expect_references=3
    )
    results = signxml.XMLVerifier().verify(
        signed,
        x509_cert=pem,
        validate_schema=False,
        uri_resolver=lambda uri: b"gzip-bytes",
        expect_config=config,
    )
    assert len(results) == 3


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda b: b.replace(b"<eb:X>1</eb:X>", b"<eb:X>2</eb:X>"), "dsig:digest-mismatch"),
        (
            lambda b: b.replace(b'wsu:Id="b1"/>', b'wsu:Id="b1"><x/></S12:Body>').replace(
                b"</S12:Body></S12:Body>", b"</S12:Body>"
            ),
            "dsig:digest-mismatch",
        ),
        (
            lambda b: b.replace(
                b"</S12:Header>", b'<eb:Messaging xmlns:eb="urn:x" wsu:Id="m1"/></S12:Header>'
            ),
            "dsig:duplicate-id",
        ),
        (
            lambda b: b.replace(b"xmldsig-more#rsa-sha256", b"xmldsig-more#rsa-sha512"),
            "dsig:bad-signature-value",
        ),
        (
            lambda b: b.replace(b"xmldsig-more#rsa-sha256", b"xmldsig#hmac-sha1"),
            "dsig:algorithm-not-allowed",
        ),
        (lambda b: b.replace(b"xmlenc#sha256", b"xmldsig#sha1", 1), "dsig:algorithm-not-allowed"),
        (lambda b: b.replace(b'URI="#m1"', b'URI="#nowhere"'), "dsig:unresolved-reference"),
    ],
)
def test_tampering_is_detected(key: LocalPrivateKey, mutate, rule: str) -> None:  # type: ignore[no-untyped-def]
    tampered = parse_xml(mutate(_sign_soap(key)))
    with pytest.raises(SignatureError) as info:
        verify(
            _signature(tampered),
            public_key=key.certificate.public_key(),  # type: ignore[arg-type]
            resolver=lambda uri: b"gzip-bytes" if uri == "cid:a@x" else None,
        )
    assert info.value.rule == rule


def test_tampered_attachment(key: LocalPrivateKey) -> None:
    signed = parse_xml(_sign_soap(key))
    with pytest.raises(SignatureError) as info:
        verify(
            _signature(signed),
            public_key=key.certificate.public_key(),
            resolver=lambda uri: b"other",
        )  # type: ignore[arg-type]
    assert info.value.rule == "dsig:digest-mismatch"


def test_enveloped_whole_document_with_whitespace(key: LocalPrivateKey) -> None:
    root = parse_xml(b"<doc>\n  <a>1</a>\n  <b>2</b>\n</doc>")
    sign(
        parent=root,
        insert_before=root[1],
        references=[
            ReferenceSpec(
                uri="", transforms=(Transform.ENVELOPED_SIGNATURE, Transform.INCLUSIVE_C14N)
            )
        ],
        key=key,
        c14n_method=C14nMethod.INCLUSIVE,
        key_info=_x509_key_info(key.certificate),
    )
    # The whitespace before <b> now moves from after <a> to after the Signature: the enveloped
    # transform leaves that text in place, so the document still verifies only if the text
    # after the Signature (lxml's tail) is kept when the Signature is cut out.
    root[0].tail, root[1].tail = None, "\n  "
    data = to_bytes(root)
    reparsed = parse_xml(data)
    result = verify(
        _signature(reparsed), public_key=certificates_in(_signature(reparsed))[0].public_key()
    )  # type: ignore[arg-type]
    assert result.references[0].uri == ""
    assert to_bytes(reparsed) == data  # verification leaves the document as it was

    signxml.XMLVerifier().verify(
        data, x509_cert=key.certificate.public_bytes(Encoding.PEM).decode()
    )


def test_default_namespace_signature_xades_style(key: LocalPrivateKey) -> None:
    root = parse_xml(b'<XAdESSignatures xmlns="http://uri.etsi.org/02918/v1.2.1#"/>')
    props = etree.Element(f"{{{ns.XADES}}}SignedProperties", nsmap={None: ns.XADES}, Id="SP")  # type: ignore[dict-item]
    etree.SubElement(props, f"{{{ns.XADES}}}SigningTime").text = "2026-01-01T00:00:00Z"
    sign(
        parent=root,
        prefix=None,
        signature_id="Signature",
        references=[
            ReferenceSpec(uri="doc.txt", id="ID_0"),
            ReferenceSpec(
                uri="#SP",
                transforms=(Transform.INCLUSIVE_C14N,),
                type="http://uri.etsi.org/01903#SignedProperties",
            ),
        ],
        c14n_method=C14nMethod.INCLUSIVE,
        key=key,
        key_info=_x509_key_info(key.certificate, prefix=None),
        objects=[props],
        resolver=lambda uri: b"hello" if uri == "doc.txt" else None,
    )
    data = to_bytes(root)
    assert b"<Signature " in data and b"<ds:" not in data
    reparsed = parse_xml(data)
    result = verify(
        _signature(reparsed),
        public_key=key.certificate.public_key(),  # type: ignore[arg-type]
        resolver=lambda uri: b"hello" if uri == "doc.txt" else None,
    )
    assert [r.uri for r in result.references] == ["doc.txt", "#SP"]


def test_sha1_only_on_opt_in(shared) -> None:  # type: ignore[no-untyped-def]
    # The real SMP sample from peppol-commons (signed by a 2019-era SMP certificate).
    data = (shared / "peppol/smp/signed-service-metadata2.xml").read_bytes()
    root = parse_xml(data)
    signature = _signature(root)
    cert = certificates_in(signature)[0]
    declared = signature.find(f"{{{ns.DS}}}SignedInfo/{{{ns.DS}}}SignatureMethod")
    assert declared is not None
    result_policy = SignaturePolicy()
    if declared.get("Algorithm", "").endswith("rsa-sha1"):
        with pytest.raises(SignatureError):
            verify(signature, public_key=cert.public_key(), policy=result_policy)  # type: ignore[arg-type]
        result_policy = result_policy.allowing_sha1()
    result = verify(signature, public_key=cert.public_key(), policy=result_policy)  # type: ignore[arg-type]
    assert result.references[0].uri == ""


def test_real_smp_sample_reindented_is_refused(shared) -> None:  # type: ignore[no-untyped-def]
    data = (shared / "peppol/smp/signed-service-metadata1-BAD.xml").read_bytes()
    signature = _signature(parse_xml(data))
    cert = certificates_in(signature)[0]
    with pytest.raises(SignatureError):
        verify(signature, public_key=cert.public_key(), policy=SignaturePolicy().allowing_sha1())  # type: ignore[arg-type]


def test_digest_method_values() -> None:
    assert DigestMethod.SHA256.digest(b"") == bytes.fromhex(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_unresolved_external_reference_only_on_opt_in(key: LocalPrivateKey) -> None:
    signed = parse_xml(_sign_soap(key))
    public_key = key.certificate.public_key()
    with pytest.raises(SignatureError) as info:
        verify(_signature(signed), public_key=public_key)  # type: ignore[arg-type]
    assert info.value.rule == "dsig:unresolved-reference"
    lenient = SignaturePolicy(allow_unresolved_external=True)
    result = verify(_signature(signed), public_key=public_key, policy=lenient)  # type: ignore[arg-type]
    assert [(r.uri, r.digest_checked) for r in result.references] == [
        ("#m1", True),
        ("#b1", True),
        ("cid:a@x", False),
    ]
    # Same-document references are still checked, and the signature value too.
    tampered = parse_xml(_sign_soap(key).replace(b"<eb:X>1</eb:X>", b"<eb:X>2</eb:X>"))
    with pytest.raises(SignatureError):
        verify(_signature(tampered), public_key=public_key, policy=lenient)  # type: ignore[arg-type]
    broken = parse_xml(_sign_soap(key).replace(b'URI="#m1"', b'URI="#nowhere"'))
    with pytest.raises(SignatureError) as info:
        verify(_signature(broken), public_key=public_key, policy=lenient)  # type: ignore[arg-type]
    assert info.value.rule == "dsig:unresolved-reference"


def test_signing_a_tree_built_with_the_element_api(key: LocalPrivateKey) -> None:
    # lxml's exclusive C14N drops InclusiveNamespaces prefixes declared on ancestors of a
    # subtree built with the element API; sign() must still produce what a verifier computes.
    s12 = "http://www.w3.org/2003/05/soap-envelope"
    envelope = etree.Element(f"{{{s12}}}Envelope", nsmap={"S12": s12})
    header = etree.SubElement(envelope, f"{{{s12}}}Header")
    security = etree.SubElement(header, f"{{{ns.WSSE}}}Security", nsmap={"wsse": ns.WSSE})
    messaging = etree.SubElement(
        header, f"{{{ns.EB}}}Messaging", nsmap={"eb": ns.EB, "wsu": ns.WSU}
    )
    messaging.set(f"{{{ns.WSU}}}Id", "m1")
    sign(
        parent=security,
        references=[
            ReferenceSpec(
                uri="#m1", transforms=(Transform.EXCLUSIVE_C14N,), inclusive_prefixes=("S12",)
            )
        ],
        key=key,
        c14n_prefixes=("S12",),
        key_info=_x509_key_info(key.certificate),
    )
    parsed = parse_xml(to_bytes(envelope))
    result = verify(_signature(parsed), public_key=key.certificate.public_key())  # type: ignore[arg-type]
    assert [r.uri for r in result.references] == ["#m1"]


def test_template_written_as_text_and_completed_in_place(key: LocalPrivateKey) -> None:
    # signature_xml + complete_signature: what the AS4 writer uses. The result verifies, and
    # the digests returned are the ones written into the document.
    spec = SignedInfoSpec(
        references=(
            ReferenceSpec(
                uri="#m1", transforms=(Transform.EXCLUSIVE_C14N,), inclusive_prefixes=("S12",)
            ),
        ),
        c14n_prefixes=("S12",),
    )
    template = signature_xml(spec, signature_id="S-1")
    s12 = "http://www.w3.org/2003/05/soap-envelope"
    document = (
        f'<S12:Envelope xmlns:S12="{s12}"><S12:Header><eb:Messaging xmlns:eb="{ns.EB}"'
        f' xmlns:wsu="{ns.WSU}" wsu:Id="m1"><eb:X>1</eb:X></eb:Messaging>{template}'
        "</S12:Header></S12:Envelope>"
    )
    root = parse_xml(document.encode())
    signature = _signature(root)
    assert signature.get("Id") == "S-1"
    digests = complete_signature(signature, spec, key=key)
    result = verify(
        _signature(parse_xml(to_bytes(root))),
        public_key=key.certificate.public_key(),  # type: ignore[arg-type]
    )
    assert [r.digest_value for r in result.references] == list(digests)
    assert result.references[0].element is not None
    assert result.references[0].element.tag == f"{{{ns.EB}}}Messaging"


def test_complete_signature_refuses_a_template_of_another_spec(key: LocalPrivateKey) -> None:
    one = SignedInfoSpec(references=(ReferenceSpec(uri="#a"),))
    two = SignedInfoSpec(references=(ReferenceSpec(uri="#a"), ReferenceSpec(uri="#b")))
    root = parse_xml(f'<r><x Id="a"/>{signature_xml(one)}</r>'.encode())
    with pytest.raises(UsageError):
        complete_signature(_signature(root), two, key=key)
    with pytest.raises(UsageError):
        SignedInfoSpec(references=())
    with pytest.raises(UsageError):
        SignedInfoSpec(references=one.references, signature_method=SignatureMethod.RSA_SHA1)


def test_template_values_are_escaped(key: LocalPrivateKey) -> None:
    spec = SignedInfoSpec(references=(ReferenceSpec(uri='cid:a&b<"c">', id="r\t1"),))
    root = parse_xml(signature_xml(spec).encode())
    reference = root.find(f"{{{ns.DS}}}SignedInfo/{{{ns.DS}}}Reference")
    assert reference is not None
    assert reference.get("URI") == 'cid:a&b<"c">'
    assert reference.get("Id") == "r\t1"


def _signature_with_certificates(*texts: str | None) -> etree._Element:
    signature = etree.Element(f"{{{ns.DS}}}Signature", nsmap={"ds": ns.DS})
    data = etree.SubElement(
        etree.SubElement(signature, f"{{{ns.DS}}}KeyInfo"), f"{{{ns.DS}}}X509Data"
    )
    for text in texts:
        etree.SubElement(data, f"{{{ns.DS}}}X509Certificate").text = text
    return signature


def test_certificates_in_serves_a_known_text_from_cache_and_still_refuses_others(
    key: LocalPrivateKey,
) -> None:
    der = key.certificate.public_bytes(Encoding.DER)
    text = base64.b64encode(der).decode()
    wrapped = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    first = certificates_in(_signature_with_certificates(text, wrapped))
    assert first == [key.certificate, key.certificate]
    again = certificates_in(_signature_with_certificates(text))
    assert again[0] is first[0]  # the same text: decoded once
    # What the cache has never held is read the whole way, and refused as before.
    truncated = base64.b64encode(der[:-1]).decode()
    for bad in (text + "!", text[:-4], truncated, "", None):
        with pytest.raises(SignatureError) as caught:
            certificates_in(_signature_with_certificates(text, bad))
        assert caught.value.rule == "dsig:malformed"


@pytest.mark.parametrize("method", list(DigestMethod))
def test_each_digest_method_is_the_hash_it_names(method: DigestMethod) -> None:
    assert method.digest(b"abc") == hashlib.new(method.name.lower(), b"abc").digest()


@pytest.mark.parametrize("method", list(SignatureMethod))
def test_each_signature_method_hashes_with_the_hash_it_names(method: SignatureMethod) -> None:
    assert method.hash.name == method.name.removeprefix("RSA_")
    assert method.hash.algorithm().name == method.hash.value


# -- SignedInfo written in canonical form --------------------------------------------------------

_REFERENCES = st.builds(
    ReferenceSpec,
    uri=MARKUP_TEXT,
    transforms=st.lists(st.sampled_from(list(Transform)), max_size=2).map(tuple),
    digest_method=st.sampled_from([DigestMethod.SHA256, DigestMethod.SHA512]),
    inclusive_prefixes=st.lists(st.from_regex(r"[a-z]{1,3}", fullmatch=True), max_size=2).map(
        tuple
    ),
    type=st.none() | MARKUP_TEXT,
    id=st.none() | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True),
)


@given(
    references=st.lists(_REFERENCES, min_size=1, max_size=3),
    method=st.sampled_from([C14nMethod.EXCLUSIVE, C14nMethod.INCLUSIVE]),
    prefixes=st.lists(st.from_regex(r"[a-z]{1,3}", fullmatch=True), max_size=2),
    default_namespace=st.booleans(),
)
def test_signed_info_is_written_in_its_canonical_form(
    references: list[ReferenceSpec],
    method: C14nMethod,
    prefixes: list[str],
    default_namespace: bool,
) -> None:
    # What a writer that signs without a parse relies on (AS4, XAdES): with the declarations
    # its canonicalization renders on the apex, the text is libxml2's C14N of the parsed element.
    spec = SignedInfoSpec(references=tuple(references), c14n_method=method, c14n_prefixes=prefixes)
    digests = [hashlib.sha256(r.uri.encode()).digest() for r in references]
    prefix = None if default_namespace else "ds"
    signature = parse_xml(signature_xml(spec, prefix=prefix, digests=digests).encode())
    signed_info = signature[0]
    expected = c14n(
        signed_info,
        exclusive=method is C14nMethod.EXCLUSIVE,
        inclusive_prefixes=tuple(prefixes),
    )
    written = signed_info_xml(
        spec, digests=digests, prefix=prefix, namespaces={prefix or "": ns.DS}
    )
    assert written.encode() == expected


# -- the id index ------------------------------------------------------------------------------

_ID_NAMES = (f"{{{ns.WSU}}}Id", "Id", "ID", "id", f"{{{ns.XML}}}id")
#: Attribute names an id index must see, and look-alikes it must not (another namespace's Id).
_ATTRIBUTE_NAMES = (*_ID_NAMES, "{urn:other}Id", "name", "iD")
_ID_TREES = st.recursive(
    st.builds(
        lambda attributes: (attributes, []),
        st.dictionaries(st.sampled_from(_ATTRIBUTE_NAMES), st.sampled_from("xyz"), max_size=3),
    ),
    lambda kids: st.builds(
        lambda attributes, children: (attributes, children),
        st.dictionaries(st.sampled_from(_ATTRIBUTE_NAMES), st.sampled_from("xyz"), max_size=3),
        st.lists(kids, max_size=4),
    ),
    max_leaves=15,
)


def _id_tree(tree: tuple[dict[str, str], list[object]]) -> etree._Element:
    attributes, children = tree
    element = etree.Element("e", attrib=attributes)
    element.extend(_id_tree(child) for child in children)  # type: ignore[arg-type]
    return element


@given(_ID_TREES)
def test_the_id_index_finds_every_id_attribute_in_document_order(
    tree: tuple[dict[str, str], list[object]],
) -> None:
    root = _id_tree(tree)
    expected: dict[str, list[tuple[str, object]]] = {}
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in _ID_NAMES:
                expected.setdefault(value, []).append((name, element))
    found = id_attributes(root)
    assert found == expected
    assert all(type(value) is str for value in found)
    # Below the root only that subtree is indexed.
    for child in root:
        assert all(
            child is element or element in child.iterdescendants()
            for entries in id_attributes(child).values()
            for _, element in entries
        )

"""Refusals of the XML signature core (signing and verifying) no other test drove, each held to
the exact error class and rule."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pki
import pytest
import signed_samples
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from peppol_dpi import ns
from peppol_dpi.as4.wss_verify import AS4_SIGNATURE_POLICY
from peppol_dpi.errors import (
    EbmsError,
    SignatureError,
    UsageError,
)
from peppol_dpi.xmldsig import (
    C14nMethod,
    ReferenceSpec,
    SignaturePolicy,
    SignedInfoSpec,
    Transform,
    complete_signature,
    sign,
    signed_info_xml,
    verify,
)
from peppol_dpi.xmlparse import Element, c14n, parse_xml, to_bytes

C2, C3 = pki.ap_key("c2"), pki.ap_key("c3")
S12, WSSE, DS = ns.SOAP12, ns.WSSE, ns.DS

# With counter_ids() the ids of a built message are fixed: the receiver's token X509-id-0002,
# EncryptedKey EK-id-0003, EncryptedData ED-id-0004, Messaging phase4-msg-id-0005, Body
# id-id-0006, the signer's token X509-id-0007; the attachment is cid:att-id-0001@peppol-dpi.


# -- the XML signature core -------------------------------------------------------------------


def _public_key():  # type: ignore[no-untyped-def]
    return C2.certificate.public_key()


def _resign(root: Element) -> Element:
    """A valid RSA-SHA256 signature by C2 over whatever SignedInfo now says (exclusive C14N
    without prefixes, as :func:`sign` writes it by default)."""
    signed_info = root.find(f".//{{{DS}}}SignedInfo")
    value = root.find(f".//{{{DS}}}SignatureValue")
    assert signed_info is not None and value is not None
    signature = C2.key.sign(c14n(signed_info), padding.PKCS1v15(), hashes.SHA256())
    value.text = base64.b64encode(signature).decode()
    return root


def _enveloped(document: bytes = b"<root><a>text</a></root>", **kw: object) -> Element:
    """``document`` with an enveloped signature over all of it (URI "", XMLDSig 6.6.4)."""
    root = parse_xml(document)
    sign(
        parent=root,
        references=[
            ReferenceSpec(
                uri="", transforms=(Transform.ENVELOPED_SIGNATURE, Transform.EXCLUSIVE_C14N)
            )
        ],
        key=C2,
        **kw,  # type: ignore[arg-type]
    )
    return parse_xml(to_bytes(root))


def _signature(root: Element) -> Element:
    signature = root.find(f".//{{{DS}}}Signature")
    assert signature is not None
    return signature


def test_text_after_an_enveloped_first_child_signature_stays_in_the_digest() -> None:
    # XMLDSig 6.6.4: the enveloped transform removes the Signature element only, not the text
    # after it. Signed with the text before the signature, verified with it after: the same
    # octets; and the document is left as it was.
    root = parse_xml(b"<root>tail<a>text</a></root>")
    sign(
        parent=root,
        insert_before=root[0],
        references=[
            ReferenceSpec(
                uri="", transforms=(Transform.ENVELOPED_SIGNATURE, Transform.EXCLUSIVE_C14N)
            )
        ],
        key=C2,
    )
    moved = to_bytes(root).replace(b"<root>tail<ds:Signature", b"<root><ds:Signature")
    moved = moved.replace(b"</ds:Signature><a>", b"</ds:Signature>tail<a>")
    document = parse_xml(moved)
    assert document.text is None and _signature(document).tail == "tail"
    result = verify(_signature(document), public_key=_public_key())
    assert [r.uri for r in result.references] == [""]
    assert to_bytes(document) == to_bytes(parse_xml(moved))


def test_a_signature_that_is_the_whole_document_never_verifies() -> None:
    # Its enveloped reference to "" would leave nothing: not even the digest of no octets
    # is accepted (the signature is canonicalized with itself, which can never match).
    standalone = parse_xml(to_bytes(_signature(_enveloped())))
    digest = standalone.find(f".//{{{DS}}}DigestValue")
    assert digest is not None
    digest.text = base64.b64encode(hashlib.sha256(b"").digest()).decode()
    with pytest.raises(SignatureError) as info:
        verify(_resign(standalone), public_key=_public_key())
    assert info.value.rule == "dsig:digest-mismatch"


DOCUMENT = f'<root xmlns:wsu="{ns.WSU}"><a wsu:Id="a1">text</a></root>'.encode()


@pytest.mark.parametrize(
    ("reference", "rule"),
    [
        (
            ReferenceSpec(uri="#missing", transforms=(Transform.EXCLUSIVE_C14N,)),
            "dsig:unresolved-reference",
        ),
        (
            ReferenceSpec(uri="cid:a@x", transforms=(Transform.EXCLUSIVE_C14N,)),
            "dsig:transform-not-allowed",
        ),
        (
            ReferenceSpec(uri="#a1", transforms=(Transform.SWA_CONTENT_SIGNATURE,)),
            "dsig:transform-not-allowed",
        ),
        (
            ReferenceSpec(
                uri="#a1", transforms=(Transform.ENVELOPED_SIGNATURE, Transform.EXCLUSIVE_C14N)
            ),
            "dsig:transform-not-allowed",
        ),
        (
            ReferenceSpec(uri="", transforms=(Transform.EXCLUSIVE_C14N,)),
            "dsig:transform-not-allowed",
        ),
    ],
    ids=[
        "unresolved-id",
        "c14n-of-binary-content",
        "attachment-transform-on-xml",
        "enveloped-outside-the-signature",
        "reference-covering-its-own-signature",
    ],
)
def test_references_whose_input_cannot_be_computed_are_refused(
    reference: ReferenceSpec, rule: str
) -> None:
    root = parse_xml(DOCUMENT)
    with pytest.raises(SignatureError) as info:
        sign(
            parent=root,
            references=[reference],
            key=C2,
            resolver=lambda uri: b"binary" if uri.startswith("cid:") else None,
        )
    assert info.value.rule == rule


def test_signing_helpers_refuse_mismatched_templates() -> None:
    spec = SignedInfoSpec(references=(ReferenceSpec(uri="#a1"),))
    with pytest.raises(UsageError):
        signed_info_xml(spec, digests=())
    with pytest.raises(UsageError):
        complete_signature(etree.Element(f"{{{DS}}}Signature"), spec, key=C2)


def test_a_signed_object_built_in_place_verifies() -> None:
    # XMLDSig 4.5: ds:Object content referenced by id; an ObjectBuilder builds it in place.
    root = parse_xml(DOCUMENT)

    def build(container: Element) -> None:
        etree.SubElement(container, "props", Id="o1").text = "signed"

    sign(
        parent=root,
        references=[ReferenceSpec(uri="#o1", transforms=(Transform.EXCLUSIVE_C14N,))],
        key=C2,
        objects=[build],
    )
    document = parse_xml(to_bytes(root))
    result = verify(_signature(document), public_key=_public_key())
    covered = result.references[0].element
    assert covered is not None and (covered.tag, covered.text) == ("props", "signed")
    assert covered.getparent().tag == f"{{{DS}}}Object"  # type: ignore[union-attr]


def _signed_soap() -> Element:
    return parse_xml(signed_samples.signed_soap(signed_samples.SIGNED_PARTS))


def _first_reference(root: Element) -> Element:
    reference = root.find(f".//{{{DS}}}Reference")
    assert reference is not None
    return reference


def _drop_signed_info(root: Element) -> Element:
    signature = _signature(root)
    signature.remove(signature[0])
    return root


def _drop_references(root: Element) -> Element:
    signed_info = _signature(root)[0]
    for reference in signed_info.findall(f"{{{DS}}}Reference"):
        signed_info.remove(reference)
    return root


def _drop_uri(root: Element) -> Element:
    del _first_reference(root).attrib["URI"]
    return root


def _foreign_transform(root: Element) -> Element:
    transforms = _first_reference(root).find(f"{{{DS}}}Transforms")
    assert transforms is not None
    # The one Transform, renamed: its Algorithm alone must not make it one.
    transforms[0].tag = f"{{{DS}}}Other"
    return _resign(root)


def _transform_parameter(root: Element) -> Element:
    transform = root.find(
        f".//{{{DS}}}Transform[@Algorithm='{Transform.ENVELOPED_SIGNATURE.value}']"
    )
    assert transform is not None
    etree.SubElement(transform, "parameter")
    return root


VERIFYING: dict[str, tuple[Callable[[], Element], dict[str, object], str]] = {
    "no SignedInfo": (lambda: _drop_signed_info(_signed_soap()), {}, "dsig:malformed"),
    "no Reference": (lambda: _drop_references(_signed_soap()), {}, "dsig:malformed"),
    "Reference without URI": (lambda: _drop_uri(_signed_soap()), {}, "dsig:malformed"),
    "foreign element in Transforms": (
        lambda: _foreign_transform(_signed_soap()),
        {},
        "dsig:malformed",
    ),
    "inclusive C14N under the AS4 policy": (
        lambda: _enveloped(c14n_method=C14nMethod.INCLUSIVE),
        {"policy": AS4_SIGNATURE_POLICY},
        "dsig:algorithm-not-allowed",
    ),
    "enveloped transform under the AS4 policy": (
        _enveloped,
        {"policy": AS4_SIGNATURE_POLICY},
        "dsig:transform-not-allowed",
    ),
    "a parameter on the enveloped transform": (
        lambda: _transform_parameter(_enveloped()),
        {},
        "dsig:transform-not-allowed",
    ),
    "an EC public key": (_signed_soap, {"public_key": "ec"}, "dsig:algorithm-not-allowed"),
}


@pytest.mark.parametrize("case", sorted(VERIFYING))
def test_malformed_or_disallowed_signatures_are_refused(case: str) -> None:
    make, options, rule = VERIFYING[case]
    kwargs = {"public_key": _public_key(), **options}
    if kwargs["public_key"] == "ec":
        kwargs["public_key"] = pki.ec_certificate().public_key()
    with pytest.raises(SignatureError) as info:
        verify(_signature(make()), **kwargs)  # type: ignore[arg-type]
    assert (info.value.rule, info.value.ebms_code) == (rule, EbmsError.FAILED_AUTHENTICATION)


def test_verify_takes_a_signature_element() -> None:
    with pytest.raises(UsageError):
        verify(_signed_soap(), public_key=_public_key())


def test_a_reference_without_uri_is_the_whole_document_when_the_policy_allows_it() -> None:
    # XMLDSig 4.4.3.1: a missing URI is for the application to resolve; here it opts in.
    root = _resign(_drop_uri(_enveloped()))
    result = verify(
        _signature(root), public_key=_public_key(), policy=SignaturePolicy(require_uri=False)
    )
    assert [r.uri for r in result.references] == [""] and result.references[0].element is root

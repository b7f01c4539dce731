"""The XMLDSig content model: which children a signature's elements have, in which order.

XML Signature Syntax and Processing 1.1, sections 4.1-4.4.3 (and its schema): ``Signature`` is
``SignedInfo, SignatureValue, KeyInfo?, Object*``; ``SignedInfo`` is
``CanonicalizationMethod, SignatureMethod, Reference+``; ``Reference`` is
``Transforms?, DigestMethod, DigestValue``; ``Transforms`` is ``Transform+``; all of them
element-only. A verifier that looks its children up by name, taking the first, accepts a
second ``SignatureMethod``, ``DigestValue`` or ``SignedInfo`` that another verifier (xmlsec,
Santuario) refuses or reads instead: two readers, two answers about one signature. Each
function here returns the parts of one element after checking its whole content, and raises
``dsig:malformed`` otherwise. Processing instructions are allowed anywhere (XML 1.0 2.6); the
parser has dropped comments.
"""

from __future__ import annotations

from .. import ns
from ..errors import SignatureError
from ..xmlparse import Element
from ..xmltext import XML_SPACE, xml_tokens

__all__ = [
    "check_unsigned_parts",
    "inclusive_prefixes",
    "reference_parts",
    "refuse_parameters",
    "signature_parts",
    "signed_info_parts",
]


def _ds(local: str) -> str:
    return f"{{{ns.DS}}}{local}"


_SIGNED_INFO, _SIGNATURE_VALUE, _KEY_INFO, _OBJECT = map(
    _ds, ("SignedInfo", "SignatureValue", "KeyInfo", "Object")
)
_C14N_METHOD, _SIGNATURE_METHOD, _REFERENCE = map(
    _ds, ("CanonicalizationMethod", "SignatureMethod", "Reference")
)
_TRANSFORMS, _TRANSFORM, _DIGEST_METHOD, _DIGEST_VALUE = map(
    _ds, ("Transforms", "Transform", "DigestMethod", "DigestValue")
)
_INCLUSIVE_NAMESPACES = f"{{{ns.EXC_C14N}}}InclusiveNamespaces"


def _malformed(what: str, model: str) -> SignatureError:
    return SignatureError(f"{what} must hold {model} (XMLDSig 1.1 4)", rule="dsig:malformed")


def _elements(parent: Element, what: str, model: str) -> list[Element]:
    """The element children of ``parent``, which holds no text but XML white space (XML 1.0
    3.2.1 element content; U+00A0 and the other spaces of Unicode are text there)."""
    # (Runs a dozen times per verified signature, half of them on an empty algorithm element:
    # one loop that reads each child's tail and tag once.)
    text = parent.text
    if text and text.strip(XML_SPACE):
        raise _malformed(what, model)
    children = list(parent)
    instructions = False
    for child in children:
        tail = child.tail
        if tail and tail.strip(XML_SPACE):
            raise _malformed(what, model)
        if not isinstance(child.tag, str):
            instructions = True
    if not instructions:
        return children
    # Processing instructions aside (the parser has dropped comments).
    return [child for child in children if isinstance(child.tag, str)]


def signature_parts(signature: Element) -> tuple[Element, Element]:
    """The ``SignedInfo`` and ``SignatureValue`` of ``signature`` (XMLDSig 4.1)."""
    model = "SignedInfo, SignatureValue, KeyInfo?, Object*"
    children = _elements(signature, "Signature", model)
    if len(children) < 2 or children[0].tag != _SIGNED_INFO:
        raise _malformed("Signature", model)
    if children[1].tag != _SIGNATURE_VALUE or len(children[1]):
        raise _malformed("Signature", model)
    rest = children[2:]
    if rest and rest[0].tag == _KEY_INFO:
        rest = rest[1:]
    if any(child.tag != _OBJECT for child in rest):
        raise _malformed("Signature", model)
    return children[0], children[1]


def signed_info_parts(signed_info: Element) -> tuple[Element, Element, list[Element]]:
    """The ``CanonicalizationMethod``, ``SignatureMethod`` and ``Reference`` elements of
    ``signed_info`` (XMLDSig 4.4)."""
    model = "CanonicalizationMethod, SignatureMethod, Reference+"
    children = _elements(signed_info, "SignedInfo", model)
    if (
        len(children) < 3
        or children[0].tag != _C14N_METHOD
        or children[1].tag != _SIGNATURE_METHOD
        or any(child.tag != _REFERENCE for child in children[2:])
    ):
        raise _malformed("SignedInfo", model)
    refuse_parameters(children[1], "SignatureMethod")  # (HMACOutputLength: HMAC is refused)
    return children[0], children[1], children[2:]


def reference_parts(reference: Element) -> tuple[list[Element], Element, Element]:
    """The ``Transform`` elements (maybe none), ``DigestMethod`` and ``DigestValue`` of
    ``reference`` (XMLDSig 4.4.3)."""
    model = "Transforms?, DigestMethod, DigestValue"
    children = _elements(reference, "Reference", model)
    transforms: list[Element] = []
    if children and children[0].tag == _TRANSFORMS:
        transforms = _elements(children[0], "Transforms", "Transform+")
        if not transforms or any(t.tag != _TRANSFORM for t in transforms):
            raise _malformed("Transforms", "Transform+")
        children = children[1:]
    if len(children) != 2 or children[0].tag != _DIGEST_METHOD or children[1].tag != _DIGEST_VALUE:
        raise _malformed("Reference", model)
    refuse_parameters(children[0], "DigestMethod")
    if len(children[1]):
        raise _malformed("DigestValue", "base64 text")
    return transforms, children[0], children[1]


def refuse_parameters(method: Element, what: str) -> None:
    """``method`` (an algorithm element) has no parameters."""
    if _elements(method, what, "no parameters"):
        raise _malformed(what, "no parameters")


def inclusive_prefixes(method: Element, what: str) -> tuple[str, ...]:
    """The ``PrefixList`` of the one ``InclusiveNamespaces`` an exclusive C14N method or
    transform may hold (Exclusive XML Canonicalization 1.0, 3), and nothing else."""
    model = "at most one ec:InclusiveNamespaces"
    children = _elements(method, what, model)
    if not children:
        return ()
    if len(children) > 1 or children[0].tag != _INCLUSIVE_NAMESPACES or len(children[0]):
        raise _malformed(what, model)
    # xs:NMTOKENS, split at XML white space only: xmlsec reads "#default\u00a0p" as one token.
    return tuple(xml_tokens(children[0].get("PrefixList") or ""))


# XMLDSig 1.1 4.5 (KeyInfo) and 4.5.4 (X509Data): the children each may have from the ds
# namespace (others may come from other namespaces), and the attributes of the unsigned parts.
_KEY_INFO_CHILDREN = frozenset(
    map(
        _ds,
        ("KeyName", "KeyValue", "RetrievalMethod", "X509Data", "PGPData", "SPKIData", "MgmtData"),
    )
)
_X509_DATA_CHILDREN = frozenset(
    map(_ds, ("X509IssuerSerial", "X509SKI", "X509SubjectName", "X509Certificate", "X509CRL"))
)
_ATTRIBUTES = {
    _ds("Signature"): frozenset({"Id"}),
    _SIGNATURE_VALUE: frozenset({"Id"}),
    _KEY_INFO: frozenset({"Id"}),
    _OBJECT: frozenset({"Id", "MimeType", "Encoding"}),
    _ds("X509Data"): frozenset(),
    _ds("X509Certificate"): frozenset(),
}


def check_unsigned_parts(signature: Element) -> None:
    """What the signature does not cover but a schema-validating reader checks: the attributes
    of ds:Signature, SignatureValue, KeyInfo, X509Data, X509Certificate and Object (the schema
    declares no others), and the content of KeyInfo and X509Data (XMLDSig 1.1 4.5, 4.5.4)."""
    for element in signature.iter(*_ATTRIBUTES):  # (ds:Signature itself among them)
        allowed = _ATTRIBUTES.get(str(element.tag))
        if allowed is not None and not set(element.attrib) <= allowed:
            raise _malformed(f"ds:{str(element.tag).rpartition('}')[2]}", "its declared attributes")
    for key_info in signature.iterchildren(_KEY_INFO):
        for child in key_info.iterchildren(f"{{{ns.DS}}}*"):
            # (KeyName holds text; the others hold elements: an empty one is no key.)
            empty = not len(child) and child.tag != _ds("KeyName")
            if child.tag not in _KEY_INFO_CHILDREN or empty:
                raise _malformed("KeyInfo", "KeyName, KeyValue, X509Data ... (not empty)")
            if child.tag == _ds("X509Data"):
                _check_x509_data(child)


def _check_x509_data(x509_data: Element) -> None:
    model = "X509IssuerSerial, X509SKI, X509SubjectName, X509Certificate or X509CRL (one or more)"
    children = _elements(x509_data, "X509Data", model)
    if not children:
        raise _malformed("X509Data", model)
    for child in children:
        if str(child.tag).startswith(f"{{{ns.DS}}}") and child.tag not in _X509_DATA_CHILDREN:
            raise _malformed("X509Data", model)
        if child.tag == _ds("X509IssuerSerial"):
            parts = [c.tag for c in _elements(child, "X509IssuerSerial", "name and serial")]
            if parts != [_ds("X509IssuerName"), _ds("X509SerialNumber")]:
                raise _malformed("X509IssuerSerial", "X509IssuerName, X509SerialNumber")

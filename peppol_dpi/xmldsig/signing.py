"""Creating a ds:Signature: its SignedInfo written as text, and completed in document context.

Signing has two halves (XMLDSig 3.1): writing ``ds:SignedInfo`` with one ``ds:Reference`` per
thing signed, then computing each reference's digest and the signature over the canonical
SignedInfo. :func:`signed_info_xml` and :func:`signature_xml` write SignedInfo as text in its
canonical form: a writer that knows the canonical octets of what it references (the AS4
envelope, :mod:`peppol_dpi.as4.wss_sign`) signs that text as it is, without a parse. Otherwise
the text is a template in a document that is parsed once, and :func:`complete_signature` does
the second half on the parsed tree. :func:`sign` puts the two together for a tree built with
the element API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lxml import etree

from .. import ns
from ..arguments import require_callable, require_instance, require_items
from ..errors import UsageError
from ..keys import PrivateKey, require_key
from ..xmlparse import Element, c14n, parse_xml, require_element, to_bytes
from ..xmltext import attr
from .model import (
    DS,
    C14nMethod,
    ObjectBuilder,
    ReferenceSpec,
    Resolver,
    SignatureMethod,
    SignedInfoSpec,
    Transform,
    digest_of,
    no_external,
)
from .references import b64, ds_tag, id_index, reference_input

__all__ = [
    "complete_signature",
    "inclusive_namespaces_xml",
    "sign",
    "signature_xml",
    "signed_info_xml",
]


def inclusive_namespaces_xml(prefixes: Sequence[str]) -> str:
    """``ec:InclusiveNamespaces`` with its PrefixList (Exclusive C14N 1.0 section 3), in
    canonical form."""
    return (
        f'<ec:InclusiveNamespaces xmlns:ec="{ns.EXC_C14N}" PrefixList="{attr(" ".join(prefixes))}">'
        "</ec:InclusiveNamespaces>"
    )


def _reference_xml(spec: ReferenceSpec, p: str, digest: bytes | None) -> str:
    # Attributes in canonical order (C14N 1.0 section 2.2: unqualified ones by name).
    head = f"<{p}Reference"
    if spec.id:
        head += f' Id="{attr(spec.id)}"'
    if spec.type:
        head += f' Type="{attr(spec.type)}"'
    parts = [head, f' URI="{attr(spec.uri)}">']
    if spec.transforms:
        parts.append(f"<{p}Transforms>")
        for transform in spec.transforms:
            parts.append(f'<{p}Transform Algorithm="{transform.value}">')
            if transform is Transform.EXCLUSIVE_C14N and spec.inclusive_prefixes:
                parts.append(inclusive_namespaces_xml(spec.inclusive_prefixes))
            parts.append(f"</{p}Transform>")
        parts.append(f"</{p}Transforms>")
    parts.append(
        f'<{p}DigestMethod Algorithm="{spec.digest_method.value}"></{p}DigestMethod>'
        f"<{p}DigestValue>{b64(digest) if digest is not None else ''}</{p}DigestValue>"
        f"</{p}Reference>"
    )
    return "".join(parts)


def signed_info_xml(
    spec: SignedInfoSpec,
    *,
    digests: Sequence[bytes] | None = None,
    prefix: str | None = "ds",
    namespaces: Mapping[str, str] | None = None,
) -> str:
    """``ds:SignedInfo`` for ``spec`` as text, in canonical form (C14N 1.0 section 2: no
    empty-element tags, attributes in canonical order, values escaped as :mod:`..xmltext` does),
    with the ``digests`` of its references (empty DigestValues without them).

    ``namespaces`` (prefix, or "" for the default namespace, to URI) are declared on the start
    tag, sorted as C14N sorts them. Given exactly the declarations the signature's
    canonicalization renders there (for exclusive C14N: the prefix SignedInfo uses and those of
    its PrefixList in scope), the text *is* the canonical SignedInfo, the octets to sign.
    """
    require_instance(spec, SignedInfoSpec, caller="signed_info_xml", name="spec")
    p = f"{prefix}:" if prefix else ""
    declarations = "".join(
        f' xmlns:{name}="{attr(uri)}"' if name else f' xmlns="{attr(uri)}"'
        for name, uri in sorted((namespaces or {}).items())
    )
    c14n_method = f'<{p}CanonicalizationMethod Algorithm="{spec.c14n_method.value}">'
    if spec.c14n_prefixes and spec.c14n_method is C14nMethod.EXCLUSIVE:
        c14n_method += inclusive_namespaces_xml(spec.c14n_prefixes)
    if digests is not None and len(digests) != len(spec.references):
        raise UsageError("one digest per reference is needed")
    return "".join(
        (
            f"<{p}SignedInfo{declarations}>",
            c14n_method,
            f"</{p}CanonicalizationMethod>",
            f'<{p}SignatureMethod Algorithm="{spec.signature_method.value}"></{p}SignatureMethod>',
            *(
                _reference_xml(reference, p, digests[i] if digests is not None else None)
                for i, reference in enumerate(spec.references)
            ),
            f"</{p}SignedInfo>",
        )
    )


def signature_xml(
    spec: SignedInfoSpec,
    *,
    key_info_xml: str = "",
    signature_id: str | None = None,
    prefix: str | None = "ds",
    digests: Sequence[bytes] | None = None,
    signature_value: bytes | None = None,
) -> str:
    """The ``ds:Signature`` for ``spec``: its SignedInfo (:func:`signed_info_xml`), the
    SignatureValue, then ``key_info_xml`` (already written XML, e.g. a ``ds:KeyInfo``).

    Without ``digests`` and ``signature_value`` it is a template, to be completed by
    :func:`complete_signature` once it is in its document. With ``prefix=None`` the XMLDSig
    namespace is the default namespace (as XAdES in ASiC-E writes it).
    """
    require_instance(spec, SignedInfoSpec, caller="signature_xml", name="spec")
    p = f"{prefix}:" if prefix else ""
    declaration = f'xmlns:{prefix}="{DS}"' if prefix else f'xmlns="{DS}"'
    id_attribute = f' Id="{attr(signature_id)}"' if signature_id else ""
    value = b64(signature_value) if signature_value is not None else ""
    return "".join(
        (
            f"<{p}Signature {declaration}{id_attribute}>",
            signed_info_xml(spec, digests=digests, prefix=prefix),
            f"<{p}SignatureValue>{value}</{p}SignatureValue>",
            key_info_xml,
            f"</{p}Signature>",
        )
    )


def _digest_value_elements(signed_info: Element) -> list[Element]:
    return signed_info.findall(f"{ds_tag('Reference')}/{ds_tag('DigestValue')}")


def complete_signature(
    signature: Element,
    spec: SignedInfoSpec,
    *,
    key: PrivateKey,
    resolver: Resolver = no_external,
    ids: Mapping[str, Element] | None = None,
) -> tuple[bytes, ...]:
    """Fill in the DigestValues and the SignatureValue of a template written by
    :func:`signature_xml` for ``spec``; returns the digests, in reference order.

    ``signature`` must sit in a *parsed* document, exactly as a verifier will see it: lxml's
    exclusive C14N ignores InclusiveNamespaces prefixes declared on ancestors of a subtree built
    with the element API. Same-document references are found in ``ids`` when given (a writer
    that knows its elements), else in the document's id index (which refuses duplicates).
    """
    caller = "complete_signature"
    require_element(signature, caller=caller, name="signature")
    require_instance(spec, SignedInfoSpec, caller=caller, name="spec")
    require_key(key, caller=caller)
    require_callable(resolver, caller=caller, name="resolver")
    signed_info = signature.find(ds_tag("SignedInfo"))
    value_element = signature.find(ds_tag("SignatureValue"))
    if signed_info is None or value_element is None:
        raise UsageError("not a signature template: SignedInfo or SignatureValue is missing")
    digest_elements = _digest_value_elements(signed_info)
    if len(digest_elements) != len(spec.references):
        raise UsageError("the signature template does not hold the references of its spec")
    index = ids if ids is not None else id_index(signature.getroottree().getroot())
    digests: list[bytes] = []
    for reference, element in zip(spec.references, digest_elements, strict=True):
        data, _ = reference_input(
            reference.uri,
            reference.transforms,
            reference.inclusive_prefixes,
            signature=signature,
            ids=index,
            resolver=resolver,
        )
        digest = digest_of(reference.digest_method, data, reference.uri)
        element.text = b64(digest)  # text only: the parsed namespaces stay as they are
        digests.append(digest)
    canonical = c14n(
        signed_info,
        exclusive=spec.c14n_method is C14nMethod.EXCLUSIVE,
        version_1_1=spec.c14n_method is C14nMethod.INCLUSIVE_11,
        inclusive_prefixes=spec.c14n_prefixes,
    )
    value_element.text = b64(key.sign(canonical, spec.signature_method.hash))
    return tuple(digests)


def sign(
    *,
    parent: Element,
    references: Sequence[ReferenceSpec],
    key: PrivateKey,
    signature_method: SignatureMethod = SignatureMethod.RSA_SHA256,
    c14n_method: C14nMethod = C14nMethod.EXCLUSIVE,
    c14n_prefixes: Sequence[str] = (),
    key_info: Element | None = None,
    resolver: Resolver = no_external,
    objects: Sequence[Element | ObjectBuilder] = (),
    insert_before: Element | None = None,
    signature_id: str | None = None,
    prefix: str | None = "ds",
) -> Element:
    """Create a ``ds:Signature`` inside ``parent`` and return it.

    The Signature is put in place *before* anything is digested or canonicalized, so that
    every canonical form is computed in the document context a verifier will see (with
    ``prefix=None`` the XMLDSig namespace becomes the default namespace, as XAdES in ASiC-E
    writes it). ``objects`` become ``ds:Object`` children (e.g. XAdES QualifyingProperties) and
    may be referenced by id. An object given as an :data:`ObjectBuilder` is built in place
    inside its new ``ds:Object``: lxml reconciles the namespaces of an element moved into
    another tree and may then drop a prefix declaration that a nested default namespace
    shadows (XAdES ``xmlns:ns2`` for XMLDSig under ``xmlns`` = XAdES), changing the XML.
    """
    require_element(parent, caller="sign", name="parent")
    require_items(
        references,
        ReferenceSpec,
        caller="sign",
        name="references",
        expected="a list of ReferenceSpec",
    )
    require_key(key, caller="sign")
    spec = SignedInfoSpec(
        references=tuple(references),
        signature_method=signature_method,
        c14n_method=c14n_method,
        c14n_prefixes=tuple(c14n_prefixes),
    )
    template = signature_xml(spec, signature_id=signature_id, prefix=prefix)
    signature = parse_xml(template.encode(), what="a signature template")
    if insert_before is not None:
        insert_before.addprevious(signature)
    else:
        parent.append(signature)
    if key_info is not None:
        signature.append(key_info)
    for obj in objects:
        container = etree.SubElement(signature, ds_tag("Object"))
        if callable(obj):
            obj(container)
        else:
            container.append(obj)

    # The digests and the signature value are computed in a freshly parsed copy of the whole
    # document (see complete_signature) and then copied into this one.
    copy_signature = _parsed_copy(signature)
    complete_signature(copy_signature, spec, key=key, resolver=resolver)
    for element, copied in _completed_pairs(signature, copy_signature):
        element.text = copied.text
    return signature


def _completed_pairs(original: Element, copy: Element) -> list[tuple[Element, Element]]:
    """The DigestValue and SignatureValue elements of two identical signatures, paired."""

    def values(signature: Element) -> list[Element]:
        signed_info = signature.find(ds_tag("SignedInfo"))
        value = signature.find(ds_tag("SignatureValue"))
        assert signed_info is not None and value is not None
        return [*_digest_value_elements(signed_info), value]

    return list(zip(values(original), values(copy), strict=True))


def _parsed_copy(signature: Element) -> Element:
    """The ``signature`` element in a serialized and re-parsed copy of its whole document."""
    tree = signature.getroottree()
    path = tree.getelementpath(signature)  # Clark notation with positions: unambiguous
    copy = parse_xml(to_bytes(tree.getroot(), xml_declaration=False), what="the signed document")
    found = copy if path == "." else copy.find(path)
    assert found is not None and found.tag == signature.tag
    return found

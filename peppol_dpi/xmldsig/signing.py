"""Creating a ds:Signature in document context."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from .. import ns
from ..errors import UsageError
from ..keys import PrivateKey
from ..xmlparse import Element, c14n, parse_xml, to_bytes
from .model import (
    DS,
    C14nMethod,
    ObjectBuilder,
    ReferenceSpec,
    Resolver,
    SignatureMethod,
    Transform,
    digest_of,
    no_external,
)
from .references import b64, ds_tag, id_index, reference_input


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
    if not references:
        raise UsageError("a signature needs at least one reference")
    if signature_method is SignatureMethod.RSA_SHA1:
        raise UsageError("peppol-dpi does not create RSA-SHA1 signatures")
    nsmap = {prefix: DS}
    signature = etree.Element(ds_tag("Signature"), nsmap=nsmap)  # type: ignore[arg-type]
    if signature_id:
        signature.set("Id", signature_id)
    if insert_before is not None:
        insert_before.addprevious(signature)
    else:
        parent.append(signature)
    signed_info = etree.SubElement(signature, ds_tag("SignedInfo"))
    c14n_element = etree.SubElement(
        signed_info, ds_tag("CanonicalizationMethod"), Algorithm=c14n_method.value
    )
    if c14n_prefixes and c14n_method is C14nMethod.EXCLUSIVE:
        etree.SubElement(
            c14n_element,
            f"{{{ns.EXC_C14N}}}InclusiveNamespaces",
            nsmap={"ec": ns.EXC_C14N},
            PrefixList=" ".join(c14n_prefixes),
        )
    etree.SubElement(signed_info, ds_tag("SignatureMethod"), Algorithm=signature_method.value)
    value_element = etree.SubElement(signature, ds_tag("SignatureValue"))
    if key_info is not None:
        signature.append(key_info)
    for obj in objects:
        container = etree.SubElement(signature, ds_tag("Object"))
        if callable(obj):
            obj(container)
        else:
            container.append(obj)

    pending: list[tuple[ReferenceSpec, Element]] = []
    for spec in references:
        ref = etree.SubElement(signed_info, ds_tag("Reference"), URI=spec.uri)
        if spec.id:
            ref.set("Id", spec.id)
        if spec.type:
            ref.set("Type", spec.type)
        if spec.transforms:
            transforms_element = etree.SubElement(ref, ds_tag("Transforms"))
            for transform in spec.transforms:
                t = etree.SubElement(
                    transforms_element, ds_tag("Transform"), Algorithm=transform.value
                )
                if transform is Transform.EXCLUSIVE_C14N and spec.inclusive_prefixes:
                    etree.SubElement(
                        t,
                        f"{{{ns.EXC_C14N}}}InclusiveNamespaces",
                        nsmap={"ec": ns.EXC_C14N},
                        PrefixList=" ".join(spec.inclusive_prefixes),
                    )
        etree.SubElement(ref, ds_tag("DigestMethod"), Algorithm=spec.digest_method.value)
        pending.append((spec, etree.SubElement(ref, ds_tag("DigestValue"))))

    # Canonical forms are computed in a freshly parsed copy of the document, i.e. exactly as a
    # verifier will see it: lxml's exclusive C14N ignores InclusiveNamespaces prefixes that are
    # declared on ancestors of a subtree built with the element API (not on parsed trees).
    copy_signature = _parsed_copy(signature)
    ids = id_index(copy_signature.getroottree().getroot())
    copy_signed_info = copy_signature.find(ds_tag("SignedInfo"))
    assert copy_signed_info is not None
    copy_digests = copy_signed_info.findall(f"{ds_tag('Reference')}/{ds_tag('DigestValue')}")
    for (spec, digest_element), copy_digest in zip(pending, copy_digests, strict=True):
        data, _ = reference_input(
            spec.uri,
            spec.transforms,
            spec.inclusive_prefixes,
            signature=copy_signature,
            ids=ids,
            resolver=resolver,
        )
        # The same value in the document and in its parsed copy, whose SignedInfo is then
        # canonicalized (setting text changes no namespace, so the copy stays as parsed).
        digest_element.text = copy_digest.text = b64(digest_of(spec.digest_method, data, spec.uri))

    canonical = c14n(
        copy_signed_info,
        exclusive=c14n_method is C14nMethod.EXCLUSIVE,
        inclusive_prefixes=tuple(c14n_prefixes),
    )
    value_element.text = b64(key.sign(canonical, signature_method.hash))
    return signature


def _parsed_copy(signature: Element) -> Element:
    """The ``signature`` element in a serialized and re-parsed copy of its whole document."""
    tree = signature.getroottree()
    path = tree.getelementpath(signature)  # Clark notation with positions: unambiguous
    copy = parse_xml(to_bytes(tree.getroot(), xml_declaration=False), what="the signed document")
    found = copy if path == "." else copy.find(path)
    assert found is not None and found.tag == signature.tag
    return found

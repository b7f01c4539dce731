"""Reference resolution: the id index that refuses duplicates, transforms and canonical input."""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Mapping, Sequence

from lxml import etree

from .. import ns
from ..arguments import require_instance
from ..errors import SignatureError
from ..xmlparse import Element, c14n, require_element
from ..xmltext import base64_binary
from .model import (
    DS,
    ExternalDigest,
    Resolver,
    Transform,
)

__all__ = [
    "b64",
    "contains",
    "ds_tag",
    "external_input",
    "id_attributes",
    "id_index",
    "reference_input",
    "reference_target",
    "target_input",
    "unb64",
    "unique_ids",
    "unresolved",
]

# The id attribute names (wsu:Id, Id, ID, id, xml:id). The index walks the elements in Python,
# in time linear in the document: an XPath union of one path per name was 2 us faster on an
# envelope, but libxml2 merges a union's node sets by comparing every pair and then sorts them
# into document order, and a hostile envelope with 36,000 ids took 7 s (tests/security).
_ID_NAMES = frozenset((f"{{{ns.WSU}}}Id", "Id", "ID", "id", f"{{{ns.XML}}}id"))


def id_attributes(root: Element) -> dict[str, list[tuple[str, Element]]]:
    """Every id attribute (wsu:Id, Id, ID, id, xml:id) in the tree under ``root``, by value:
    each with its name and element, in document order. Nothing is refused here (see
    :func:`unique_ids`); one pass serves every index of a message."""
    require_element(root, caller="id_attributes", name="root")
    found: dict[str, list[tuple[str, Element]]] = {}
    for element in root.iter(etree.Element):
        # Attribute names first: most elements carry none, or no id among them.
        for attribute in element.keys():  # noqa: SIM118 (an element iterates its children)
            if attribute not in _ID_NAMES:
                continue
            value = element.get(attribute)
            assert value is not None
            entries = found.get(value)
            if entries is None:
                found[value] = [(attribute, element)]
            else:
                entries.append((attribute, element))
    return found


def unique_ids(found: Mapping[str, Sequence[tuple[str, Element]]]) -> dict[str, Element]:
    """The element of each id in ``found`` (from :func:`id_attributes`).

    A duplicate id anywhere in the document is refused (rule ``dsig:duplicate-id``): with two
    candidates a verifier and an application may look at different elements.
    """
    require_instance(found, Mapping, caller="unique_ids", name="found", expected="a mapping")
    index: dict[str, Element] = {}
    for value, entries in found.items():
        element = entries[0][1]
        if len(entries) > 1 and any(other is not element for _, other in entries):
            raise SignatureError(
                f"the id {value!r} occurs more than once", rule="dsig:duplicate-id"
            )
        index[value] = element
    return index


def id_index(root: Element) -> dict[str, Element]:
    """Every element carrying an id attribute (wsu:Id, Id, ID, id, xml:id), by id; a duplicate
    is refused (:func:`unique_ids`)."""
    require_element(root, caller="id_index", name="root")
    return unique_ids(id_attributes(root))


# -- helpers ------------------------------------------------------------------------------


@functools.cache
def ds_tag(local: str) -> str:
    return f"{{{DS}}}{local}"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str | None, what: str) -> bytes:
    try:
        return base64_binary(text or "")
    except (binascii.Error, ValueError):
        raise SignatureError(f"{what} is not valid base64", rule="dsig:malformed") from None


def _canonicalize(node: Element, transform: Transform, prefixes: tuple[str, ...]) -> bytes:
    exclusive = transform is Transform.EXCLUSIVE_C14N
    return c14n(
        node,
        exclusive=exclusive,
        inclusive_prefixes=prefixes if exclusive else (),
        version_1_1=transform is Transform.INCLUSIVE_C14N_11,
    )


def _without(
    node: Element, signature: Element, transform: Transform, prefixes: tuple[str, ...]
) -> bytes:
    """Canonical form of ``node`` with ``signature`` left out (enveloped-signature transform).

    XMLDSig 6.6.4 removes the Signature element and its descendants only: the text after it
    (lxml's ``tail``) stays in the document, so it is moved to the preceding node while the
    signature is detached, and everything is put back afterwards.
    """
    parent = signature.getparent()
    if parent is None:
        return _canonicalize(node, transform, prefixes)
    position = parent.index(signature)
    tail = signature.tail
    previous = signature.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    signature.tail = None
    parent.remove(signature)
    try:
        return _canonicalize(node, transform, prefixes)
    finally:
        if tail:
            if previous is not None:
                previous.tail = (previous.tail or "")[: -len(tail)] or None
            else:
                parent.text = (parent.text or "")[: -len(tail)] or None
        parent.insert(position, signature)
        signature.tail = tail


def reference_input(
    uri: str,
    transforms: Sequence[Transform],
    prefixes: tuple[str, ...],
    *,
    signature: Element,
    ids: Mapping[str, Element],
    resolver: Resolver,
) -> tuple[bytes | ExternalDigest, Element | None]:
    """The octets a reference's digest is computed over (or their digest, for streamed
    content), and the element it covers."""
    target = reference_target(uri, signature=signature, ids=ids, resolver=resolver)
    if target is None:
        raise unresolved(uri)
    return target_input(uri, target, transforms, prefixes, signature=signature)


def unresolved(uri: str) -> SignatureError:
    """The error for a reference whose content cannot be found."""
    return SignatureError(
        f"the reference {uri!r} cannot be resolved", rule="dsig:unresolved-reference"
    )


def reference_target(
    uri: str, *, signature: Element, ids: Mapping[str, Element], resolver: Resolver
) -> bytes | bytearray | memoryview | ExternalDigest | Element | None:
    """What ``uri`` names: the whole document (``""``), the element with that id (``#id``,
    else the resolver's answer), or external content from the resolver; None when nothing."""
    if uri == "":
        root = signature.getroottree().getroot()
        if root.getprevious() is not None or root.getnext() is not None:
            # XMLDSig 4.4.3.3: "" is the whole document but its comments, so a processing
            # instruction beside the document element is signed too; the document element is
            # what is canonicalized here, so such a document is refused rather than one of its
            # parts left unverified.
            raise SignatureError(
                "a whole-document reference over a document with processing instructions "
                "outside its element is not supported",
                rule="dsig:transform-not-allowed",
            )
        return root
    if uri.startswith("#"):
        found = ids.get(uri[1:])
        if found is not None:
            return found
    return resolver(uri)


def external_input(
    uri: str,
    content: bytes | bytearray | memoryview | ExternalDigest,
    transforms: Sequence[Transform],
) -> bytes | ExternalDigest:
    """What the transforms make of external content (an attachment or a zip entry): only the
    SwA content transform applies, and it hands over the content exactly as it came."""
    if any(t is not Transform.SWA_CONTENT_SIGNATURE for t in transforms):
        raise SignatureError(
            f"transforms {[t.value for t in transforms]} cannot apply to binary content {uri!r}",
            rule="dsig:transform-not-allowed",
        )
    return content if isinstance(content, ExternalDigest) else bytes(content)


def target_input(
    uri: str,
    target: bytes | bytearray | memoryview | ExternalDigest | Element,
    transforms: Sequence[Transform],
    prefixes: tuple[str, ...],
    *,
    signature: Element,
) -> tuple[bytes | ExternalDigest, Element | None]:
    """The octets ``transforms`` make of a reference's resolved ``target`` (or their digest,
    for streamed content), and the element it covers."""
    if isinstance(target, bytes | bytearray | memoryview | ExternalDigest):
        return external_input(uri, target, transforms), None

    element = target
    if Transform.SWA_CONTENT_SIGNATURE in transforms:
        raise SignatureError(
            f"the attachment transform cannot apply to the XML element {uri!r}",
            rule="dsig:transform-not-allowed",
        )
    enveloped = Transform.ENVELOPED_SIGNATURE in transforms
    c14n_steps = [t for t in transforms if t.is_c14n]
    if len(c14n_steps) > 1 or (
        transforms and transforms[-1] is Transform.ENVELOPED_SIGNATURE and c14n_steps
    ):
        raise SignatureError("unsupported transform chain", rule="dsig:transform-not-allowed")
    # XMLDSig 4.4.3.2: a node-set left at the end is converted with inclusive C14N 1.0.
    final = c14n_steps[0] if c14n_steps else Transform.INCLUSIVE_C14N
    if enveloped:
        if not contains(element, signature):
            raise SignatureError(
                "enveloped-signature transform on an element that does not contain the signature",
                rule="dsig:transform-not-allowed",
            )
        return _without(element, signature, final, prefixes), element
    if contains(element, signature):
        # Without the enveloped transform a reference to an ancestor of the signature could
        # never verify; refuse it explicitly rather than with a confusing digest mismatch.
        raise SignatureError(
            f"the reference {uri!r} covers its own signature", rule="dsig:transform-not-allowed"
        )
    return _canonicalize(element, final, prefixes), element


def contains(ancestor: Element, node: Element) -> bool:
    """True when ``node`` is ``ancestor`` or lies inside it."""
    current: Element | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.getparent()
    return False

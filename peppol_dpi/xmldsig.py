"""The one XML Signature core of peppol-dpi (W3C XMLDSig 1.1), shared by WS-Security (AS4),
XAdES (ASiC-E document packages) and SMP responses.

Only what those profiles need, and strictly:

* signature methods RSA-SHA256/384/512 (RSA-SHA1 only when a policy opts in);
* digests SHA-256/384/512 (SHA-1 only on opt-in);
* canonicalization: exclusive C14N 1.0 (with InclusiveNamespaces PrefixList), inclusive C14N
  1.0, and C14N 1.1 (treated as 1.0: the two differ only for inherited ``xml:id``/``xml:base``,
  which none of these profiles use);
* transforms: enveloped-signature, the canonicalizations above, and the SwA
  Attachment-Content-Signature-Transform (WSS SwA profile 1.1 section 5.2), whose input the
  caller's resolver supplies;
* same-document references (``#id``) are resolved through an index that refuses duplicate ids
  (the signature-wrapping defence WSS4J calls "secure validation"); ``""`` is the whole document;
  any other URI (``cid:``, a zip entry name) must be supplied by the caller's resolver: nothing
  is ever fetched.

:func:`verify` returns what was verified (signxml's lesson): the references with their digests
and, for same-document references, the element that was covered. Callers must act on those
elements, not on what they find in the document by other means.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from . import ns
from .errors import CertificateError, SignatureError, UsageError
from .keys import PrivateKey, SignatureHash, certificate_from_der
from .xmlparse import Element, c14n, parse_xml, to_bytes

__all__ = [
    "C14nMethod",
    "DigestMethod",
    "ObjectBuilder",
    "ReferenceSpec",
    "Resolver",
    "SignatureMethod",
    "SignaturePolicy",
    "Transform",
    "VerifiedReference",
    "VerifiedSignature",
    "certificates_in",
    "id_index",
    "sign",
    "verify",
]

_DS = ns.DS


class SignatureMethod(enum.Enum):
    RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
    RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
    RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"

    @property
    def hash(self) -> SignatureHash:
        return {
            SignatureMethod.RSA_SHA256: SignatureHash.SHA256,
            SignatureMethod.RSA_SHA384: SignatureHash.SHA384,
            SignatureMethod.RSA_SHA512: SignatureHash.SHA512,
            SignatureMethod.RSA_SHA1: SignatureHash.SHA1,
        }[self]


class DigestMethod(enum.Enum):
    SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
    SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
    SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
    SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"

    def digest(self, data: bytes) -> bytes:
        name = {"SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512", "SHA1": "sha1"}[
            self.name
        ]
        return hashlib.new(name, data).digest()


class C14nMethod(enum.Enum):
    EXCLUSIVE = "http://www.w3.org/2001/10/xml-exc-c14n#"
    INCLUSIVE = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    INCLUSIVE_11 = "http://www.w3.org/2006/12/xml-c14n11"


class Transform(enum.Enum):
    EXCLUSIVE_C14N = C14nMethod.EXCLUSIVE.value
    INCLUSIVE_C14N = C14nMethod.INCLUSIVE.value
    INCLUSIVE_C14N_11 = C14nMethod.INCLUSIVE_11.value
    ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    # WSS SwA profile 1.1, 5.2: the attachment content, as the caller's resolver supplies it.
    SWA_CONTENT_SIGNATURE = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform"

    @property
    def is_c14n(self) -> bool:
        return self in _C14N_TRANSFORMS


_C14N_TRANSFORMS = frozenset(
    {Transform.EXCLUSIVE_C14N, Transform.INCLUSIVE_C14N, Transform.INCLUSIVE_C14N_11}
)

#: Supplies the content of a reference URI that is not a same-document ``#id``: raw bytes for
#: ``cid:`` attachments and zip entries, or an element. None means "unknown URI".
Resolver = Callable[[str], "bytes | Element | None"]


#: Fills a freshly created, empty ``ds:Object`` element in place (see :func:`sign`).
ObjectBuilder = Callable[[Element], None]


def _no_external(uri: str) -> bytes | Element | None:
    return None


@dataclass(frozen=True, kw_only=True)
class ReferenceSpec:
    """One ``ds:Reference`` to create when signing."""

    uri: str
    transforms: tuple[Transform, ...] = ()
    digest_method: DigestMethod = DigestMethod.SHA256
    inclusive_prefixes: tuple[str, ...] = ()  # for an exclusive C14N transform
    type: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "transforms", tuple(self.transforms))
        object.__setattr__(self, "inclusive_prefixes", tuple(self.inclusive_prefixes))


@dataclass(frozen=True, kw_only=True)
class SignaturePolicy:
    """What :func:`verify` accepts. The defaults refuse SHA-1 and unknown algorithms."""

    signature_methods: frozenset[SignatureMethod] = frozenset(
        {SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512}
    )
    digest_methods: frozenset[DigestMethod] = frozenset(
        {DigestMethod.SHA256, DigestMethod.SHA384, DigestMethod.SHA512}
    )
    c14n_methods: frozenset[C14nMethod] = frozenset(C14nMethod)
    transforms: frozenset[Transform] = frozenset(Transform)
    #: Most references accepted (WSS4J secure validation allows 30).
    max_references: int = 30
    #: Refuse a Reference without a URI attribute (ambiguous in XMLDSig).
    require_uri: bool = True
    #: Accept references to external content the resolver cannot supply (for example
    #: encrypted attachments when inspecting without the decryption key): the SignatureValue
    #: and every other reference are verified, and such a reference is returned with
    #: ``digest_checked=False``. Off by default: a verifier must see every signed octet.
    allow_unresolved_external: bool = False

    def allowing_sha1(self) -> SignaturePolicy:
        """The same policy, also accepting RSA-SHA1 and SHA-1 digests (legacy SMPs)."""
        return SignaturePolicy(
            signature_methods=self.signature_methods | {SignatureMethod.RSA_SHA1},
            digest_methods=self.digest_methods | {DigestMethod.SHA1},
            c14n_methods=self.c14n_methods,
            transforms=self.transforms,
            max_references=self.max_references,
            require_uri=self.require_uri,
            allow_unresolved_external=self.allow_unresolved_external,
        )


@dataclass(frozen=True, kw_only=True)
class VerifiedReference:
    uri: str
    transforms: tuple[Transform, ...]
    digest_method: DigestMethod
    digest_value: bytes
    type: str | None
    #: The element a same-document reference covered (None for external content).
    element: Element | None = field(default=None, compare=False)
    #: The ds:Reference element itself (receipts copy it into NonRepudiationInformation).
    reference_element: Element | None = field(default=None, compare=False, repr=False)
    #: False only for external content left unresolved under
    #: ``SignaturePolicy.allow_unresolved_external``: its digest was not recomputed.
    digest_checked: bool = True


@dataclass(frozen=True, kw_only=True)
class VerifiedSignature:
    signature_method: SignatureMethod
    c14n_method: C14nMethod
    references: tuple[VerifiedReference, ...]

    def reference(self, uri: str) -> VerifiedReference | None:
        return next((r for r in self.references if r.uri == uri), None)


# -- ids ----------------------------------------------------------------------------------

_ID_ATTRIBUTES = (f"{{{ns.WSU}}}Id", "Id", "ID", "id", f"{{{ns.XML}}}id")


def id_index(root: Element) -> dict[str, Element]:
    """Every element carrying an id attribute (wsu:Id, Id, ID, id, xml:id), by id.

    A duplicate id anywhere in the document is refused (rule ``dsig:duplicate-id``): with two
    candidates a verifier and an application may look at different elements.
    """
    index: dict[str, Element] = {}
    for element in root.iter(etree.Element):
        for attribute in _ID_ATTRIBUTES:
            value = element.get(attribute)
            if value is None:
                continue
            if value in index and index[value] is not element:
                raise SignatureError(
                    f"the id {value!r} occurs more than once", rule="dsig:duplicate-id"
                )
            index[value] = element
    return index


# -- helpers ------------------------------------------------------------------------------


def _q(local: str) -> str:
    return f"{{{_DS}}}{local}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str | None, what: str) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{what} is not valid base64", rule="dsig:malformed") from None


def _prefix_list(element: Element) -> tuple[str, ...]:
    inclusive = element.find(f"{{{ns.EXC_C14N}}}InclusiveNamespaces")
    if inclusive is None:
        return ()
    return tuple(p for p in (inclusive.get("PrefixList") or "").split() if p)


def _canonicalize(node: Element, transform: Transform, prefixes: tuple[str, ...]) -> bytes:
    exclusive = transform is Transform.EXCLUSIVE_C14N
    return c14n(node, exclusive=exclusive, inclusive_prefixes=prefixes if exclusive else ())


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


def _reference_input(
    uri: str,
    transforms: Sequence[Transform],
    prefixes: tuple[str, ...],
    *,
    signature: Element,
    ids: dict[str, Element],
    resolver: Resolver,
) -> tuple[bytes, Element | None]:
    """The octets a reference's digest is computed over, and the element it covers."""
    root = signature.getroottree().getroot()
    target: bytes | Element | None
    if uri == "":
        target = root
    elif uri.startswith("#"):
        target = ids.get(uri[1:])
        if target is None:
            target = resolver(uri)
    else:
        target = resolver(uri)
    if target is None:
        raise SignatureError(
            f"the reference {uri!r} cannot be resolved", rule="dsig:unresolved-reference"
        )

    if isinstance(target, bytes | bytearray | memoryview):
        # External content (an attachment or a zip entry): only the SwA content transform
        # applies, and it hands over the content exactly as the resolver produced it.
        if any(t is not Transform.SWA_CONTENT_SIGNATURE for t in transforms):
            raise SignatureError(
                f"transforms {[t.value for t in transforms]} cannot apply to binary content {uri!r}",
                rule="dsig:transform-not-allowed",
            )
        return bytes(target), None

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
        if not _contains(element, signature):
            raise SignatureError(
                "enveloped-signature transform on an element that does not contain the signature",
                rule="dsig:transform-not-allowed",
            )
        return _without(element, signature, final, prefixes), element
    if _contains(element, signature):
        # Without the enveloped transform a reference to an ancestor of the signature could
        # never verify; refuse it explicitly rather than with a confusing digest mismatch.
        raise SignatureError(
            f"the reference {uri!r} covers its own signature", rule="dsig:transform-not-allowed"
        )
    return _canonicalize(element, final, prefixes), element


def _contains(ancestor: Element, node: Element) -> bool:
    current: Element | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.getparent()
    return False


# -- signing ------------------------------------------------------------------------------


def sign(
    *,
    parent: Element,
    references: Sequence[ReferenceSpec],
    key: PrivateKey,
    signature_method: SignatureMethod = SignatureMethod.RSA_SHA256,
    c14n_method: C14nMethod = C14nMethod.EXCLUSIVE,
    c14n_prefixes: Sequence[str] = (),
    key_info: Element | None = None,
    resolver: Resolver = _no_external,
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
    nsmap = {prefix: _DS}
    signature = etree.Element(_q("Signature"), nsmap=nsmap)  # type: ignore[arg-type]
    if signature_id:
        signature.set("Id", signature_id)
    if insert_before is not None:
        insert_before.addprevious(signature)
    else:
        parent.append(signature)
    signed_info = etree.SubElement(signature, _q("SignedInfo"))
    c14n_element = etree.SubElement(
        signed_info, _q("CanonicalizationMethod"), Algorithm=c14n_method.value
    )
    if c14n_prefixes and c14n_method is C14nMethod.EXCLUSIVE:
        etree.SubElement(
            c14n_element,
            f"{{{ns.EXC_C14N}}}InclusiveNamespaces",
            nsmap={"ec": ns.EXC_C14N},
            PrefixList=" ".join(c14n_prefixes),
        )
    etree.SubElement(signed_info, _q("SignatureMethod"), Algorithm=signature_method.value)
    value_element = etree.SubElement(signature, _q("SignatureValue"))
    if key_info is not None:
        signature.append(key_info)
    for obj in objects:
        container = etree.SubElement(signature, _q("Object"))
        if callable(obj):
            obj(container)
        else:
            container.append(obj)

    pending: list[tuple[ReferenceSpec, Element]] = []
    for spec in references:
        ref = etree.SubElement(signed_info, _q("Reference"), URI=spec.uri)
        if spec.id:
            ref.set("Id", spec.id)
        if spec.type:
            ref.set("Type", spec.type)
        if spec.transforms:
            transforms_element = etree.SubElement(ref, _q("Transforms"))
            for transform in spec.transforms:
                t = etree.SubElement(transforms_element, _q("Transform"), Algorithm=transform.value)
                if transform is Transform.EXCLUSIVE_C14N and spec.inclusive_prefixes:
                    etree.SubElement(
                        t,
                        f"{{{ns.EXC_C14N}}}InclusiveNamespaces",
                        nsmap={"ec": ns.EXC_C14N},
                        PrefixList=" ".join(spec.inclusive_prefixes),
                    )
        etree.SubElement(ref, _q("DigestMethod"), Algorithm=spec.digest_method.value)
        pending.append((spec, etree.SubElement(ref, _q("DigestValue"))))

    # Canonical forms are computed in a freshly parsed copy of the document, i.e. exactly as a
    # verifier will see it: lxml's exclusive C14N ignores InclusiveNamespaces prefixes that are
    # declared on ancestors of a subtree built with the element API (not on parsed trees).
    copy_signature = _parsed_copy(signature)
    ids = id_index(copy_signature.getroottree().getroot())
    for spec, digest_element in pending:
        data, _ = _reference_input(
            spec.uri,
            spec.transforms,
            spec.inclusive_prefixes,
            signature=copy_signature,
            ids=ids,
            resolver=resolver,
        )
        digest_element.text = _b64(spec.digest_method.digest(data))

    copy_signed_info = _parsed_copy(signature).find(_q("SignedInfo"))
    assert copy_signed_info is not None
    canonical = c14n(
        copy_signed_info,
        exclusive=c14n_method is C14nMethod.EXCLUSIVE,
        inclusive_prefixes=tuple(c14n_prefixes),
    )
    value_element.text = _b64(key.sign(canonical, signature_method.hash))
    return signature


def _parsed_copy(signature: Element) -> Element:
    """The ``signature`` element in a serialized and re-parsed copy of its whole document."""
    tree = signature.getroottree()
    path = tree.getelementpath(signature)  # Clark notation with positions: unambiguous
    copy = parse_xml(to_bytes(tree.getroot(), xml_declaration=False), what="the signed document")
    found = copy if path == "." else copy.find(path)
    assert found is not None and found.tag == signature.tag
    return found


# -- verification -------------------------------------------------------------------------


def _algorithm(element: Element | None, enum_type: type[enum.Enum], what: str) -> enum.Enum:
    uri = element.get("Algorithm") if element is not None else None
    if uri is None:
        raise SignatureError(f"{what} is missing", rule="dsig:malformed")
    try:
        return enum_type(uri)
    except ValueError:
        raise SignatureError(
            f"{what} {uri!r} is not supported", rule="dsig:algorithm-not-allowed"
        ) from None


def verify(
    signature: Element,
    *,
    public_key: rsa.RSAPublicKey,
    resolver: Resolver = _no_external,
    policy: SignaturePolicy = SignaturePolicy(),
) -> VerifiedSignature:
    """Verify ``signature`` (a ``ds:Signature`` element in its parsed document).

    Checks that every algorithm is allowed by ``policy`` (all references first, before any
    digest is computed), recomputes every reference digest, then verifies the SignatureValue
    over the canonical SignedInfo with ``public_key``. Which
    key to use, and whether to trust it, is the caller's decision (see :mod:`peppol_dpi.trust`).
    Raises :class:`~peppol_dpi.errors.SignatureError`.
    """
    if signature.tag != _q("Signature"):
        raise UsageError("verify() takes a ds:Signature element")
    signed_info = signature.find(_q("SignedInfo"))
    if signed_info is None:
        raise SignatureError("the signature has no SignedInfo", rule="dsig:malformed")
    c14n_element = signed_info.find(_q("CanonicalizationMethod"))
    c14n_method = _algorithm(c14n_element, C14nMethod, "CanonicalizationMethod")
    assert isinstance(c14n_method, C14nMethod)
    if c14n_method not in policy.c14n_methods:
        raise SignatureError(
            f"canonicalization {c14n_method.value} is not allowed",
            rule="dsig:algorithm-not-allowed",
        )
    signature_method = _algorithm(
        signed_info.find(_q("SignatureMethod")), SignatureMethod, "SignatureMethod"
    )
    assert isinstance(signature_method, SignatureMethod)
    if signature_method not in policy.signature_methods:
        raise SignatureError(
            f"signature method {signature_method.value} is not allowed",
            rule="dsig:algorithm-not-allowed",
        )
    reference_elements = signed_info.findall(_q("Reference"))
    if not reference_elements:
        raise SignatureError("the signature has no references", rule="dsig:malformed")
    if len(reference_elements) > policy.max_references:
        raise SignatureError(
            f"the signature has {len(reference_elements)} references, more than {policy.max_references}",
            rule="dsig:too-many-references",
        )

    parsed = [_parse_reference(ref, policy) for ref in reference_elements]

    # Every algorithm of every reference passed the policy above before any digest work.
    ids = id_index(signature.getroottree().getroot())
    verified = [
        _verify_reference(ref, signature=signature, ids=ids, resolver=resolver, policy=policy)
        for ref in parsed
    ]

    value = _unb64(signature.findtext(_q("SignatureValue")), "SignatureValue")
    assert c14n_element is not None
    canonical = c14n(
        signed_info,
        exclusive=c14n_method is C14nMethod.EXCLUSIVE,
        inclusive_prefixes=_prefix_list(c14n_element)
        if c14n_method is C14nMethod.EXCLUSIVE
        else (),
    )
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SignatureError(
            "only RSA signing keys are supported", rule="dsig:algorithm-not-allowed"
        )
    try:
        public_key.verify(value, canonical, padding.PKCS1v15(), signature_method.hash.algorithm())
    except InvalidSignature:
        raise SignatureError(
            "the signature value does not verify", rule="dsig:bad-signature-value"
        ) from None

    return VerifiedSignature(
        signature_method=signature_method, c14n_method=c14n_method, references=tuple(verified)
    )


@dataclass(frozen=True, kw_only=True)
class _ParsedReference:
    """A ds:Reference whose algorithms passed the policy, not yet digested."""

    element: Element
    uri: str
    transforms: tuple[Transform, ...]
    prefixes: tuple[str, ...]
    digest_method: DigestMethod
    expected: bytes


def _parse_reference(ref: Element, policy: SignaturePolicy) -> _ParsedReference:
    uri = ref.get("URI")
    if uri is None:
        if policy.require_uri:
            raise SignatureError("a reference has no URI", rule="dsig:malformed")
        uri = ""
    transforms: list[Transform] = []
    prefixes: tuple[str, ...] = ()
    transforms_element = ref.find(_q("Transforms"))
    if transforms_element is not None:
        for t in transforms_element:
            if not isinstance(t.tag, str) or t.tag != _q("Transform"):
                raise SignatureError("unexpected element in Transforms", rule="dsig:malformed")
            transform = _algorithm(t, Transform, "Transform")
            assert isinstance(transform, Transform)
            if transform not in policy.transforms:
                raise SignatureError(
                    f"transform {transform.value} is not allowed", rule="dsig:transform-not-allowed"
                )
            if transform is Transform.EXCLUSIVE_C14N:
                prefixes = _prefix_list(t)
            elif len(t):
                raise SignatureError(
                    "transform parameters are not supported", rule="dsig:transform-not-allowed"
                )
            transforms.append(transform)
    digest_method = _algorithm(ref.find(_q("DigestMethod")), DigestMethod, "DigestMethod")
    assert isinstance(digest_method, DigestMethod)
    if digest_method not in policy.digest_methods:
        raise SignatureError(
            f"digest method {digest_method.value} is not allowed", rule="dsig:algorithm-not-allowed"
        )
    return _ParsedReference(
        element=ref,
        uri=uri,
        transforms=tuple(transforms),
        prefixes=prefixes,
        digest_method=digest_method,
        expected=_unb64(ref.findtext(_q("DigestValue")), "DigestValue"),
    )


def _verify_reference(
    ref: _ParsedReference,
    *,
    signature: Element,
    ids: dict[str, Element],
    resolver: Resolver,
    policy: SignaturePolicy,
) -> VerifiedReference:
    uri = ref.uri
    try:
        data, element = _reference_input(
            uri, ref.transforms, ref.prefixes, signature=signature, ids=ids, resolver=resolver
        )
    except SignatureError as exc:
        external = uri != "" and not uri.startswith("#")
        if not (
            external
            and policy.allow_unresolved_external
            and exc.rule == "dsig:unresolved-reference"
        ):
            raise
        return VerifiedReference(
            uri=uri,
            transforms=ref.transforms,
            digest_method=ref.digest_method,
            digest_value=ref.expected,
            type=ref.element.get("Type"),
            reference_element=ref.element,
            digest_checked=False,
        )
    if ref.digest_method.digest(data) != ref.expected:
        raise SignatureError(f"the digest of {uri!r} does not match", rule="dsig:digest-mismatch")
    return VerifiedReference(
        uri=uri,
        transforms=ref.transforms,
        digest_method=ref.digest_method,
        digest_value=ref.expected,
        type=ref.element.get("Type"),
        element=element,
        reference_element=ref.element,
    )


def certificates_in(signature: Element) -> list[x509.Certificate]:
    """The certificates in ``ds:KeyInfo/ds:X509Data/ds:X509Certificate``, in document order."""
    certs: list[x509.Certificate] = []
    for text in signature.findall(f"{_q('KeyInfo')}/{_q('X509Data')}/{_q('X509Certificate')}"):
        der = _unb64(text.text, "X509Certificate")
        try:
            certs.append(certificate_from_der(der, what="an X509Certificate"))
        except CertificateError:
            raise SignatureError(
                "an X509Certificate cannot be read", rule="dsig:malformed"
            ) from None
    return certs

"""Algorithms (enums whose values are the XMLDSig URIs), policies and results of the signature core."""

from __future__ import annotations

import enum
import hashlib
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .. import ns
from ..errors import SignatureError, UsageError
from ..keys import SignatureHash
from ..xmlparse import Element

__all__ = [
    "C14N_TRANSFORMS",
    "DEFAULT_SIGNATURE_POLICY",
    "DS",
    "C14nMethod",
    "DigestMethod",
    "ExternalDigest",
    "ObjectBuilder",
    "ReferenceSpec",
    "Resolver",
    "SignatureMethod",
    "SignaturePolicy",
    "SignedInfoSpec",
    "Transform",
    "VerifiedReference",
    "VerifiedSignature",
    "digest_of",
    "no_external",
]

DS = ns.DS


class _Algorithm(enum.Enum):
    """An algorithm named by its URI. Members are singletons that compare by identity, so
    they hash by identity too: a C call, where Enum's own ``__hash__`` runs in Python on every
    policy lookup of every reference."""

    __hash__ = object.__hash__


class SignatureMethod(_Algorithm):
    RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
    RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
    RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"

    @property
    def hash(self) -> SignatureHash:
        return _SIGNATURE_HASHES[self._name_]


class DigestMethod(_Algorithm):
    SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
    SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
    SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
    SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"

    def digest(self, data: bytes) -> bytes:
        return _HASH_CONSTRUCTORS[self._name_](data).digest()


# By member name: the hash of each signature method (a table made once, not per signature),
# and hashlib's own constructors (hashlib.new looks the name up on every call).
_SIGNATURE_HASHES = {
    "RSA_SHA256": SignatureHash.SHA256,
    "RSA_SHA384": SignatureHash.SHA384,
    "RSA_SHA512": SignatureHash.SHA512,
    "RSA_SHA1": SignatureHash.SHA1,
}
_HASH_CONSTRUCTORS = {
    "SHA256": hashlib.sha256,
    "SHA384": hashlib.sha384,
    "SHA512": hashlib.sha512,
    "SHA1": hashlib.sha1,
}


class C14nMethod(_Algorithm):
    EXCLUSIVE = "http://www.w3.org/2001/10/xml-exc-c14n#"
    INCLUSIVE = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    INCLUSIVE_11 = "http://www.w3.org/2006/12/xml-c14n11"


class Transform(_Algorithm):
    EXCLUSIVE_C14N = C14nMethod.EXCLUSIVE.value
    INCLUSIVE_C14N = C14nMethod.INCLUSIVE.value
    INCLUSIVE_C14N_11 = C14nMethod.INCLUSIVE_11.value
    ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    # WSS SwA profile 1.1, 5.2: the attachment content, as the caller's resolver supplies it.
    SWA_CONTENT_SIGNATURE = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform"

    @property
    def is_c14n(self) -> bool:
        return self in C14N_TRANSFORMS


C14N_TRANSFORMS = frozenset(
    {Transform.EXCLUSIVE_C14N, Transform.INCLUSIVE_C14N, Transform.INCLUSIVE_C14N_11}
)


class DigestsUnderWay(Mapping[DigestMethod, bytes]):
    """Digests being taken elsewhere (:mod:`.beside`: on a second core): reading one may wait
    for them. :func:`~.verifying.verify` checks the references they serve after the rest."""

    @property
    @abstractmethod
    def under_way(self) -> bool:
        """Whether reading a digest may still wait."""


@dataclass(frozen=True)
class ExternalDigest:
    """External content that was digested while it streamed past (a large attachment read
    from a file): its digest under each method the caller computed, not the content."""

    digests: Mapping[DigestMethod, bytes]

    @property
    def under_way(self) -> bool:
        """Whether its digests are still being taken (:class:`DigestsUnderWay`)."""
        return isinstance(self.digests, DigestsUnderWay) and self.digests.under_way

    def value(self, method: DigestMethod, uri: str) -> bytes:
        found = self.digests.get(method)
        if found is None:
            raise SignatureError(
                f"no {method.name} digest of the streamed content {uri!r} was computed",
                rule="dsig:digest-unavailable",
            )
        return found


def digest_of(method: DigestMethod, data: bytes | ExternalDigest, uri: str) -> bytes:
    """The digest of a reference's input: computed, or taken from an :class:`ExternalDigest`."""
    return data.value(method, uri) if isinstance(data, ExternalDigest) else method.digest(data)


#: Supplies the content of a reference URI that is not a same-document ``#id``: raw bytes for
#: ``cid:`` attachments and zip entries, their :class:`ExternalDigest`, or an element. None
#: means "unknown URI".
Resolver = Callable[[str], "bytes | ExternalDigest | Element | None"]


#: Fills a freshly created, empty ``ds:Object`` element in place (see :func:`sign`).
ObjectBuilder = Callable[[Element], None]


def no_external(uri: str) -> bytes | ExternalDigest | Element | None:
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
class SignedInfoSpec:
    """What a new ``ds:SignedInfo`` holds: its references and algorithms (XMLDSig 4.4)."""

    references: tuple[ReferenceSpec, ...]
    signature_method: SignatureMethod = SignatureMethod.RSA_SHA256
    c14n_method: C14nMethod = C14nMethod.EXCLUSIVE
    c14n_prefixes: tuple[str, ...] = ()  # InclusiveNamespaces of an exclusive SignedInfo

    def __post_init__(self) -> None:
        object.__setattr__(self, "references", tuple(self.references))
        object.__setattr__(self, "c14n_prefixes", tuple(self.c14n_prefixes))
        if not self.references:
            raise UsageError("a signature needs at least one reference")
        if self.signature_method is SignatureMethod.RSA_SHA1:
            raise UsageError("peppol-dpi does not create RSA-SHA1 signatures")


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
    #: The InclusiveNamespaces PrefixList of its exclusive C14N transform.
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class VerifiedSignature:
    signature_method: SignatureMethod
    c14n_method: C14nMethod
    references: tuple[VerifiedReference, ...]

    def reference(self, uri: str) -> VerifiedReference | None:
        return next((r for r in self.references if r.uri == uri), None)


#: The default verification policy: RSA-SHA256/384/512, SHA-256/384/512, no SHA-1.
DEFAULT_SIGNATURE_POLICY = SignaturePolicy()

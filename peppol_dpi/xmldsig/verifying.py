"""Strict verification of a ds:Signature, returning what was verified."""

from __future__ import annotations

import enum
import functools
import hmac
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from ..arguments import require_callable, require_instance
from ..errors import CertificateError, SignatureError, UsageError
from ..keys import CERTIFICATE_CACHE_SIZE, certificate_from_der
from ..lrucache import LruCache
from ..xmlparse import Element, c14n, children_at, require_element
from .model import (
    DEFAULT_SIGNATURE_POLICY,
    C14nMethod,
    DigestMethod,
    ExternalDigest,
    Resolver,
    SignatureMethod,
    SignaturePolicy,
    Transform,
    VerifiedReference,
    VerifiedSignature,
    digest_of,
    no_external,
)
from .references import (
    ds_tag,
    external_input,
    id_index,
    reference_target,
    target_input,
    unb64,
    unresolved,
)
from .structure import (
    inclusive_prefixes,
    reference_parts,
    refuse_parameters,
    signature_parts,
    signed_info_parts,
)

__all__ = ["certificates_in", "check_external", "verify"]


def _algorithm(element: Element | None, enum_type: type[enum.Enum], what: str) -> enum.Enum:
    uri = element.get("Algorithm") if element is not None else None
    if uri is None:
        raise SignatureError(f"{what} is missing", rule="dsig:malformed")
    member = _by_value(enum_type).get(uri)
    if member is None:
        raise SignatureError(f"{what} {uri!r} is not supported", rule="dsig:algorithm-not-allowed")
    return member


@functools.cache
def _by_value(enum_type: type[enum.Enum]) -> dict[str, enum.Enum]:
    # The members by their URI (one dict lookup instead of an Enum call per algorithm).
    return {member.value: member for member in enum_type}


def _text_of(element: Element | None) -> str | None:
    # As ``findtext``: None without the element, "" for an element without text.
    return None if element is None else (element.text or "")


_PUBLIC_KEY_TYPES = typing.get_args(PublicKeyTypes)


def verify(
    signature: Element,
    *,
    public_key: rsa.RSAPublicKey,
    resolver: Resolver = no_external,
    policy: SignaturePolicy = DEFAULT_SIGNATURE_POLICY,
    ids: Mapping[str, Element] | None = None,
) -> VerifiedSignature:
    """Verify ``signature`` (a ``ds:Signature`` element in its parsed document).

    Checks that every algorithm is allowed by ``policy`` (all references first, before any
    digest is computed), recomputes every reference digest, then verifies the SignatureValue
    over the canonical SignedInfo with ``public_key``. A reference to content whose digests
    are still being taken (:attr:`~.model.ExternalDigest.under_way`) is checked after the
    rest; the failure raised is the one checking in order would raise. Which
    key to use, and whether to trust it, is the caller's decision (see :mod:`peppol_dpi.trust`).
    ``ids``: the document's id index, when the caller built one already (:func:`id_index`).
    Raises :class:`~peppol_dpi.errors.SignatureError`.
    """
    require_element(signature, caller="verify", name="signature")
    # Any public key passes here: one of another kind (an EC key from a peer's certificate)
    # is the signature's fault, refused below as dsig:algorithm-not-allowed.
    require_instance(
        public_key, _PUBLIC_KEY_TYPES, caller="verify", name="public_key", expected="a public key"
    )
    require_callable(resolver, caller="verify", name="resolver")
    require_instance(policy, SignaturePolicy, caller="verify", name="policy")
    if ids is not None:
        require_instance(ids, Mapping, caller="verify", name="ids", expected="a mapping or None")
    if signature.tag != ds_tag("Signature"):
        raise UsageError("verify() takes a ds:Signature element")
    # XMLDSig 4.1, 4.4: every child in its place, none twice (structure.py).
    signed_info, signature_value = signature_parts(signature)
    c14n_element, method_element, reference_elements = signed_info_parts(signed_info)
    c14n_method = _algorithm(c14n_element, C14nMethod, "CanonicalizationMethod")
    assert isinstance(c14n_method, C14nMethod)
    if c14n_method not in policy.c14n_methods:
        raise SignatureError(
            f"canonicalization {c14n_method.value} is not allowed",
            rule="dsig:algorithm-not-allowed",
        )
    if c14n_method is C14nMethod.EXCLUSIVE:
        c14n_prefixes = inclusive_prefixes(c14n_element, "CanonicalizationMethod")
    else:
        refuse_parameters(c14n_element, "CanonicalizationMethod")
        c14n_prefixes = ()
    signature_method = _algorithm(method_element, SignatureMethod, "SignatureMethod")
    assert isinstance(signature_method, SignatureMethod)
    if signature_method not in policy.signature_methods:
        raise SignatureError(
            f"signature method {signature_method.value} is not allowed",
            rule="dsig:algorithm-not-allowed",
        )
    if len(reference_elements) > policy.max_references:
        raise SignatureError(
            f"the signature has {len(reference_elements)} references, more than {policy.max_references}",
            rule="dsig:too-many-references",
        )

    parsed = [_parse_reference(ref, policy) for ref in reference_elements]

    # Every algorithm of every reference passed the policy above before any digest work.
    if ids is None:
        ids = id_index(signature.getroottree().getroot())
    resolve = _Answers(resolver)  # each URI resolved once: for the order below and its check
    check_value = functools.partial(
        _check_value,
        signature,
        signed_info,
        signature_value,
        c14n_method=c14n_method,
        c14n_prefixes=c14n_prefixes,
        public_key=public_key,
        signature_method=signature_method,
    )
    # XMLDSig 3.2.2: the references, then the SignatureValue. A reference whose digests are
    # still being taken on another core is checked after the rest, which meanwhile overlaps
    # with it; the failure raised is still the first in that order.
    later = {i for i, ref in enumerate(parsed) if _under_way(ref.uri, resolve)}
    verified: list[VerifiedReference | None]
    if not later:  # the usual case, in order and with nothing set up for reordering
        verified = [
            _verify_reference(ref, signature=signature, ids=ids, resolver=resolve, policy=policy)
            for ref in parsed
        ]
        check_value()
    else:
        checks: list[Callable[[], VerifiedReference | None]] = [
            functools.partial(
                _verify_reference,
                ref,
                signature=signature,
                ids=ids,
                resolver=resolve,
                policy=policy,
            )
            for ref in parsed
        ]
        checks.append(check_value)
        *verified, _ = _run_in_order(checks, later=later)
    return VerifiedSignature(
        signature_method=signature_method,
        c14n_method=c14n_method,
        references=tuple(r for r in verified if r is not None),
    )


def _check_value(
    signature: Element,
    signed_info: Element,
    signature_value: Element,
    *,
    c14n_method: C14nMethod,
    c14n_prefixes: tuple[str, ...],
    public_key: PublicKeyTypes,
    signature_method: SignatureMethod,
) -> None:
    """XMLDSig 3.2.2 signature validation: the SignatureValue over the canonical SignedInfo."""
    value = unb64(_text_of(signature_value), "SignatureValue")
    canonical = c14n(
        signed_info,
        exclusive=c14n_method is C14nMethod.EXCLUSIVE,
        version_1_1=c14n_method is C14nMethod.INCLUSIVE_11,
        inclusive_prefixes=c14n_prefixes,
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
    # A certificate in KeyInfo must be one, though the key was given: Santuario (the JDK's
    # verifier, phase4's and Oxalis') unmarshals KeyInfo and refuses the signature otherwise.
    certificates_in(signature)


class _Answers:
    """A resolver's answers, each asked for once (one that raised is asked again)."""

    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver
        self._answers: dict[str, bytes | ExternalDigest | Element | None] = {}

    def __call__(self, uri: str) -> bytes | ExternalDigest | Element | None:
        if uri not in self._answers:
            self._answers[uri] = self._resolver(uri)
        return self._answers[uri]


def _under_way(uri: str, resolver: Resolver) -> bool:
    """Whether ``uri`` names external content whose digests are still being taken."""
    if uri == "" or uri.startswith("#"):
        return False
    try:
        found = resolver(uri)
    except Exception:  # the check itself raises it again, in its turn
        return False
    return isinstance(found, ExternalDigest) and found.under_way


_T = TypeVar("_T")


def _run_in_order(checks: Sequence[Callable[[], _T]], *, later: Collection[int]) -> list[_T]:
    """Every check's result, the checks numbered in ``later`` run after the others. Raises
    what running them in their order would: the failure of the first check that fails (each
    check depends on none of the others)."""
    order = [i for i in range(len(checks)) if i not in later] + sorted(later)
    results: dict[int, _T] = {}
    failed: tuple[int, Exception] | None = None
    for i in order:
        if failed is not None and i > failed[0]:
            continue  # an earlier check failed: this one can no longer matter
        try:
            results[i] = checks[i]()
        except Exception as exc:  # raised below unless an earlier check fails too
            failed = (i, exc)
    if failed is not None:
        raise failed[1]
    return [results[i] for i in range(len(checks))]


class _ParsedReference(NamedTuple):
    """A ds:Reference whose algorithms passed the policy, not yet digested (a tuple: made
    three times per AS4 message, never handed out)."""

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
    # XMLDSig 4.4.3: Transforms?, DigestMethod, DigestValue (structure.py).
    transform_elements, method_element, value_element = reference_parts(ref)
    transforms: list[Transform] = []
    prefixes: tuple[str, ...] = ()
    for t in transform_elements:
        transform = _algorithm(t, Transform, "Transform")
        assert isinstance(transform, Transform)
        if transform not in policy.transforms:
            raise SignatureError(
                f"transform {transform.value} is not allowed", rule="dsig:transform-not-allowed"
            )
        if transform is Transform.EXCLUSIVE_C14N:
            prefixes = inclusive_prefixes(t, "Transform")
        elif len(t):
            raise SignatureError(
                "transform parameters are not supported", rule="dsig:transform-not-allowed"
            )
        transforms.append(transform)
    digest_method = _algorithm(method_element, DigestMethod, "DigestMethod")
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
        expected=unb64(_text_of(value_element), "DigestValue"),
    )


def _verify_reference(
    ref: _ParsedReference,
    *,
    signature: Element,
    ids: Mapping[str, Element],
    resolver: Resolver,
    policy: SignaturePolicy,
) -> VerifiedReference:
    uri = ref.uri
    target = reference_target(uri, signature=signature, ids=ids, resolver=resolver)
    if target is None:
        external = uri != "" and not uri.startswith("#")
        if not (external and policy.allow_unresolved_external):
            raise unresolved(uri)
        return VerifiedReference(
            uri=uri,
            transforms=ref.transforms,
            digest_method=ref.digest_method,
            digest_value=ref.expected,
            type=ref.element.get("Type"),
            reference_element=ref.element,
            digest_checked=False,
            prefixes=ref.prefixes,
        )
    data, element = target_input(uri, target, ref.transforms, ref.prefixes, signature=signature)
    _check_digest(ref.digest_method, data, uri, ref.expected)
    return VerifiedReference(
        uri=uri,
        transforms=ref.transforms,
        digest_method=ref.digest_method,
        digest_value=ref.expected,
        type=ref.element.get("Type"),
        element=element,
        reference_element=ref.element,
        prefixes=ref.prefixes,
    )


def _check_digest(
    method: DigestMethod, data: bytes | ExternalDigest, uri: str, expected: bytes
) -> None:
    if not hmac.compare_digest(digest_of(method, data, uri), expected):
        raise SignatureError(f"the digest of {uri!r} does not match", rule="dsig:digest-mismatch")


def check_external(ref: VerifiedReference, data: bytes | ExternalDigest) -> VerifiedReference:
    """``ref``, an external reference :func:`verify` left unresolved (``digest_checked``
    False, under ``SignaturePolicy.allow_unresolved_external``), with its digest now checked
    against ``data``: the octets its transforms produce, or their digest when they streamed
    past. A caller that verifies the SignedInfo before it has the content (an AS4 receiver
    authenticates a message before it decrypts the attachments) finishes the reference so.
    Raises :class:`~peppol_dpi.errors.SignatureError` (``dsig:digest-mismatch``) as
    :func:`verify` would have.
    """
    require_instance(ref, VerifiedReference, caller="check_external", name="ref")
    require_instance(
        data,
        (bytes, bytearray, memoryview, ExternalDigest),
        caller="check_external",
        name="data",
        expected="bytes or an ExternalDigest",
    )
    if ref.digest_checked or ref.element is not None:
        raise UsageError(f"the reference {ref.uri!r} was checked already")
    content = external_input(ref.uri, data, ref.transforms)
    _check_digest(ref.digest_method, content, ref.uri, ref.digest_value)
    return replace(ref, digest_checked=True)


def certificates_in(signature: Element) -> list[x509.Certificate]:
    """The certificates in ``ds:KeyInfo/ds:X509Data/ds:X509Certificate``, in document order."""
    require_element(signature, caller="certificates_in", name="signature")
    certs: list[x509.Certificate] = []
    for element in children_at(
        signature, ds_tag("KeyInfo"), ds_tag("X509Data"), ds_tag("X509Certificate")
    ):
        text = element.text
        cert = _BY_TEXT.get(text) if text else None
        if cert is None:
            der = unb64(text, "X509Certificate")
            try:
                cert = certificate_from_der(der, what="an X509Certificate")
            except CertificateError:
                raise SignatureError(
                    "an X509Certificate cannot be read", rule="dsig:malformed"
                ) from None
            if text:
                _BY_TEXT.put(text, cert)
        certs.append(cert)
    return certs


#: Certificates by the exact text of their X509Certificate element, as decoded from it: a
#: signer sends the same chain with every signature, and decoding the base64 of three
#: certificates cost more than the rest of reading them. Bounded like the cache by DER.
_BY_TEXT: LruCache[str, x509.Certificate] = LruCache(CERTIFICATE_CACHE_SIZE)

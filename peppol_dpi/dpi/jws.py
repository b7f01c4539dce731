"""JSON Web Signature (RFC 7515) as DPI uses it: compact serialization, RSA, ``x5c``.

Signing writes the header ``{"x5c":["<base64 DER of the signer>"],"alg":"RS256"}`` byte for
byte as Digdir's client does (its 2023 samples; older ones escaped ``/`` as ``\\/``): the leaf
certificate only, no ``typ``, no ``kid``.

Verification follows signxml's rule "return what was verified": :func:`verify_jws` returns a
:class:`VerifiedJws` holding the payload bytes the signature covers, the signer and whether it
is trusted. It accepts RS256, RS384 and RS512 (Digipost signs receipts with RS512) and refuses
everything else (``none``, HMAC, ECDSA, PSS), a ``crit`` header (RFC 7515 4.1.11: we
understand no extension), keys given by reference or inline (``jku``, ``jwk``, ``x5u``: the
signer is ``x5c[0]`` and only that), a ``x5t``/``x5t#S256`` that names another certificate,
duplicate header members, RSA keys under 2048 bits, non-canonical base64url and oversize input.

Trust: pass ``trust=None`` to check the cryptography only (``trusted`` is then None), or a
:class:`~peppol_dpi.trust.TrustPolicy` to validate ``x5c[0]`` (with the rest of ``x5c`` as
path-building help) at ``at``; a certificate that does not validate raises
:class:`~peppol_dpi.errors.CertificateError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from ..certinfo import norwegian_org_number
from ..errors import CertificateError, SignatureError
from ..jose import JwsAlgorithm
from ..keys import PrivateKey, certificate_from_der
from ..limits import DEFAULT_LIMITS, Limits
from ..trust import TrustPolicy, ValidatedCertificate
from .jsonmodel import JsonError, dump_json, load_json

__all__ = [
    "JwsAlgorithm",
    "JwsError",
    "VerifiedJws",
    "decode_unverified",
    "sign_jws",
    "verify_jws",
    "verify_jws_with_key",
]

MIN_RSA_BITS = 2048
MAX_X5C = 10


class JwsError(SignatureError):
    """A JWS is malformed, uses a refused feature, or its signature does not verify."""

    default_ebms_code = None  # type: ignore[assignment]  # DPI is not AS4: the rule says it


# RFC 7515 4.1.2-4.1.5: keys named by URL or given inline. Refused: DPI names its signer in
# x5c, and a verifier that honoured these would let the message choose its own key.
_KEY_REFERENCES = ("jku", "jwk", "x5u")
_B64URL = re.compile(rb"[A-Za-z0-9_-]*")


def _b64url_encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _b64url_decode(part: bytes, what: str) -> bytes:
    # RFC 7515 2 / appendix C: base64url without padding. Only the canonical encoding is
    # accepted, so one signature has exactly one serialization.
    if _B64URL.fullmatch(part) is None or len(part) % 4 == 1:
        raise JwsError(f"the JWS {what} is not base64url", rule="jws:format")
    decoded = base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))
    if _b64url_encode(decoded) != part:
        raise JwsError(f"the JWS {what} is not canonical base64url", rule="jws:format")
    return decoded


@dataclass(frozen=True, kw_only=True)
class _Compact:
    header: dict[str, Any]
    signing_input: bytes
    payload: bytes
    signature: bytes
    algorithm: JwsAlgorithm


def _split(token: bytes | str, limits: Limits, algorithms: frozenset[JwsAlgorithm]) -> _Compact:
    data = token.encode("ascii", "replace") if isinstance(token, str) else bytes(token)
    data = data.strip(b" \t\r\n")
    if len(data) > limits.max_jws_bytes:
        raise JwsError(
            f"the JWS has {len(data)} bytes, more than {limits.max_jws_bytes}", rule="jws:size"
        )
    parts = data.split(b".")
    if len(parts) != 3:
        raise JwsError(
            "a compact JWS has three base64url parts separated by '.'", rule="jws:format"
        )
    header_bytes = _b64url_decode(parts[0], "header")
    try:
        header = load_json(header_bytes, what="JWS header", max_bytes=limits.max_jws_bytes)
    except JsonError as exc:
        raise JwsError(exc.message, rule="jws:header") from None
    if not isinstance(header, dict):
        raise JwsError("the JWS header is not a JSON object", rule="jws:header")
    algorithm = _algorithm(header, algorithms)
    if "crit" in header:
        raise JwsError(
            f"the JWS marks {header['crit']!r} critical; no extension is supported",
            rule="jws:crit",
        )
    named = [name for name in _KEY_REFERENCES if name in header]
    if named:
        raise JwsError(
            f"the JWS header names its key with {', '.join(named)}; only x5c is accepted",
            rule="jws:key-reference",
        )
    return _Compact(
        header=header,
        signing_input=parts[0] + b"." + parts[1],
        payload=_b64url_decode(parts[1], "payload"),
        signature=_b64url_decode(parts[2], "signature"),
        algorithm=algorithm,
    )


def _algorithm(header: dict[str, Any], algorithms: frozenset[JwsAlgorithm]) -> JwsAlgorithm:
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise JwsError("the JWS header has no alg", rule="jws:alg")
    try:
        algorithm = JwsAlgorithm(alg)
    except ValueError:
        # "none" (RFC 7518 3.6), HMAC (3.2: a shared secret proves nothing about the sender),
        # ECDSA and PSS: DPI signs with RSASSA-PKCS1-v1_5 only.
        raise JwsError(
            f"JWS algorithm {alg!r} is refused; accepted: {', '.join(sorted(algorithms))}",
            rule="jws:alg",
        ) from None
    if algorithm not in algorithms:
        raise JwsError(f"JWS algorithm {alg} is not accepted here", rule="jws:alg")
    return algorithm


def _certificates(header: dict[str, Any]) -> list[x509.Certificate]:
    # RFC 7515 4.1.6: x5c = array of standard base64 (not base64url) DER; the first is the signer.
    x5c = header.get("x5c")
    if not isinstance(x5c, list) or not x5c or len(x5c) > MAX_X5C:
        raise JwsError(
            f"the JWS header must carry x5c: 1 to {MAX_X5C} certificates", rule="jws:x5c"
        )
    certificates = []
    for item in x5c:
        try:
            if not isinstance(item, str):
                raise ValueError("not a string")
            cert = certificate_from_der(base64.b64decode(item, validate=True), what="x5c")
        except (ValueError, binascii.Error, CertificateError):
            raise JwsError(
                "an x5c entry is not a readable DER certificate", rule="jws:x5c"
            ) from None
        certificates.append(cert)
    signer_der = base64.b64decode(x5c[0])
    for name, digest in (("x5t", hashlib.sha1), ("x5t#S256", hashlib.sha256)):  # RFC 7515 4.1.7/8
        if name in header:
            thumbprint = _b64url_encode(digest(signer_der).digest()).decode()
            if not isinstance(header[name], str) or not hmac.compare_digest(
                header[name], thumbprint
            ):
                raise JwsError(f"the JWS {name} does not name the x5c certificate", rule="jws:x5t")
    return certificates


def _check_signature(
    key: object, algorithm: JwsAlgorithm, signing_input: bytes, signature: bytes
) -> None:
    if not isinstance(key, rsa.RSAPublicKey):
        raise JwsError("the JWS signer key is not an RSA key", rule="jws:key")
    if key.key_size < MIN_RSA_BITS:
        raise JwsError(
            f"the JWS signer key has {key.key_size} bits, fewer than {MIN_RSA_BITS}",
            rule="jws:key",
        )
    if len(signature) != (key.key_size + 7) // 8:
        raise JwsError("the JWS signature has the wrong length", rule="jws:signature")
    try:
        key.verify(signature, signing_input, padding.PKCS1v15(), algorithm.hash.algorithm())
    except InvalidSignature:
        raise JwsError("the JWS signature does not verify", rule="jws:signature") from None


@dataclass(frozen=True, kw_only=True)
class VerifiedJws:
    """What :func:`verify_jws` established. Use ``payload``: those are the signed bytes."""

    payload: bytes
    header: dict[str, Any]
    algorithm: JwsAlgorithm
    signer: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    #: True when validated against the trust policy; None when no policy was given.
    trusted: bool | None
    validated: ValidatedCertificate | None = None

    @property
    def signer_org_number(self) -> str | None:
        """The Norwegian organisation number in the signer certificate (SEID 1 or 2)."""
        return norwegian_org_number(self.signer)


_ALL = frozenset(JwsAlgorithm)


def verify_jws(
    token: bytes | str,
    *,
    trust: TrustPolicy | None,
    at: datetime | None = None,
    algorithms: frozenset[JwsAlgorithm] = _ALL,
    limits: Limits = DEFAULT_LIMITS,
) -> VerifiedJws:
    """Verify a compact JWS signed by the certificate in its ``x5c`` (see the module doc).

    ``trust`` is required on purpose: pass None to check only the cryptography.
    """
    compact = _split(token, limits, algorithms)
    certificates = _certificates(compact.header)
    signer = certificates[0]
    try:
        public_key: object = signer.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise JwsError("the x5c certificate's key cannot be read", rule="jws:key") from None
    _check_signature(public_key, compact.algorithm, compact.signing_input, compact.signature)
    validated = None
    if trust is not None:
        validated = trust.validate(signer, chain=certificates[1:], at=at)
    return VerifiedJws(
        payload=compact.payload,
        header=compact.header,
        algorithm=compact.algorithm,
        signer=signer,
        chain=tuple(certificates[1:]),
        trusted=None if trust is None else True,
        validated=validated,
    )


def verify_jws_with_key(
    token: bytes | str,
    keys: dict[str, rsa.RSAPublicKey] | rsa.RSAPublicKey,
    *,
    algorithms: frozenset[JwsAlgorithm] = _ALL,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[dict[str, Any], bytes]:
    """Verify a JWS with a key the caller trusts (e.g. Maskinporten's, from its JWKS): one
    key, or keys by ``kid``. Returns the header and the signed payload bytes."""
    compact = _split(token, limits, algorithms)
    if isinstance(keys, dict):
        kid = compact.header.get("kid")
        if not isinstance(kid, str) or kid not in keys:
            raise JwsError(f"no trusted key has kid {kid!r}", rule="jws:kid")
        key = keys[kid]
    else:
        key = keys
    _check_signature(key, compact.algorithm, compact.signing_input, compact.signature)
    return compact.header, compact.payload


def decode_unverified(token: bytes | str, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The payload of a compact JWS WITHOUT verifying anything (for display and routing)."""
    return _split(token, limits, _ALL).payload


def sign_jws(
    payload: bytes, key: PrivateKey, *, algorithm: JwsAlgorithm = JwsAlgorithm.RS256
) -> bytes:
    """A compact JWS of ``payload`` with the header ``{"x5c":[<key's certificate>],"alg":...}``."""
    leaf = base64.b64encode(key.certificate.public_bytes(Encoding.DER)).decode("ascii")
    header = dump_json({"x5c": [leaf], "alg": algorithm.value})
    signing_input = _b64url_encode(header) + b"." + _b64url_encode(payload)
    signature = key.sign(signing_input, algorithm.hash)
    return signing_input + b"." + _b64url_encode(signature)

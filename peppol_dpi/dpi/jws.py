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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from ..certinfo import norwegian_org_number
from ..errors import CertificateError
from ..jose import (
    ALL_ALGORITHMS,
    JwsAlgorithm,
    JwsError,
    b64url_encode,
    decode_compact,
    encode_compact,
)
from ..keys import PrivateKey, certificate_from_der
from ..limits import DEFAULT_LIMITS, Limits
from ..trust import TrustPolicy, ValidatedCertificate

__all__ = [
    "JwsAlgorithm",
    "JwsError",
    "VerifiedJws",
    "decode_unverified",
    "sign_jws",
    "verify_jws",
    "verify_jws_with_key",
]

MAX_X5C = 10


def _certificates(header: Mapping[str, Any]) -> list[x509.Certificate]:
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
            thumbprint = b64url_encode(digest(signer_der).digest())
            if not isinstance(header[name], str) or not hmac.compare_digest(
                header[name], thumbprint
            ):
                raise JwsError(f"the JWS {name} does not name the x5c certificate", rule="jws:x5t")
    return certificates


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


_ALL = ALL_ALGORITHMS


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
    compact = decode_compact(token, limits=limits, algorithms=algorithms)
    certificates = _certificates(compact.header)
    signer = certificates[0]
    try:
        public_key: object = signer.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise JwsError("the x5c certificate's key cannot be read", rule="jws:key") from None
    compact.verify(public_key)
    validated = None
    if trust is not None:
        validated = trust.validate(signer, chain=certificates[1:], at=at)
    return VerifiedJws(
        payload=compact.payload,
        header=dict(compact.header),
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
    compact = decode_compact(token, limits=limits, algorithms=algorithms)
    if isinstance(keys, dict):
        kid = compact.header.get("kid")
        if not isinstance(kid, str) or kid not in keys:
            raise JwsError(f"no trusted key has kid {kid!r}", rule="jws:kid")
        key = keys[kid]
    else:
        key = keys
    compact.verify(key)
    return dict(compact.header), compact.payload


def decode_unverified(token: bytes | str, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The payload of a compact JWS WITHOUT verifying anything (for display and routing)."""
    return decode_compact(token, limits=limits).payload


def sign_jws(
    payload: bytes, key: PrivateKey, *, algorithm: JwsAlgorithm = JwsAlgorithm.RS256
) -> bytes:
    """A compact JWS of ``payload`` with the header ``{"x5c":[<key's certificate>],"alg":...}``."""
    leaf = base64.b64encode(key.certificate.public_bytes(Encoding.DER)).decode("ascii")
    return encode_compact(
        header={"x5c": [leaf], "alg": algorithm.value}, payload=payload, key=key
    ).encode("ascii")

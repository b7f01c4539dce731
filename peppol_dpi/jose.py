"""The one JWS (RFC 7515) core of peppol-dpi: compact serialization, RSASSA-PKCS1-v1_5.

Used for the DPI business messages and receipts (:mod:`peppol_dpi.dpi.jws` adds ``x5c`` and
trust on top), the Maskinporten JWT grant and access tokens, and the local services.

:func:`decode_compact` refuses, before anything is verified:

* input over ``Limits.max_jws_bytes``; anything but three canonical base64url parts (RFC 7515
  2, appendix C: one signature has exactly one serialization; white space around the token, as
  a file or an XML element's text may hold it, is not part of it);
* a header that is not strict JSON (duplicate member names: two parsers would disagree on which
  counts) or not an object;
* every algorithm but RS256, RS384 and RS512 - ``none`` (RFC 7518 3.6), HMAC (3.2: a shared
  secret, the "public key as HMAC secret" confusion), ECDSA and PSS: the profiles sign with
  RSASSA-PKCS1-v1_5 only;
* a ``crit`` header (RFC 7515 4.1.11: no extension is understood), and ``b64`` other than
  ``true`` with or without it (RFC 7797 3, 6: a verifier that honours it reads another payload
  from the same signature);
* registered header parameters of the wrong type: ``kid``, ``typ``, ``cty``, ``x5t`` and
  ``x5t#S256`` are strings (4.1.4-4.1.10; ``x5c`` is read by :mod:`peppol_dpi.dpi.jws`);
* keys given by reference or inline (``jku``, ``jwk``, ``x5u``, 4.1.2-4.1.5): which key
  verifies is the verifier's decision, never the message's.

:meth:`ParsedJws.verify` then checks the signature with the key the caller chose, refusing
RSA keys under 2048 bits and signatures of the wrong length.
"""

from __future__ import annotations

import base64
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .errors import SignatureError, UsageError
from .jsonparse import JsonError, dump_json, load_json
from .keys import PrivateKey, SignatureHash
from .limits import DEFAULT_LIMITS, Limits

__all__ = [
    "ALL_ALGORITHMS",
    "MIN_RSA_BITS",
    "JwsAlgorithm",
    "JwsError",
    "ParsedJws",
    "b64url_decode",
    "b64url_encode",
    "decode_compact",
    "encode_compact",
    "rsa_jwk",
    "rsa_key_from_jwk",
]

MIN_RSA_BITS = 2048


class JwsError(SignatureError):
    """A JWS is malformed, uses a refused feature, or its signature does not verify."""

    default_ebms_code = None  # type: ignore[assignment]  # a JWS is not AS4: the rule says it


class JwsAlgorithm(enum.StrEnum):
    RS256 = "RS256"
    RS384 = "RS384"
    RS512 = "RS512"

    @property
    def hash(self) -> SignatureHash:
        return {
            JwsAlgorithm.RS256: SignatureHash.SHA256,
            JwsAlgorithm.RS384: SignatureHash.SHA384,
            JwsAlgorithm.RS512: SignatureHash.SHA512,
        }[self]


ALL_ALGORITHMS = frozenset(JwsAlgorithm)
_KEY_REFERENCES = ("jku", "jwk", "x5u")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, what: str = "JWS part") -> bytes:
    """base64url without padding, canonical only (RFC 7515 2, appendix C)."""
    if _B64URL.fullmatch(text) is None or len(text) % 4 == 1:
        raise JwsError(f"the {what} is not base64url", rule="jws:format")
    decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # Canonical means the unused bits of the last group are zero: re-encoding that group
    # alone must give the same characters (groups of 3 bytes encode independently).
    tail_chars = len(text) % 4 or 4
    tail_bytes = tail_chars * 6 // 8 if text else 0
    if tail_bytes and b64url_encode(decoded[-tail_bytes:]) != text[-tail_chars:]:
        raise JwsError(f"the {what} is not canonical base64url", rule="jws:format")
    return decoded


def encode_compact(
    *, header: Mapping[str, Any], payload: Mapping[str, Any] | bytes, key: PrivateKey
) -> str:
    """``BASE64URL(header).BASE64URL(payload).BASE64URL(signature)``; ``alg`` from the header.

    The header is written compactly in the order given (so ``{"x5c":[...],"alg":"RS256"}``
    comes out byte for byte as Digdir's client writes it).
    """
    try:
        algorithm = JwsAlgorithm(str(header.get("alg")))
    except ValueError:
        raise UsageError(f"unsupported JWS alg {header.get('alg')!r}") from None
    body = payload if isinstance(payload, bytes) else dump_json(dict(payload))
    signing_input = f"{b64url_encode(dump_json(dict(header)))}.{b64url_encode(body)}"
    signature = key.sign(signing_input.encode("ascii"), algorithm.hash)
    return f"{signing_input}.{b64url_encode(signature)}"


@dataclass(frozen=True, kw_only=True)
class ParsedJws:
    """A decoded, not yet verified, compact JWS."""

    header: Mapping[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes
    algorithm: JwsAlgorithm

    def claims(self, *, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
        """The payload as a JSON object (a JWT claims set), read strictly."""
        try:
            claims = load_json(self.payload, what="JWS payload", max_bytes=limits.max_jws_bytes)
        except JsonError as exc:
            raise JwsError(exc.message, rule="jws:payload") from None
        if not isinstance(claims, dict):
            raise JwsError("the JWS payload is not a JSON object", rule="jws:payload")
        return claims

    def verify(self, public_key: object) -> None:
        """Check the signature with ``public_key`` (the caller's choice); raises JwsError."""
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise JwsError("the JWS signer key is not an RSA key", rule="jws:key")
        if public_key.key_size < MIN_RSA_BITS:
            raise JwsError(
                f"the JWS signer key has {public_key.key_size} bits, fewer than {MIN_RSA_BITS}",
                rule="jws:key",
            )
        if len(self.signature) != (public_key.key_size + 7) // 8:
            raise JwsError("the JWS signature has the wrong length", rule="jws:signature")
        try:
            public_key.verify(
                self.signature,
                self.signing_input,
                padding.PKCS1v15(),
                self.algorithm.hash.algorithm(),
            )
        except InvalidSignature:
            raise JwsError("the JWS signature does not verify", rule="jws:signature") from None


def decode_compact(
    token: str | bytes,
    *,
    limits: Limits = DEFAULT_LIMITS,
    algorithms: frozenset[JwsAlgorithm] = ALL_ALGORITHMS,
) -> ParsedJws:
    """Split and decode a compact JWS, refusing everything the module doc lists."""
    text = token.decode("ascii", "replace") if isinstance(token, bytes) else token
    text = text.strip(" \t\r\n")
    if len(text) > limits.max_jws_bytes:
        raise JwsError(
            f"the JWS has {len(text)} bytes, more than {limits.max_jws_bytes}", rule="jws:size"
        )
    parts = text.split(".")
    if len(parts) != 3:
        raise JwsError(
            "a compact JWS has three base64url parts separated by '.'", rule="jws:format"
        )
    try:
        header = load_json(
            b64url_decode(parts[0], what="JWS header"),
            what="JWS header",
            max_bytes=limits.max_jws_bytes,
        )
    except JsonError as exc:
        raise JwsError(exc.message, rule="jws:header") from None
    if not isinstance(header, dict):
        raise JwsError("the JWS header is not a JSON object", rule="jws:header")
    algorithm = _algorithm(header, algorithms)
    if "crit" in header:
        raise JwsError(
            f"the JWS marks {header['crit']!r} critical; no extension is supported", rule="jws:crit"
        )
    if header.get("b64", True) is not True:
        raise JwsError(
            "the JWS header has b64 (RFC 7797 unencoded payload), which is not supported",
            rule="jws:crit",
        )
    _check_header_types(header)
    named = [name for name in _KEY_REFERENCES if name in header]
    if named:
        raise JwsError(
            f"the JWS header names its key with {', '.join(named)}; the verifier chooses the key",
            rule="jws:key-reference",
        )
    return ParsedJws(
        header=header,
        payload=b64url_decode(parts[1], what="JWS payload"),
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=b64url_decode(parts[2], what="JWS signature"),
        algorithm=algorithm,
    )


# RFC 7515 4.1.4-4.1.10: the registered header parameters whose value is a string.
_STRING_PARAMETERS = ("kid", "typ", "cty", "x5t", "x5t#S256")


def _check_header_types(header: Mapping[str, Any]) -> None:
    for name in _STRING_PARAMETERS:
        if name in header and not isinstance(header[name], str):
            raise JwsError(f"the JWS header's {name} is not a string", rule="jws:header")


def _algorithm(header: Mapping[str, Any], algorithms: frozenset[JwsAlgorithm]) -> JwsAlgorithm:
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise JwsError("the JWS header has no alg", rule="jws:alg")
    try:
        algorithm = JwsAlgorithm(alg)
    except ValueError:
        raise JwsError(
            f"JWS algorithm {alg!r} is refused; accepted: {', '.join(sorted(algorithms))}",
            rule="jws:alg",
        ) from None
    if algorithm not in algorithms:
        raise JwsError(f"JWS algorithm {alg} is not accepted here", rule="jws:alg")
    return algorithm


def rsa_jwk(
    public_key: rsa.RSAPublicKey, *, kid: str, alg: JwsAlgorithm = JwsAlgorithm.RS256
) -> dict[str, str]:
    """An RSA public key as a JWK (RFC 7517, RFC 7518 6.3.1)."""
    numbers = public_key.public_numbers()

    def _int(value: int) -> str:
        return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    return {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": alg.value,
        "n": _int(numbers.n),
        "e": _int(numbers.e),
    }


#: The smallest RSA key a JWK may hold (RFC 7518 3.3).
MIN_JWK_RSA_BITS = 2048


def rsa_key_from_jwk(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey:
    """The RSA public key of a JWK; refuses other key types."""
    if (
        jwk.get("kty") != "RSA"
        or not isinstance(jwk.get("n"), str)
        or not isinstance(jwk.get("e"), str)
    ):
        raise JwsError("the JWK is not an RSA public key", rule="jws:jwk")
    n = int.from_bytes(b64url_decode(jwk["n"], what="JWK n"), "big")
    e = int.from_bytes(b64url_decode(jwk["e"], what="JWK e"), "big")
    try:
        key = rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError:
        raise JwsError("the JWK is not a valid RSA key", rule="jws:jwk") from None
    # RFC 7518 3.3: "A key of size 2048 bits or larger MUST be used with these algorithms"
    # (RS256 and its kin), as certificates' keys are held to it (cert_rules).
    if key.key_size < MIN_JWK_RSA_BITS:
        raise JwsError(
            f"the JWK's RSA key has {key.key_size} bits, fewer than {MIN_JWK_RSA_BITS}",
            rule="jws:jwk",
        )
    return key

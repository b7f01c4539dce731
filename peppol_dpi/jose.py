"""A minimal JWS (RFC 7515) compact serialization with RSASSA-PKCS1-v1_5 (RFC 7518 3.3).

Enough for the Maskinporten JWT grant and access tokens: RS256/RS384/RS512, signing through
:class:`~peppol_dpi.keys.PrivateKey`, decoding with size limits, verification with a given RSA
public key. ``alg: none`` and every other algorithm are refused; which key to verify with is
the caller's decision (a trusted ``x5c`` certificate, a registered ``kid``, a JWKS).
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .errors import InputError, SignatureError, UsageError
from .keys import PrivateKey, SignatureHash
from .limits import DEFAULT_LIMITS, Limits

__all__ = [
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


class JwsError(InputError):
    """A JWS that cannot be read: not three base64url parts, not JSON, too large."""


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


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, what: str = "JWS part") -> bytes:
    # RFC 7515 2: base64url without padding; refuse anything else (standard alphabet, '=').
    if not text.isascii() or any(c in text for c in "+/= \n"):
        raise JwsError(f"{what} is not base64url", rule="jws:base64")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise JwsError(f"{what} is not base64url", rule="jws:base64") from None


def _json_b64(obj: Mapping[str, Any]) -> str:
    return b64url_encode(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def encode_compact(
    *, header: Mapping[str, Any], payload: Mapping[str, Any] | bytes, key: PrivateKey
) -> str:
    """``BASE64URL(header).BASE64URL(payload).BASE64URL(signature)``; ``alg`` from the header."""
    try:
        algorithm = JwsAlgorithm(str(header.get("alg")))
    except ValueError:
        raise UsageError(f"unsupported JWS alg {header.get('alg')!r}") from None
    body = (
        payload
        if isinstance(payload, bytes)
        else json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    )
    signing_input = f"{_json_b64(header)}.{b64url_encode(body)}"
    signature = key.sign(signing_input.encode("ascii"), algorithm.hash)
    return f"{signing_input}.{b64url_encode(signature)}"


@dataclass(frozen=True, kw_only=True)
class ParsedJws:
    """A decoded (not yet verified) compact JWS."""

    header: Mapping[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes
    algorithm: JwsAlgorithm

    def claims(self) -> dict[str, Any]:
        """The payload as a JSON object (a JWT claims set)."""
        try:
            claims = json.loads(self.payload)
        except ValueError:
            raise JwsError("the JWS payload is not JSON", rule="jws:payload") from None
        if not isinstance(claims, dict):
            raise JwsError("the JWS payload is not a JSON object", rule="jws:payload")
        return claims

    def verify(self, public_key: object) -> None:
        """Check the signature with ``public_key``; raises SignatureError."""
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise SignatureError("the JWS key is not an RSA key", rule="jws:key")
        try:
            public_key.verify(
                self.signature,
                self.signing_input,
                padding.PKCS1v15(),
                self.algorithm.hash.algorithm(),
            )
        except InvalidSignature:
            raise SignatureError(
                "the JWS signature does not verify", rule="jws:bad-signature"
            ) from None


def decode_compact(token: str | bytes, *, limits: Limits = DEFAULT_LIMITS) -> ParsedJws:
    """Split and decode a compact JWS; refuses other algorithms than RS256/384/512."""
    text = token.decode("ascii", "replace") if isinstance(token, bytes) else token
    text = text.strip()
    if len(text) > limits.max_jws_bytes:
        raise JwsError(f"the JWS is larger than {limits.max_jws_bytes} bytes", rule="jws:too-large")
    parts = text.split(".")
    if len(parts) != 3:
        raise JwsError("a compact JWS has three parts", rule="jws:format")
    try:
        header = json.loads(b64url_decode(parts[0], what="JWS header"))
    except ValueError:
        raise JwsError("the JWS header is not JSON", rule="jws:header") from None
    if not isinstance(header, dict):
        raise JwsError("the JWS header is not a JSON object", rule="jws:header")
    if "crit" in header:  # RFC 7515 4.1.11: we understand no extensions
        raise JwsError("the JWS has critical extensions", rule="jws:crit")
    try:
        algorithm = JwsAlgorithm(str(header.get("alg")))
    except ValueError:
        raise JwsError(f"JWS alg {header.get('alg')!r} is not allowed", rule="jws:alg") from None
    return ParsedJws(
        header=header,
        payload=b64url_decode(parts[1], what="JWS payload"),
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=b64url_decode(parts[2], what="JWS signature"),
        algorithm=algorithm,
    )


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
        return rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError:
        raise JwsError("the JWK is not a valid RSA key", rule="jws:jwk") from None

"""Checking the Maskinporten bearer token that every corner 2 call carries (dpi.md 4, 5).

A token is accepted when it is a JWS signed with RS256/RS384/RS512 by a key in the configured
Maskinporten's JWKS, its ``iss`` is that Maskinporten, it is inside its validity (``exp``,
``nbf``, small leeway), and it names a ``consumer``; all else is 401. A valid token without the
scope ``digitalpostinnbygger:send`` is 403.

The caller the API sees is the token's ``supplier`` when there is one (a data processor sending
for its customers), else its ``consumer``: stored messages and receipts are keyed on it
(dpi.md 4, "Ownership of incoming messages", as Digdir's corner 2 mock does).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..errors import InputError, TransportError, UsageError
from ..ids import IdentifierError, ParticipantId

__all__ = [
    "DPI_SEND_SCOPE",
    "AuthenticationError",
    "AuthorizationError",
    "HttpJwks",
    "JwksSource",
    "MaskinportenTokenVerifier",
    "StaticJwks",
    "TokenClaims",
    "jwks_keys",
]

DPI_SEND_SCOPE = "digitalpostinnbygger:send"
_MAX_TOKEN = 16 * 1024
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


class AuthenticationError(InputError):
    """No valid Maskinporten token (HTTP 401)."""


class AuthorizationError(InputError):
    """A valid token that does not allow this (HTTP 403)."""


@dataclass(frozen=True, kw_only=True)
class TokenClaims:
    token: str
    issuer: str
    scopes: frozenset[str]
    consumer: ParticipantId
    supplier: ParticipantId | None
    client_id: str | None
    expires_at: datetime

    @property
    def caller(self) -> ParticipantId:
        """The technical party: supplier if present, else consumer."""
        return self.supplier or self.consumer

    @property
    def owner(self) -> str:
        return self.caller.value


def _b64url(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise AuthenticationError("token is not base64url", rule="c2:token-format") from None


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise AuthenticationError(f"token {what} is not JSON", rule="c2:token-format") from None
    if not isinstance(value, dict):
        raise AuthenticationError(f"token {what} is not a JSON object", rule="c2:token-format")
    return value


def jwks_keys(jwks: Mapping[str, Any]) -> dict[str | None, rsa.RSAPublicKey]:
    """The RSA signing keys of a JWKS document, by ``kid`` (RFC 7517, RFC 7518 6.3.1)."""
    keys: dict[str | None, rsa.RSAPublicKey] = {}
    for entry in jwks.get("keys", []):
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            n = int.from_bytes(_b64url(str(entry["n"])), "big")
            e = int.from_bytes(_b64url(str(entry["e"])), "big")
            keys[entry.get("kid")] = rsa.RSAPublicNumbers(e, n).public_key()
        except (KeyError, ValueError, AuthenticationError):
            continue
    return keys


class JwksSource(Protocol):
    def keys(self, *, refresh: bool = False) -> dict[str | None, rsa.RSAPublicKey]: ...


class StaticJwks:
    """A JWKS given once (configuration, tests)."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = jwks_keys(jwks)
        if not self._keys:
            raise UsageError("the JWKS holds no RSA signing key")

    def keys(self, *, refresh: bool = False) -> dict[str | None, rsa.RSAPublicKey]:
        return self._keys


class HttpJwks:
    """Maskinporten's JWKS, fetched from its ``jwks_uri`` and cached for ``ttl_seconds``.

    An unknown ``kid`` triggers one refresh (key rotation), at most once a minute.
    """

    def __init__(
        self,
        jwks_uri: str,
        *,
        session: requests.Session,
        ttl_seconds: float = 3600.0,
        timeout: float = 10.0,
    ) -> None:
        self.jwks_uri = jwks_uri
        self._session = session
        self._ttl = ttl_seconds
        self._timeout = timeout
        self._lock = threading.Lock()
        self._keys: dict[str | None, rsa.RSAPublicKey] = {}
        self._fetched = 0.0

    def keys(self, *, refresh: bool = False) -> dict[str | None, rsa.RSAPublicKey]:
        with self._lock:
            age = time.monotonic() - self._fetched
            if not self._keys or age > self._ttl or (refresh and age > 60):
                try:
                    response = self._session.get(self.jwks_uri, timeout=self._timeout)
                    response.raise_for_status()
                    self._keys = jwks_keys(response.json())
                except (requests.RequestException, ValueError) as exc:
                    if not self._keys:
                        raise TransportError(f"cannot fetch the JWKS: {exc}") from None
                self._fetched = time.monotonic()
            return self._keys


def _participant(claim: object, name: str) -> ParticipantId:
    # Maskinporten: {"authority": "iso6523-actorid-upis", "ID": "0192:<orgnr>"} (dpi.md 5)
    if not isinstance(claim, dict) or not isinstance(claim.get("ID"), str):
        raise AuthenticationError(f"token has no valid {name} claim", rule=f"c2:token-{name}")
    try:
        return ParticipantId.parse(claim["ID"])
    except IdentifierError as exc:
        raise AuthenticationError(f"token {name}: {exc.message}", rule=f"c2:token-{name}") from None


class MaskinportenTokenVerifier:
    """Verifies bearer tokens issued by one Maskinporten (``issuer``) with its ``jwks``."""

    def __init__(
        self,
        *,
        issuer: str,
        jwks: JwksSource,
        required_scope: str = DPI_SEND_SCOPE,
        leeway_seconds: float = 10.0,
    ) -> None:
        self.issuer = issuer
        self.jwks = jwks
        self.required_scope = required_scope
        self.leeway = leeway_seconds

    def verify(self, token: str, *, now: datetime) -> TokenClaims:
        if len(token) > _MAX_TOKEN:
            raise AuthenticationError("token too large", rule="c2:token-format")
        parts = token.split(".")
        if len(parts) != 3:
            raise AuthenticationError("token is not a compact JWS", rule="c2:token-format")
        header = _json_object(_b64url(parts[0]), "header")
        alg = header.get("alg")
        if alg not in _HASHES:  # RFC 8725 3.1: only the algorithms we expect; never none/HMAC
            raise AuthenticationError(f"token algorithm {alg!r} not accepted", rule="c2:token-alg")
        kid = header.get("kid")
        keys = self.jwks.keys()
        key = keys.get(kid) or self.jwks.keys(refresh=True).get(kid)
        if key is None and kid is None and len(keys) == 1:
            key = next(iter(keys.values()))
        if key is None:
            raise AuthenticationError(
                "token signed with a key not in Maskinporten's JWKS", rule="c2:token-key"
            )
        try:
            key.verify(
                _b64url(parts[2]),
                f"{parts[0]}.{parts[1]}".encode("ascii"),
                padding.PKCS1v15(),
                _HASHES[alg](),
            )
        except (InvalidSignature, UnicodeEncodeError):
            raise AuthenticationError(
                "token signature does not verify", rule="c2:token-signature"
            ) from None
        claims = _json_object(_b64url(parts[1]), "claims")
        if claims.get("iss") != self.issuer:
            raise AuthenticationError(
                f"token issuer {claims.get('iss')!r} is not {self.issuer!r}", rule="c2:token-issuer"
            )
        moment = now.timestamp()
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or moment > exp + self.leeway:
            raise AuthenticationError("token expired", rule="c2:token-expired")
        nbf = claims.get("nbf", claims.get("iat"))
        if isinstance(nbf, int | float) and moment + self.leeway < nbf:
            raise AuthenticationError("token not yet valid", rule="c2:token-not-yet-valid")
        consumer = _participant(claims.get("consumer"), "consumer")
        supplier = _participant(claims["supplier"], "supplier") if "supplier" in claims else None
        scope = claims.get("scope", "")
        scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
        if self.required_scope not in scopes:
            raise AuthorizationError(
                f"token lacks the scope {self.required_scope}", rule="c2:token-scope"
            )
        client_id = claims.get("client_id")
        return TokenClaims(
            token=token,
            issuer=self.issuer,
            scopes=scopes,
            consumer=consumer,
            supplier=supplier,
            client_id=client_id if isinstance(client_id, str) else None,
            expires_at=datetime.fromtimestamp(float(exp), UTC),
        )

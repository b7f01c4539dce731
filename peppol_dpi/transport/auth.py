"""Checking the Maskinporten bearer token that every corner 2 call carries (dpi.md 4, 5).

The checks are :func:`peppol_dpi.dpi.token.verify_maskinporten_token` (the one token verifier
of the package): signed (RS256/384/512, never ``none`` or HMAC) by a key in the configured
Maskinporten's JWKS, ``iss`` that Maskinporten, issued before now and not expired (small
leeway), with a ``consumer``. Failing any of these is HTTP 401; a valid token without the
scope ``digitalpostinnbygger:send`` is 403.

The caller the API sees is the token's ``supplier`` when there is one (a data processor sending
for its customers), else its ``consumer``: stored messages and receipts are keyed on it
(dpi.md 4, "Ownership of incoming messages", as Digdir's corner 2 mock does).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from .. import jsonparse
from ..dpi.token import DPI_SCOPE, verify_maskinporten_token
from ..errors import InputError, TransportError, UsageError
from ..httpclient import bounded_request
from ..ids import ParticipantId
from ..jose import JwsError, rsa_key_from_jwk
from ..limits import DEFAULT_LIMITS
from ..lookup.maskinporten import TokenClaims as MaskinportenClaims

__all__ = [
    "DPI_SEND_SCOPE",
    "AuthenticationError",
    "AuthorizationError",
    "HttpJwks",
    "JwksError",
    "JwksSource",
    "MaskinportenTokenVerifier",
    "StaticJwks",
    "TokenClaims",
    "jwks_keys",
]

DPI_SEND_SCOPE = DPI_SCOPE


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


def jwks_keys(jwks: object) -> dict[str, rsa.RSAPublicKey]:
    """The RSA signing keys of a JWKS document, by ``kid`` (RFC 7517 5; others are skipped).

    Raises :class:`JwksError` for a document that is not a JWKS: a JSON object whose ``keys``
    is a list (RFC 7517 5)."""
    entries = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(entries, list):
        raise JwksError(
            "a JWKS is a JSON object whose keys member is a list", rule="jwks:malformed"
        )
    keys: dict[str, rsa.RSAPublicKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            keys[entry["kid"]] = rsa_key_from_jwk(entry)
        except JwsError:
            continue
    return keys


class JwksError(InputError):
    """A JWKS document that is not one (RFC 7517 5)."""


class JwksSource(Protocol):
    def keys(self, *, refresh: bool = False) -> dict[str, rsa.RSAPublicKey]: ...


class StaticJwks:
    """A JWKS given once (configuration, tests)."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        try:
            self._keys = jwks_keys(jwks)
        except JwksError as exc:
            raise UsageError(f"the JWKS given is not one: {exc.message}") from None
        if not self._keys:
            raise UsageError("the JWKS holds no RSA signing key with a kid")

    def keys(self, *, refresh: bool = False) -> dict[str, rsa.RSAPublicKey]:
        return self._keys


class HttpJwks:
    """Maskinporten's JWKS, fetched from its ``jwks_uri`` and cached for ``ttl_seconds``.

    An unknown ``kid`` triggers one refresh (key rotation), at most once a minute. Each fetch is
    one bounded exchange (:func:`~peppol_dpi.httpclient.bounded_request`: ``timeout`` for all
    of it, at most ``Limits.max_http_response_bytes``); a failed one keeps the keys cached.
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
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._fetched = 0.0

    def keys(self, *, refresh: bool = False) -> dict[str, rsa.RSAPublicKey]:
        with self._lock:
            age = time.monotonic() - self._fetched
            if not self._keys or age > self._ttl or (refresh and age > 60):
                try:
                    self._keys = self._fetch()
                except (TransportError, InputError) as exc:
                    if not self._keys:
                        raise TransportError(f"cannot fetch the JWKS: {exc}") from None
                self._fetched = time.monotonic()
            return self._keys

    def _fetch(self) -> dict[str, rsa.RSAPublicKey]:
        answer = bounded_request(
            self._session,
            "GET",
            self.jwks_uri,
            max_bytes=DEFAULT_LIMITS.max_http_response_bytes,
            timeout=self._timeout,
        )
        if answer.status != 200:
            raise TransportError(f"HTTP {answer.status} from {self.jwks_uri}")
        try:
            document = jsonparse.loads(answer.body)
        except ValueError:
            raise JwksError("the JWKS is not JSON", rule="jwks:malformed") from None
        return jwks_keys(document)


class MaskinportenTokenVerifier:
    """Verifies bearer tokens issued by one Maskinporten (``issuer``) with its ``jwks``."""

    def __init__(
        self,
        *,
        issuer: str,
        jwks: JwksSource,
        required_scope: str = DPI_SEND_SCOPE,
        leeway_seconds: float = 10.0,
        audience: str | None = None,
    ) -> None:
        self.audience = audience
        self.issuer = issuer
        self.jwks = jwks
        self.required_scope = required_scope
        self.leeway = timedelta(seconds=leeway_seconds)

    def verify(self, token: str, *, now: datetime) -> TokenClaims:
        try:
            try:
                claims = self._verify(token, now, self.jwks.keys())
            except JwsError as exc:
                if exc.rule != "jws:kid":
                    raise
                claims = self._verify(token, now, self.jwks.keys(refresh=True))  # key rotation
        except InputError as exc:
            if exc.rule == "token:scope":
                raise AuthorizationError(exc.message, rule=exc.rule) from None
            raise AuthenticationError(exc.message, rule=exc.rule) from None
        if self.audience is not None and not _has_audience(claims.raw.get("aud"), self.audience):
            # dpi.md 4: with audience-restricted tokens, aud must name this corner 2.
            raise AuthenticationError(
                f"the token is not for {self.audience}", rule="token:audience"
            )
        assert claims.consumer is not None and claims.issuer is not None  # checked
        assert claims.expires_at is not None
        return TokenClaims(
            token=token,
            issuer=claims.issuer,
            scopes=frozenset(claims.scopes),
            consumer=claims.consumer,
            supplier=claims.supplier,
            client_id=claims.client_id,
            expires_at=claims.expires_at,
        )

    def _verify(
        self, token: str, now: datetime, keys: dict[str, rsa.RSAPublicKey]
    ) -> MaskinportenClaims:
        return verify_maskinporten_token(
            token,
            keys=keys,
            at=now,
            issuer=self.issuer,
            scope=self.required_scope,
            check_expiry=True,
            leeway=self.leeway,
        )


def _has_audience(aud: object, audience: str) -> bool:
    # RFC 7519 4.1.3: a string or an array of strings.
    return aud == audience or (isinstance(aud, list) and audience in aud)

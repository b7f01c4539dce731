"""Maskinporten: the JWT grant, the token request, token caching, and the token's claims.

dpi.md 5 (Digdir ``maskinporten_protocol_jwtgrant``, ``maskinporten_protocol_token``; efm-common
``JwtTokenClient``): a JWT signed RS256 with the business certificate (``x5c``) or a registered
key (``kid``); claims ``aud`` (the environment's issuer), ``iss`` (client id), ``scope``, ``iat``,
``exp`` at most 120 s later, a single-use ``jti``, and optionally ``consumer_org`` (acting for
another organisation, validated against its Altinn delegation) and ``resource`` (audience
restriction). ``POST`` as ``application/x-www-form-urlencoded`` with
``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``. The answer's ``access_token`` is a
JWT whose ``consumer``/``supplier`` say for whom it was issued.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from cryptography.hazmat.primitives.serialization import Encoding

from .. import jsonparse
from ..arguments import require_instance, require_texts
from ..errors import InputError, UsageError
from ..ids import ParticipantId, is_valid_norwegian_org_number
from ..instants import require_aware
from ..jose import JwsAlgorithm, decode_compact, encode_compact
from ..keys import PrivateKey, require_key
from ..limits import DEFAULT_LIMITS, Limits
from .cache import TtlCache
from .errors import MaskinportenError
from .http import DEFAULT_TIMEOUT, Timeout, exchange, require_session

__all__ = [
    "GRANT_TYPE",
    "MASKINPORTEN_PRESETS",
    "AccessToken",
    "JwtGrant",
    "MaskinportenClient",
    "MaskinportenEnvironment",
    "TokenClaims",
    "parse_token_claims",
    "scope_tokens",
]

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"  # RFC 7523 2.1
MAX_GRANT_LIFETIME = timedelta(seconds=120)  # Maskinporten: exp at most 120 s after iat


def scope_tokens(scope: object) -> tuple[str, ...]:
    """The scopes of a ``scope`` value: RFC 6749 3.3 delimits them with spaces (%x20) and
    nothing else (``str.split()`` would also split at a tab, U+00A0 or U+3000, none of which a
    scope-token may hold). Anything but a string has none."""
    if not isinstance(scope, str):
        return ()
    return tuple(token for token in scope.split(" ") if token)


@dataclass(frozen=True, kw_only=True)
class MaskinportenEnvironment:
    """Where to ask: the token endpoint, and the issuer (the grant's ``aud``)."""

    name: str
    token_url: str
    issuer: str

    def __post_init__(self) -> None:
        for url in (self.token_url, self.issuer):
            if not url.startswith(("https://", "http://")):
                raise UsageError(f"{url!r} is not an HTTP(S) URL")


# dpi.md 5: ver1/ver2 environments are retired.
MASKINPORTEN_PRESETS: dict[str, MaskinportenEnvironment] = {
    "prod": MaskinportenEnvironment(
        name="prod",
        token_url="https://maskinporten.no/token",  # noqa: S106 - a URL
        issuer="https://maskinporten.no/",
    ),
    "test": MaskinportenEnvironment(
        name="test",
        token_url="https://test.maskinporten.no/token",  # noqa: S106 - a URL
        issuer="https://test.maskinporten.no/",
    ),
}


@dataclass(frozen=True, kw_only=True)
class JwtGrant:
    """The claims of a JWT grant (Maskinporten ``jwtgrant``)."""

    client_id: str
    audience: str
    scopes: tuple[str, ...]
    issued_at: datetime
    jti: str
    lifetime: timedelta = MAX_GRANT_LIFETIME
    consumer_org: str | None = None
    resources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "scopes", tuple(self.scopes))
        object.__setattr__(self, "resources", tuple(self.resources))
        if not self.client_id or not self.jti:
            raise UsageError("a JWT grant needs a client id and a jti")
        if not self.scopes or any(not s or " " in s for s in self.scopes):
            raise UsageError(f"scopes must be non-empty words, got {self.scopes!r}")
        require_aware(self.issued_at, "issued_at")
        if not timedelta(0) < self.lifetime <= MAX_GRANT_LIFETIME:
            raise UsageError("a grant lives more than 0 and at most 120 seconds")
        if self.consumer_org is not None and not is_valid_norwegian_org_number(self.consumer_org):
            raise UsageError(f"consumer_org {self.consumer_org!r} is not an organisation number")

    def claims(self) -> dict[str, Any]:
        iat = int(self.issued_at.timestamp())
        claims: dict[str, Any] = {
            "aud": self.audience,
            "iss": self.client_id,
            "scope": " ".join(self.scopes),
            "iat": iat,
            "exp": iat + int(self.lifetime.total_seconds()),
            "jti": self.jti,
        }
        if self.consumer_org:
            claims["consumer_org"] = self.consumer_org
        if self.resources:
            claims["resource"] = list(self.resources)
        return claims

    def sign(
        self,
        key: PrivateKey,
        *,
        key_id: str | None = None,
        include_chain: bool = False,
        algorithm: JwsAlgorithm = JwsAlgorithm.RS256,
    ) -> str:
        """The signed grant: header ``kid`` when ``key_id`` is given, else ``x5c`` (the leaf,
        as Digdir's integrasjonspunkt sends it, or the whole chain with ``include_chain``)."""
        header: dict[str, Any] = {"alg": algorithm.value}
        if key_id is not None:
            header["kid"] = key_id
        else:
            certs = [key.certificate, *(key.chain if include_chain else ())]
            header["x5c"] = [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in certs]
        return encode_compact(header=header, payload=self.claims(), key=key)


@dataclass(frozen=True, kw_only=True)
class TokenClaims:
    """What an access token says (read without verifying; the resource server verifies)."""

    issuer: str | None
    client_id: str | None
    scopes: tuple[str, ...]
    issued_at: datetime | None
    expires_at: datetime | None
    jti: str | None
    consumer: ParticipantId | None
    supplier: ParticipantId | None
    delegation_source: str | None
    client_amr: str | None
    raw: Mapping[str, Any] = field(repr=False)


def _organisation(value: Any, name: str) -> ParticipantId | None:
    # dpi.md 5: {"authority": "iso6523-actorid-upis", "ID": "0192:<orgnr>"}
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("ID"), str):
        raise MaskinportenError(
            f"token claim {name} is not an organisation", rule="maskinporten:claims"
        )
    authority = value.get("authority", "iso6523-actorid-upis")
    try:
        return ParticipantId.parse(f"{authority}::{value['ID']}")
    except InputError as exc:
        raise MaskinportenError(
            f"token claim {name}: {exc.message}", rule="maskinporten:claims"
        ) from None


def _instant(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise MaskinportenError(f"token claim {name} is not a time", rule="maskinporten:claims")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):  # beyond year 9999 or the platform's time_t
        raise MaskinportenError(
            f"token claim {name} is out of range", rule="maskinporten:claims"
        ) from None


def parse_token_claims(token: str, *, limits: Limits = DEFAULT_LIMITS) -> TokenClaims:
    """The claims of a Maskinporten access token (a JWT)."""
    try:
        claims = decode_compact(token, limits=limits).claims()
    except InputError as exc:
        raise MaskinportenError(
            f"the access token is not a JWT: {exc.message}", rule="maskinporten:token"
        ) from None
    scope = claims.get("scope", "")
    return TokenClaims(
        issuer=claims.get("iss"),
        client_id=claims.get("client_id"),
        scopes=scope_tokens(scope),
        issued_at=_instant(claims.get("iat"), "iat"),
        expires_at=_instant(claims.get("exp"), "exp"),
        jti=claims.get("jti"),
        consumer=_organisation(claims.get("consumer"), "consumer"),
        supplier=_organisation(claims.get("supplier"), "supplier"),
        delegation_source=claims.get("delegation_source"),
        client_amr=claims.get("client_amr"),
        raw=claims,
    )


@dataclass(frozen=True, kw_only=True)
class AccessToken:
    value: str
    token_type: str
    expires_at: datetime
    scopes: tuple[str, ...]
    claims: TokenClaims

    def __str__(self) -> str:  # never log a bearer token by accident
        return f"AccessToken(scopes={self.scopes}, expires_at={self.expires_at.isoformat()})"

    __repr__ = __str__


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_jti() -> str:
    return str(uuid.uuid4())


class MaskinportenClient:
    """Gets (and caches) Maskinporten access tokens for one client.

    Tokens are reused until ``refresh_margin`` before they expire; each distinct
    (scopes, consumer_org, resources) has its own token.
    """

    def __init__(
        self,
        *,
        session: requests.Session,
        environment: MaskinportenEnvironment,
        client_id: str,
        key: PrivateKey,
        key_id: str | None = None,
        include_chain: bool = False,
        refresh_margin: timedelta = timedelta(seconds=10),
        timeout: Timeout = DEFAULT_TIMEOUT,
        limits: Limits = DEFAULT_LIMITS,
        clock: Callable[[], datetime] = _utc_now,
        jti_factory: Callable[[], str] = _new_jti,
    ) -> None:
        caller = "MaskinportenClient"
        require_session(session, caller=caller)
        require_instance(environment, MaskinportenEnvironment, caller=caller, name="environment")
        require_instance(client_id, str, caller=caller, name="client_id")
        require_key(key, caller=caller)
        self.session = session
        self.environment = environment
        self.client_id = client_id
        self.key = key
        self.key_id = key_id
        self.include_chain = include_chain
        self.refresh_margin = refresh_margin
        self.timeout = timeout
        self.limits = limits
        self.clock = clock
        self.jti_factory = jti_factory
        self._cache: TtlCache[AccessToken] = TtlCache(ttl=timedelta(hours=2), clock=clock)

    def grant(
        self,
        scopes: Sequence[str],
        *,
        consumer_org: str | None = None,
        resources: Sequence[str] = (),
    ) -> str:
        """A fresh signed JWT grant."""
        _check_request("MaskinportenClient.grant", scopes, consumer_org, resources)
        return JwtGrant(
            client_id=self.client_id,
            audience=self.environment.issuer,
            scopes=tuple(scopes),
            issued_at=self.clock(),
            jti=self.jti_factory(),
            consumer_org=consumer_org,
            resources=tuple(resources),
        ).sign(self.key, key_id=self.key_id, include_chain=self.include_chain)

    def token(
        self,
        scopes: Sequence[str],
        *,
        consumer_org: str | None = None,
        resources: Sequence[str] = (),
    ) -> AccessToken:
        """An access token for ``scopes`` (from the cache while it is fresh enough)."""
        _check_request("MaskinportenClient.token", scopes, consumer_org, resources)
        cache_key = (tuple(sorted(scopes)), consumer_org, tuple(resources))
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        token = self._request(self.grant(scopes, consumer_org=consumer_org, resources=resources))
        self._cache.put(cache_key, token, expires=token.expires_at - self.refresh_margin)
        return token

    def _request(self, assertion: str) -> AccessToken:
        answer = exchange(
            self.session,
            "POST",
            self.environment.token_url,
            error=MaskinportenError,
            area="maskinporten",
            timeout=self.timeout,
            limits=self.limits,
            headers={"Accept": "application/json"},
            data={"grant_type": GRANT_TYPE, "assertion": assertion},
        )
        try:
            body = jsonparse.loads(answer.body)
        except ValueError:
            body = None
        if answer.status != 200:
            # RFC 6749 5.2: {"error": ..., "error_description": ...}
            detail = body if isinstance(body, dict) else {}
            error = str(detail.get("error") or f"HTTP {answer.status}")
            description = str(detail.get("error_description") or "")
            raise MaskinportenError(
                f"Maskinporten refused the grant: {error} {description}".strip(),
                rule=f"maskinporten:{error}" if detail.get("error") else "maskinporten:http-status",
            )
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise MaskinportenError(
                "Maskinporten's answer has no access_token", rule="maskinporten:answer"
            )
        expires_in = body.get("expires_in")
        if not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in <= 0:
            raise MaskinportenError(
                "Maskinporten's answer has no valid expires_in", rule="maskinporten:answer"
            )
        value = body["access_token"]
        scope = body.get("scope", "")
        return AccessToken(
            value=value,
            token_type=str(body.get("token_type", "Bearer")),
            expires_at=self.clock() + timedelta(seconds=expires_in),
            scopes=scope_tokens(scope),
            claims=parse_token_claims(value, limits=self.limits),
        )


def _check_request(caller: str, scopes: object, consumer_org: object, resources: object) -> None:
    # A str is a sequence too: "digdir:dpi" would ask for the scopes d, i, g, ...
    require_texts(scopes, caller=caller, name="scopes")
    require_texts(resources, caller=caller, name="resources")
    if consumer_org is not None:
        require_instance(consumer_org, str, caller=caller, name="consumer_org")

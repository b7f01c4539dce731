"""A Maskinporten-like token service: checks JWT grants and issues signed access tokens.

Endpoints: ``POST /token`` (RFC 7523 JWT bearer grant), ``GET /jwks`` and
``GET /.well-known/oauth-authorization-server``. A grant is accepted when (Maskinporten
``jwtgrant`` rules, dpi.md 5): it is RS256/384/512 signed by a registered client certificate
(``x5c``) or key (``kid``); ``iss`` is that client; ``aud`` is this issuer; ``iat``/``exp``
are current and at most 120 s apart; its ``jti`` was not seen before; every scope is
registered for the client; and a ``consumer_org`` other than the client's own organisation
is allowed by the delegation hook (Altinn's role in the real service). Errors follow RFC 6749
5.2 (``invalid_grant``, ``invalid_scope``, ``invalid_client``, ``unsupported_grant_type``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from ..errors import CertificateError, InputError, UsageError
from ..ids import is_valid_norwegian_org_number
from ..jose import JwsAlgorithm, decode_compact, encode_compact, rsa_jwk
from ..keys import PrivateKey, certificate_from_der
from ..lookup.maskinporten import GRANT_TYPE, MAX_GRANT_LIFETIME, scope_tokens
from .base import RunningService, serve_wsgi_in_thread
from .wsgi import HttpProblem, Request, Response, wsgi_app

__all__ = ["ClientRegistration", "DelegationCheck", "MaskinportenService", "serve_maskinporten"]

#: (consumer_org, supplier org, scope) -> is the supplier allowed to act for the consumer?
DelegationCheck = Callable[[str, str, str], bool]
_CLOCK_SKEW = timedelta(seconds=10)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _no_delegation(consumer_org: str, supplier_org: str, scope: str) -> bool:
    return False


@dataclass(frozen=True, kw_only=True)
class ClientRegistration:
    """A registered Maskinporten client (an "integration")."""

    client_id: str
    organisation: str  # the client's own organisation number
    scopes: frozenset[str]
    certificates: tuple[x509.Certificate, ...] = ()  # accepted in x5c[0]
    keys: Mapping[str, rsa.RSAPublicKey] = field(default_factory=dict)  # kid -> key

    def __post_init__(self) -> None:
        object.__setattr__(self, "scopes", frozenset(self.scopes))
        object.__setattr__(self, "certificates", tuple(self.certificates))
        if not is_valid_norwegian_org_number(self.organisation):
            raise UsageError(f"{self.organisation!r} is not an organisation number")


class _OAuthProblem(HttpProblem):
    """An RFC 6749 5.2 error answer."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(status, description)
        self.error = error


_oauth_error = _OAuthProblem


@dataclass
class MaskinportenService:
    """The token service's configuration and state; ``app`` is its WSGI application.

    ``issuer``: the ``aud`` grants must carry and the ``iss`` of issued tokens (by default
    the URL the service is reached at, plus ``/``).
    """

    key: PrivateKey
    clients: Mapping[str, ClientRegistration]
    issuer: str | None = None
    delegation: DelegationCheck = _no_delegation
    delegation_source: str = "https://altinn.local.test/"
    token_lifetime: timedelta = timedelta(seconds=120)
    clock: Callable[[], datetime] = _utc_now
    _seen_jti: dict[str, datetime] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.kid = hashlib.sha256(self.key.certificate.public_bytes(Encoding.DER)).hexdigest()[:16]
        self.app = wsgi_app(self._handle)

    def _issuer(self, request: Request) -> str:
        return self.issuer or request.base_url + "/"

    def _handle(self, request: Request) -> Response:
        path = "/".join(request.segments)
        if request.method == "GET" and path == "jwks":
            public = self.key.certificate.public_key()
            assert isinstance(public, rsa.RSAPublicKey)
            return Response.json({"keys": [rsa_jwk(public, kid=self.kid)]})
        if request.method == "GET" and path == ".well-known/oauth-authorization-server":
            issuer = self._issuer(request)
            return Response.json(
                {
                    "issuer": issuer,
                    "token_endpoint": f"{request.base_url}/token",
                    "jwks_uri": f"{request.base_url}/jwks",
                    "grant_types_supported": [GRANT_TYPE],
                    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                }
            )
        if request.method == "POST" and path == "token":
            try:
                return Response.json(self._token(request))
            except _OAuthProblem as problem:
                return Response.json(
                    {"error": problem.error, "error_description": problem.message},
                    status=problem.status,
                )
        raise HttpProblem(404, "no such resource")

    def _token(self, request: Request) -> dict[str, Any]:
        form = request.form()
        if form.get("grant_type") != GRANT_TYPE:
            raise _oauth_error(400, "unsupported_grant_type", "grant_type must be jwt-bearer")
        try:
            grant = decode_compact(form.get("assertion", ""))
            claims = grant.claims()
        except InputError as exc:
            raise _oauth_error(
                400, "invalid_grant", f"the assertion is not a JWT: {exc.message}"
            ) from None
        client = self.clients.get(str(claims.get("iss")))
        if client is None:
            raise _oauth_error(400, "invalid_client", f"unknown client {claims.get('iss')!r}")
        amr = self._check_signature(grant.header, client, grant.verify)
        now = self.clock()
        self._check_times(claims, now)
        if claims.get("aud") != self._issuer(request):
            raise _oauth_error(400, "invalid_grant", f"aud must be {self._issuer(request)}")
        scopes = scope_tokens(claims.get("scope"))
        if not scopes or not set(scopes) <= client.scopes:
            raise _oauth_error(400, "invalid_scope", f"scope not registered for {client.client_id}")
        consumer = client.organisation
        supplier: str | None = None
        consumer_org = claims.get("consumer_org")
        if consumer_org is not None and consumer_org != client.organisation:
            # Digdir's Maskinporten: consumer_org names the legal sender by its organisation
            # number; anything else is no one to ask the delegation register about.
            if not isinstance(consumer_org, str) or not is_valid_norwegian_org_number(consumer_org):
                raise _oauth_error(
                    400, "invalid_grant", "consumer_org must be an organisation number"
                )
            if not all(self.delegation(consumer_org, client.organisation, s) for s in scopes):
                raise _oauth_error(
                    403, "invalid_grant", f"{client.organisation} may not act for {consumer_org}"
                )
            consumer, supplier = consumer_org, client.organisation
        self._remember_jti(claims, now)
        return self._issue(
            request,
            client=client,
            scopes=scopes,
            consumer=consumer,
            supplier=supplier,
            amr=amr,
            now=now,
        )

    def _check_signature(
        self,
        header: Mapping[str, Any],
        client: ClientRegistration,
        verify: Callable[[object], None],
    ) -> str:
        if "x5c" in header:
            chain = header["x5c"]
            try:
                der = (
                    base64.b64decode(chain[0], validate=True)
                    if isinstance(chain, list) and chain
                    else b""
                )
                certificate = certificate_from_der(der, what="x5c")
            except (binascii.Error, ValueError, TypeError, CertificateError):
                raise _oauth_error(
                    400, "invalid_grant", "x5c does not hold a certificate"
                ) from None
            if certificate not in client.certificates:
                raise _oauth_error(
                    400, "invalid_client", "the certificate is not registered for the client"
                )
            key: object = certificate.public_key()
            amr = "virksomhetssertifikat"
        elif "kid" in header:
            key = client.keys.get(str(header["kid"]))
            if key is None:
                raise _oauth_error(400, "invalid_client", f"unknown kid {header['kid']!r}")
            amr = "private_key_jwt"
        else:
            raise _oauth_error(400, "invalid_grant", "the grant has neither x5c nor kid")
        try:
            verify(key)
        except InputError:
            raise _oauth_error(
                400, "invalid_grant", "the grant's signature does not verify"
            ) from None
        return amr

    @staticmethod
    def _check_times(claims: Mapping[str, Any], now: datetime) -> None:
        iat, exp = claims.get("iat"), claims.get("exp")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (iat, exp)):
            raise _oauth_error(400, "invalid_grant", "iat and exp must be numbers")
        assert isinstance(iat, int) and isinstance(exp, int)
        issued, expires = datetime.fromtimestamp(iat, UTC), datetime.fromtimestamp(exp, UTC)
        if expires - issued > MAX_GRANT_LIFETIME or expires <= issued:
            raise _oauth_error(400, "invalid_grant", "exp must be after iat, by at most 120 s")
        if issued > now + _CLOCK_SKEW or expires < now - _CLOCK_SKEW:
            raise _oauth_error(400, "invalid_grant", "the grant is not current (iat/exp)")

    def _remember_jti(self, claims: Mapping[str, Any], now: datetime) -> None:
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise _oauth_error(400, "invalid_grant", "the grant has no jti")
        with self._lock:
            for old in [k for k, until in self._seen_jti.items() if until < now]:
                del self._seen_jti[old]
            if jti in self._seen_jti:
                raise _oauth_error(400, "invalid_grant", "the jti was used before (replay)")
            self._seen_jti[jti] = datetime.fromtimestamp(claims["exp"], UTC) + _CLOCK_SKEW

    def _issue(
        self,
        request: Request,
        *,
        client: ClientRegistration,
        scopes: Sequence[str],
        consumer: str,
        supplier: str | None,
        amr: str,
        now: datetime,
    ) -> dict[str, Any]:
        iat = int(now.timestamp())
        lifetime = int(self.token_lifetime.total_seconds())
        claims: dict[str, Any] = {
            "iss": self._issuer(request),
            "client_amr": amr,
            "token_type": "Bearer",
            "client_id": client.client_id,
            "scope": " ".join(scopes),
            "iat": iat,
            "exp": iat + lifetime,
            "jti": str(uuid.uuid4()),
            "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{consumer}"},
        }
        if supplier is not None:
            claims["supplier"] = {"authority": "iso6523-actorid-upis", "ID": f"0192:{supplier}"}
            claims["delegation_source"] = self.delegation_source
        token = encode_compact(
            header={"kid": self.kid, "alg": JwsAlgorithm.RS256.value}, payload=claims, key=self.key
        )
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": " ".join(scopes),
        }


def serve_maskinporten(
    service: MaskinportenService, *, host: str = "127.0.0.1", port: int = 0
) -> RunningService:
    return serve_wsgi_in_thread(service.app, host=host, port=port)

"""The Maskinporten access token a DPI business message carries (``maskinportentoken``).

Corner 1 embeds the same token it sends as Bearer to corner 2; corner 4 checks it again
(Digdir ``nyinfrastruktur.md`` section 3): issued by Maskinporten (its signature, verified with
Maskinporten's key from its JWKS, which the caller passes), scope ``digitalpostinnbygger:send``,
``consumer`` = the message's legal sender (avsender), and the signer of the message = the
token's ``supplier`` when a data processor sent it, else the ``consumer``.

Claims (Maskinporten ``maskinporten_protocol_token.md``; Digdir's samples
``*-autorisasjonsbevis.json``): ``iss``, ``scope`` (space separated), ``iat``, ``exp``,
``client_id``, ``jti``, ``consumer`` and ``supplier`` as
``{"authority": "iso6523-actorid-upis", "ID": "0192:<orgnr>"}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ..errors import InputError, UsageError
from ..ids import IdentifierError, ParticipantId
from ..limits import DEFAULT_LIMITS, Limits
from .jsonmodel import JsonError, load_json
from .jws import JwsAlgorithm, verify_jws_with_key

__all__ = [
    "DPI_SCOPE",
    "MaskinportenToken",
    "TokenError",
    "verify_maskinporten_token",
]

DPI_SCOPE = "digitalpostinnbygger:send"


class TokenError(InputError):
    """The Maskinporten token is not acceptable (claims, issuer, scope, time)."""


def _party(claims: dict[str, Any], name: str) -> ParticipantId | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("ID"), str):
        raise TokenError(f"the token's {name} claim is not {{authority, ID}}", rule="token:claims")
    try:
        return ParticipantId(value=value["ID"], scheme=value.get("authority"))  # type: ignore[arg-type]  # checked by ParticipantId
    except IdentifierError as exc:
        raise TokenError(f"the token's {name}: {exc.message}", rule="token:claims") from None


def _time(claims: dict[str, Any], name: str) -> datetime:
    value = claims.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TokenError(f"the token's {name} claim is not a NumericDate", rule="token:claims")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise TokenError(f"the token's {name} is out of range", rule="token:claims") from None


@dataclass(frozen=True, kw_only=True)
class MaskinportenToken:
    """The verified claims of a Maskinporten access token."""

    token: str
    issuer: str
    scopes: frozenset[str]
    consumer: ParticipantId
    supplier: ParticipantId | None
    issued_at: datetime
    expires_at: datetime
    client_id: str | None = None

    @property
    def acting_party(self) -> ParticipantId:
        """Who holds the certificate that must sign: the supplier, else the consumer."""
        return self.supplier if self.supplier is not None else self.consumer

    @classmethod
    def from_claims(cls, token: str, claims: Any) -> MaskinportenToken:
        if not isinstance(claims, dict):
            raise TokenError("the token's payload is not a JSON object", rule="token:claims")
        consumer = _party(claims, "consumer")
        if consumer is None:
            raise TokenError("the token has no consumer claim", rule="token:claims")
        issuer, scope = claims.get("iss"), claims.get("scope")
        if not isinstance(issuer, str) or not isinstance(scope, str):
            raise TokenError("the token needs iss and scope", rule="token:claims")
        client_id = claims.get("client_id")
        return cls(
            token=token,
            issuer=issuer,
            scopes=frozenset(scope.split()),
            consumer=consumer,
            supplier=_party(claims, "supplier"),
            issued_at=_time(claims, "iat"),
            expires_at=_time(claims, "exp"),
            client_id=client_id if isinstance(client_id, str) else None,
        )


def _public_key(
    key: dict[str, rsa.RSAPublicKey] | rsa.RSAPublicKey | x509.Certificate,
) -> dict[str, rsa.RSAPublicKey] | rsa.RSAPublicKey:
    if isinstance(key, x509.Certificate):
        public = key.public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            raise UsageError("Maskinporten signs its tokens with RSA keys")
        return public
    return key


def verify_maskinporten_token(
    token: str,
    *,
    keys: dict[str, rsa.RSAPublicKey] | rsa.RSAPublicKey | x509.Certificate,
    at: datetime,
    issuer: str | None = None,
    scope: str = DPI_SCOPE,
    check_expiry: bool = False,
    leeway: timedelta = timedelta(seconds=30),
    limits: Limits = DEFAULT_LIMITS,
) -> MaskinportenToken:
    """Verify the token's signature with Maskinporten's key(s) (by ``kid``, from its JWKS, or
    one key or certificate) and its claims: ``issuer`` when given, ``scope``, issued before
    ``at``, and with ``check_expiry`` not expired at ``at``.

    Corner 4 leaves ``check_expiry`` off: a token lives 120 s, while a message may reach the
    mailbox much later; corner 2, which receives the token as it is issued, turns it on.
    """
    _, payload = verify_jws_with_key(
        token, _public_key(keys), algorithms=frozenset(JwsAlgorithm), limits=limits
    )
    try:
        claims = load_json(payload, what="Maskinporten token", max_bytes=limits.max_jws_bytes)
    except JsonError as exc:
        raise TokenError(exc.message, rule="token:claims") from None
    parsed = MaskinportenToken.from_claims(token, claims)
    if issuer is not None and parsed.issuer != issuer:
        raise TokenError(f"the token was issued by {parsed.issuer!r}, not {issuer!r}", rule="token:issuer")  # fmt: skip
    if scope not in parsed.scopes:
        raise TokenError(f"the token lacks the scope {scope}", rule="token:scope")
    if parsed.issued_at > at + leeway:
        raise TokenError("the token is issued in the future", rule="token:time")
    if check_expiry and parsed.expires_at < at - leeway:
        raise TokenError(f"the token expired at {parsed.expires_at.isoformat()}", rule="token:expired")  # fmt: skip
    return parsed

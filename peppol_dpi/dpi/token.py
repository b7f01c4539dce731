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

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ..errors import InputError, UsageError
from ..ids import ParticipantId
from ..limits import DEFAULT_LIMITS, Limits
from ..lookup.maskinporten import TokenClaims, parse_token_claims
from .jws import JwsAlgorithm, verify_jws_with_key

__all__ = [
    "DPI_SCOPE",
    "TokenError",
    "acting_party",
    "verify_maskinporten_token",
]

DPI_SCOPE = "digitalpostinnbygger:send"


class TokenError(InputError):
    """The Maskinporten token is not acceptable (claims, issuer, scope, time)."""


def acting_party(claims: TokenClaims) -> ParticipantId:
    """Who holds the certificate that must sign: the ``supplier``, else the ``consumer``."""
    party = claims.supplier if claims.supplier is not None else claims.consumer
    if party is None:
        raise TokenError("the token has no consumer claim", rule="token:claims")
    return party


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
) -> TokenClaims:
    """Verify the token's signature with Maskinporten's key(s) (by ``kid``, from its JWKS, or
    one key or certificate) and its claims: ``issuer`` when given, ``scope``, issued before
    ``at``, and with ``check_expiry`` not expired at ``at``.

    Corner 4 leaves ``check_expiry`` off: a token lives 120 s, while a message may reach the
    mailbox much later; corner 2, which receives the token as it is issued, turns it on.
    """
    verify_jws_with_key(token, _public_key(keys), algorithms=frozenset(JwsAlgorithm), limits=limits)
    claims = parse_token_claims(token, limits=limits)
    if claims.consumer is None:
        raise TokenError("the token has no consumer claim", rule="token:claims")
    if claims.issued_at is None or claims.expires_at is None:
        raise TokenError("the token needs iat and exp", rule="token:claims")
    if issuer is not None and claims.issuer != issuer:
        raise TokenError(f"the token was issued by {claims.issuer!r}, not {issuer!r}", rule="token:issuer")  # fmt: skip
    if scope not in claims.scopes:
        raise TokenError(f"the token lacks the scope {scope}", rule="token:scope")
    if claims.issued_at > at + leeway:
        raise TokenError("the token is issued in the future", rule="token:time")
    if check_expiry and claims.expires_at < at - leeway:
        raise TokenError(f"the token expired at {claims.expires_at.isoformat()}", rule="token:expired")  # fmt: skip
    return claims

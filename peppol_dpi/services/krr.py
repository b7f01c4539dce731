"""A KRR-like contact register: ``POST /rest/v2/personer`` and ``GET /rest/v2/printSertifikat``.

Bearer tokens must be access tokens of the configured Maskinporten-like issuer (signature with
its key, not expired); their scopes decide what is returned, as in the real register (dpi.md
6): ``krr:global/digitalpost.read`` adds mailbox and certificate,
``krr:global/kontaktinformasjon.read`` adds e-mail and mobile; reservation and status are
always returned. Unknown persons come back as ``IKKE_REGISTRERT``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from ..errors import InputError
from ..jose import decode_compact
from ..lookup.krr import (
    MAX_PERSONS_PER_CALL,
    SCOPE_CONTACT_INFO,
    SCOPE_DIGITAL_POST,
    PersonStatus,
    Reservation,
)
from ..lookup.maskinporten import scope_tokens
from .base import RunningService, serve_wsgi_in_thread
from .wsgi import HttpProblem, Request, Response, wsgi_app

__all__ = ["KrrService", "person_entry", "serve_krr"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(Encoding.PEM).decode("ascii")


def person_entry(
    identifier: str,
    *,
    mailbox_address: str | None = None,
    provider: str | None = None,
    certificate: x509.Certificate | None = None,
    reservation: Reservation = Reservation.NO,
    status: PersonStatus = PersonStatus.ACTIVE,
    email: str | None = None,
    mobile: str | None = None,
    language: str = "nb",
) -> dict[str, Any]:
    """A person as KRR's JSON describes it (for the register's table)."""
    entry: dict[str, Any] = {
        "personidentifikator": identifier,
        "reservasjon": reservation.value,
        "status": status.value,
        "varslingsstatus": "KAN_VARSLES" if email or mobile else "KAN_IKKE_VARSLES",
        "spraak": language,
    }
    if email or mobile:
        entry["kontaktinformasjon"] = {"epostadresse": email, "mobiltelefonnummer": mobile}
    if mailbox_address and provider:
        entry["digital_post"] = {
            "postkasseadresse": mailbox_address,
            "postkasseleverandoeradresse": provider,
        }
    if certificate is not None:
        entry["sertifikat"] = _pem(certificate)
    return entry


@dataclass
class KrrService:
    """The register's table (identifier -> KRR JSON entry) and its token check."""

    persons: Mapping[str, Mapping[str, Any]]
    print_provider: str
    print_certificate: x509.Certificate
    token_key: rsa.RSAPublicKey
    token_issuer: str | None = None
    clock: Callable[[], datetime] = _utc_now
    app: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.app = wsgi_app(self._handle)

    def _handle(self, request: Request) -> Response:
        path = "/".join(request.segments)
        if request.method == "GET" and path == "rest/v2/printSertifikat":
            return Response.json(
                {
                    "postkasseleverandoerAdresse": self.print_provider,
                    "x509Sertifikat": _pem(self.print_certificate),
                }
            )
        if request.method == "POST" and path == "rest/v2/personer":
            scopes = self._scopes(request)
            body = request.json()
            ids = body.get("personidentifikatorer") if isinstance(body, dict) else None
            if (
                not isinstance(ids, list)
                or not 1 <= len(ids) <= MAX_PERSONS_PER_CALL
                or not all(isinstance(i, str) for i in ids)
            ):
                raise HttpProblem(
                    400, f"personidentifikatorer: 1 to {MAX_PERSONS_PER_CALL} strings"
                )
            return Response.json({"personer": [self._person(i, scopes) for i in ids]})
        raise HttpProblem(404, "no such resource")

    def _scopes(self, request: Request) -> set[str]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HttpProblem(401, "a Maskinporten bearer token is required")
        try:
            parsed = decode_compact(token)
            parsed.verify(self.token_key)
            claims = parsed.claims()
        except InputError as exc:
            raise HttpProblem(401, f"invalid token: {exc.message}") from None
        exp = claims.get("exp")
        if not isinstance(exp, int) or datetime.fromtimestamp(exp, UTC) <= self.clock():
            raise HttpProblem(401, "the token has expired")
        if self.token_issuer is not None and claims.get("iss") != self.token_issuer:
            raise HttpProblem(401, "the token is from another issuer")
        scopes = set(scope_tokens(claims.get("scope")))
        if not scopes & {SCOPE_DIGITAL_POST, SCOPE_CONTACT_INFO}:
            raise HttpProblem(403, "the token has no KRR scope")
        return scopes

    def _person(self, identifier: str, scopes: set[str]) -> dict[str, Any]:
        entry = dict(self.persons.get(identifier) or {})
        if not entry:
            return {"personidentifikator": identifier, "status": PersonStatus.NOT_REGISTERED.value}
        if SCOPE_DIGITAL_POST not in scopes:
            entry.pop("digital_post", None)
            entry.pop("sertifikat", None)
        if SCOPE_CONTACT_INFO not in scopes:
            entry.pop("kontaktinformasjon", None)
        return entry


def serve_krr(service: KrrService, *, host: str = "127.0.0.1", port: int = 0) -> RunningService:
    return serve_wsgi_in_thread(service.app, host=host, port=port)

"""An Altinn Autorisasjon-like delegation register, consulted by the Maskinporten-like token
service when a data processor asks for a token with ``consumer_org``.

In the real service (dpi.md 5, Digdir ``maskinporten_func_delegering.md``), an authorised person
at the legal sender (behandlingsansvarlig) delegates the scope ``digitalpostinnbygger:send`` in
Altinn to the data processor's organisation; Maskinporten then issues that processor tokens with
``consumer`` = the sender and ``supplier`` = the processor, and refuses everyone else.

Routes (``app``):

* ``POST /delegations`` - JSON ``{"offered_by": "<orgnr>", "covered_by": "<orgnr>",
  "scopes": [...]}``, HTTP Basic authenticated: only a person registered as authorised for
  ``offered_by`` (``persons``: user -> (password, orgnr)) may delegate. ``201``.
* ``DELETE /delegations/{offered_by}/{covered_by}`` - withdraw (same authorisation).
* ``GET /maskinporten/delegations?supplierOrg=&consumerOrg=&scope=`` - what the token service
  asks (the shape of Altinn's ``/authorization/api/v1/maskinporten/delegations``): a JSON list,
  empty when nothing is delegated.

:class:`AltinnDelegationCheck` is the token service's side: a
:data:`~peppol_dpi.services.maskinporten.DelegationCheck` asking this register over HTTP. It
answers "no" when the register cannot be reached (never trust by default).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests

from .. import jsonparse
from ..errors import InputError
from ..ids import is_valid_norwegian_org_number
from ..lookup.http import exchange
from .base import RunningService, serve_wsgi_in_thread
from .wsgi import HttpProblem, Request, Response, basic_auth_user, wsgi_app

__all__ = ["AltinnDelegationCheck", "Delegation", "DelegationService", "serve_delegation"]

log = logging.getLogger("peppol_dpi.services.delegation")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Delegation:
    offered_by: str  # the legal sender's organisation number
    covered_by: str  # the data processor's organisation number
    scopes: frozenset[str]
    delegated_by: str  # the authorised person who did it
    created: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "consumer_org": self.offered_by,
            "supplier_org": self.covered_by,
            "scopes": sorted(self.scopes),
            "delegated_by": self.delegated_by,
            "created": self.created.isoformat(),
        }


def _orgnr(value: object, what: str) -> str:
    if not isinstance(value, str) or not is_valid_norwegian_org_number(value):
        raise HttpProblem(400, f"{what} must be an organisation number")
    return value


@dataclass
class DelegationService:
    """The register and who may delegate for which organisation."""

    persons: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    clock: Callable[[], datetime] = _utc_now
    _delegations: dict[tuple[str, str], Delegation] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.app = wsgi_app(self._handle)

    def delegate(
        self, *, offered_by: str, covered_by: str, scopes: frozenset[str], delegated_by: str
    ) -> Delegation:
        delegation = Delegation(
            offered_by=offered_by,
            covered_by=covered_by,
            scopes=frozenset(scopes),
            delegated_by=delegated_by,
            created=self.clock(),
        )
        with self._lock:
            self._delegations[(offered_by, covered_by)] = delegation
        return delegation

    def allows(self, consumer_org: str, supplier_org: str, scope: str) -> bool:
        with self._lock:
            found = self._delegations.get((consumer_org, supplier_org))
        return found is not None and scope in found.scopes

    def _authorised_for(self, request: Request, organisation: str) -> str:
        users = {user: password for user, (password, _) in self.persons.items()}
        user = basic_auth_user(request, users, "Altinn")
        if self.persons[user][1] != organisation:
            raise HttpProblem(403, f"{user} may not delegate on behalf of {organisation}")
        return user

    def _handle(self, request: Request) -> Response:
        path = request.segments
        if path == ("delegations",) and request.method == "POST":
            body = request.json()
            if not isinstance(body, dict):
                raise HttpProblem(400, "the body is a JSON object")
            offered_by = _orgnr(body.get("offered_by"), "offered_by")
            covered_by = _orgnr(body.get("covered_by"), "covered_by")
            scopes = body.get("scopes")
            if (
                not isinstance(scopes, list)
                or not scopes
                or not all(isinstance(s, str) and s for s in scopes)
            ):
                raise HttpProblem(400, "scopes is a non-empty list of strings")
            user = self._authorised_for(request, offered_by)
            delegation = self.delegate(
                offered_by=offered_by,
                covered_by=covered_by,
                scopes=frozenset(scopes),
                delegated_by=user,
            )
            return Response.json(delegation.to_json(), status=201)
        if len(path) == 3 and path[0] == "delegations" and request.method == "DELETE":
            self._authorised_for(request, path[1])
            with self._lock:
                if self._delegations.pop((path[1], path[2]), None) is None:
                    raise HttpProblem(404, "no such delegation")
            return Response(status=204)
        if path == ("maskinporten", "delegations") and request.method == "GET":

            def param(name: str) -> str:
                return (request.query.get(name) or [""])[-1]

            supplier, consumer, scope = param("supplierOrg"), param("consumerOrg"), param("scope")
            with self._lock:
                found = self._delegations.get((consumer, supplier))
            if found is None or (scope and scope not in found.scopes):
                return Response.json([])
            return Response.json([found.to_json()])
        raise HttpProblem(404, "no such resource")


class _DelegationError(InputError):
    pass


@dataclass(frozen=True, kw_only=True)
class AltinnDelegationCheck:
    """``(consumer_org, supplier_org, scope) -> bool`` over the register's HTTP API."""

    base_url: str
    session: requests.Session
    observer: Callable[[str, str, str, bool], None] = lambda c, s, sc, ok: None

    def __call__(self, consumer_org: str, supplier_org: str, scope: str) -> bool:
        # Each value percent-encoded (RFC 3986 3.4): an "&" in one cannot add a parameter.
        query = urlencode(
            {"supplierOrg": supplier_org, "consumerOrg": consumer_org, "scope": scope}
        )
        try:
            answer = exchange(
                self.session,
                "GET",
                f"{self.base_url.rstrip('/')}/maskinporten/delegations?{query}",
                error=_DelegationError,
                area="altinn",
                headers={"Accept": "application/json"},
            )
            # The package's strict reader: a duplicated member is refused, not read as its last.
            found = jsonparse.loads(answer.body) if answer.status == 200 else []
        except Exception as exc:
            log.warning("the delegation register could not be asked: %s", exc)
            found = []
        allowed = isinstance(found, list) and any(
            isinstance(d, dict)
            and d.get("consumer_org") == consumer_org
            and d.get("supplier_org") == supplier_org
            and scope in (d.get("scopes") or [])
            for d in found
        )
        self.observer(consumer_org, supplier_org, scope, allowed)
        return allowed


def serve_delegation(
    service: DelegationService, *, host: str = "127.0.0.1", port: int = 0
) -> RunningService:
    return serve_wsgi_in_thread(service.app, host=host, port=port)

"""Corner 2: Digdir's DPI sender API (dpi.md 4, corner2-openapi.yaml) over the durable outbox.

Routes (all behind a Maskinporten bearer token with scope ``digitalpostinnbygger:send``):

* ``POST /messages/out[?kanal=]`` - multipart ``forretningsmelding`` (JWS) + ``dokumentpakke``
  (CMS). Answers 201 only after the message is committed to the store with status OPPRETTET.
* ``GET /messages/out/{id}/statuses`` - the status history (OPPRETTET, SENDT, FEILET).
* ``GET /messages/in[?kanal=&avsenderidentifikator=&page=&page_size=]`` - unread receipts as
  ``[{"forretningsmelding": <JWS>}]``, 204 when there are none.
* ``POST /messages/in/{id}/read`` - mark a receipt read (404 if not the caller's).

A caller sees only its own messages and receipts: the token's supplier, else its consumer.
The AS4 endpoint where corner 3 returns receipts is served by the same application
(:class:`~peppol_dpi.transport.inbox.As4Inbox`, at ``as4_path``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Protocol, runtime_checkable

from ..errors import InputError
from ..limits import DEFAULT_LIMITS, Limits
from ..spool import copy_chunks, spool
from .auth import AuthenticationError, AuthorizationError, TokenClaims
from .form_data import FilePart, FormData, read_form_data
from .http import HttpError, Request, Response
from .ports import BusinessMessageReader
from .store import DuplicateMessageError, OutboundMessage, Store, normalize_kanal

__all__ = ["Corner2Api", "TokenVerifier"]

log = logging.getLogger("peppol_dpi.transport.corner2")

_STATUSES = re.compile(r"/messages/out/([^/]{1,100})/statuses")
_READ = re.compile(r"/messages/in/([^/]{1,100})/read")
_MAX_PAGE_SIZE = 1000
_MAX_PARAM = 2**31 - 1  # the largest Java int


@runtime_checkable
class TokenVerifier(Protocol):
    def verify(self, token: str, *, now: datetime) -> TokenClaims: ...


@dataclass(frozen=True, kw_only=True)
class Corner2Api:
    """The request handler of corner 2's API (wrap it with :func:`.http.wsgi_app`)."""

    store: Store
    tokens: TokenVerifier
    reader: BusinessMessageReader
    clock: Callable[[], datetime]
    #: How long the worker keeps trying before FEILET.
    send_deadline: timedelta = timedelta(hours=1)
    #: Called after a message is stored (wakes the sending worker).
    on_accepted: Callable[[], None] = lambda: None
    limits: Limits = DEFAULT_LIMITS
    #: Where the package is spooled while the request is read (system temp if None).
    spool_dir: str | os.PathLike[str] | None = None

    def __call__(self, request: Request) -> Response:
        path, method = request.path.rstrip("/") or "/", request.method
        if path == "/messages/out":
            return self._post_message(request) if method == "POST" else _not_allowed()
        if path == "/messages/in":
            return self._get_incoming(request) if method == "GET" else _not_allowed()
        if match := _STATUSES.fullmatch(path):
            return self._get_statuses(request, match[1]) if method == "GET" else _not_allowed()
        if match := _READ.fullmatch(path):
            return self._mark_read(request, match[1]) if method == "POST" else _not_allowed()
        raise HttpError(404, f"no such resource: {path}", rule="http:not-found")

    # -- authentication ----------------------------------------------------------------------
    def _authenticate(self, request: Request) -> TokenClaims:
        header = request.header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HttpError(401, "a Maskinporten bearer token is required", rule="c2:token-missing")
        try:
            return self.tokens.verify(token.strip(), now=self.clock())
        except AuthorizationError as exc:
            raise HttpError(403, exc.message, rule=exc.rule) from None
        except AuthenticationError as exc:
            raise HttpError(401, exc.message, rule=exc.rule) from None

    # -- POST /messages/out ------------------------------------------------------------------
    def _post_message(self, request: Request) -> Response:
        claims = self._authenticate(request)
        kanal = self._kanal(request)
        # The package part goes to a spool as the body is read, refused once it passes the
        # largest DPI package (dpi.md 3.1: 50 MB), and is stored from there (issue 8).
        with spool(self.spool_dir) as package:
            request.body_file.seek(0)
            form = read_form_data(
                request.header("Content-Type"),
                request.body_file,
                files={
                    "dokumentpakke": FilePart(
                        sink=package,
                        max_bytes=self.limits.max_dpi_package_bytes,
                        rule="c2:package-too-large",
                    )
                },
                max_part_bytes=self.limits.max_jws_bytes,
            )
            return self._accept(request, claims, kanal, form, package)

    def _accept(
        self,
        request: Request,
        claims: TokenClaims,
        kanal: str | None,
        form: FormData,
        package: IO[bytes],
    ) -> Response:
        jws_bytes = form.values.get("forretningsmelding")
        if jws_bytes is None or "dokumentpakke" not in form.files:
            raise HttpError(
                400,
                "parts 'forretningsmelding' and 'dokumentpakke' are required",
                rule="c2:multipart",
            )
        try:
            jws = jws_bytes.decode("ascii").strip()
        except UnicodeDecodeError:
            raise HttpError(400, "forretningsmelding is not a compact JWS", rule="c2:jws") from None
        now = self.clock()
        try:
            message = self.reader.read_message(jws, now=now)
        except InputError as exc:
            raise HttpError(400, f"forretningsmelding: {exc.message}", rule=exc.rule) from None
        # dpi.md 9.8: the embedded maskinportentoken must be the very token the call carries.
        if not hmac.compare_digest(message.maskinportentoken.encode(), claims.token.encode()):
            raise HttpError(
                400,
                "maskinportentoken in the forretningsmelding is not the bearer token",
                rule="c2:token-embedded",
            )
        # dpi.md 4: token consumer == business message avsender (the legal sender) ...
        if message.avsender != claims.consumer:
            raise HttpError(
                403,
                f"token consumer {claims.consumer.value} may not send for {message.avsender.value}",
                rule="c2:consumer-avsender",
            )
        # ... and the SBDH sender is the technical sender: supplier if delegated, else consumer.
        if message.sender != claims.caller:
            raise HttpError(
                403,
                f"SBDH sender {message.sender.value} is not the authenticated {claims.caller.value}",
                rule="c2:sbdh-sender",
            )
        # dpi.md 1.2/4: the business message is signed with the technical sender's business
        # certificate (the one corner 4 matches against supplier, else consumer).
        if message.signer_org is not None and message.signer_org != claims.caller.org_number:
            raise HttpError(
                403,
                f"forretningsmelding signed by organisation {message.signer_org}, "
                f"not by the authenticated {claims.caller.value}",
                rule="c2:signer",
            )
        # dpi.md 3.4: dokumentpakkefingeravtrykk = SHA-256 of the exact CMS bytes.
        package.seek(0)
        hashed = hashlib.sha256()
        for piece in copy_chunks(package):
            hashed.update(piece)
        digest = hashed.digest()
        if not hmac.compare_digest(digest, message.fingerprint):
            raise HttpError(
                400,
                "dokumentpakkefingeravtrykk does not match the dokumentpakke "
                f"(SHA-256 {base64.b64encode(digest).decode()})",
                rule="c2:fingerprint",
            )
        outbound = OutboundMessage(
            message_id=message.message_id,
            conversation_id=message.conversation_id,
            owner=claims.owner,
            sender=str(message.sender),
            receiver=str(message.receiver),
            document_type=str(message.document_type),
            process=str(message.process),
            business_message=jws,
            kanal=kanal,
            avsenderidentifikator=message.avsenderidentifikator,
            created_at=now,
            deadline=now + self.send_deadline,
        )
        try:
            self.store.add_outbound(outbound, package)
        except DuplicateMessageError as exc:
            raise HttpError(409, exc.message, rule=exc.rule) from None
        log.info(
            "accepted",
            extra={
                "message_id": message.message_id,
                "conversation_id": message.conversation_id,
                "caller": claims.owner,
                "bytes": form.files["dokumentpakke"],
            },
        )
        self.on_accepted()
        return Response(
            status=201, headers=(("Location", f"/messages/out/{message.message_id}/statuses"),)
        )

    @staticmethod
    def _kanal(request: Request) -> str | None:
        try:
            return normalize_kanal(request.param("kanal"))
        except InputError as exc:
            raise HttpError(400, exc.message, rule=exc.rule) from None

    # -- GET /messages/out/{id}/statuses -----------------------------------------------------
    def _get_statuses(self, request: Request, message_id: str) -> Response:
        claims = self._authenticate(request)
        entries = self.store.statuses(message_id, claims.owner)
        if entries is None:
            raise HttpError(404, f"no message {message_id} of yours", rule="c2:unknown-message")
        return Response.json(
            [
                {
                    "status": e.status.value,
                    **({"beskrivelse": e.beskrivelse} if e.beskrivelse else {}),
                    "timestamp": e.timestamp.isoformat(),
                }
                for e in entries
            ]
        )

    # -- GET /messages/in ------------------------------------------------------------------------
    def _get_incoming(self, request: Request) -> Response:
        claims = self._authenticate(request)
        kanal = self._kanal(request)
        page, page_size = _int_param(request, "page", 0), _int_param(request, "page_size", 100)
        if not 1 <= page_size <= _MAX_PAGE_SIZE:  # page is a whole number already
            raise HttpError(400, f"page_size must be 1..{_MAX_PAGE_SIZE}", rule="c2:paging")
        receipts = self.store.list_incoming(
            claims.owner,
            kanal=kanal,
            avsenderidentifikator=request.param("avsenderidentifikator") or None,
            page=page,
            page_size=page_size,
        )
        if not receipts:
            return Response(status=204)
        return Response.json([{"forretningsmelding": r.business_message} for r in receipts])

    # -- POST /messages/in/{id}/read ---------------------------------------------------------
    def _mark_read(self, request: Request, receipt_id: str) -> Response:
        claims = self._authenticate(request)
        if not self.store.mark_read(claims.owner, receipt_id):
            raise HttpError(
                404, f"no incoming message {receipt_id} of yours", rule="c2:unknown-incoming"
            )
        return Response(status=200)


def _int_param(request: Request, name: str, default: int) -> int:
    text = request.param(name)
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()):  # int() would take " 1", "1_0" and "٣"
        raise HttpError(400, f"{name} must be a whole number", rule="c2:paging")
    # A Java int, as integrasjonspunkt reads it; so page * page_size fits SQLite's OFFSET.
    digits = text.lstrip("0") or "0"  # (and int() is never asked for thousands of digits)
    if len(digits) > len(str(_MAX_PARAM)) or int(digits) > _MAX_PARAM:
        raise HttpError(400, f"{name} must be at most {_MAX_PARAM}", rule="c2:paging")
    return int(digits)


def _not_allowed() -> Response:
    raise HttpError(405, "method not allowed", rule="http:method")

"""A reference mailbox and print provider (corner 4): receives letters from corner 3, checks
everything corner 4 checks, keeps them, and sends signed receipts back through corner 3.

Routes (``app``, a WSGI application):

* ``POST /deliveries`` - corner 3's delivery interface (docs/transport.md): multipart
  ``forretningsmelding`` + ``dokumentpakke``, ``Idempotency-Key`` = the DPI message id. The
  request is read in pieces into a spool (413 unread beyond the largest package, a JWS and the
  form's framing), the package part into a second spool, and the package is checked and opened
  from that file into a temporary directory (:func:`~peppol_dpi.dpi.package.open_package_to`),
  so neither the package nor its documents are held in memory (issue 8). Every
  corner 4 check runs (:func:`peppol_dpi.dpi.mailbox.receive`: JWS and signer, fingerprint,
  Maskinporten token consumer/supplier against avsender and signer, package decrypted and its
  XAdES signature and digests verified, same signer, same sender, same mailbox). A letter that
  passes is kept and answered ``201``; a digital letter gets a ``leveringskvittering``, a print
  letter a ``mottakskvittering``. A letter that fails is answered ``400`` with the rule and,
  when its header can be read, a ``feil`` receipt (feiltype KLIENT) goes back to the sender.
  A repeated ``Idempotency-Key``, or a letter already kept arriving under another key,
  answers ``200`` and changes nothing (corner 3 delivers at least once).
* ``GET /letters[?mailbox=]`` - the letters kept (JSON), ``GET /letters/{id}``.
* ``POST /letters/{id}/open`` - the citizen opens a digital letter: ``aapningskvittering``
  when the sender asked for one (``digital.aapningskvittering``).
* ``POST /letters/{id}/notification-failed?kanal=sms|epost`` - ``varslingfeiletkvittering``.
* ``POST /letters/{id}/returned`` - a printed letter came back: ``returpostkvittering``.
* ``PUT /senders/{orgnr}`` - the provider's register of senders (the name the citizen sees).

Receipts (Digdir ``dpi_forretningsmeldinger.md``) are built by
:func:`peppol_dpi.dpi.mailbox.receipt`, signed with the provider's business certificate, and
posted (``application/jwt``) to corner 3's ``POST /receipts`` by one sending thread that
retries until corner 3 takes them. The store is a
:class:`~.mailbox_store.MailboxStore` (in memory by default).
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import IO, Any

import requests

from ..dpi.bodies import Digital, Feiltype, Utskrift, Varslingskanal
from ..dpi.identifiers import MessageType
from ..dpi.jws import decode_unverified
from ..dpi.mailbox import ReceivedMessage, receipt, receive
from ..dpi.message import BusinessMessage, parse_business_message
from ..dpi.package import open_package_to
from ..dpi.signed import sign_business_message
from ..dpi.unpack import UnpackedPackage
from ..errors import InputError, PeppolDpiError, RemoteError, TransportError
from ..httpclient import bounded_request
from ..ids import ParticipantId
from ..keys import PrivateKey
from ..limits import DEFAULT_LIMITS, Limits
from ..lookup.maskinporten import TokenClaims
from ..spool import spool
from ..transport.auth import JwksSource
from ..transport.form_data import FilePart, read_form_data
from ..transport.http import HttpError
from ..trust import TrustPolicy
from .base import RunningService, serve_wsgi_in_thread
from .mailbox_store import Letter, MailboxStore, MemoryMailboxStore, SentReceipt
from .wsgi import HttpProblem, Request, Response, wsgi_app

__all__ = ["MailboxEvent", "MailboxService", "Observer", "serve_mailbox"]

log = logging.getLogger("peppol_dpi.services.mailbox")
_DETAIL = 1000  # characters of the refusal kept in a feil receipt's detaljer
_FORM_FRAMING = 64 * 1024  # a delivery's multipart boundaries and part headers, generously


def _utc_now() -> datetime:
    return datetime.now(UTC)


#: Called with (event, details) for each step the provider takes (the demo's transcript).
@dataclass(frozen=True, kw_only=True)
class MailboxEvent:
    """One thing the provider did, for an observer (the demo's transcript, metrics)."""

    kind: str  # checked | refused | receipt-signed | receipt-sent
    message_id: str  # the letter's id, or the receipt's for receipt-*
    letter: Letter | None = None  # checked
    token: TokenClaims | None = None  # checked: the token the letter carried
    rule: str | None = None  # refused
    receipt: MessageType | None = None  # receipt-*


Observer = Callable[[MailboxEvent], None]


def _ignore(event: MailboxEvent) -> None:
    return None


@dataclass
class MailboxService:
    """One mailbox or print provider: its organisation, business key, trust and corner 3.

    ``key`` decrypts the packages (it is the certificate KRR publishes for the provider's
    citizens) and signs the receipts. ``trust`` validates the senders' business certificates;
    ``maskinporten`` gives Maskinporten's signing keys (its JWKS).
    """

    organisation: ParticipantId
    key: PrivateKey
    trust: TrustPolicy
    maskinporten: JwksSource
    receipts_url: str  # corner 3's POST /receipts
    session: requests.Session = field(default_factory=requests.Session)
    maskinporten_issuer: str | None = None
    corner3_api_key: str | None = None
    name: str = "mailbox"
    store: MailboxStore = field(default_factory=MemoryMailboxStore)
    senders: dict[str, str] = field(default_factory=dict)  # orgnr -> name
    clock: Callable[[], datetime] = _utc_now
    observer: Observer = _ignore
    retry_seconds: float = 0.5
    limits: Limits = DEFAULT_LIMITS
    #: Where deliveries are spooled and packages opened (the system's temporary directory if None).
    spool_dir: str | os.PathLike[str] | None = None
    _wake: threading.Event = field(default_factory=threading.Event, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        largest = self.limits.max_dpi_package_bytes + self.limits.max_jws_bytes + _FORM_FRAMING
        self.app = wsgi_app(
            self._handle, streamed={("deliveries",): largest}, spool_dir=self.spool_dir
        )

    # -- the receipt sender --------------------------------------------------------------------
    def start(self) -> MailboxService:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-receipts", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.retry_seconds)
            self._wake.clear()
            for pending in self.store.pending_receipts():
                if self._stop.is_set():
                    return
                self._post(pending)

    def _post(self, pending: SentReceipt) -> None:
        headers = {"Content-Type": "application/jwt"}
        if self.corner3_api_key:
            headers["Authorization"] = f"Bearer {self.corner3_api_key}"
        try:
            # One bounded exchange: corner 3's answer is read within a size cap and 30 s.
            answer = bounded_request(
                self.session,
                "POST",
                self.receipts_url,
                data=pending.jws,
                headers=headers,
                max_bytes=self.limits.max_http_response_bytes,
                timeout=30,
            )
            ok = answer.status in (200, 201)
            detail = f"HTTP {answer.status}"
        except (TransportError, RemoteError) as exc:
            ok, detail = False, str(exc)
        self.store.update_receipt(replace(pending, delivered=ok, attempts=pending.attempts + 1))
        if ok:
            self.observer(
                MailboxEvent(kind="receipt-sent", message_id=pending.id, receipt=pending.type)
            )
        else:
            log.warning("corner 3 did not take receipt %s: %s", pending.id, detail)

    # -- receipts ------------------------------------------------------------------------------
    def send_receipt(
        self,
        original: BusinessMessage,
        message_type: MessageType,
        *,
        varslingskanal: Varslingskanal | None = None,
        beskrivelse: str | None = None,
        feiltype: Feiltype | None = None,
        detaljer: str | None = None,
    ) -> SentReceipt:
        """Build, sign and queue a receipt for ``original``; the sending thread posts it."""
        message = receipt(
            original,
            message_type=message_type,
            provider=self.organisation,
            created=self.clock(),
            message_id=uuid.uuid4(),
            varslingskanal=varslingskanal,
            beskrivelse=beskrivelse,
            feiltype=feiltype,
            detaljer=detaljer,
        )
        sent = SentReceipt(
            id=str(message.message_id),
            type=message_type,
            conversation_id=str(original.conversation_id),
            jws=sign_business_message(message, self.key),
        )
        self.store.queue_receipt(sent)
        self.observer(MailboxEvent(kind="receipt-signed", message_id=sent.id, receipt=message_type))
        self._wake.set()
        return sent

    def _letter_receipt(self, letter: Letter, message_type: MessageType, **kw: Any) -> SentReceipt:
        sent = self.send_receipt(letter.message, message_type, **kw)
        self.store.update_letter(replace(letter, receipts=(*letter.receipts, message_type.value)))
        return sent

    # -- what the citizen (or the print service) does ----------------------------------------
    def open_letter(self, letter_id: str) -> SentReceipt | None:
        """The citizen opens a digital letter: an aapningskvittering if the sender asked."""
        letter = self._require(letter_id, MessageType.DIGITAL)
        letter = replace(letter, opened=True)
        self.store.update_letter(letter)
        body = letter.message.body
        if isinstance(body, Digital) and body.aapningskvittering:
            return self._letter_receipt(letter, MessageType.AAPNINGSKVITTERING)
        return None

    def notification_failed(self, letter_id: str, kanal: Varslingskanal) -> SentReceipt:
        """The SMS or e-mail notice about a digital letter could not be delivered."""
        letter = self._require(letter_id, MessageType.DIGITAL)
        return self._letter_receipt(
            letter,
            MessageType.VARSLINGFEILETKVITTERING,
            varslingskanal=kanal,
            beskrivelse=f"the {kanal.value} notice could not be delivered",
        )

    def returned(self, letter_id: str) -> SentReceipt:
        """A printed letter came back to the print service."""
        return self._letter_receipt(
            self._require(letter_id, MessageType.UTSKRIFT), MessageType.RETURPOSTKVITTERING
        )

    def _require(self, letter_id: str, kind: MessageType) -> Letter:
        letter = self.store.letter(letter_id)
        if letter is None:
            raise HttpProblem(404, f"no letter {letter_id}")
        if letter.kind != kind.value:
            raise HttpProblem(409, f"letter {letter_id} is a {letter.kind}, not a {kind.value}")
        return letter

    # -- receiving -----------------------------------------------------------------------------
    def deliver(self, forretningsmelding: bytes, dokumentpakke: bytes | IO[bytes]) -> Letter:
        """Make every corner 4 check; the letter to keep, or the failed check's error.

        ``dokumentpakke`` is the CMS bytes or a seekable binary file read from its position:
        the package is opened from it into a temporary directory in ``spool_dir``, gone once
        its documents are verified and counted (this reference mailbox keeps their names,
        types and sizes, not their content)."""
        addressed = _readable(forretningsmelding)
        if addressed is not None:
            self._check_receiver(addressed)  # before decrypting what is not ours
        package = io.BytesIO(dokumentpakke) if isinstance(dokumentpakke, bytes) else dokumentpakke
        now = self.clock()
        with tempfile.TemporaryDirectory(dir=self.spool_dir, prefix="mailbox-") as documents:
            received = receive(
                forretningsmelding,
                package,
                trust=self.trust,
                open_package=lambda cms: open_package_to(
                    cms, self.key, documents, trust=self.trust, at=now, limits=self.limits
                ),
                maskinporten_keys={k: v for k, v in self.maskinporten.keys().items() if k},
                maskinporten_issuer=self.maskinporten_issuer,
                at=now,
                limits=self.limits,
            )
        self._check_receiver(received.message.message)
        letter = self._letter(received, now)
        self.observer(
            MailboxEvent(kind="checked", message_id=letter.id, letter=letter, token=received.token)
        )
        return letter

    def _check_receiver(self, message: BusinessMessage) -> None:
        # The SBDH receiver is the provider the letter was routed to (dpi.md 1.3, 7).
        if message.receiver != self.organisation:
            raise InputError(
                f"the letter is for {message.receiver.value}, "
                f"not for this provider {self.organisation.value}",
                rule="c4:receiver",
            )

    def _letter(self, received: ReceivedMessage, now: datetime) -> Letter:
        message = received.message.message
        body = message.body
        package = received.package
        documents = (
            [package.main, *package.attachments] if isinstance(package, UnpackedPackage) else []
        )
        if isinstance(body, Digital):
            mailbox, title = body.mottaker.postkasseadresse, body.ikkesensitivtittel
        elif isinstance(body, Utskrift):
            mailbox, title = body.mottaker.navn or "", None
        else:
            raise InputError(f"a {message.type} is not kept in a mailbox", rule="c4:type")
        avsender = body.avsender.virksomhetsidentifikator
        return Letter(
            id=str(message.message_id),
            conversation_id=str(message.conversation_id),
            kind=message.type.value,
            mailbox=mailbox,
            sender=avsender.value,
            sender_name=self.senders.get(avsender.org_number or ""),
            signed_by=message.sender.value,
            title=title,
            documents=tuple((d.name, d.mime, d.size) for d in documents),
            received_at=now,
            message=message,
        )

    def _deliveries(self, request: Request) -> Response:
        if request.method != "POST":
            raise HttpProblem(405, "POST a delivery")
        message_id = request.headers.get("idempotency-key", "")
        if message_id and self.store.letter(message_id) is not None:
            return Response.json({"id": message_id, "status": "already delivered"})
        # The package part goes to a spool as the body is read, refused (413) once it passes
        # the largest DPI package, as corner 2 does (dpi.md 3.1); it is checked from there.
        with spool(self.spool_dir) as package:
            try:
                form = read_form_data(
                    request.headers.get("content-type"),
                    request.stream(),
                    files={
                        "dokumentpakke": FilePart(
                            sink=package, max_bytes=self.limits.max_dpi_package_bytes
                        )
                    },
                    max_part_bytes=self.limits.max_jws_bytes,
                )
            except HttpError as exc:
                raise HttpProblem(exc.status, exc.message) from None
            jws = form.values.get("forretningsmelding")
            if jws is None or "dokumentpakke" not in form.files:
                raise HttpProblem(400, "parts forretningsmelding and dokumentpakke are required")
            package.seek(0)
            try:
                letter = self.deliver(jws, package)
            except PeppolDpiError as exc:
                return self._refuse(message_id, jws, exc)
        if not self.store.add_letter(letter):
            # The same message under another Idempotency-Key: kept once, answered as above.
            return Response.json({"id": letter.id, "status": "already delivered"})
        kind = MessageType.MOTTAKSKVITTERING if letter.kind == "utskrift" else None
        self._letter_receipt(letter, kind or MessageType.LEVERINGSKVITTERING)
        return Response.json({"id": letter.id, "status": "delivered"}, status=201)

    def _refuse(self, message_id: str, jws: bytes, exc: PeppolDpiError) -> Response:
        rule = getattr(exc, "rule", None) or "c4:refused"
        self.observer(MailboxEvent(kind="refused", message_id=message_id, rule=rule))
        original = _readable(jws)
        if original is not None and self.store.refuse(str(original.message_id), rule):
            # Digdir: corner 4 answers a message it cannot accept with a signed feil receipt.
            self.send_receipt(
                original, MessageType.FEIL, feiltype=Feiltype.KLIENT, detaljer=str(exc)[:_DETAIL]
            )
        raise HttpProblem(400, str(exc))

    # -- HTTP ----------------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        path = request.segments
        if path == ("deliveries",):
            return self._deliveries(request)
        if path == ("letters",) and request.method == "GET":
            wanted = request.query.get("mailbox")
            mailbox = wanted[-1] if wanted else None
            return Response.json([x.to_json() for x in self.store.letters(mailbox)])
        if len(path) == 2 and path[0] == "letters" and request.method == "GET":
            letter = self.store.letter(path[1])
            if letter is None:
                raise HttpProblem(404, f"no letter {path[1]}")
            return Response.json(letter.to_json())
        if len(path) == 3 and path[0] == "letters" and request.method == "POST":
            return self._action(path[1], path[2], request)
        if len(path) == 2 and path[0] == "senders" and request.method == "PUT":
            body = request.json()
            name = body.get("name") if isinstance(body, dict) else None
            if not isinstance(name, str) or not name:
                raise HttpProblem(400, 'the body is {"name": "..."}')
            self.senders[path[1]] = name
            return Response.json({"organisation": path[1], "name": name})
        raise HttpProblem(404, "no such resource")

    def _action(self, letter_id: str, action: str, request: Request) -> Response:
        sent: SentReceipt | None
        if action == "open":
            sent = self.open_letter(letter_id)
        elif action == "notification-failed":
            kanal = (request.query.get("kanal") or ["sms"])[-1]
            try:
                sent = self.notification_failed(letter_id, Varslingskanal(kanal))
            except ValueError:
                raise HttpProblem(400, "kanal is sms or epost") from None
        elif action == "returned":
            sent = self.returned(letter_id)
        else:
            raise HttpProblem(404, f"no action {action}")
        return Response.json({"receipt": sent.type.value if sent else None})


def _readable(jws: bytes) -> BusinessMessage | None:
    """The business message of a JWS, unverified: only to address a feil receipt."""
    try:
        message = parse_business_message(decode_unverified(jws))
    except InputError:
        return None
    return None if message.type.is_receipt else message


def serve_mailbox(
    service: MailboxService, *, host: str = "127.0.0.1", port: int = 0
) -> RunningService:
    """Serve ``service`` and start its receipt sender; stopping stops both."""
    service.start()
    running = serve_wsgi_in_thread(service.app, host=host, port=port)

    def stop() -> None:
        running.stop()
        service.stop()

    return RunningService(url=running.url, host=running.host, port=running.port, _stop=stop)

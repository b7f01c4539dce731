"""The whole DPI network on one machine: every service started on a free 127.0.0.1 port with
the test PKI, and the set-up phase done (dpi.md 0, 5, 7).

Services: a DNS server answering the SML zone, an SMP (ELMA) with its write API, the
Maskinporten-like token service, the Altinn-like delegation register, the KRR-like contact
register, corner 2, corner 3, and two corner 4 providers (a Digipost-like mailbox that also
runs the print service, and an e-Boks-like mailbox).

Set-up, each step through the service's own interface: the sender and its data processor are
registered as Maskinporten clients; an authorised person at the sender delegates
``digitalpostinnbygger:send`` to the data processor in the delegation register; corner 3
registers the mailbox and print providers in ELMA (SMP write API) for the letter types, and
corner 2 registers the sender and the data processor for the receipt types; the mailboxes get
the sender's name; KRR holds three citizens (two digital mailboxes, one for print).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dns.resolver
import requests

from ..dpi.identifiers import DpiProcess, MessageType
from ..ids import ParticipantId
from ..keys import LocalPrivateKey
from ..lookup.discovery import EndpointFinder
from ..lookup.krr import SCOPE_DIGITAL_POST
from ..lookup.sml import sml_zone
from ..lookup.smp import Endpoint, ProcessMetadata, ServiceMetadata, TransportProfile
from ..lookup.smp_client import SmpClient
from ..lookup.smp_write import SmpWriteClient
from ..services.base import RunningService
from ..services.delegation import AltinnDelegationCheck, DelegationService, serve_delegation
from ..services.dns import DnsZone, serve_dns
from ..services.krr import KrrService, person_entry, serve_krr
from ..services.mailbox import MailboxEvent, MailboxService, serve_mailbox
from ..services.maskinporten import ClientRegistration, MaskinportenService, serve_maskinporten
from ..services.smp import SmpService, serve_smp
from ..testing import pki as test_pki
from ..transport.auth import DPI_SEND_SCOPE, HttpJwks, MaskinportenTokenVerifier
from ..transport.config import RetryConfig, WorkerConfig
from ..transport.delivery import HttpCorner4
from ..transport.locate import SmpLocator
from ..transport.server import Service, corner2_service, corner3_service
from ..transport.sqlite_store import SqliteStore
from ..trust import TrustPolicy
from .formats import formats
from .observe import ObservedAs4, ObservedCorner4, ObservedLocator
from .transcript import Transcript

__all__ = ["CITIZENS", "PARTIES", "Network", "Party", "load_parties"]

SML_ZONE = "sml.peppol-dpi.demo"
FIXTURES_PKI = Path(__file__).resolve().parents[2] / "fixtures" / "pki"


@dataclass(frozen=True, kw_only=True)
class Party:
    stem: str  # file stem in the test PKI
    orgnr: str
    name: str

    @property
    def participant(self) -> ParticipantId:
        return ParticipantId.norwegian(self.orgnr)


PARTIES = {
    "sender": Party(stem="sender", orgnr="991825827", name="Avsender Test AS"),
    "processor": Party(stem="processor", orgnr="810969342", name="Databehandler Test AS"),
    "digipost": Party(stem="digipost", orgnr="984661185", name="Digipost-like mailbox + print"),
    "eboks": Party(stem="eboks", orgnr="922020175", name="e-Boks-like mailbox"),
}
#: Citizens in KRR: identifier -> (name, mailbox provider key or None for print, mailbox address)
CITIZENS = {
    "01017012345": ("Ola Nordmann", "digipost", "ola.nordmann#9YDT"),
    "02027012345": ("Kari Nordmann", "eboks", "kari.nordmann#4KX2"),
    "03037012345": ("Per Papir", None, None),
}
FAST_RETRY = RetryConfig(
    first_delay_seconds=0.2, factor=2.0, max_delay_seconds=2.0, deadline_seconds=300
)
FAST_WORKER = WorkerConfig(
    lease_seconds=60.0, timeout_seconds=30.0, poll_seconds=0.25, batch=8, concurrency=2
)


def load_parties() -> dict[str, LocalPrivateKey]:
    """The test PKI: the committed fixtures in a checkout, else built in memory (~1 s)."""
    return test_pki.parties(FIXTURES_PKI)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Network:
    """Every service of the flow, started by :meth:`start` and stopped by :meth:`stop`."""

    transcript: Transcript
    clock: Callable[[], datetime] = _utc_now
    workdir: Path | None = None
    keys: dict[str, LocalPrivateKey] = field(default_factory=load_parties)
    running: dict[str, RunningService] = field(default_factory=dict)
    corners: dict[str, Service] = field(default_factory=dict)
    mailboxes: dict[str, MailboxService] = field(default_factory=dict)
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only: never a proxy from the environment
        ap_ca, smp_ca = self.keys["ap-c2"].chain[0], self.keys["smp"].chain[0]
        self.peppol_trust = TrustPolicy(
            anchors=(self.keys["ap-c2"].chain[-1],), intermediates=(ap_ca, smp_ca)
        )
        business = self.keys["sender"].chain
        self.business_trust = TrustPolicy(anchors=(business[-1],), intermediates=business[:-1])
        self.smp_users = {"corner2": "c2-secret", "corner3": "c3-secret"}
        self.persons = {"kari.leder": ("altinn-secret", PARTIES["sender"].orgnr)}

    # -- URLs ------------------------------------------------------------------------------------
    def url(self, name: str) -> str:
        if name in self.corners:
            return self.corners[name].url
        return self.running[name].url

    @property
    def issuer(self) -> str:
        return self.running["maskinporten"].url + "/"

    # -- start and stop --------------------------------------------------------------------------
    def start(self) -> Network:
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="peppol-dpi-demo-")
            self.workdir = Path(self._tmp.name)
        self.zone = DnsZone()
        self.running["dns"] = serve_dns(self.zone)
        self.smp = SmpService(key=self.keys["smp"], users=self.smp_users, sml=(self.zone, SML_ZONE))
        self.running["smp"] = serve_smp(self.smp)
        self.delegation = DelegationService(persons=self.persons, clock=self.clock)
        self.running["delegation"] = serve_delegation(self.delegation)
        self.maskinporten = MaskinportenService(
            key=self.keys["maskinporten"],
            clients={},
            delegation=AltinnDelegationCheck(
                base_url=self.running["delegation"].url,
                session=self.session,
                observer=self._delegation_asked,
            ),
            delegation_source=self.running["delegation"].url + "/",
            clock=self.clock,
        )
        self.running["maskinporten"] = serve_maskinporten(self.maskinporten)
        self.maskinporten.issuer = self.issuer
        self.krr = KrrService(
            persons={},
            print_provider=PARTIES["digipost"].orgnr,
            print_certificate=self.keys["digipost"].certificate,
            token_key=self.keys["maskinporten"].certificate.public_key(),  # type: ignore[arg-type]
            token_issuer=self.issuer,
            clock=self.clock,
        )
        self.running["krr"] = serve_krr(self.krr)
        # The mailboxes first (corner 3 delivers to them), then told corner 3's receipts URL.
        for key in ("digipost", "eboks"):
            self._start_mailbox(key)
        self._start_corners()
        for mailbox in self.mailboxes.values():
            mailbox.receipts_url = self.corners["corner3"].url + "/receipts"
        self.transcript.add(
            "C1",
            "C1",
            "services on 127.0.0.1: "
            + ", ".join(f"{n} {self.url(n).rsplit(':', 1)[-1]}" for n in self.names()),
        )
        return self

    def names(self) -> list[str]:
        return [*self.running, *self.corners]

    def _finder(self) -> EndpointFinder:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.running["dns"].host]
        resolver.port = self.running["dns"].port
        return EndpointFinder(
            smp=SmpClient(session=self.session, trust=self.peppol_trust, clock=self.clock),
            zone=sml_zone(SML_ZONE),
            resolver=resolver,
            endpoint_trust=self.peppol_trust,
        )

    def _corner_parts(self, name: str, peer: str) -> dict[str, object]:
        parts = formats(
            ap_key=self.keys["ap-c2" if name == "C2" else "ap-c3"],
            ap_trust=self.peppol_trust,
            business_trust=self.business_trust,
            locator=ObservedLocator(
                inner=SmpLocator(finder=self._finder(), clock=self.clock),
                transcript=self.transcript,
                actor=name,
            ),
            clock=self.clock,
        )
        assert self.workdir is not None
        return {
            "store": SqliteStore(self.workdir / f"{name.lower()}.sqlite3"),
            "reader": parts.reader,
            "as4": ObservedAs4(inner=parts.as4, transcript=self.transcript, name=name, peer=peer),
            "payloads": parts.payloads,
            "locator": parts.locator,
            "session": self.session,
            "clock": self.clock,
            "retry": FAST_RETRY,
            "worker": FAST_WORKER,
        }

    def _start_corners(self) -> None:
        self.corner4 = ObservedCorner4(inner=self._corner4_client(), transcript=self.transcript)
        self.corners["corner2"] = corner2_service(
            tokens=MaskinportenTokenVerifier(
                issuer=self.issuer,
                jwks=HttpJwks(self.running["maskinporten"].url + "/jwks", session=self.session),
            ),
            **self._corner_parts("C2", "C3"),  # type: ignore[arg-type]
        ).start()
        self.corners["corner3"] = corner3_service(
            corner4=self.corner4,
            **self._corner_parts("C3", "C2"),  # type: ignore[arg-type]
        ).start()

    def _corner4_client(self) -> HttpCorner4:
        urls = {
            PARTIES[key].participant.value: self.running[key].url + "/deliveries"
            for key in self.mailboxes
        }
        return HttpCorner4(session=self.session, urls=urls)

    def _start_mailbox(self, key: str) -> None:
        party = PARTIES[key]
        service = MailboxService(
            organisation=party.participant,
            key=self.keys[party.stem],
            trust=self.business_trust,
            maskinporten=HttpJwks(self.running["maskinporten"].url + "/jwks", session=self.session),
            maskinporten_issuer=self.issuer,
            receipts_url="",  # set once corner 3 runs
            session=self.session,
            name=key,
            clock=self.clock,
            observer=lambda event: self._mailbox_event(key, event),
            retry_seconds=0.25,
        )
        self.mailboxes[key] = service
        self.running[key] = serve_mailbox(service)

    def __enter__(self) -> Network:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        # The corners' workers first, then the services (the mailboxes' receipt senders with
        # them), then the corners' servers: nothing is still sending to a server already gone
        # (which would log retries after a run that went well).
        for corner in self.corners.values():
            for worker in corner.workers:
                worker.stop()
        for running in reversed(list(self.running.values())):
            running.stop()
        for corner in self.corners.values():
            corner.stop()
        self.corners.clear()
        self.running.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- what the services report ----------------------------------------------------------
    def _delegation_asked(self, consumer: str, supplier: str, scope: str, allowed: bool) -> None:
        self.transcript.add(
            "MP",
            "ALTINN",
            f"may {supplier} use {scope} for {consumer}? {'yes' if allowed else 'NO'}",
        )

    def _mailbox_event(self, key: str, event: MailboxEvent) -> None:
        kind = event.receipt.value if event.receipt else ""
        if event.kind == "checked" and event.letter is not None and event.token is not None:
            letter, token = event.letter, event.token
            consumer = token.consumer.value if token.consumer else "?"
            signer = f"supplier {token.supplier.value}" if token.supplier else "consumer"
            self.transcript.add(
                "C4",
                "C4",
                f"{key}: {letter.kind} letter {letter.id[:8]} put in {letter.mailbox!r}",
                checks=(
                    "forretningsmelding JWS verified, signer certificate valid (business CA), "
                    "signer = SBDH sender",
                    "dokumentpakkefingeravtrykk = SHA-256 of the CMS bytes",
                    f"Maskinporten token signature verified; consumer {consumer} = avsender, "
                    f"{signer} = signer",
                    "package decrypted (CMS), XAdES signature and file digests verified, same "
                    "signer, same avsender, same mailbox",
                ),
            )
        elif event.kind == "refused":
            self.transcript.add(
                "C4", "C4", f"{key}: letter {event.message_id[:8]} refused [{event.rule}]"
            )
        elif event.kind == "receipt-signed":
            self.transcript.add(
                "C4", "C4", f"{key}: {kind} signed with {PARTIES[key].name}'s certificate"
            )
        elif event.kind == "receipt-sent":
            self.transcript.add("C4", "C3", f"POST /receipts: {kind}")

    # -- set-up ----------------------------------------------------------------------------------
    def register_client(self, key: str, scopes: frozenset[str]) -> str:
        """Register a Maskinporten client for a party (Samarbeidsportalen's job in real life)."""
        party = PARTIES[key]
        client_id = f"demo-{key}-{party.orgnr}"
        clients = dict(self.maskinporten.clients)
        clients[client_id] = ClientRegistration(
            client_id=client_id,
            organisation=party.orgnr,
            scopes=scopes,
            certificates=(self.keys[party.stem].certificate,),
        )
        self.maskinporten.clients = clients
        self.transcript.add(
            "C1",
            "MP",
            f"client {client_id} registered for {party.name}: {' '.join(sorted(scopes))}",
        )
        return client_id

    def setup(self) -> dict[str, str]:
        """The set-up phase; returns the Maskinporten client id of each sending party."""
        scopes = frozenset({DPI_SEND_SCOPE, SCOPE_DIGITAL_POST})
        clients = {key: self.register_client(key, scopes) for key in ("sender", "processor")}
        self.delegate("sender", "processor")
        self.register_receivers()
        self.register_senders()
        for mailbox in self.mailboxes.values():
            party = PARTIES["sender"]
            answer = self.session.put(
                f"{self.running[mailbox.name].url}/senders/{party.orgnr}",
                json={"name": party.name},
                timeout=10,
            )
            answer.raise_for_status()
        self.transcript.add("C4", "C4", "mailboxes know the sender: " + PARTIES["sender"].name)
        self.register_citizens()
        return clients

    def delegate(self, offered_by: str, covered_by: str) -> None:
        user, (password, _) = next(iter(self.persons.items()))
        answer = self.session.post(
            self.running["delegation"].url + "/delegations",
            json={
                "offered_by": PARTIES[offered_by].orgnr,
                "covered_by": PARTIES[covered_by].orgnr,
                "scopes": [DPI_SEND_SCOPE],
            },
            auth=(user, password),
            timeout=10,
        )
        answer.raise_for_status()
        self.transcript.add(
            "C1",
            "ALTINN",
            f"{user} (authorised for {PARTIES[offered_by].name}) delegates {DPI_SEND_SCOPE} "
            f"to {PARTIES[covered_by].name}: HTTP {answer.status_code}",
        )

    def _publish(self, who: str, key: str, types: dict[MessageType, list[DpiProcess]]) -> None:
        user = "corner2" if who == "C2" else "corner3"
        corner = self.corners[user]
        client = SmpWriteClient(
            session=self.session,
            smp_url=self.running["smp"].url,
            auth=(user, self.smp_users[user]),
        )
        participant = PARTIES[key].participant
        certificate = self.keys["ap-c2" if who == "C2" else "ap-c3"].certificate
        client.put_service_group(participant)
        for message_type, processes in types.items():
            endpoint = Endpoint(
                transport_profile=TransportProfile.PEPPOL_AS4_V2,
                url=corner.as4_url,
                certificate=certificate,
            )
            client.put_service_metadata(
                ServiceMetadata(
                    participant=participant,
                    document_type=message_type.document_type,
                    processes=tuple(
                        ProcessMetadata(process=p.process_id, endpoints=(endpoint,))
                        for p in processes
                    ),
                )
            )
        self.transcript.add(
            who,
            "SMP",
            f"PUT {participant.value} ({PARTIES[key].name}) for "
            + ", ".join(t.value for t in types)
            + f" -> {corner.as4_url}",
        )

    def register_receivers(self) -> None:
        """Corner 3 registers the providers for the letter types (dpi.md 7)."""
        self._publish(
            "C3",
            "digipost",
            {
                MessageType.DIGITAL: [DpiProcess.DIGITAL],
                MessageType.UTSKRIFT: [DpiProcess.UTSKRIFT],
            },
        )
        self._publish("C3", "eboks", {MessageType.DIGITAL: [DpiProcess.DIGITAL]})

    def register_senders(self) -> None:
        """Corner 2 registers its senders for the receipt types (dpi.md 7)."""
        receipts: dict[MessageType, list[DpiProcess]] = {}
        for process in (DpiProcess.DIGITAL, DpiProcess.UTSKRIFT):
            for message_type in sorted(process.message_types, key=lambda t: t.value):
                if message_type.is_receipt:
                    receipts.setdefault(message_type, []).append(process)
        for key in ("sender", "processor"):
            self._publish("C2", key, receipts)

    def register_citizens(self) -> None:
        persons = {}
        for identifier, (_, provider, address) in CITIZENS.items():
            persons[identifier] = person_entry(
                identifier,
                mailbox_address=address,
                provider=PARTIES[provider].orgnr if provider else None,
                certificate=self.keys[PARTIES[provider].stem].certificate if provider else None,
                mobile="+4799999999",
            )
        self.krr.persons = persons
        self.transcript.add(
            "KRR",
            "KRR",
            "citizens: "
            + ", ".join(
                f"{name} ({PARTIES[p].name if p else 'no mailbox: print'})"
                for name, p, _ in CITIZENS.values()
            ),
        )

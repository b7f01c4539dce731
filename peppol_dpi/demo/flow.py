"""The runtime flow, driven from corner 1 (the sender's system), and the demo scenario.

:class:`SenderSystem` is what a sender's (or data processor's) system does for each letter
(dpi.md 0): KRR lookup (a Maskinporten token with the KRR scope), a Maskinporten token for
``digitalpostinnbygger:send`` (with ``consumer_org`` for a data processor), the package and the
signed business message (:mod:`peppol_dpi.dpi.sender`), ``POST /messages/out``; then the
statuses, and the receipts polled from ``GET /messages/in`` with a fresh token, each verified
(signature, mailbox certificate) and marked read.

:func:`run_scenario` sends the demo's three letters and triggers the later receipts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..dpi.asic import Document
from ..dpi.bodies import Adresse, Retur, Returposthaandtering, Smsvarsel, Varsler, Varslingskanal
from ..dpi.identifiers import MessageType
from ..dpi.sender import (
    DigitalOptions,
    DigitalRecipient,
    OutgoingMessage,
    PrintRecipient,
    Sender,
    send_digital,
    send_print,
)
from ..dpi.signed import verify_business_message
from ..errors import TransportError
from ..lookup.krr import SCOPE_DIGITAL_POST, KrrClient, Person
from ..lookup.maskinporten import AccessToken, MaskinportenClient, MaskinportenEnvironment
from ..transport.auth import DPI_SEND_SCOPE
from ..transport.delivery import encode_form_data
from .network import CITIZENS, PARTIES, Network

__all__ = ["Letter", "Outcome", "SenderSystem", "run_scenario"]


@dataclass
class Letter:
    """One letter of the scenario and what became of it."""

    label: str
    citizen: str
    sent_by: str  # party key: sender or processor
    kind: MessageType
    message_id: str = ""
    conversation_id: str = ""
    provider: str = ""
    statuses: list[str] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    expect_refusal: str | None = None  # the rule the mailbox must refuse it with
    refused: str | None = None  # the rule the mailbox refused it with


@dataclass
class Outcome:
    letters: list[Letter]
    seconds: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TransportError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class SenderSystem:
    """Corner 1 of one organisation (``key`` in PARTIES), acting for ``acts_for``."""

    network: Network
    key: str
    client_id: str
    acts_for: str = "sender"

    def __post_init__(self) -> None:
        self.party = PARTIES[self.key]
        self.signing_key = self.network.keys[self.party.stem]
        self.session = self.network.session
        self.transcript = self.network.transcript
        self.c2 = self.network.url("corner2")

    def _client(self) -> MaskinportenClient:
        # A new client per token: every send and every poll gets a fresh token (dpi.md 5).
        environment = MaskinportenEnvironment(
            name="demo",
            token_url=self.network.url("maskinporten") + "/token",
            issuer=self.network.issuer,
        )
        return MaskinportenClient(
            session=self.session,
            environment=environment,
            client_id=self.client_id,
            key=self.signing_key,
        )

    def token(self, scope: str, consumer_org: str | None = None) -> AccessToken:
        asking = f" with consumer_org {consumer_org}" if consumer_org else ""
        self.transcript.add(
            "C1", "MP", f"{self.party.name}: JWT grant (x5c, RS256) for {scope}{asking}"
        )
        with self.transcript.timed("MP", "C1", "access token") as notes:
            token = self._client().token([scope], consumer_org=consumer_org)
            claims = token.claims
            notes.result = (
                "consumer "
                + (claims.consumer.value if claims.consumer else "?")
                + (f", supplier {claims.supplier.value}" if claims.supplier else "")
                + f", expires in {int((token.expires_at - datetime.now(UTC)).total_seconds())} s"
            )
        return token

    def lookup(self, identifier: str) -> Person:
        token = self.token(SCOPE_DIGITAL_POST)
        client = KrrClient(session=self.session, base_url=self.network.url("krr"))
        with self.transcript.timed("C1", "KRR", f"POST /rest/v2/personer {identifier}") as notes:
            person = client.person(identifier, token=token)
            if person.can_receive_digital_post and person.mailbox is not None:
                notes.result = (
                    f"mailbox {person.mailbox.address} at {person.mailbox.provider.value}, "
                    "encryption certificate"
                )
            else:
                notes.result = "no digital mailbox: the letter goes to print"
        return person

    def _sender(self) -> Sender:
        processor = self.party.participant if self.key != self.acts_for else None
        return Sender(
            key=self.signing_key,
            organisation=PARTIES[self.acts_for].participant,
            processor=processor,
            avsenderidentifikator="demo",
        )

    def send(
        self, letter: Letter, *, before_post: Callable[[OutgoingMessage], None] | None = None
    ) -> OutgoingMessage:
        """Look the citizen up, build and post the letter."""
        person = self.lookup(letter.citizen)
        consumer_org = PARTIES[self.acts_for].orgnr  # as Digdir's client, always (dpi.md 5)
        token = self.token(DPI_SEND_SCOPE, consumer_org=consumer_org)
        now = datetime.now(UTC)
        name = CITIZENS[letter.citizen][0]
        with self.transcript.timed("C1", "C1", f"{letter.label}: package and message") as notes:
            outgoing = self.build(letter, person, token.value, now, name)
            notes.result = (
                f"ASiC-E signed (XAdES) and encrypted (CMS) to {letter.provider}, "
                f"{len(outgoing.dokumentpakke)} bytes; {letter.kind.value} message signed (JWS)"
            )
        letter.message_id = str(outgoing.message_id)
        letter.conversation_id = str(outgoing.conversation_id)
        if before_post is not None:
            before_post(outgoing)
        self.post(outgoing, token.value)
        return outgoing

    def build(
        self, letter: Letter, person: Person, token: str, now: datetime, name: str
    ) -> OutgoingMessage:
        sender = self._sender()
        if letter.kind is MessageType.DIGITAL:
            assert person.mailbox is not None
            letter.provider = person.mailbox.provider.value
            documents = (
                Document(
                    name="vedtak.txt", content=f"Vedtak for {name}\n".encode(), title="Vedtak"
                ),
                Document(name="vedlegg.txt", content=b"Klagerett: 3 uker.\n", title="Vedlegg"),
            )
            varsler = Varsler(
                smsvarsel=Smsvarsel(
                    mobiltelefonnummer="+4799999999",
                    varslingstekst="Du har fått digital post",
                    repetisjoner=(0,),
                )
            )
            return send_digital(
                sender=sender,
                recipient=DigitalRecipient(
                    postkasseadresse=person.mailbox.address,
                    provider=person.mailbox.provider,
                    certificate=person.certificate,
                ),
                documents=documents[: 2 if self.key == self.acts_for else 1],
                token=token,
                title=f"Vedtak til {name}",
                created=now,
                options=DigitalOptions(aapningskvittering=True, varsler=varsler),
            )
        printing = KrrClient(session=self.session, base_url=self.network.url("krr"))
        with self.transcript.timed("C1", "KRR", "GET /rest/v2/printSertifikat") as notes:
            found = printing.print_certificate()
            notes.result = f"print provider {found.provider.value}"
        letter.provider = found.provider.value
        address = Adresse(navn=name, adresselinje1="Storgata 1", postnummer="0155", poststed="Oslo")
        avsender = Adresse(
            navn=PARTIES["sender"].name,
            adresselinje1="Postboks 1",
            postnummer="0101",
            poststed="Oslo",
        )
        return send_print(
            sender=sender,
            recipient=PrintRecipient(
                adresse=address,
                provider=found.provider,
                certificate=found.certificate,
                retur=Retur(
                    mottaker=avsender, returposthaandtering=Returposthaandtering.DIREKTE_RETUR
                ),
            ),
            documents=(Document(name="brev.pdf", content=b"%PDF-1.4\n% demo letter\n"),),
            token=token,
            created=now,
        )

    def post(self, outgoing: OutgoingMessage, token: str) -> None:
        content_type, body = encode_form_data(
            [
                ("forretningsmelding", "sbd.jwt", "application/jwt", outgoing.forretningsmelding),
                ("dokumentpakke", "asic.cms", "application/cms", outgoing.dokumentpakke),
            ]
        )
        with self.transcript.timed("C1", "C2", "POST /messages/out") as notes:
            answer = self.session.post(
                f"{self.c2}/messages/out",
                data=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
                timeout=30,
            )
            if answer.status_code != 201:
                notes.result = f"HTTP {answer.status_code} {answer.text[:200]}"
            else:
                notes.result = "201 Created, status OPPRETTET (stored before answering)"
                notes.checks += [
                    "bearer token: Maskinporten signature (JWKS), issuer, expiry, scope",
                    "forretningsmelding JWS and signer certificate (business CA), JSON schema",
                    "embedded maskinportentoken = bearer token; consumer = avsender; "
                    "SBDH sender and signer = the caller",
                    "dokumentpakkefingeravtrykk = SHA-256 of the dokumentpakke; new message id",
                ]
        if answer.status_code != 201:
            raise TransportError(f"corner 2 refused the letter: HTTP {answer.status_code}")

    def statuses(self, message_id: str) -> list[str]:
        token = self._client().token([DPI_SEND_SCOPE]).value
        answer = self.session.get(
            f"{self.c2}/messages/out/{message_id}/statuses",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        answer.raise_for_status()
        return [entry["status"] for entry in answer.json()]

    def poll(self) -> list[tuple[str, str, str]]:
        """``GET /messages/in`` with a fresh token: each receipt verified and marked read;
        returns (type, conversation id, receipt id)."""
        token = self._client().token([DPI_SEND_SCOPE]).value
        headers = {"Authorization": f"Bearer {token}"}
        answer = self.session.get(f"{self.c2}/messages/in", headers=headers, timeout=10)
        if answer.status_code == 204:
            return []
        answer.raise_for_status()
        found = []
        for entry in answer.json():
            started = time.perf_counter()
            signed = verify_business_message(
                entry["forretningsmelding"], trust=self.network.business_trust
            )
            message = signed.message
            read = self.session.post(
                f"{self.c2}/messages/in/{message.message_id}/read", headers=headers, timeout=10
            )
            read.raise_for_status()
            self.transcript.add(
                "C2",
                "C1",
                f"GET /messages/in ({self.party.name}): {message.type.value} from "
                f"{message.sender.value}, then POST /messages/in/{str(message.message_id)[:8]}"
                "/read",
                checks=(
                    "receipt JWS verified, signed by the provider's certificate (business CA)",
                    f"conversation {str(message.conversation_id)[:8]} matches a letter sent",
                ),
                ms=(time.perf_counter() - started) * 1000,
            )
            found.append(
                (message.type.value, str(message.conversation_id), str(message.message_id))
            )
        return found


def _collect(systems: list[SenderSystem], letters: list[Letter], want: dict[str, set[str]]) -> None:
    """Poll until every letter has the receipts in ``want`` (conversation id -> types)."""
    by_conversation = {x.conversation_id: x for x in letters}

    def done() -> bool:
        for system in systems:
            for kind, conversation, _ in system.poll():
                if conversation in by_conversation:
                    by_conversation[conversation].receipts.append(kind)
        return all(want[c] <= set(by_conversation[c].receipts) for c in want)

    _wait(done, 20.0, "the receipts")


def run_scenario(network: Network, clients: dict[str, str]) -> Outcome:
    """Three letters and every receipt type, then a letter whose package is swapped on the
    way, which the mailbox refuses with a ``feil`` receipt."""
    started = time.monotonic()
    transcript = network.transcript
    sender = SenderSystem(network=network, key="sender", client_id=clients["sender"])
    processor = SenderSystem(
        network=network, key="processor", client_id=clients["processor"], acts_for="sender"
    )
    systems = {"sender": sender, "processor": processor}
    ola, kari, per = list(CITIZENS)
    letters = [
        Letter(label="letter 1 (digital + attachment)", citizen=ola, sent_by="sender",
               kind=MessageType.DIGITAL),
        Letter(label="letter 2 (digital, sent by the data processor)", citizen=kari,
               sent_by="processor", kind=MessageType.DIGITAL),
        Letter(label="letter 3 (print)", citizen=per, sent_by="sender", kind=MessageType.UTSKRIFT),
    ]  # fmt: skip
    first = {
        MessageType.DIGITAL: MessageType.LEVERINGSKVITTERING,
        MessageType.UTSKRIFT: MessageType.MOTTAKSKVITTERING,
    }
    sent = [_deliver(systems[x.sent_by], x, letters, first[x.kind]) for x in letters]
    transcript.section("later: the citizen opens letter 1, an SMS fails, letter 3 comes back")
    digipost, eboks = network.mailboxes["digipost"], network.mailboxes["eboks"]
    digipost.open_letter(letters[0].message_id)
    eboks.notification_failed(letters[1].message_id, Varslingskanal.SMS)
    digipost.returned(letters[2].message_id)
    _collect(
        [sender, processor],
        letters,
        {
            letters[0].conversation_id: {MessageType.AAPNINGSKVITTERING.value},
            letters[1].conversation_id: {MessageType.VARSLINGFEILETKVITTERING.value},
            letters[2].conversation_id: {MessageType.RETURPOSTKVITTERING.value},
        },
    )
    # The mailbox, not the network, guarantees the letter: corner 3 (or anyone on the way)
    # hands over letter 1's package, validly signed by the same sender for the same mailbox.
    attack = Letter(label="letter 4 (its package swapped on the way)", citizen=ola,
                    sent_by="sender", kind=MessageType.DIGITAL,
                    expect_refusal="dpi:fingerprint")  # fmt: skip
    letters.append(attack)
    _deliver(
        sender,
        attack,
        letters,
        MessageType.FEIL,
        before_post=lambda outgoing: network.corner4.swap_package(
            str(outgoing.message_id), sent[0].dokumentpakke
        ),
    )
    attack.refused = digipost.store.refused().get(attack.message_id)
    return _outcome(network, letters, time.monotonic() - started)


def _deliver(
    system: SenderSystem,
    letter: Letter,
    letters: list[Letter],
    receipt: MessageType,
    *,
    before_post: Callable[[OutgoingMessage], None] | None = None,
) -> OutgoingMessage:
    """Send one letter and wait until it is SENDT and its first receipt is at the sender."""
    system.transcript.section(f"{letter.label}: to {CITIZENS[letter.citizen][0]}")
    outgoing = system.send(letter, before_post=before_post)
    _wait(
        lambda: "SENDT" in system.statuses(letter.message_id), 20.0, f"{letter.label} to be SENDT"
    )
    _collect([system], letters, {letter.conversation_id: {receipt.value}})
    letter.statuses = system.statuses(letter.message_id)
    system.transcript.add(
        "C2",
        "C1",
        f"GET /messages/out/{letter.message_id[:8]}/statuses: " + " -> ".join(letter.statuses),
    )
    return outgoing


def _outcome(network: Network, letters: list[Letter], seconds: float) -> Outcome:
    outcome = Outcome(letters=letters, seconds=seconds)
    providers = {PARTIES[k].participant.value: k for k in network.mailboxes}
    for letter in letters:
        if letter.statuses[:2] != ["OPPRETTET", "SENDT"]:
            outcome.problems.append(f"{letter.label}: statuses {letter.statuses}")
        kept = network.mailboxes[providers[letter.provider]].store.letter(letter.message_id)
        if letter.expect_refusal is not None:
            if kept is not None or letter.refused != letter.expect_refusal:
                outcome.problems.append(f"{letter.label}: not refused [{letter.expect_refusal}]")
        elif kept is None:
            outcome.problems.append(
                f"{letter.label}: not in the {providers[letter.provider]} mailbox"
            )
    return outcome

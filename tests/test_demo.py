"""The whole DPI flow on loopback (``peppol-dpi demo``), asserted; and its refusals.

* ``run_demo`` is the command's code path: three letters in their mailboxes, every receipt at
  the sender that sent the letter, statuses OPPRETTET -> SENDT.
* A data processor that the organisation never delegated to is refused by the token service
  (which asked the delegation register).
* A package swapped between corner 3 and corner 4 is refused by the mailbox
  (``dpi:fingerprint``); its ``feil`` receipt travels back through corner 3 and corner 2 to the
  sender.
* ``peppol-dpi demo`` as a real subprocess exits 0 and prints the flow, transcript and diagram.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from peppol_dpi.demo.flow import Letter, SenderSystem
from peppol_dpi.demo.network import CITIZENS, PARTIES, Network
from peppol_dpi.demo.run import run_demo, summary
from peppol_dpi.demo.transcript import Transcript
from peppol_dpi.dpi.bodies import Feil, Feiltype
from peppol_dpi.dpi.identifiers import MessageType
from peppol_dpi.dpi.signed import verify_business_message
from peppol_dpi.lookup.maskinporten import MaskinportenError
from peppol_dpi.transport.auth import DPI_SEND_SCOPE
from peppol_dpi.transport.delivery import encode_form_data

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_flow() -> None:
    result = run_demo()
    outcome = result.outcome
    assert outcome.ok, outcome.problems
    digital, processor, printed, swapped = outcome.letters
    expected = {
        digital.message_id: ("digipost", "ola.nordmann#9YDT", {"leveringskvittering", "aapningskvittering"}),
        processor.message_id: ("eboks", "kari.nordmann#4KX2", {"leveringskvittering", "varslingfeiletkvittering"}),
        printed.message_id: ("digipost", "Per Papir", {"mottakskvittering", "returpostkvittering"}),
    }  # fmt: skip
    for letter in outcome.letters[:3]:
        provider, mailbox, receipts = expected[letter.message_id]
        kept = result.network.mailboxes[provider].store.letter(letter.message_id)
        assert kept is not None and kept.mailbox == mailbox
        assert letter.statuses == ["OPPRETTET", "SENDT"]
        assert sorted(letter.receipts) == sorted(receipts)  # each once, at its sender
    # the fourth letter's package was swapped between corner 3 and corner 4: refused, feil
    digipost = result.network.mailboxes["digipost"]
    assert digipost.store.letter(swapped.message_id) is None
    assert swapped.refused == "dpi:fingerprint" and swapped.receipts == ["feil"]
    assert swapped.statuses == ["OPPRETTET", "SENDT"]
    kept = digipost.store.letter(digital.message_id)
    assert kept is not None and [d[0] for d in kept.documents] == ["vedtak.txt", "vedlegg.txt"]
    assert kept.opened and kept.sender == PARTIES["sender"].participant.value
    on_behalf = result.network.mailboxes["eboks"].store.letter(processor.message_id)
    assert on_behalf is not None
    assert on_behalf.sender == PARTIES["sender"].participant.value
    assert on_behalf.signed_by == PARTIES["processor"].participant.value
    # the delegation register was asked, and said yes
    assert any(s.actor == "MP" and s.target == "ALTINN" and s.what.endswith("yes")
               for s in result.transcript.steps)  # fmt: skip
    assert result.transcript.mermaid().startswith("sequenceDiagram")
    assert "all letters delivered, the swapped one refused, every receipt at its sender" in summary(
        result
    )
    assert not result.network.running and not result.network.corners  # stopped


@pytest.fixture(scope="module")
def network() -> Iterator[tuple[Network, dict[str, str]]]:
    net = Network(transcript=Transcript()).start()
    try:
        yield net, net.setup()
    finally:
        net.stop()


def test_an_undelegated_processor_gets_no_token(network: tuple[Network, dict[str, str]]) -> None:
    net, _ = network
    # e-Boks' organisation has its own Maskinporten client but no delegation from the sender.
    client_id = net.register_client("eboks", frozenset({DPI_SEND_SCOPE}))
    impostor = SenderSystem(network=net, key="eboks", client_id=client_id)
    with pytest.raises(MaskinportenError) as refused:
        impostor.token(DPI_SEND_SCOPE, consumer_org=PARTIES["sender"].orgnr)
    assert refused.value.rule == "maskinporten:invalid_grant"
    assert "may not act for 991825827" in str(refused.value)
    asked = [s for s in net.transcript.steps if s.target == "ALTINN" and s.actor == "MP"]
    assert (
        asked
        and asked[-1].what.startswith(f"may {PARTIES['eboks'].orgnr} ")
        and asked[-1].what.endswith("NO")
    )
    # the delegated processor is still served
    processor = SenderSystem(network=net, key="processor", client_id=network[1]["processor"])
    token = processor.token(DPI_SEND_SCOPE, consumer_org=PARTIES["sender"].orgnr)
    assert token.claims.supplier == PARTIES["processor"].participant


def test_a_swapped_package_is_refused_with_a_feil_receipt(
    network: tuple[Network, dict[str, str]],
) -> None:
    net, clients = network
    sender = SenderSystem(network=net, key="sender", client_id=clients["sender"])
    ola = next(iter(CITIZENS))
    first = sender.send(Letter(label="first", citizen=ola, sent_by="sender",
                               kind=MessageType.DIGITAL))  # fmt: skip
    letter = Letter(label="swapped", citizen=ola, sent_by="sender", kind=MessageType.DIGITAL)
    outgoing = sender.send(
        letter,
        before_post=lambda out: net.corner4.swap_package(str(out.message_id), first.dokumentpakke),
    )
    feil = None
    deadline = time.monotonic() + 20
    while feil is None and time.monotonic() < deadline:
        found = sender.poll()
        feil = next((r for k, c, r in found if k == "feil" and c == letter.conversation_id), None)
        time.sleep(0.05)
    assert feil is not None, "the feil receipt did not reach the sender"
    digipost = net.mailboxes["digipost"]
    assert digipost.store.letter(letter.message_id) is None
    assert digipost.store.letter(str(first.message_id)) is not None  # the first one is kept
    assert digipost.store.refused()[letter.message_id] == "dpi:fingerprint"
    sent = next(r for r in digipost.store.receipts() if r.id == feil)
    verified = verify_business_message(sent.jws, trust=net.business_trust)
    body = verified.message.body
    assert isinstance(body, Feil) and body.feiltype is Feiltype.KLIENT
    assert body.detaljer is not None and "dpi:fingerprint" in body.detaljer
    assert verified.signer == net.keys["digipost"].certificate  # the provider's own certificate
    assert verified.message.receiver == PARTIES["sender"].participant
    assert str(verified.message.conversation_id) == str(outgoing.conversation_id)
    # Corner 3 had it; corner 2's worker records that when the AS4 receipt is in, which may
    # come after the feil receipt has made its way back on a loaded machine.
    deadline = time.monotonic() + 20
    while sender.statuses(letter.message_id)[-1] != "SENDT" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sender.statuses(letter.message_id) == ["OPPRETTET", "SENDT"]


def test_peppol_dpi_demo_command(tmp_path: Path) -> None:
    transcript, diagram = tmp_path / "flow.txt", tmp_path / "flow.mmd"
    done = subprocess.run(
        [sys.executable, "-m", "peppol_dpi", "demo", "--transcript", str(transcript),
         "--diagram", str(diagram)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for text in ("POST /messages/out", "U-NAPTR Meta:SMP names the SMP", "AS4 user message with the digital",
                 "leveringskvittering", "mottakskvittering", "aapningskvittering",
                 "varslingfeiletkvittering", "returpostkvittering", "== summary",
                 "the swapped one refused", "ATTACK", "refused [dpi:fingerprint]"):  # fmt: skip
        assert text in out
    assert "Traceback" not in done.stderr
    assert "== summary" in transcript.read_text()
    mermaid = diagram.read_text()
    assert mermaid.startswith("sequenceDiagram") and "C1->>C2: POST /messages/out" in mermaid


def _letter_parts(net: Network, clients: dict[str, str]) -> tuple[bytes, bytes, str]:
    sender = SenderSystem(network=net, key="sender", client_id=clients["sender"])
    ola = next(iter(CITIZENS))
    token = sender.token(DPI_SEND_SCOPE, consumer_org=PARTIES["sender"].orgnr).value
    letter = Letter(label="direct", citizen=ola, sent_by="sender", kind=MessageType.DIGITAL)
    built = sender.build(letter, sender.lookup(ola), token, datetime.now(UTC), "Ola")
    return built.forretningsmelding, built.dokumentpakke, str(built.message_id)


def test_the_mailbox_delivery_interface(network: tuple[Network, dict[str, str]]) -> None:
    net, clients = network
    jws, package, message_id = _letter_parts(net, clients)
    content_type, body = encode_form_data(
        [("forretningsmelding", "sbd.jwt", "application/jwt", jws),
         ("dokumentpakke", "asic.cms", "application/cms", package)]
    )  # fmt: skip
    url = net.url("digipost") + "/deliveries"
    headers = {"Content-Type": content_type, "Idempotency-Key": message_id}
    first = requests.post(url, data=body, headers=headers, timeout=10)
    again = requests.post(url, data=body, headers=headers, timeout=10)
    assert (first.status_code, again.status_code) == (201, 200)  # at least once: kept once
    digipost = net.mailboxes["digipost"]
    letter = digipost.store.letter(message_id)
    assert letter is not None and letter.receipts == ("leveringskvittering",)
    # the e-Boks-like provider refuses a letter routed to another provider, before decrypting
    refused = requests.post(
        net.url("eboks") + "/deliveries",
        data=body,
        headers={"Content-Type": content_type, "Idempotency-Key": message_id},
        timeout=10,
    )
    assert refused.status_code == 400 and net.mailboxes["eboks"].store.letter(message_id) is None
    assert net.mailboxes["eboks"].store.refused()[message_id] == "c4:receiver"
    missing = requests.post(url, files={"forretningsmelding": jws}, timeout=10)
    assert missing.status_code == 400
    not_multipart = requests.post(
        url, data=b"x", headers={"Content-Type": "text/plain"}, timeout=10
    )
    assert not_multipart.status_code == 400
    # opening a digital letter; a print-only action on it is a conflict
    opened = requests.post(f"{net.url('digipost')}/letters/{message_id}/open", timeout=10)
    assert opened.json() == {"receipt": "aapningskvittering"}
    wrong = requests.post(f"{net.url('digipost')}/letters/{message_id}/returned", timeout=10)
    assert wrong.status_code == 409
    listed = requests.get(f"{net.url('digipost')}/letters?mailbox=ola.nordmann%239YDT", timeout=10)
    assert message_id in [x["id"] for x in listed.json()]


def test_only_an_authorised_person_delegates(network: tuple[Network, dict[str, str]]) -> None:
    net, _ = network
    url = net.url("delegation")
    grant = {"offered_by": PARTIES["eboks"].orgnr, "covered_by": PARTIES["processor"].orgnr,
             "scopes": [DPI_SEND_SCOPE]}  # fmt: skip
    # kari.leder is authorised for the sender, not for e-Boks' organisation
    other_org = requests.post(
        f"{url}/delegations", json=grant, auth=("kari.leder", "altinn-secret"), timeout=10
    )
    assert other_org.status_code == 403
    wrong_password = requests.post(
        f"{url}/delegations", json={**grant, "offered_by": PARTIES["sender"].orgnr},
        auth=("kari.leder", "guess"), timeout=10,
    )  # fmt: skip
    assert wrong_password.status_code == 401
    asked = requests.get(
        f"{url}/maskinporten/delegations",
        params={"supplierOrg": PARTIES["processor"].orgnr, "consumerOrg": PARTIES["eboks"].orgnr,
                "scope": DPI_SEND_SCOPE},
        timeout=10,
    )  # fmt: skip
    assert asked.json() == []
    assert net.delegation.allows(
        PARTIES["sender"].orgnr, PARTIES["processor"].orgnr, DPI_SEND_SCOPE
    )
    assert not net.delegation.allows(
        PARTIES["sender"].orgnr, PARTIES["processor"].orgnr, "other:scope"
    )

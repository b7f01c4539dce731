"""End-to-end letters per second through the reference access points on loopback.

Issue 8's optional figure, measured on the network of ``peppol-dpi demo`` (docs/flow.md):
DNS (SML), SMP, Maskinporten, KRR, corner 2, corner 3 and two mailbox providers on 127.0.0.1,
set up once. Corner-1 systems of the sending organisation, one per client thread, each send
their share of the letters as the demo sends one (KRR lookup and a Maskinporten token each,
package and business message signed, ``POST /messages/out``); the clock stops when every
letter is in its citizen's mailbox, which checked it all the way (docs/transport.md). The
set-up is not timed.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from ..demo.flow import Letter, SenderSystem
from ..demo.network import CITIZENS, PARTIES, Network
from ..demo.transcript import Transcript
from ..dpi.identifiers import MessageType
from ..errors import TransportError, UsageError

__all__ = ["TransportMeasurement", "measure_transport"]

#: How long the last letter may take to reach its mailbox after the last post.
DELIVERY_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True, kw_only=True)
class TransportMeasurement:
    """``letters`` posted by ``clients`` threads: until the last was accepted by corner 2
    (``posted_s``) and until the last was in its mailbox (``delivered_s``)."""

    letters: int
    clients: int
    posted_s: float
    delivered_s: float

    def to_json(self) -> dict[str, Any]:
        return {
            "letters": self.letters,
            "clients": self.clients,
            "posted_s": self.posted_s,
            "delivered_s": self.delivered_s,
            "posted_per_s": self.letters / self.posted_s,
            "delivered_per_s": self.letters / self.delivered_s,
        }


def measure_transport(*, letters: int, clients: int = 4) -> TransportMeasurement:
    """Send ``letters`` digital letters through the demo network and time them."""
    if letters < 1 or clients < 1:
        raise UsageError("the transport benchmark needs at least one letter and one client")
    clients = min(clients, letters)
    network = Network(transcript=Transcript())
    network.start()
    try:
        client_ids = network.setup()
        systems = [_system(network, client_ids["sender"]) for _ in range(clients)]
        citizens = [number for number, (_, provider, _) in CITIZENS.items() if provider]
        work = [
            Letter(
                label=f"letter {n}",
                citizen=citizens[n % len(citizens)],
                sent_by="sender",
                kind=MessageType.DIGITAL,
            )
            for n in range(letters)
        ]

        def post_share(n: int) -> None:
            for letter in work[n::clients]:
                systems[n].send(letter)

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(post_share, range(clients)))
        posted = time.perf_counter() - started
        _wait_for_mailboxes(network, work)
        delivered = time.perf_counter() - started
    finally:
        network.stop()
    return TransportMeasurement(
        letters=letters, clients=clients, posted_s=posted, delivered_s=delivered
    )


def _system(network: Network, client_id: str) -> SenderSystem:
    system = SenderSystem(network=network, key="sender", client_id=client_id)
    # A session of its own per client thread (requests does not promise a shared one is
    # safe across threads); loopback only, as the network's.
    system.session = requests.Session()
    system.session.trust_env = False
    return system


def _wait_for_mailboxes(network: Network, work: list[Letter]) -> None:
    mailbox_of = {PARTIES[key].participant.value: key for key in network.mailboxes}
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    waiting = list(work)
    while waiting:
        waiting = [
            letter
            for letter in waiting
            if network.mailboxes[mailbox_of[letter.provider]].store.letter(letter.message_id)
            is None
        ]
        if waiting and time.monotonic() > deadline:
            raise TransportError(
                f"{len(waiting)} of {len(work)} letters not in their mailboxes after "
                f"{DELIVERY_TIMEOUT_SECONDS:.0f} s"
            )
        if waiting:
            time.sleep(0.02)

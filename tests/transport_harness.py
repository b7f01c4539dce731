"""Corner 2, corner 3 and corner 4 on loopback, wired together with the real modules.

Every message is real: business messages built and signed by ``peppol_dpi.dpi``, Peppol AS4
signed and encrypted by ``peppol_dpi.as4`` with the fixtures PKI's access point keys, corner 3
found through a DNS server (SML) and an SMP on loopback, receipts made by ``dpi.mailbox``.

Also runnable as a program (``python tests/transport_harness.py corner2 CONFIG.json``) so a
test can run corner 2 in its own process and kill it for real.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.resolver
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pki
from transport_doubles import (
    MAILBOX_ORG,
    PROCESSOR_ORG,
    SENDER_ORG,
    KeyPair,
    Letter,
    Maskinporten,
    RecordingCorner4,
    letter,
    utcnow,
)
from transport_network import LETTERS, RECEIPTS, SML_ZONE, Network

from peppol_dpi.as4 import message_id_factory
from peppol_dpi.ids import ParticipantId
from peppol_dpi.lookup.discovery import EndpointFinder
from peppol_dpi.lookup.sml import sml_zone
from peppol_dpi.lookup.smp_client import SmpClient
from peppol_dpi.transport.auth import MaskinportenTokenVerifier, StaticJwks
from peppol_dpi.transport.config import RetryConfig, ServerConfig, WorkerConfig
from peppol_dpi.transport.delivery import HttpCorner4, encode_form_data
from peppol_dpi.transport.dpi_formats import DpiPayloads, DpiReader
from peppol_dpi.transport.locate import SmpLocator
from peppol_dpi.transport.peppol_as4 import PeppolAs4
from peppol_dpi.transport.ports import EndpointLocator
from peppol_dpi.transport.server import Service, corner2_service, corner3_service
from peppol_dpi.transport.sqlite_store import SqliteStore
from peppol_dpi.transport.wire import WireDump

FAST_RETRY = RetryConfig(
    first_delay_seconds=0.2, factor=1.5, max_delay_seconds=1.0, deadline_seconds=120
)
FAST_WORKER = WorkerConfig(
    lease_seconds=6.0, timeout_seconds=5.0, poll_seconds=0.5, batch=4, concurrency=2
)


@dataclass
class Keys:
    """The parties' keys, all from the fixtures PKI (tests/pki.py)."""

    maskinporten: Maskinporten = field(
        default_factory=lambda: Maskinporten(
            KeyPair(pki.maskinporten_key().key, pki.maskinporten_key().certificate)
        )
    )
    sender: Any = field(default_factory=lambda: pki.business_key("sender"))
    mailbox: Any = field(default_factory=lambda: pki.business_key("digipost"))
    processor: Any = field(default_factory=lambda: pki.business_key("processor"))

    @classmethod
    def make(cls) -> Keys:
        return cls()

    @staticmethod
    def reader() -> DpiReader:
        return DpiReader(trust=pki.business_trust())


def as4_codec(corner: str) -> PeppolAs4:
    return PeppolAs4(
        key=pki.ap_key(corner),  # type: ignore[arg-type]
        trust=pki.peppol_trust(),
        clock=utcnow,
        new_message_id=message_id_factory(f"{corner}.transport.test"),
    )


def corner2(
    keys: Keys,
    db: Path,
    locator: EndpointLocator,
    *,
    port: int = 0,
    worker: WorkerConfig = FAST_WORKER,
    server: ServerConfig | None = None,
    dump: WireDump | None = None,
) -> Service:
    return corner2_service(
        store=SqliteStore(db),
        tokens=MaskinportenTokenVerifier(
            issuer=keys.maskinporten.issuer, jwks=StaticJwks(keys.maskinporten.jwks)
        ),
        reader=keys.reader(),
        as4=as4_codec("c2"),
        payloads=DpiPayloads(),
        locator=locator,
        session=requests.Session(),
        clock=utcnow,
        server=server or ServerConfig(port=port, threads=8),
        retry=FAST_RETRY,
        worker=worker,
        dump=dump,
    )


def corner3(
    keys: Keys,
    db: Path,
    locator: EndpointLocator,
    corner4_url: str,
    *,
    port: int = 0,
    server: ServerConfig | None = None,
    served: Callable[[ParticipantId], bool] = lambda _: True,
) -> Service:
    return corner3_service(
        store=SqliteStore(db),
        reader=keys.reader(),
        as4=as4_codec("c3"),
        payloads=DpiPayloads(),
        locator=locator,
        corner4=HttpCorner4(session=requests.Session(), urls={}, default_url=corner4_url),
        session=requests.Session(),
        clock=utcnow,
        server=server or ServerConfig(port=port, threads=8),
        retry=FAST_RETRY,
        worker=FAST_WORKER,
        served=served,
    )


class Flow:
    """SML + SMP, corner 2, corner 3 and a recording corner 4, registered as in the set-up."""

    def __init__(self, tmp: Path, *, corner4: RecordingCorner4 | None = None) -> None:
        self.keys = Keys.make()
        self.tmp = tmp
        self.network = Network()
        self.corner4 = corner4 or RecordingCorner4()
        self.wire = tmp / "c2-wire"  # corner 2's AS4 dumps (.as4out sent, .as4in answers)
        self.c2 = corner2(
            self.keys, tmp / "c2.sqlite3", self.network.locator(utcnow), dump=WireDump(self.wire)
        ).start()
        self.c3 = corner3(
            self.keys, tmp / "c3.sqlite3", self.network.locator(utcnow), self.corner4.url
        ).start()
        self.register_corner3(self.c3.as4_url)
        for org in (SENDER_ORG, PROCESSOR_ORG):  # corner 2 registers its senders for receipts
            self.network.register(
                f"0192:{org}",
                url=self.c2.as4_url,
                certificate=pki.ap_key("c2").certificate,
                types=RECEIPTS,
            )

    def register_corner3(self, url: str) -> None:
        self.register_corner3_for(f"0192:{MAILBOX_ORG}", url)

    def register_corner3_for(self, participant: str, url: str | None = None) -> None:
        """Corner 3 registers a mailbox or print provider it serves for the letter types."""
        self.network.register(
            participant,
            url=url or self.c3.as4_url,
            certificate=pki.ap_key("c3").certificate,
            types=LETTERS,
        )

    def restart_corner3(self, served: Callable[[ParticipantId], bool] = lambda _: True) -> None:
        port = self.c3.server.port
        self.c3 = corner3(
            self.keys,
            self.tmp / "c3.sqlite3",
            self.network.locator(utcnow),
            self.corner4.url,
            port=port,
            served=served,
        ).start()

    def stop(self) -> None:
        for part in (self.c2, self.c3, self.corner4, self.network):
            part.stop()


@dataclass
class Sender:
    """Corner 1: posts letters to corner 2, each with a fresh Maskinporten token."""

    keys: Keys
    base_url: str
    session: requests.Session = field(default_factory=requests.Session)

    def post(
        self, package: bytes = b"\x30\x80 CMS bytes", **kwargs: Any
    ) -> tuple[requests.Response, str]:
        response, sent = self.post_letter(package, **kwargs)
        return response, sent.message_id

    def post_letter(
        self, package: bytes = b"\x30\x80 CMS bytes", *, kanal: str | None = None, **kwargs: Any
    ) -> tuple[requests.Response, Letter]:
        token = self.keys.maskinporten.token()
        sent = letter(self.keys.sender, token=token, package=package, **kwargs)
        return self.post_parts(sent.jws, package, token=token, kanal=kanal), sent

    def post_parts(
        self, jws: str, package: bytes, *, token: str, kanal: str | None = None
    ) -> requests.Response:
        content_type, body = encode_form_data(
            [
                ("forretningsmelding", "sbd.jwt", "application/jwt", jws.encode()),
                ("dokumentpakke", "asic.cms", "application/cms", package),
            ]
        )
        return self.session.post(
            f"{self.base_url}/messages/out",
            data=body,
            params={"kanal": kanal} if kanal else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
            timeout=30,
        )

    def statuses(self, message_id: str) -> list[str]:
        token = self.keys.maskinporten.token()
        response = self.session.get(
            f"{self.base_url}/messages/out/{message_id}/statuses",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        response.raise_for_status()
        return [s["status"] for s in response.json()]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# -- corner 2 as a process -------------------------------------------------------------------
def process_config(keys: Keys, db: Path, network: Network, port: int) -> dict[str, Any]:
    return {
        "db": str(db),
        "port": port,
        "dns": [network.resolver.nameservers[0], network.resolver.port],
        "jwks": keys.maskinporten.jwks,
        "issuer": keys.maskinporten.issuer,
    }


def _run_corner2(config_file: str) -> None:
    config = json.loads(Path(config_file).read_text())
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [config["dns"][0]]
    resolver.port = config["dns"][1]
    finder = EndpointFinder(
        smp=SmpClient(session=requests.Session(), trust=pki.peppol_trust(), clock=utcnow),
        zone=sml_zone(SML_ZONE),
        resolver=resolver,
        endpoint_trust=pki.peppol_trust(),
    )
    service = corner2_service(
        store=SqliteStore(config["db"]),
        tokens=MaskinportenTokenVerifier(issuer=config["issuer"], jwks=StaticJwks(config["jwks"])),
        reader=DpiReader(trust=pki.business_trust()),
        as4=as4_codec("c2"),
        payloads=DpiPayloads(),
        locator=SmpLocator(finder=finder, clock=utcnow),
        session=requests.Session(),
        clock=utcnow,
        server=ServerConfig(port=config["port"], threads=4),
        retry=FAST_RETRY,
        worker=WorkerConfig(
            lease_seconds=5.0, timeout_seconds=4.0, poll_seconds=0.2, batch=1, concurrency=1
        ),
    )
    service.start()
    print(f"READY {service.server.port}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    if sys.argv[1:2] == ["corner2"]:
        _run_corner2(sys.argv[2])
    else:
        raise SystemExit("usage: transport_harness.py corner2 CONFIG.json")

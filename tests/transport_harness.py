"""Corner 2, corner 3 and corner 4 on loopback, wired together, for the transport tests.

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

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peppol_dpi.transport.auth import MaskinportenTokenVerifier, StaticJwks
from peppol_dpi.transport.config import RetryConfig, ServerConfig, WorkerConfig
from peppol_dpi.transport.delivery import HttpCorner4, encode_form_data
from peppol_dpi.transport.server import Service, corner2_service, corner3_service
from peppol_dpi.transport.sqlite_store import SqliteStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pki
from transport_doubles import (
    MAILBOX_ORG,
    JsonAs4,
    JsonPayloads,
    JwsReader,
    KeyPair,
    Maskinporten,
    StaticLocator,
    business_message,
    utcnow,
)

FAST_RETRY = RetryConfig(
    first_delay_seconds=0.2, factor=1.5, max_delay_seconds=1.0, deadline_seconds=120
)
FAST_WORKER = WorkerConfig(
    lease_seconds=4.0, timeout_seconds=3.0, poll_seconds=0.5, batch=4, concurrency=4
)


@dataclass
class Keys:
    maskinporten: Maskinporten
    sender: KeyPair  # business certificate of the sender (signs the JWS)
    mailbox: KeyPair  # business certificate of corner 4 (signs receipts)
    ap: KeyPair  # access point certificate (given by the locator)
    processor: KeyPair  # business certificate of a data processor sending for the sender

    @classmethod
    def make(cls) -> Keys:
        """The parties' keys from the fixtures PKI (tests/pki.py)."""

        def pair(stem: str) -> KeyPair:
            loaded = pki.key(stem)
            return KeyPair(loaded.key, loaded.certificate)

        return cls(
            maskinporten=Maskinporten(pair("maskinporten")),
            sender=pair("sender"),
            mailbox=pair("digipost"),
            ap=pair("ap-c3"),
            processor=pair("processor"),
        )

    def reader(self) -> JwsReader:
        return JwsReader(
            [self.sender.certificate, self.mailbox.certificate, self.processor.certificate]
        )


def corner2(
    keys: Keys,
    db: Path,
    locator: StaticLocator,
    *,
    port: int = 0,
    worker: WorkerConfig = FAST_WORKER,
) -> Service:
    return corner2_service(
        store=SqliteStore(db),
        tokens=MaskinportenTokenVerifier(
            issuer=keys.maskinporten.issuer, jwks=StaticJwks(keys.maskinporten.jwks)
        ),
        reader=keys.reader(),
        as4=JsonAs4("c2"),
        payloads=JsonPayloads(),
        locator=locator,
        session=requests.Session(),
        clock=utcnow,
        server=ServerConfig(port=port, threads=8),
        retry=FAST_RETRY,
        worker=worker,
    )


def corner3(
    keys: Keys, db: Path, locator: StaticLocator, corner4_url: str, *, port: int = 0
) -> Service:
    return corner3_service(
        store=SqliteStore(db),
        reader=keys.reader(),
        as4=JsonAs4("c3"),
        payloads=JsonPayloads(),
        locator=locator,
        corner4=HttpCorner4(session=requests.Session(), urls={}, default_url=corner4_url),
        session=requests.Session(),
        clock=utcnow,
        server=ServerConfig(port=port, threads=8),
        retry=FAST_RETRY,
        worker=FAST_WORKER,
    )


@dataclass
class Sender:
    """Corner 1: posts letters to corner 2 with a fresh token each."""

    keys: Keys
    base_url: str
    session: requests.Session = field(default_factory=requests.Session)

    def post(self, package: bytes = b"CMS bytes", **kwargs: Any) -> tuple[requests.Response, str]:
        token = self.keys.maskinporten.token()
        jws, message_id = business_message(self.keys.sender, token=token, package=package, **kwargs)
        content_type, body = encode_form_data(
            [
                ("forretningsmelding", "sbd.jwt", "application/jwt", jws.encode()),
                ("dokumentpakke", "asic.cms", "application/cms", package),
            ]
        )
        response = self.session.post(
            f"{self.base_url}/messages/out",
            data=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
            timeout=30,
        )
        return response, message_id

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
def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def process_config(keys: Keys, db: Path, corner3_as4_url: str, port: int) -> dict[str, Any]:
    return {
        "db": str(db),
        "port": port,
        "corner3": corner3_as4_url,
        "jwks": keys.maskinporten.jwks,
        "issuer": keys.maskinporten.issuer,
        "trusted": [_pem(keys.sender.certificate), _pem(keys.mailbox.certificate)],
        "ap": _pem(keys.ap.certificate),
    }


def _run_corner2(config_file: str) -> None:
    config = json.loads(Path(config_file).read_text())
    trusted = [x509.load_pem_x509_certificate(p.encode()) for p in config["trusted"]]
    ap = x509.load_pem_x509_certificate(config["ap"].encode())
    service = corner2_service(
        store=SqliteStore(config["db"]),
        tokens=MaskinportenTokenVerifier(issuer=config["issuer"], jwks=StaticJwks(config["jwks"])),
        reader=JwsReader(trusted),
        as4=JsonAs4("c2"),
        payloads=JsonPayloads(),
        locator=StaticLocator(ap, {f"0192:{MAILBOX_ORG}": config["corner3"]}),
        session=requests.Session(),
        clock=utcnow,
        server=ServerConfig(port=config["port"], threads=4),
        retry=FAST_RETRY,
        worker=WorkerConfig(
            lease_seconds=3.0, timeout_seconds=2.0, poll_seconds=0.2, batch=1, concurrency=1
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

"""The Peppol network around the access points, on loopback: an SML (DNS) and an SMP (ELMA).

``Network.register`` publishes an access point's AS4 endpoint for a participant, as corner 2
and corner 3 do during the set-up (dpi.md 7: mailbox providers registered by their corner 3,
senders by their corner 2 for the receipt document types).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import dns.resolver
import pki
import requests
from cryptography import x509

from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
from peppol_dpi.lookup.discovery import EndpointFinder
from peppol_dpi.lookup.sml import sml_zone
from peppol_dpi.lookup.smp import Endpoint, ProcessMetadata, ServiceMetadata, TransportProfile
from peppol_dpi.lookup.smp_client import SmpClient
from peppol_dpi.services.dns import DnsZone, serve_dns
from peppol_dpi.services.smp import SmpService, serve_smp
from peppol_dpi.transport.locate import SmpLocator

SML_ZONE = "sml.transport.test"
_DOC = "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:{}::1.0"
_PROCESS = "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:{}:ver1.0"
# dpi.md 2: the document types of each DPI process (receipts travel in their letter's process)
PROCESSES = {
    "digital": ("digital", "feil", "leveringskvittering", "aapningskvittering",
                "varslingfeiletkvittering"),
    "utskrift": ("utskrift", "feil", "leveringskvittering", "mottakskvittering",
                 "returpostkvittering"),
}  # fmt: skip
LETTERS = ("digital", "utskrift")
RECEIPTS = ("leveringskvittering", "aapningskvittering", "varslingfeiletkvittering",
            "mottakskvittering", "returpostkvittering", "feil")  # fmt: skip


class Network:
    def __init__(self) -> None:
        self.zone = DnsZone()
        self.smp = SmpService(key=pki.smp_key(), sml=(self.zone, SML_ZONE))
        self._dns = serve_dns(self.zone)
        self._smp = serve_smp(self.smp)
        self.resolver = dns.resolver.Resolver(configure=False)
        self.resolver.nameservers = [self._dns.host]
        self.resolver.port = self._dns.port

    def register(
        self, participant: str, *, url: str, certificate: x509.Certificate, types: Iterable[str]
    ) -> None:
        """Publish ``url`` for each document type, in every DPI process that carries it."""
        endpoint = Endpoint(
            transport_profile=TransportProfile.PEPPOL_AS4_V2, url=url, certificate=certificate
        )
        for kind in types:
            processes = tuple(
                ProcessMetadata(
                    process=ProcessId.parse(_PROCESS.format(name)), endpoints=(endpoint,)
                )
                for name, kinds in PROCESSES.items()
                if kind in kinds
            )
            self.smp.register(
                ServiceMetadata(
                    participant=ParticipantId.parse(participant),
                    document_type=DocumentTypeId.parse(_DOC.format(kind)),
                    processes=processes,
                ),
                smp_url=self._smp.url,
            )

    def locator(self, clock: Callable[[], datetime]) -> SmpLocator:
        client = SmpClient(session=requests.Session(), trust=pki.peppol_trust(), clock=clock)
        finder = EndpointFinder(
            smp=client,
            zone=sml_zone(SML_ZONE),
            resolver=self.resolver,
            endpoint_trust=pki.peppol_trust(),
        )
        return SmpLocator(finder=finder, clock=clock)

    def stop(self) -> None:
        self._smp.stop()
        self._dns.stop()

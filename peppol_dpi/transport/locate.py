"""Where the other access point is: :class:`~.ports.EndpointLocator` implementations.

:class:`SmpLocator` is the dynamic discovery of a Peppol sender (peppol.md 1.9): SML (NAPTR) to
the SMP (ELMA for Norway), the signed service metadata verified, the endpoint for transport
profile ``peppol-transport-as4-v2_0`` with its AP certificate, validated against the Peppol AP
CA. :class:`FixedLocator` names a fixed endpoint per participant (a bilateral partner, tests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509

from ..errors import InputError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..lookup.discovery import EndpointFinder
from .ports import Endpoint, by_participant

__all__ = ["FixedLocator", "SmpLocator"]


@dataclass(frozen=True, kw_only=True)
class SmpLocator:
    """Dynamic discovery through :class:`~peppol_dpi.lookup.discovery.EndpointFinder`.

    A participant that is not registered, or registered without an AS4 endpoint and
    certificate, is an InputError (the message fails); an unreachable DNS or SMP is a
    TransportError (the message waits and is retried).
    """

    finder: EndpointFinder
    clock: Callable[[], datetime]

    def locate(
        self, participant: ParticipantId, document_type: DocumentTypeId, process: ProcessId
    ) -> Endpoint:
        found = self.finder.find(participant, document_type, process, at=self.clock())
        if found.endpoint.certificate is None:
            # Peppol SMP: the endpoint's certificate is the receiver's encryption key.
            raise InputError(
                f"the SMP endpoint of {participant.value} has no certificate",
                rule="smp:no-certificate",
            )
        return Endpoint(url=found.endpoint.url, certificate=found.endpoint.certificate)


@dataclass(frozen=True, kw_only=True)
class FixedLocator:
    """Fixed endpoints: participant value (``0192:<orgnr>``) -> URL, one AP certificate."""

    urls: Mapping[str, str]
    certificate: x509.Certificate
    _by_receiver: dict[ParticipantId, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_receiver", by_participant(self.urls, "a fixed endpoint"))

    def locate(
        self, participant: ParticipantId, document_type: DocumentTypeId, process: ProcessId
    ) -> Endpoint:
        url = self._by_receiver.get(participant)
        if url is None:
            raise InputError(
                f"no endpoint configured for {participant.value}", rule="c2:unknown-receiver"
            )
        return Endpoint(url=url, certificate=self.certificate)

"""The whole dynamic-discovery chain of a sending access point (peppol.md 1.9):
participant -> SML (NAPTR) -> SMP URL -> verified signed metadata -> endpoint and certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import dns.resolver

from ..arguments import require_instance
from ..errors import UsageError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..trust import TrustPolicy, ValidatedCertificate, require_trust
from .sml import DEFAULT_DNS_TIMEOUT, SmlZone, resolve_smp_url
from .smp import Endpoint, TransportProfile
from .smp_client import SmpClient, check_lookup
from .smp_verify import VerifiedServiceMetadata

__all__ = ["DiscoveredEndpoint", "EndpointFinder", "discover_endpoint"]


@dataclass(frozen=True, kw_only=True)
class DiscoveredEndpoint:
    participant: ParticipantId
    document_type: DocumentTypeId
    smp_url: str
    endpoint: Endpoint
    metadata: VerifiedServiceMetadata
    #: The receiving AP certificate checked against ``endpoint_trust`` (None when not given).
    endpoint_certificate: ValidatedCertificate | None


def discover_endpoint(
    participant: ParticipantId,
    document_type: DocumentTypeId,
    *,
    process: ProcessId | None,
    smp: SmpClient,
    zone: SmlZone | None = None,
    resolver: dns.resolver.Resolver | None = None,
    smp_url: str | None = None,
    endpoint_trust: TrustPolicy | None = None,
    transport_profile: TransportProfile | str = TransportProfile.PEPPOL_AS4_V2,
    at: datetime | None = None,
    dns_timeout: float = DEFAULT_DNS_TIMEOUT,
) -> DiscoveredEndpoint:
    """Find where to send ``document_type`` for ``participant``.

    The SMP is found in ``zone`` through ``resolver``, unless ``smp_url`` is given. The
    metadata signature is checked with ``smp``'s TrustPolicy; with ``endpoint_trust`` the
    receiving access point's certificate is validated too (Peppol: the AP CA, with revocation).
    """
    check_lookup("discover_endpoint", participant, document_type, process, at)
    require_instance(smp, SmpClient, caller="discover_endpoint", name="smp")
    require_trust(endpoint_trust, caller="discover_endpoint", optional=True)
    if smp_url is None:
        if zone is None or resolver is None:
            raise UsageError("give either smp_url, or an SML zone and a DNS resolver")
        smp_url = resolve_smp_url(participant, zone=zone, resolver=resolver, timeout=dns_timeout)
    metadata, endpoint = smp.endpoint(
        smp_url,
        participant,
        document_type,
        process=process,
        transport_profile=transport_profile,
        at=at,
    )
    validated = None
    if endpoint_trust is not None and endpoint.certificate is not None:
        validated = endpoint_trust.validate(endpoint.certificate, at=at)
    return DiscoveredEndpoint(
        participant=participant,
        document_type=document_type,
        smp_url=smp_url,
        endpoint=endpoint,
        metadata=metadata,
        endpoint_certificate=validated,
    )


@dataclass(frozen=True, kw_only=True)
class EndpointFinder:
    """:func:`discover_endpoint` with its configuration bound: what a sending access point
    keeps for its lifetime (the SMP client caches verified metadata).

    Errors: :class:`~.errors.NotRegisteredError` and other InputErrors mean the participant
    cannot be reached this way (give up); TransportError (timeouts, HTTP 5xx) means try again.
    """

    smp: SmpClient
    zone: SmlZone | None = None
    resolver: dns.resolver.Resolver | None = None
    smp_url: str | None = None  # a fixed SMP instead of the SML
    endpoint_trust: TrustPolicy | None = None
    transport_profile: TransportProfile | str = TransportProfile.PEPPOL_AS4_V2
    dns_timeout: float = DEFAULT_DNS_TIMEOUT

    def __post_init__(self) -> None:
        require_instance(
            self.smp, SmpClient, caller="EndpointFinder", name="smp", expected="an SmpClient"
        )
        require_trust(self.endpoint_trust, caller="EndpointFinder", optional=True)
        if self.smp_url is None and (self.zone is None or self.resolver is None):
            raise UsageError("give either smp_url, or an SML zone and a DNS resolver")

    def find(
        self,
        participant: ParticipantId,
        document_type: DocumentTypeId,
        process: ProcessId | None,
        *,
        at: datetime | None = None,
    ) -> DiscoveredEndpoint:
        check_lookup("EndpointFinder.find", participant, document_type, process, at)
        return discover_endpoint(
            participant,
            document_type,
            process=process,
            smp=self.smp,
            zone=self.zone,
            resolver=self.resolver,
            smp_url=self.smp_url,
            endpoint_trust=self.endpoint_trust,
            transport_profile=self.transport_profile,
            at=at,
            dns_timeout=self.dns_timeout,
        )

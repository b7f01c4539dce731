"""Reading an SMP over HTTP: the service group, the signed service metadata, the endpoint.

I/O goes through the caller's ``requests.Session`` (see :mod:`.http` for the limits and time
bounds). Answers are checked before they are believed: an HTML page, a redirect loop or an
oversized body is an :class:`~.errors.SmpError`; signed metadata is verified by
:mod:`.smp_verify` with the client's TrustPolicy before its content is used; an SMP
``Redirect`` is followed once, and the target's signer must be the one the redirect named.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests

from ..arguments import require_instance, require_optional, require_time
from ..ids import DocumentTypeId, DocumentTypeScheme, ParticipantId, ProcessId
from ..limits import DEFAULT_LIMITS, Limits
from ..trust import TrustPolicy, require_trust
from .cache import TtlCache
from .errors import NotRegisteredError, SmpError
from .http import DEFAULT_TIMEOUT, HttpAnswer, Timeout, exchange, require_session
from .smp import (
    Endpoint,
    Redirect,
    ServiceGroup,
    ServiceMetadata,
    SmpFlavour,
    TransportProfile,
    select_document_type,
    select_endpoint,
    service_group_url,
    service_metadata_url,
)
from .smp_verify import VerifiedServiceMetadata, require_redirect_signer, verify_service_metadata
from .smp_xml import parse_service_group

__all__ = [
    "SmpClient",
    "check_lookup",
]

_XML_TYPES = frozenset({"", "application/xml", "text/xml", "application/octet-stream"})


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SmpClient:
    """Reads Peppol SMP 1.x (or OASIS SMP 2.0) metadata and picks the endpoint.

    ``trust``: the TrustPolicy for SMP signer certificates (the Peppol SMP CA of the stage,
    with a revocation checker); None verifies the cryptography only, which a sender must not
    rely on. ``cache_ttl``: how long verified metadata is reused.
    """

    def __init__(
        self,
        *,
        session: requests.Session,
        trust: TrustPolicy | None,
        flavour: SmpFlavour = SmpFlavour.PEPPOL,
        allow_sha1: bool = False,
        timeout: Timeout = DEFAULT_TIMEOUT,
        limits: Limits = DEFAULT_LIMITS,
        cache_ttl: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        require_session(session, caller="SmpClient")
        require_trust(trust, caller="SmpClient", optional=True)
        self.session = session
        self.trust = trust
        self.flavour = flavour
        self.allow_sha1 = allow_sha1
        self.timeout = timeout
        self.limits = limits
        self.clock = clock
        self._cache: TtlCache[VerifiedServiceMetadata] = TtlCache(ttl=cache_ttl, clock=clock)

    def _get(self, url: str) -> HttpAnswer:
        answer = exchange(
            self.session,
            "GET",
            url,
            error=SmpError,
            area="smp",
            timeout=self.timeout,
            limits=self.limits,
            headers={"Accept": "application/xml, text/xml"},
        )
        if answer.status == 404:
            raise NotRegisteredError(
                f"{url}: not registered at the SMP (404)", rule="smp:not-found"
            )
        if answer.status != 200:
            raise SmpError(f"{url}: the SMP answered HTTP {answer.status}", rule="smp:http-status")
        head = answer.body[:512].lstrip().lower()
        if answer.content_type not in _XML_TYPES or head.startswith((b"<!doctype html", b"<html")):
            raise SmpError(
                f"{url}: the SMP answered {answer.content_type or 'something'} that is not XML "
                "(an HTML error page or a proxy?)",
                rule="smp:not-xml",
            )
        return answer

    def service_group(self, smp_url: str, participant: ParticipantId) -> ServiceGroup:
        """``GET {smp}/{participant}``: which document types the participant has."""
        require_instance(smp_url, str, caller="SmpClient.service_group", name="smp_url")
        require_instance(
            participant, ParticipantId, caller="SmpClient.service_group", name="participant"
        )
        url = service_group_url(smp_url, participant, flavour=self.flavour)
        group = parse_service_group(self._get(url).body, limits=self.limits)
        if group.participant != participant:
            raise SmpError(f"{url} describes {group.participant}", rule="smp:wrong-participant")
        return group

    def service_metadata(
        self,
        smp_url: str,
        participant: ParticipantId,
        document_type: DocumentTypeId,
        *,
        at: datetime | None = None,
    ) -> VerifiedServiceMetadata:
        """The verified metadata for one document type, following one SMP ``Redirect``."""
        require_instance(smp_url, str, caller="SmpClient.service_metadata", name="smp_url")
        check_lookup("SmpClient.service_metadata", participant, document_type, None, at)
        url = service_metadata_url(smp_url, participant, document_type, flavour=self.flavour)
        verified = self._fetch_verified(url, at)
        if isinstance(verified.content, Redirect):
            redirect = verified.content
            # Peppol SMP 1.x 3.4: a redirect is followed once; a second one is an error.
            target = self._fetch_verified(
                service_metadata_url(
                    redirect.url, participant, document_type, flavour=self.flavour
                ),
                at,
            )
            if isinstance(target.content, Redirect):
                raise SmpError(f"{url} redirects more than once", rule="smp:redirect-loop")
            require_redirect_signer(target, redirect)
            verified = target
        content = verified.content
        assert isinstance(content, ServiceMetadata)
        if content.participant != participant or content.document_type != document_type:
            raise SmpError(
                f"{url} answers for {content.participant} / {content.document_type}",
                rule="smp:wrong-metadata",
            )
        return verified

    def _fetch_verified(self, url: str, at: datetime | None) -> VerifiedServiceMetadata:
        key = (url, at)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        verified = verify_service_metadata(
            self._get(url).body,
            trust=self.trust,
            at=at,
            allow_sha1=self.allow_sha1,
            limits=self.limits,
        )
        self._cache.put(key, verified)
        return verified

    def endpoint(
        self,
        smp_url: str,
        participant: ParticipantId,
        document_type: DocumentTypeId,
        *,
        process: ProcessId | None,
        transport_profile: TransportProfile | str = TransportProfile.PEPPOL_AS4_V2,
        at: datetime | None = None,
    ) -> tuple[VerifiedServiceMetadata, Endpoint]:
        """The endpoint for ``document_type`` and ``process`` (wildcard document types resolved
        against the service group first, PFUOI 4.3)."""
        require_instance(smp_url, str, caller="SmpClient.endpoint", name="smp_url")
        check_lookup("SmpClient.endpoint", participant, document_type, process, at)
        wanted = document_type
        if document_type.scheme is DocumentTypeScheme.PEPPOL_DOCTYPE_WILDCARD:
            group = self.service_group(smp_url, participant)
            wanted = select_document_type(group.document_types, document_type)
        verified = self.service_metadata(smp_url, participant, wanted, at=at)
        content = verified.content
        assert isinstance(content, ServiceMetadata)
        when = at if at is not None else self.clock()
        endpoint = select_endpoint(
            content, process=process, at=when, transport_profile=transport_profile
        )
        return verified, endpoint

    def clear_cache(self) -> None:
        self._cache.clear()


def check_lookup(
    caller: str, participant: object, document_type: object, process: object, at: object
) -> None:
    """The identifiers of a lookup, checked before any DNS or HTTP: a str where an identifier
    belongs would be looked up under another name (its scheme left out of the URL)."""
    require_instance(
        participant,
        ParticipantId,
        caller=caller,
        name="participant",
        expected="a ParticipantId (ParticipantId.parse)",
    )
    require_instance(
        document_type,
        DocumentTypeId,
        caller=caller,
        name="document_type",
        expected="a DocumentTypeId (DocumentTypeId.parse)",
    )
    require_optional(process, ProcessId, caller=caller, name="process")
    require_time(at, caller=caller, name="at", optional=True)

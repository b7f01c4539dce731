"""SMP: the service metadata model, URLs, endpoint selection and wildcard document types.

Pure: no I/O. :mod:`.smp_xml` reads and writes the XML, :mod:`.smp_client` fetches it and
:mod:`.smp_verify` checks its signature.

* URLs (Peppol SMP 1.x section 3.2; OASIS SMP 2.0 section 6): ``{base}/{pid}`` and
  ``{base}/{pid}/services/{docid}``, OASIS SMP 2.0 with the ``bdxr-smp-2/`` prefix; identifiers
  percent-encoded exactly like Java's ``URLEncoder`` (what phoss-smp, peppol-commons and Oxalis
  send): ``a-zA-Z0-9.-*_`` kept, space as ``+``, every other UTF-8 octet as ``%XX``.
* Endpoint selection (Peppol AS4 profile, SMP transport profile identifiers): the process,
  then the transport profile ``peppol-transport-as4-v2_0``, within its activation and
  expiration dates.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509

from ..arguments import require_instance, require_optional, require_time
from ..errors import UsageError
from ..ids import DocumentTypeId, DocumentTypeScheme, ParticipantId, ProcessId
from ..instants import require_aware
from .errors import NotRegisteredError, SmpError

__all__ = [
    "Endpoint",
    "ProcessMetadata",
    "Redirect",
    "ServiceGroup",
    "ServiceMetadata",
    "SmpFlavour",
    "TransportProfile",
    "java_url_encode",
    "select_document_type",
    "select_endpoint",
    "service_group_url",
    "service_metadata_url",
    "wildcard_candidates",
]


class SmpFlavour(enum.Enum):
    """Which SMP specification a server speaks."""

    PEPPOL = "http://busdox.org/serviceMetadata/publishing/1.0/"  # Peppol SMP 1.x
    OASIS_2 = "http://docs.oasis-open.org/bdxr/ns/SMP/2/ServiceMetadata"  # OASIS SMP 2.0


class TransportProfile(enum.StrEnum):
    """Transport profile identifiers (Peppol Code Lists - Transport profiles v9.7)."""

    PEPPOL_AS4_V2 = "peppol-transport-as4-v2_0"  # the only active one


_JAVA_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")


def java_url_encode(text: str) -> str:
    """``java.net.URLEncoder.encode(text, UTF_8)``: form encoding as the Java SMP clients use it."""
    out: list[str] = []
    for octet in text.encode("utf-8"):
        if octet in _JAVA_SAFE:
            out.append(chr(octet))
        elif octet == 0x20:
            out.append("+")
        else:
            out.append(f"%{octet:02X}")
    return "".join(out)


def _base(smp_url: str, flavour: SmpFlavour) -> str:
    if not smp_url.startswith(("http://", "https://")):
        raise UsageError(f"SMP URL {smp_url!r} is not an HTTP(S) URL")
    base = smp_url.rstrip("/")
    # OASIS SMP 2.0 section 6.1: the REST resources live under "bdxr-smp-2/".
    return f"{base}/bdxr-smp-2" if flavour is SmpFlavour.OASIS_2 else base


def service_group_url(
    smp_url: str, participant: ParticipantId, *, flavour: SmpFlavour = SmpFlavour.PEPPOL
) -> str:
    """``{smp}/{scheme::value}`` (a path in the NAPTR URL is kept: vefa-peppol PR #65)."""
    return f"{_base(smp_url, flavour)}/{java_url_encode(str(participant))}"


def service_metadata_url(
    smp_url: str,
    participant: ParticipantId,
    document_type: DocumentTypeId,
    *,
    flavour: SmpFlavour = SmpFlavour.PEPPOL,
) -> str:
    """``{smp}/{scheme::value}/services/{doctype scheme::value}``."""
    group = service_group_url(smp_url, participant, flavour=flavour)
    return f"{group}/services/{java_url_encode(str(document_type))}"


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """One ``Endpoint`` of a process: where and how to deliver, and with which certificate."""

    transport_profile: str
    url: str
    certificate: x509.Certificate | None
    activation: datetime | None = None
    expiration: datetime | None = None
    require_business_level_signature: bool = False
    minimum_authentication_level: str | None = None
    description: str | None = None
    technical_contact: str | None = None
    technical_information_url: str | None = None

    def __post_init__(self) -> None:
        for name in ("activation", "expiration"):
            value = getattr(self, name)
            if value is not None:
                require_aware(value, f"endpoint {name}")

    def is_active(self, at: datetime) -> bool:
        """Peppol SMP 1.x: ServiceActivationDate <= at <= ServiceExpirationDate (both optional)."""
        if self.activation is not None and at < self.activation:
            return False
        return self.expiration is None or at <= self.expiration


@dataclass(frozen=True, kw_only=True)
class ProcessMetadata:
    process: ProcessId
    endpoints: tuple[Endpoint, ...]


@dataclass(frozen=True, kw_only=True)
class ServiceMetadata:
    """``ServiceInformation`` (Peppol 1.x) or ``ServiceMetadata`` (OASIS 2.0) for one document type."""

    participant: ParticipantId
    document_type: DocumentTypeId
    processes: tuple[ProcessMetadata, ...]
    flavour: SmpFlavour = SmpFlavour.PEPPOL


@dataclass(frozen=True, kw_only=True)
class Redirect:
    """``Redirect``: the metadata lives at another SMP, whose signer must match.

    Peppol 1.x names the expected signer by ``CertificateUID`` (its subject serialNumber/UID);
    OASIS 2.0 gives the signer certificate itself.
    """

    url: str
    certificate_uid: str | None = None
    certificate: x509.Certificate | None = None


@dataclass(frozen=True, kw_only=True)
class ServiceGroup:
    """A participant and the document types it has metadata for."""

    participant: ParticipantId
    document_types: tuple[DocumentTypeId, ...]
    references: tuple[str, ...] = field(default=())  # Peppol 1.x: the hrefs as given


def select_endpoint(
    metadata: ServiceMetadata,
    *,
    process: ProcessId | None,
    at: datetime,
    transport_profile: TransportProfile | str = TransportProfile.PEPPOL_AS4_V2,
) -> Endpoint:
    """The endpoint to deliver to (peppol.md 1.2: SMP -> P-Mode mapping).

    ``process`` None accepts the metadata's only process (ambiguity is an error).
    """
    caller = "select_endpoint"
    require_instance(metadata, ServiceMetadata, caller=caller, name="metadata")
    require_optional(process, ProcessId, caller=caller, name="process")
    require_time(at, caller=caller, name="at")
    require_instance(
        transport_profile,
        (TransportProfile, str),
        caller=caller,
        name="transport_profile",
        expected="a TransportProfile or a str",
    )
    require_aware(at, "the selection instant")
    candidates: tuple[ProcessMetadata, ...]
    if process is None:
        if len(metadata.processes) != 1:
            raise SmpError(
                f"{metadata.document_type} has {len(metadata.processes)} processes; name one",
                rule="smp:process-ambiguous",
            )
        candidates = metadata.processes
    else:
        candidates = tuple(p for p in metadata.processes if p.process == process)
    if not candidates:
        raise NotRegisteredError(
            f"{metadata.participant} does not accept {metadata.document_type} in process {process}",
            rule="smp:no-process",
        )
    profile = str(transport_profile)
    matching = [e for p in candidates for e in p.endpoints if e.transport_profile == profile]
    if not matching:
        raise NotRegisteredError(
            f"{metadata.participant} has no {profile} endpoint for {metadata.document_type}",
            rule="smp:no-endpoint",
        )
    active = [e for e in matching if e.is_active(at)]
    if not active:
        raise SmpError(
            f"the {profile} endpoint of {metadata.participant} is not active at {at.isoformat()}",
            rule="smp:endpoint-not-active",
        )
    if len({(e.url, e.certificate) for e in active}) > 1:
        raise SmpError(
            f"{metadata.participant} has several active {profile} endpoints that differ",
            rule="smp:endpoint-ambiguous",
        )
    endpoint = active[0]
    if endpoint.certificate is None:
        raise SmpError(f"the endpoint {endpoint.url} has no certificate", rule="smp:no-certificate")
    return endpoint


_WILDCARD = "*"
_WILDCARD_PART_SEPARATOR = "@"


def wildcard_candidates(document_type: DocumentTypeId) -> list[DocumentTypeId]:
    """The registrations that can serve ``document_type``, best first (PFUOI 4.3 section 4.2.1).

    ``busdox-docid-qns`` matches exactly. ``peppol-doctype-wildcard``: the customization id as
    given (without a trailing ``*``), then with ``*``, then with each trailing ``@part`` removed
    and ``*`` added (peppol-commons ``PeppolWildcardSelector.findPeppolDoctypeWildcardMatch``).
    """
    if document_type.scheme is not DocumentTypeScheme.PEPPOL_DOCTYPE_WILDCARD:
        return [document_type]
    customization = document_type.customization_id.removesuffix(_WILDCARD)
    if _WILDCARD in customization:
        raise SmpError(
            f"customization id {document_type.customization_id!r} has an inner '*'",
            rule="smp:bad-wildcard",
        )

    def with_customization(custom: str) -> DocumentTypeId:
        value = (
            f"{document_type.root_namespace}::{document_type.local_name}"
            f"##{custom}::{document_type.version}"
        )
        return DocumentTypeId(value=value, scheme=document_type.scheme)

    candidates = [with_customization(customization), with_customization(customization + "*")]
    remaining = customization
    while _WILDCARD_PART_SEPARATOR in remaining:
        remaining = remaining.rsplit(_WILDCARD_PART_SEPARATOR, 1)[0]
        candidates.append(with_customization(remaining + "*"))
    return candidates


def select_document_type(
    registered: Iterable[DocumentTypeId], wanted: DocumentTypeId
) -> DocumentTypeId:
    """The registered document type to ask the SMP for, per :func:`wildcard_candidates`."""
    available: Sequence[DocumentTypeId] = list(registered)
    for candidate in wildcard_candidates(wanted):
        if candidate in available:
            return candidate
    raise NotRegisteredError(
        f"the participant has no registration matching {wanted}", rule="smp:no-document-type"
    )

"""A Peppol SMP 1.x server: signed service metadata, and the write API access points use.

Read API (Peppol SMP 1.x 3.2): ``GET /{participant}`` (ServiceGroup, unsigned) and
``GET /{participant}/services/{document type}`` (SignedServiceMetadata, signed with the SMP
key: RSA-SHA256, SHA-256, inclusive C14N, enveloped, as phoss-smp does since SMP 1.3).

Write API (phoss-smp / ELMA style, HTTP Basic auth): ``PUT`` and ``DELETE`` of
``/{participant}`` (body: ServiceGroup) and ``/{participant}/services/{document type}`` (body:
ServiceMetadata). A participant belongs to the user who created it; only that user may change
or delete it (ELMA: "only the access point who registered an organization may remove it").
Given a :class:`~.dns.DnsZone`, creating or deleting a participant also adds or removes its
NAPTR record, as the SML does for a real SMP.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from .. import ns
from ..errors import InputError
from ..ids import DocumentTypeId, ParticipantId
from ..keys import PrivateKey
from ..lookup.sml import naptr_name
from ..lookup.smp import Redirect, ServiceGroup, ServiceMetadata
from ..lookup.smp_xml import (
    build_service_group,
    build_service_metadata,
    parse_service_group,
    read_service_metadata,
)
from ..xmldsig import C14nMethod, DigestMethod, ReferenceSpec, SignatureMethod, Transform, sign
from ..xmlparse import parse_xml, to_bytes
from .base import RunningService, serve_wsgi_in_thread
from .dns import DnsZone
from .wsgi import HttpProblem, Request, Response, basic_auth_user, wsgi_app

__all__ = ["SmpService", "serve_smp", "sign_service_metadata"]


def sign_service_metadata(metadata: ServiceMetadata | Redirect, key: PrivateKey) -> bytes:
    """A ``SignedServiceMetadata`` document as a Peppol SMP 1.3+ writes it."""
    root = etree.Element(
        f"{{{ns.SMP}}}SignedServiceMetadata",
        nsmap={None: ns.SMP, "ids": ns.BUSDOX_IDS, "wsa": ns.WSA},  # type: ignore[dict-item]
    )
    root.append(build_service_metadata(metadata))
    key_info = etree.Element(f"{{{ns.DS}}}KeyInfo", nsmap={"ds": ns.DS})
    x509_data = etree.SubElement(key_info, f"{{{ns.DS}}}X509Data")
    etree.SubElement(
        x509_data, f"{{{ns.DS}}}X509SubjectName"
    ).text = key.certificate.subject.rfc4514_string()
    etree.SubElement(x509_data, f"{{{ns.DS}}}X509Certificate").text = _der_base64(key)
    sign(
        parent=root,
        references=[
            ReferenceSpec(
                uri="",
                transforms=(Transform.ENVELOPED_SIGNATURE,),
                digest_method=DigestMethod.SHA256,
            )
        ],
        key=key,
        signature_method=SignatureMethod.RSA_SHA256,
        c14n_method=C14nMethod.INCLUSIVE,
        key_info=key_info,
    )
    return to_bytes(root)


def _der_base64(key: PrivateKey) -> str:
    return base64.b64encode(key.certificate.public_bytes(Encoding.DER)).decode("ascii")


@dataclass
class SmpService:
    """The SMP's data and configuration; ``app`` is its WSGI application.

    ``users``: write-API user name -> password. ``sml``: the local DNS zone table and the
    zone name to register participants in (None: no SML registration).
    """

    key: PrivateKey
    users: Mapping[str, str] = field(default_factory=dict)
    sml: tuple[DnsZone, str] | None = None
    public_url: str | None = None  # the URL published in NAPTR records; default: as reached
    _owners: dict[ParticipantId, str] = field(default_factory=dict, repr=False)
    _metadata: dict[tuple[ParticipantId, DocumentTypeId], ServiceMetadata | Redirect] = field(
        default_factory=dict, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.app = wsgi_app(self._handle)

    # -- direct registration (the demo's set-up, no HTTP) -----------------------------------

    def register(self, metadata: ServiceMetadata, *, owner: str = "admin", smp_url: str) -> None:
        """Publish ``metadata`` (and its participant in the SML) without the write API."""
        self.register_content(
            metadata.participant, metadata.document_type, metadata, owner=owner, smp_url=smp_url
        )

    def register_content(
        self,
        participant: ParticipantId,
        document_type: DocumentTypeId,
        content: ServiceMetadata | Redirect,
        *,
        owner: str = "admin",
        smp_url: str,
    ) -> None:
        """Publish metadata or a :class:`Redirect` for one document type."""
        with self._lock:
            self._owners.setdefault(participant, owner)
            self._metadata[(participant, document_type)] = content
        self._publish(participant, smp_url)

    def _publish(self, participant: ParticipantId, smp_url: str) -> None:
        if self.sml is not None:
            zone, zone_name = self.sml
            name = naptr_name(participant, zone_name)
            zone.remove(name)
            zone.add_smp(name, self.public_url or smp_url)

    def _unpublish(self, participant: ParticipantId) -> None:
        if self.sml is not None:
            zone, zone_name = self.sml
            zone.remove(naptr_name(participant, zone_name))

    # -- HTTP ------------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        segments = request.segments
        if len(segments) == 1:
            participant = _participant(segments[0])
            return self._service_group(request, participant)
        if len(segments) == 3 and segments[1] == "services":
            participant = _participant(segments[0])
            document_type = _document_type(segments[2])
            return self._service_metadata(request, participant, document_type)
        raise HttpProblem(404, "no such resource")

    def _service_group(self, request: Request, participant: ParticipantId) -> Response:
        if request.method == "GET":
            with self._lock:
                if participant not in self._owners:
                    raise HttpProblem(404, f"{participant} is not registered here")
                doc_types = tuple(d for (p, d) in self._metadata if p == participant)
            group = ServiceGroup(participant=participant, document_types=doc_types)
            return Response(body=build_service_group(group, smp_url=request.base_url))
        user = basic_auth_user(request, self.users, "SMP")
        if request.method == "PUT":
            group = _parse_body(request, parse_service_group)
            if group.participant != participant:
                raise HttpProblem(400, "the body names another participant than the URL")
            with self._lock:
                owner = self._owners.setdefault(participant, user)
            if owner != user:
                raise HttpProblem(403, f"{participant} belongs to another user")
            self._publish(participant, request.base_url)
            return Response(status=200)
        if request.method == "DELETE":
            with self._lock:
                self._require_owner(participant, user)
                del self._owners[participant]
                for key in [k for k in self._metadata if k[0] == participant]:
                    del self._metadata[key]
            self._unpublish(participant)
            return Response(status=200)
        raise HttpProblem(405, f"{request.method} is not allowed here")

    def _require_owner(self, participant: ParticipantId, user: str) -> None:
        owner = self._owners.get(participant)
        if owner is None:
            raise HttpProblem(404, f"{participant} is not registered here")
        if owner != user:
            raise HttpProblem(403, f"{participant} belongs to another user")

    def _service_metadata(
        self, request: Request, participant: ParticipantId, document_type: DocumentTypeId
    ) -> Response:
        key = (participant, document_type)
        if request.method == "GET":
            with self._lock:
                metadata = self._metadata.get(key)
            if metadata is None:
                raise HttpProblem(404, f"no metadata for {participant} / {document_type}")
            return Response(body=sign_service_metadata(metadata, self.key))
        user = basic_auth_user(request, self.users, "SMP")
        if request.method == "PUT":
            content = _parse_body(request, lambda body: read_service_metadata(parse_xml(body)))
            if isinstance(content, ServiceMetadata) and (
                content.participant != participant or content.document_type != document_type
            ):
                raise HttpProblem(400, "the body describes another participant or document type")
            with self._lock:
                self._require_owner(participant, user)
                self._metadata[key] = content
            return Response(status=200)
        if request.method == "DELETE":
            with self._lock:
                self._require_owner(participant, user)
                if self._metadata.pop(key, None) is None:
                    raise HttpProblem(404, f"no metadata for {participant} / {document_type}")
            return Response(status=200)
        raise HttpProblem(405, f"{request.method} is not allowed here")


def _participant(text: str) -> ParticipantId:
    try:
        return ParticipantId.parse(text)
    except InputError as exc:
        raise HttpProblem(400, f"bad participant identifier: {exc.message}") from None


def _document_type(text: str) -> DocumentTypeId:
    try:
        return DocumentTypeId.parse(text)
    except InputError as exc:
        raise HttpProblem(400, f"bad document type identifier: {exc.message}") from None


_T = TypeVar("_T")


def _parse_body(request: Request, parse: Callable[[bytes], _T]) -> _T:
    try:
        return parse(request.body)
    except InputError as exc:
        raise HttpProblem(400, f"bad request body: {exc}") from None


def serve_smp(service: SmpService, *, host: str = "127.0.0.1", port: int = 0) -> RunningService:
    """Run ``service`` on ``host:port`` (0 = a free port) in a thread."""
    return serve_wsgi_in_thread(service.app, host=host, port=port)

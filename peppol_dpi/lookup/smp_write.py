"""The SMP write API: how an access point registers its customers (ELMA's set-up).

``PUT``/``DELETE`` of ``{smp}/{participant}`` (a ServiceGroup) and of
``{smp}/{participant}/services/{document type}`` (a ServiceMetadata), authenticated with the
access point's SMP account (HTTP Basic, as phoss-smp and ELMA's REST interface use it). The
caller's ``requests.Session`` does the I/O; every refusal is an :class:`~.errors.SmpError`.
"""

from __future__ import annotations

import requests

from ..errors import UsageError
from ..ids import DocumentTypeId, ParticipantId
from ..limits import DEFAULT_LIMITS, Limits
from ..xmlparse import to_bytes
from .errors import SmpError
from .http import DEFAULT_TIMEOUT, Timeout, exchange, require_session
from .smp import Redirect, ServiceGroup, ServiceMetadata, service_group_url, service_metadata_url
from .smp_xml import build_service_group, build_service_metadata

__all__ = ["SmpWriteClient"]

_SUCCESS = frozenset({200, 201, 204})


class SmpWriteClient:
    """Registers participants and their document types at one SMP."""

    def __init__(
        self,
        *,
        session: requests.Session,
        smp_url: str,
        auth: tuple[str, str],
        timeout: Timeout = DEFAULT_TIMEOUT,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        require_session(session, caller="SmpWriteClient")
        self.session = session
        self.smp_url = smp_url
        self.auth = auth
        self.timeout = timeout
        self.limits = limits

    def _send(self, method: str, url: str, body: bytes | None = None) -> None:
        answer = exchange(
            self.session,
            method,
            url,
            error=SmpError,
            area="smp",
            timeout=self.timeout,
            limits=self.limits,
            headers={"Content-Type": "application/xml"} if body is not None else None,
            data=body,
            auth=self.auth,
        )
        if answer.status not in _SUCCESS:
            detail = answer.body[:200].decode("utf-8", "replace")
            rule = {401: "smp:unauthorized", 403: "smp:forbidden", 404: "smp:not-found"}.get(
                answer.status, "smp:http-status"
            )
            raise SmpError(f"{method} {url}: HTTP {answer.status} {detail}", rule=rule)

    def put_service_group(self, participant: ParticipantId) -> None:
        """Create (or keep) the participant at the SMP (and so in the SML)."""
        body = build_service_group(ServiceGroup(participant=participant, document_types=()))
        self._send("PUT", service_group_url(self.smp_url, participant), body)

    def delete_service_group(self, participant: ParticipantId) -> None:
        self._send("DELETE", service_group_url(self.smp_url, participant))

    def put_service_metadata(
        self,
        metadata: ServiceMetadata | Redirect,
        *,
        participant: ParticipantId | None = None,
        document_type: DocumentTypeId | None = None,
    ) -> None:
        """Publish the endpoints for one document type (a Redirect needs the two ids)."""
        if isinstance(metadata, ServiceMetadata):
            participant, document_type = metadata.participant, metadata.document_type
        if participant is None or document_type is None:
            raise UsageError("a Redirect needs the participant and the document type")
        url = service_metadata_url(self.smp_url, participant, document_type)
        self._send("PUT", url, to_bytes(build_service_metadata(metadata)))

    def delete_service_metadata(
        self, participant: ParticipantId, document_type: DocumentTypeId
    ) -> None:
        self._send("DELETE", service_metadata_url(self.smp_url, participant, document_type))

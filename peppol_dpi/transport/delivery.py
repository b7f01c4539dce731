"""The delivery interface from corner 3 to corner 4, over HTTP.

``POST <url>`` with ``multipart/form-data``: part ``forretningsmelding`` (the business message
JWS, ``application/jwt``) and, when there is one, part ``dokumentpakke`` (the CMS bytes,
``application/cms``) - the same two parts a sender posts to corner 2. The header
``Idempotency-Key`` carries the DPI message id; corner 4 must answer a repeated key with
success without storing the message again (corner 3 delivers at least once).

Answers: 2xx delivered (or already delivered); 4xx refused for good (the delivery is given up
and logged); 5xx, 429 and network errors are retried.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO

import requests

from ..errors import RemoteError, TransportError, UsageError
from ..httpclient import bounded_request
from ..ids import ParticipantId
from ..limits import DEFAULT_LIMITS
from ..spool import copy_chunks, spool
from .ports import by_participant

__all__ = ["FormPart", "HttpCorner4", "encode_form_data", "write_form_data"]


#: ``(name, filename, content type, content)``; content as bytes or a seekable file.
FormPart = tuple[str, str, str, bytes | IO[bytes]]


def write_form_data(parts: list[FormPart], sink: IO[bytes]) -> str:
    """Write ``parts`` as a multipart/form-data body to ``sink`` (file contents copied from
    their start in pieces); return the Content-Type naming its boundary."""
    boundary = f"peppol-dpi-{uuid.uuid4().hex}"
    for name, filename, content_type, content in parts:
        sink.write(
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode("ascii")
        )
        if isinstance(content, bytes):
            sink.write(content)
        else:
            content.seek(0)
            for piece in copy_chunks(content):
                sink.write(piece)
        sink.write(b"\r\n")
    sink.write(f"--{boundary}--\r\n".encode("ascii"))
    return f"multipart/form-data; boundary={boundary}"


def encode_form_data(parts: list[FormPart]) -> tuple[str, bytes]:
    """``parts`` as a multipart/form-data body in memory (small bodies)."""
    body = io.BytesIO()
    return write_form_data(parts, body), body.getvalue()


@dataclass(frozen=True, kw_only=True)
class HttpCorner4:
    """A :class:`~peppol_dpi.transport.ports.Corner4` posting to one URL per receiver.

    ``urls`` maps a receiver participant value (``0192:<orgnr>``) to its URL; ``default_url``
    serves every other receiver (None: refuse them).
    """

    session: requests.Session
    urls: Mapping[str, str]
    default_url: str | None = None
    timeout_seconds: float = 60.0
    headers: Mapping[str, str] | None = None
    #: Where the request body is put together before it is sent (system temp if None).
    spool_dir: str | os.PathLike[str] | None = None

    _by_receiver: dict[ParticipantId, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for url in [*self.urls.values(), *([self.default_url] if self.default_url else [])]:
            if not url.startswith(("http://", "https://")):
                raise UsageError(f"corner 4 URL must be http(s): {url!r}")
        object.__setattr__(self, "_by_receiver", by_participant(self.urls, "a corner 4 URL"))

    def url_for(self, receiver: ParticipantId) -> str | None:
        """Where ``receiver``'s letters are delivered; None when this corner 3 serves it not."""
        return self._by_receiver.get(receiver, self.default_url)

    def serves(self, receiver: ParticipantId) -> bool:
        return self.url_for(receiver) is not None

    def deliver(
        self,
        *,
        message_id: str,
        receiver: ParticipantId,
        business_message: str,
        package: IO[bytes] | None,
    ) -> None:
        url = self.url_for(receiver)
        if url is None:
            raise RemoteError(f"no corner 4 configured for {receiver.value}", rule="c3:no-corner4")
        parts: list[FormPart] = [
            ("forretningsmelding", "sbd.jwt", "application/jwt", business_message.encode("ascii"))
        ]
        if package is not None:
            parts.append(("dokumentpakke", "asic.cms", "application/cms", package))
        # The body is put together in a spool and sent from it in pieces (issue 8).
        with spool(self.spool_dir) as body:
            content_type = write_form_data(parts, body)
            body.seek(0)
            headers = {
                **(self.headers or {}),
                "Content-Type": content_type,
                "Idempotency-Key": message_id,
            }
            try:
                answer = bounded_request(
                    self.session,
                    "POST",
                    url,
                    data=body,
                    headers=headers,
                    max_bytes=DEFAULT_LIMITS.max_http_response_bytes,
                    timeout=self.timeout_seconds,
                )
            except TransportError as exc:
                raise TransportError(f"corner 4 at {url}: {exc}") from None
        if answer.status >= 500 or answer.status == 429:
            raise TransportError(f"corner 4 at {url} answered HTTP {answer.status}")
        if answer.status >= 400:
            detail = answer.body[:300].decode("utf-8", "replace")
            raise RemoteError(
                f"corner 4 refused {message_id}: HTTP {answer.status} {detail}",
                rule="c3:corner4-refused",
            )

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

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import requests

from ..errors import RemoteError, TransportError, UsageError
from ..ids import ParticipantId

__all__ = ["HttpCorner4", "encode_form_data"]


def encode_form_data(parts: list[tuple[str, str, str, bytes]]) -> tuple[str, bytes]:
    """``(name, filename, content type, content)`` parts as a multipart/form-data body."""
    boundary = f"peppol-dpi-{uuid.uuid4().hex}"
    chunks = []
    for name, filename, content_type, content in parts:
        chunks.append(
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode("ascii")
            + content
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


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

    def __post_init__(self) -> None:
        for url in [*self.urls.values(), *([self.default_url] if self.default_url else [])]:
            if not url.startswith(("http://", "https://")):
                raise UsageError(f"corner 4 URL must be http(s): {url!r}")

    def deliver(
        self,
        *,
        message_id: str,
        receiver: ParticipantId,
        business_message: str,
        package: bytes | None,
    ) -> None:
        url = self.urls.get(receiver.value, self.default_url)
        if url is None:
            raise RemoteError(f"no corner 4 configured for {receiver.value}", rule="c3:no-corner4")
        parts = [
            ("forretningsmelding", "sbd.jwt", "application/jwt", business_message.encode("ascii"))
        ]
        if package is not None:
            parts.append(("dokumentpakke", "asic.cms", "application/cms", package))
        content_type, body = encode_form_data(parts)
        headers = {
            **(self.headers or {}),
            "Content-Type": content_type,
            "Idempotency-Key": message_id,
        }
        try:
            response = self.session.post(
                url, data=body, headers=headers, timeout=self.timeout_seconds
            )
        except requests.RequestException as exc:
            raise TransportError(f"corner 4 at {url}: {exc}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise TransportError(f"corner 4 at {url} answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise RemoteError(
                f"corner 4 refused {message_id}: HTTP {response.status_code} {response.text[:300]}",
                rule="c3:corner4-refused",
            )

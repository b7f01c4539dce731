"""One bounded HTTP exchange over a caller's ``requests.Session``.

Clients (revocation, lookups, the AS4 sender) must never hang or read without limit:
:func:`bounded_request` applies a total time budget (not only the per-read timeout of
``requests``, which a server dripping one byte at a time never trips) and a size cap checked on
``Content-Length`` and while streaming. A request body may be a file, sent in pieces. Network
failures become :class:`~peppol_dpi.errors.TransportError`; an answer too large becomes
:class:`~peppol_dpi.errors.RemoteError`. The status code is the caller's to judge.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO

import requests
import urllib3

from .errors import RemoteError, TransportError, UsageError

__all__ = ["HttpAnswer", "bounded_request"]

_CHUNK = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()


def bounded_request(
    session: requests.Session,
    method: str,
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    data: bytes | IO[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    allow_redirects: bool = False,
) -> HttpAnswer:
    """Send one request and read at most ``max_bytes`` of the answer within ``timeout`` seconds.

    ``data`` is the body: bytes, or a seekable binary file sent in pieces from its current
    position (its length from the file), so that a large body is never held in memory.
    """
    if timeout <= 0 or max_bytes <= 0:
        raise UsageError("timeout and max_bytes must be positive")
    deadline = time.monotonic() + timeout
    try:
        response = session.request(
            method,
            url,
            data=data,
            headers=dict(headers or {}),
            timeout=(timeout, timeout),
            stream=True,
            allow_redirects=allow_redirects,
        )
    except requests.RequestException as exc:
        raise TransportError(f"{method} {url} failed: {exc}") from None
    with response:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise RemoteError(
                f"{url} answered {declared} bytes, more than the limit of {max_bytes}",
                rule="http:too-large",
            )
        body = bytearray()
        try:
            # read1 returns what one socket read brought, so the deadline is checked often
            # even when a server drips bytes (iter_content would wait for a full chunk).
            while chunk := response.raw.read1(_CHUNK, decode_content=True):
                body += chunk
                if len(body) > max_bytes:
                    raise RemoteError(
                        f"{url} answered more than the limit of {max_bytes} bytes",
                        rule="http:too-large",
                    )
                if time.monotonic() > deadline:
                    raise TransportError(f"{method} {url} took longer than {timeout} s")
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise TransportError(f"{method} {url} failed while reading: {exc}") from None
        return HttpAnswer(
            status=response.status_code, headers=dict(response.headers), body=bytes(body)
        )

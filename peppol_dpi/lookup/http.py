"""The HTTP exchange shared by the lookup clients: bounded, time-limited, redirect-aware.

Every client passes its own ``requests.Session``. A response body is read in chunks up to
``Limits.max_http_response_bytes`` and within a total deadline (``requests``' own read timeout
applies per chunk only, so a server trickling bytes would otherwise never time out). HTTP
redirects are followed by hand, a few at most, never from HTTPS to HTTP and never in a loop.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from ..errors import InputError, TransportError
from ..limits import DEFAULT_LIMITS, Limits
from .errors import LookupTimeoutError

__all__ = ["DEFAULT_TIMEOUT", "HttpAnswer", "Timeout", "exchange"]

#: (connect, total) seconds. phase4 uses 5 s to connect for Peppol.
Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (5.0, 30.0)
MAX_HTTP_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, kw_only=True)
class HttpAnswer:
    status: int
    url: str  # after redirects
    content_type: str  # the media type, lower case, without parameters
    headers: Mapping[str, str]
    body: bytes


def exchange(
    session: requests.Session,
    method: str,
    url: str,
    *,
    error: type[InputError],
    area: str,
    timeout: Timeout = DEFAULT_TIMEOUT,
    limits: Limits = DEFAULT_LIMITS,
    headers: Mapping[str, str] | None = None,
    data: bytes | Mapping[str, str] | None = None,
    auth: requests.auth.AuthBase | tuple[str, str] | None = None,
) -> HttpAnswer:
    """One request (following HTTP redirects by hand); raises ``error`` with ``<area>:`` rules."""
    deadline = time.monotonic() + timeout[1]
    seen: list[str] = []
    current = url
    while True:
        seen.append(current)
        response = _send(
            session,
            method,
            current,
            timeout=timeout,
            deadline=deadline,
            headers=headers,
            data=data,
            auth=auth,
        )
        with response:
            if response.status_code not in _REDIRECTS:
                body = _read(
                    response,
                    current,
                    deadline=deadline,
                    total=timeout[1],
                    limits=limits,
                    error=error,
                    area=area,
                )
                media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                return HttpAnswer(
                    status=response.status_code,
                    url=current,
                    content_type=media,
                    headers=dict(response.headers),
                    body=body,
                )
            target = urljoin(current, response.headers.get("Location", ""))
        if target in seen:
            raise error(
                f"{url} redirects in a loop ({' -> '.join([*seen, target])})",
                rule=f"{area}:redirect-loop",
            )
        if len(seen) > MAX_HTTP_REDIRECTS:
            raise error(
                f"{url} redirects more than {MAX_HTTP_REDIRECTS} times",
                rule=f"{area}:too-many-redirects",
            )
        if urlsplit(current).scheme == "https" and urlsplit(target).scheme != "https":
            raise error(
                f"{current} redirects from HTTPS to {target}", rule=f"{area}:insecure-redirect"
            )
        if urlsplit(target).scheme not in ("http", "https"):
            raise error(f"{current} redirects to {target!r}", rule=f"{area}:bad-redirect")
        current = target


def _send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: Timeout,
    deadline: float,
    headers: Mapping[str, str] | None,
    data: bytes | Mapping[str, str] | None,
    auth: requests.auth.AuthBase | tuple[str, str] | None,
) -> requests.Response:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise LookupTimeoutError(f"{method} {url}: no complete answer within {timeout[1]} s")
    try:
        return session.request(
            method,
            url,
            headers=dict(headers or {}),
            data=data,
            auth=auth,
            timeout=(min(timeout[0], remaining), remaining),
            allow_redirects=False,
            stream=True,
        )
    except requests.Timeout:
        raise LookupTimeoutError(f"{method} {url}: no answer within {timeout[1]} s") from None
    except requests.RequestException as exc:
        raise TransportError(f"{method} {url} failed: {exc}") from None


def _read(
    response: requests.Response,
    url: str,
    *,
    deadline: float,
    total: float,
    limits: Limits,
    error: type[InputError],
    area: str,
) -> bytes:
    maximum = limits.max_http_response_bytes
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > maximum:
        raise error(
            f"{url} announces {declared} bytes, more than the limit of {maximum}",
            rule=f"{area}:too-large",
        )
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > maximum:
                raise error(
                    f"{url} sent more than the limit of {maximum} bytes", rule=f"{area}:too-large"
                )
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise LookupTimeoutError(f"{url}: the answer took longer than {total} s")
    except requests.Timeout:
        raise LookupTimeoutError(f"{url}: the answer stalled (more than the timeout)") from None
    except requests.RequestException as exc:
        raise TransportError(f"{url}: reading the answer failed: {exc}") from None
    return b"".join(chunks)

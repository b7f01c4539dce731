"""The HTTP exchange of the lookup clients: one bounded request per hop
(:func:`peppol_dpi.httpclient.bounded_request`: size cap, total time budget), HTTP redirects
followed by hand (a few at most, never from HTTPS to HTTP, never in a loop, credentials never
to another origin, a 303 with GET), and errors named for the client's area (``smp:``,
``krr:``, ``maskinporten:``).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

import requests

from ..arguments import wrong_type
from ..errors import InputError, RemoteError
from ..httpclient import bounded_request
from ..limits import DEFAULT_LIMITS, Limits
from .errors import LookupTimeoutError, RegistryUnavailableError

__all__ = ["DEFAULT_TIMEOUT", "HttpAnswer", "Timeout", "exchange", "require_session"]

#: (connect, total) seconds. phase4 uses 5 s to connect for Peppol.
Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (
    float(DEFAULT_LIMITS.max_connect_seconds),
    float(DEFAULT_LIMITS.max_http_seconds),
)
MAX_HTTP_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, kw_only=True)
class HttpAnswer:
    status: int
    url: str  # after redirects
    content_type: str  # the media type, lower case, without parameters
    headers: Mapping[str, str]
    body: bytes


def require_session(value: object, *, caller: str) -> None:
    """The HTTP session a client is given (I/O stays with the caller's session)."""
    if not isinstance(value, requests.Session):
        raise wrong_type(caller, "session", "a requests.Session", value)


def _origin(url: str) -> tuple[str, str | None, int | None]:
    # RFC 6454 4: scheme, host and port (the scheme's default when none is written).
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None  # (a port that is no number: the request to it fails on its own)
    return parts.scheme, parts.hostname, port or {"http": 80, "https": 443}.get(parts.scheme)


def _drop(headers: dict[str, str], name: str) -> None:
    for key in [key for key in headers if key.lower() == name]:
        del headers[key]


def _basic(auth: tuple[str, str]) -> str:
    # RFC 7617: base64(user ":" password), UTF-8.
    return "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")


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
    auth: tuple[str, str] | None = None,
) -> HttpAnswer:
    """One request, following HTTP redirects; raises ``error`` with ``<area>:`` rules, or a
    TransportError when the peer cannot be reached, does not answer within ``timeout[1]`` or
    answers with a server error (:class:`RegistryUnavailableError`)."""
    request_headers = dict(headers or {})
    body: bytes | None
    if isinstance(data, Mapping):
        body = urlencode(data).encode("ascii")
        request_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    else:
        body = data
    if auth is not None:
        request_headers["Authorization"] = _basic(auth)
    deadline = time.monotonic() + timeout[1]
    seen: list[str] = []
    current = url
    origin = _origin(url)
    while True:
        seen.append(current)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LookupTimeoutError(f"{method} {url}: no complete answer within {timeout[1]} s")
        try:
            answer = bounded_request(
                session,
                method,
                current,
                max_bytes=limits.max_http_response_bytes,
                timeout=remaining,
                data=body,
                headers=request_headers,
            )
        except RemoteError as exc:
            raise error(exc.message, rule=f"{area}:too-large") from None
        if answer.status >= 500:
            # A server error says nothing about the request: the caller may retry later.
            raise RegistryUnavailableError(f"{method} {current}: HTTP {answer.status}")
        if answer.status not in _REDIRECTS:
            return HttpAnswer(
                status=answer.status,
                url=current,
                content_type=answer.content_type,
                headers=answer.headers,
                body=answer.body,
            )
        target = urljoin(current, answer.headers.get("Location", ""))
        if target in seen:
            chain = " -> ".join([*seen, target])
            raise error(f"{url} redirects in a loop ({chain})", rule=f"{area}:redirect-loop")
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
        if answer.status == 303 and method != "HEAD":
            # RFC 9110 15.4.4: the answer is elsewhere, to be retrieved with GET.
            method, body = "GET", None
            _drop(request_headers, "content-type")
        if _origin(target) != origin:
            # Credentials go to the origin they were given for only (RFC 9110 11.6.2 and
            # 15.4: a client SHOULD NOT send them on to another one; requests and curl drop
            # them too): a redirect elsewhere would hand it a bearer token or a password.
            _drop(request_headers, "authorization")
        current = target

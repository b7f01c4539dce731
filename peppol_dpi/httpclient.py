"""One bounded HTTP exchange over a caller's ``requests.Session``.

Clients (revocation, lookups, the AS4 sender) must never hang or read without limit:
:func:`bounded_request` applies a total time budget (not only the per-read timeout of
``requests``, which a server dripping one byte at a time never trips) and a size cap checked on
``Content-Length`` and while streaming. A request body may be a file, sent in pieces. Network
failures become :class:`~peppol_dpi.errors.TransportError`; an answer too large becomes
:class:`~peppol_dpi.errors.RemoteError`. The status code is the caller's to judge.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
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
    response = _HeadWithin(timeout).send(
        lambda: session.request(
            method,
            url,
            data=data,
            headers=dict(headers or {}),
            timeout=(timeout, timeout),
            stream=True,
            allow_redirects=allow_redirects,
        ),
        what=f"{method} {url}",
    )
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


class _HeadWithin:
    """``session.request`` (the request sent, the answer's status line and header fields read)
    given at most ``seconds`` in all.

    The per-read timeout of ``requests`` never trips while a server drips its header fields a
    byte at a time, and the socket is out of reach until the answer's head is in: so the
    exchange runs in a thread of its own and the caller stops waiting at the deadline. The
    thread then ends when the server stops dripping or goes quiet for a read timeout; an answer
    that still arrives is closed, so that its connection is released. A request body given as
    a file is read by that thread (the package's callers close it when the exchange fails).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._abandoned = False
        self._response: requests.Response | None = None
        self._error: BaseException | None = None

    def send(self, request: Callable[[], requests.Response], *, what: str) -> requests.Response:
        threading.Thread(
            target=self._run, args=(request,), name="http-exchange", daemon=True
        ).start()
        if not self._done.wait(self.seconds):
            with self._lock:
                if not self._done.is_set():
                    self._abandoned = True
                    raise TransportError(f"{what} took longer than {self.seconds} s")
        if isinstance(self._error, requests.RequestException):
            raise TransportError(f"{what} failed: {self._error}") from None
        if self._error is not None:
            raise self._error  # not a network failure: the caller's to see, as before
        assert self._response is not None
        return self._response

    def _run(self, request: Callable[[], requests.Response]) -> None:
        response: requests.Response | None = None
        error: BaseException | None = None
        try:
            response = request()
        except BaseException as exc:  # handed to the caller's thread
            error = exc
        with self._lock:
            if self._abandoned:
                if response is not None:
                    response.close()
                return
            self._response, self._error = response, error
            self._done.set()

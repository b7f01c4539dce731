"""One way to serve a WSGI application in a thread: waitress, stopped without races.

waitress' own ``run()`` loops forever and its sockets cannot safely be closed from another
thread (the running ``select()`` then fails on a closed descriptor). Here the server loop runs
in short steps in its own thread and checks a stop flag; everything is closed in that same
thread once the flag is set. Used by the reference transport and the local services.

waitress reads every request body whole (to a temporary file beyond 512 KiB) before the
application sees the request, up to 1 GiB by default, chunked or not. So the server refuses
(413) a body larger than the application takes: a :class:`LimitedApp` says how large that is;
any other application gets :data:`DEFAULT_MAX_BODY_BYTES`.

waitress closes a connection only after 120 s without a byte, so a client sending a byte now
and then (slowloris) held a connection for ever, and 100 of them every connection there is.
:class:`RequestDeadlines` bound the time a request may take to arrive; the loop here answers a
client that falls behind with 408 and closes its connection.

Neither waitress nor cheroot leaves out the content of a response to HEAD, which RFC 9110 9.3.2
forbids: a keep-alive client then read the body as the start of its next answer.
:func:`without_head_content` is put around every application served (here and in
:mod:`peppol_dpi.transport.tls`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waitress.channel import ClientDisconnected, HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import create_server

from .errors import UsageError

__all__ = [
    "DEFAULT_DEADLINES",
    "DEFAULT_MAX_BODY_BYTES",
    "TIMEOUT_ANSWER",
    "LimitedApp",
    "RequestDeadlines",
    "ThreadedWsgiServer",
    "WsgiApp",
    "body_limit",
    "without_head_content",
]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]

#: The largest request body served to an application that does not say (the services read
#: bodies of up to 8 MiB into memory).
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class LimitedApp:
    """A WSGI application and the largest request body it takes, for its server to enforce."""

    app: WsgiApp
    max_body_bytes: int

    def __post_init__(self) -> None:
        if self.max_body_bytes < 0:
            raise UsageError("max_body_bytes must not be negative")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app(environ, start_response)


def without_head_content(app: WsgiApp) -> WsgiApp:
    """``app`` answering HEAD as it answers GET, less the content (RFC 9110 9.3.2: "the server
    MUST NOT send content in the response"), with the Content-Length GET would have (8.6)."""

    def head_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") != "HEAD":
            return app(environ, start_response)
        answer: list[Any] = []
        length = 0

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, list(headers), exc_info]

            def write(data: bytes) -> None:  # (the WSGI write() callable: dropped too)
                nonlocal length
                length += len(data)

            return write

        result = app(environ, capture)
        try:
            for chunk in result:  # (start_response may come with the first chunk)
                length += len(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers, exc_info = answer
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers.append(("Content-Length", str(length)))
        start_response(status, headers, exc_info)
        return []

    return head_app


def body_limit(app: object) -> int:
    """The largest request body ``app`` takes (:class:`LimitedApp`), or the default."""
    return app.max_body_bytes if isinstance(app, LimitedApp) else DEFAULT_MAX_BODY_BYTES


@dataclass(frozen=True, kw_only=True)
class RequestDeadlines:
    """How long a client may take to send one request: Apache's mod_reqtimeout defaults
    (``header=20-40,MinRate=500 body=20,MinRate=500``), the defence against slow clients
    (slowloris: a byte now and then, on many connections, holds every connection or worker).

    A request's head (request line and header fields) must be complete ``head_seconds`` after
    its first byte (a new connection's first byte, its TLS handshake included, must come within
    ``head_seconds`` of its opening); then its body must arrive within ``body_seconds`` plus one
    second per ``min_bytes_per_second`` bytes received. A client that falls behind is answered
    408 (RFC 9110 15.5.9) and its connection closed. Idle keep-alive connections between
    requests are left to each server's own idle timeout.
    """

    head_seconds: float = 20.0
    body_seconds: float = 20.0
    min_bytes_per_second: int = 500

    def __post_init__(self) -> None:
        if min(self.head_seconds, self.body_seconds, self.min_bytes_per_second) <= 0:
            raise UsageError("request deadlines must be positive")

    def body_deadline(self, since: float, received: int) -> float:
        """When a body begun at ``since`` is overdue, ``received`` bytes of it in."""
        return since + self.body_seconds + received / self.min_bytes_per_second


#: Apache's mod_reqtimeout defaults.
DEFAULT_DEADLINES = RequestDeadlines()

_TIMEOUT_MESSAGE = b"The request took too long to arrive.\n"
#: What a client that fell behind its deadline is told before its connection is closed.
TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_TIMEOUT_MESSAGE), _TIMEOUT_MESSAGE)
)


class _TimedParser(HTTPRequestParser):  # type: ignore[misc]
    """waitress' request parser, remembering when the request's first byte and the end of its
    head arrived."""

    def __init__(self, adj: Any) -> None:
        super().__init__(adj)
        self.began = time.monotonic()
        self.body_began: float | None = None

    def received(self, data: bytes) -> int:
        consumed: int = super().received(data)
        if self.headers_finished and self.body_began is None:
            self.body_began = time.monotonic()
        return consumed


class _TimedChannel(HTTPChannel):  # type: ignore[misc]
    """waitress' connection, its requests parsed by :class:`_TimedParser`."""

    parser_class = _TimedParser

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened = time.monotonic()
        self.bytes_seen = False

    def received(self, data: bytes) -> bool:
        self.bytes_seen = self.bytes_seen or bool(data)
        return bool(super().received(data))


def _overdue(channel: Any, now: float, deadlines: RequestDeadlines) -> bool:
    """Whether ``channel`` is behind its deadline for the request it is receiving."""
    if not isinstance(channel, _TimedChannel) or channel.requests or channel.will_close:
        return False  # the listening socket, a request being served, or closing already
    if channel.close_when_flushed:
        return False
    request = channel.request
    if request is None:  # between requests (waitress' idle timeout), or not one byte yet
        return not channel.bytes_seen and now > channel.opened + deadlines.head_seconds
    if not request.headers_finished:
        return bool(now > request.began + deadlines.head_seconds)
    body = request.body_rcv
    received = len(body.buf) if body is not None else 0
    return now > deadlines.body_deadline(request.body_began or now, received)


_STEP_SECONDS = 0.05
_CHECK_SECONDS = 0.25  # how often the connections are held to their deadlines


class ThreadedWsgiServer:
    """A waitress server bound at construction (``port`` 0 = a free port); bodies larger than
    the application takes (:func:`body_limit`) are refused before they are read."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 4,
        deadlines: RequestDeadlines = DEFAULT_DEADLINES,
    ) -> None:
        self.host = host
        self.deadlines = deadlines
        self._server: Any = create_server(
            without_head_content(app),
            host=host,
            port=port,
            threads=threads,
            ident="peppol-dpi",
            clear_untrusted_proxy_headers=True,
            max_request_body_size=body_limit(app),
        )
        self._server.channel_class = _TimedChannel  # (create_server takes no channel class)
        self.port = int(self._server.effective_port)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` is called from another one."""
        server = self._server
        next_check = 0.0
        try:
            while not self._stopping.is_set():
                server.asyncore.loop(timeout=_STEP_SECONDS, map=server._map, count=1)
                now = time.monotonic()
                if now >= next_check:
                    next_check = now + _CHECK_SECONDS
                    self._enforce_deadlines(now)
        finally:
            for channel in list(server._map.values()):
                channel.close()
            server.task_dispatcher.shutdown(timeout=5)

    def _enforce_deadlines(self, now: float) -> None:
        # In the loop's thread, which alone reads from the connections.
        for channel in list(self._server._map.values()):
            if _overdue(channel, now, self.deadlines):
                try:
                    channel.write_soon(TIMEOUT_ANSWER)
                except ClientDisconnected:  # gone already: closed all the same
                    channel.will_close = True
                channel.close_when_flushed = True

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, name=f"wsgi-{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        elif not self._server._map:
            return
        else:  # never started: close the listening socket here
            for channel in list(self._server._map.values()):
                channel.close()

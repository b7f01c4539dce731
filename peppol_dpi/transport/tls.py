"""Serving the reference services over HTTPS: cheroot, hardened.

waitress does not speak TLS, so :func:`tls_server` serves the same WSGI application with cheroot
(CherryPy's production server, a worker thread per connection being read), TLS 1.2 or newer
(Peppol AS4, peppol.md 1.2), with what cheroot lacks by default:

* the handshake happens on the connection's first read, in the worker that serves it, not in
  cheroot's one accepting thread (where one silent client held every other one for 10 s);
* request heads beyond :data:`MAX_REQUEST_HEAD_BYTES` and bodies beyond the application's
  limit are refused (413) before they are read;
* :class:`~peppol_dpi.wsgiserver.RequestDeadlines`: cheroot's 10 s timeout runs per read, so
  a client sending a byte every few seconds (slowloris) held a worker for as long as it
  liked; a request's head and body must now arrive in time, or the client is answered 408 by
  cheroot (a read timing out) and disconnected.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..wsgiserver import DEFAULT_DEADLINES, RequestDeadlines, body_limit, without_head_content
from .config import ServerTls

__all__ = ["MAX_REQUEST_HEAD_BYTES", "tls_server"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: The largest request head (request line and header fields) either server reads: waitress'
#: default, which the plain-HTTP server keeps; cheroot's default is no limit at all.
MAX_REQUEST_HEAD_BYTES = 256 * 1024


def tls_server(
    app: WsgiApp,
    *,
    host: str,
    port: int,
    threads: int,
    tls: ServerTls,
    deadlines: RequestDeadlines = DEFAULT_DEADLINES,
) -> Any:
    """A cheroot server for ``app`` on ``host:port``, bound (so its port is known), not yet
    serving (call its ``serve``)."""
    from cheroot import wsgi

    server = wsgi.Server(
        (host, port), without_head_content(app), numthreads=threads, server_name="peppol-dpi"
    )
    server.max_request_header_size = MAX_REQUEST_HEAD_BYTES
    server.max_request_body_size = body_limit(app)  # as waitress (wsgiserver)
    server.ConnectionClass = _timed_connection_class(deadlines)
    adapter = _deferred_handshake_adapter()(
        str(tls.certificate), str(tls.key), str(tls.chain) if tls.chain else None
    )
    adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2  # Peppol AS4: TLS 1.2+ (peppol.md 1.2)
    adapter.context.sslsocket_class = _ServerSocket
    server.ssl_adapter = adapter
    server.prepare()  # binds now, so the port is known
    return server


def _deferred_handshake_adapter() -> type:
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    class DeferredHandshakeAdapter(BuiltinSSLAdapter):
        """cheroot's adapter without the handshake on accept: cheroot wraps each accepted
        socket in its one accepting thread, so one client that connects and says nothing held
        every other client for the 10 s timeout (three of them for 30 s). The handshake now
        happens on the connection's first read, in the worker thread that serves it."""

        def wrap(self, sock: Any) -> tuple[Any, dict[str, str]]:
            wrapped = self.context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
            # What cheroot would add but the cipher (unknown before the handshake; unused).
            return wrapped, {"wsgi.url_scheme": "https", "HTTPS": "on"}

    return DeferredHandshakeAdapter


def _timed_connection_class(deadlines: RequestDeadlines) -> type:
    """cheroot's connection class whose requests hold their socket to ``deadlines``."""
    from cheroot.server import HTTPConnection, HTTPRequest

    class TimedRequest(HTTPRequest):
        def parse_request(self) -> None:
            sock = self.conn.socket
            sock.expect_head(deadlines)  # from now: a new connection, or one readable again
            try:
                super().parse_request()
            finally:
                sock.expect_nothing()
            if self.ready:
                sock.expect_body(deadlines)

        def respond(self) -> None:
            try:
                super().respond()
            finally:
                self.conn.socket.expect_nothing()

    class TimedConnection(HTTPConnection):
        RequestHandlerClass = TimedRequest

    return TimedConnection


class _ServerSocket(ssl.SSLSocket):
    """A server-side TLS socket that completes its handshake before its first read, with the
    socket's timeout for the whole handshake (Python's ``do_handshake``), reports a failed one
    as cheroot's ``FatalSSLAlert`` (the worker then just closes the connection), and times a
    read out (cheroot answers 408) once the request being read is behind its deadline."""

    _handshaken = False
    _head_deadline: float | None = None
    _body: tuple[RequestDeadlines, float] | None = None  # the deadlines, and when it began
    _body_bytes = 0

    def expect_head(self, deadlines: RequestDeadlines) -> None:
        self._head_deadline = time.monotonic() + deadlines.head_seconds
        self._body = None

    def expect_body(self, deadlines: RequestDeadlines) -> None:
        self._head_deadline = None
        self._body, self._body_bytes = (deadlines, time.monotonic()), 0

    def expect_nothing(self) -> None:
        self._head_deadline = self._body = None

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        self._check_deadline()
        if not self._handshaken:
            self._handshake()
        received = super().recv_into(buffer, nbytes, flags)
        self._body_bytes += received
        return received

    def _check_deadline(self) -> None:
        now = time.monotonic()
        late = self._head_deadline is not None and now > self._head_deadline
        if self._body is not None:
            deadlines, began = self._body
            late = now > deadlines.body_deadline(began, self._body_bytes)
        if late:
            # cheroot answers a read that timed out in a request with 408 Request Timeout.
            raise TimeoutError("timed out")

    def _handshake(self) -> None:
        from cheroot.errors import FatalSSLAlert

        timeout = self.gettimeout()
        if self._head_deadline is not None:  # the handshake is part of the first request's time
            left = max(self._head_deadline - time.monotonic(), 0.001)
            self.settimeout(left if timeout is None else min(timeout, left))
        try:
            self.do_handshake()
        except ssl.SSLError as exc:
            if "http request" in str(exc).lower():
                # A plain HTTP request on the TLS port: answered in plain text, as cheroot does.
                with contextlib.suppress(OSError):
                    socket.socket.sendall(self, _PLAIN_HTTP_ANSWER)
            raise FatalSSLAlert(*exc.args) from exc
        except OSError as exc:  # a timeout or a dropped connection, during the handshake
            raise FatalSSLAlert(*exc.args) from exc
        finally:
            self.settimeout(timeout)
        self._handshaken = True


_PLAIN_HTTP_MESSAGE = (
    b"The client sent a plain HTTP request, but this server only speaks HTTPS on this port."
)
_PLAIN_HTTP_ANSWER = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_PLAIN_HTTP_MESSAGE), _PLAIN_HTTP_MESSAGE)
)

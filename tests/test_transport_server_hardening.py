"""The reference services' HTTP servers against clients that try to hold them: idle and slow
TLS handshakes, oversized request heads (docs/security.md, HTTP)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Iterator

import pki
import pytest

from peppol_dpi.errors import UsageError
from peppol_dpi.services.wsgi import HttpProblem
from peppol_dpi.services.wsgi import wsgi_app as service_app
from peppol_dpi.transport.config import ServerTls
from peppol_dpi.transport.http import wsgi_app as transport_app
from peppol_dpi.transport.server import WsgiServer
from peppol_dpi.transport.tls import MAX_REQUEST_HEAD_BYTES
from peppol_dpi.wsgiserver import DEFAULT_MAX_BODY_BYTES, LimitedApp, RequestDeadlines, body_limit


def _app(environ, start_response):  # type: ignore[no-untyped-def]
    body = environ["wsgi.url_scheme"].encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def https() -> Iterator[WsgiServer]:
    chain, key = pki.tls_files()
    server = WsgiServer(_app, tls=ServerTls(certificate=chain, key=key), threads=4)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _client() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.path("root-ca.cert.pem")))
    context.check_hostname = False
    return context


def _get(server: WsgiServer, extra: bytes = b"") -> bytes:
    """The answer to a GET, read until the server closes or the status line is all there is."""
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    with raw, _client().wrap_socket(raw) as tls:
        tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + extra + b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
            if answer.startswith(b"HTTP/1.1 4") and b"\r\n" in answer:
                break  # refused: cheroot may keep the connection until its timeout
    return answer


def test_clients_that_connect_and_say_nothing_hold_no_one_up(https: WsgiServer) -> None:
    # cheroot handshakes in its one accepting thread: each silent connection held every other
    # client for its 10 s timeout (three: 30 s). The handshake now runs in the worker.
    silent = [socket.create_connection(("127.0.0.1", https.port)) for _ in range(3)]
    try:
        time.sleep(0.2)
        started = time.monotonic()
        answer = _get(https)
        assert time.monotonic() - started < 3
        assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"https")
    finally:
        for connection in silent:
            connection.close()


def test_a_request_head_beyond_the_limit_is_refused(https: WsgiServer) -> None:
    # cheroot reads request heads of any size by default (a 144 MiB one was held in memory).
    fields = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * 1000) for i in range(300))
    assert len(fields) > MAX_REQUEST_HEAD_BYTES
    assert _get(https, fields).startswith(b"HTTP/1.1 413 ")
    within = fields[: fields.index(b"X-Filler-200:")]  # 200 whole lines
    assert _get(https, within).startswith(b"HTTP/1.1 200 OK")


def test_plain_http_on_the_tls_port_gets_a_plain_answer(https: WsgiServer) -> None:
    # As cheroot answered it when it handshook on accept.
    with socket.create_connection(("127.0.0.1", https.port), timeout=20) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert answer.endswith(b"this server only speaks HTTPS on this port.")


def test_a_failed_handshake_leaves_the_server_serving(https: WsgiServer) -> None:
    with socket.create_connection(("127.0.0.1", https.port), timeout=20) as raw:
        raw.sendall(b"\x16\x03\x01\x00\x05hello")  # a TLS record that is no ClientHello
        assert raw.recv(4096) is not None
    assert _get(https).startswith(b"HTTP/1.1 200 OK")


class _Counting:
    """A WSGI application that counts the requests that reached it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        self.calls += 1
        return _app(environ, start_response)


def _post_head_and_body(port: int, head: bytes, chunk: bytes, total: int) -> bytes:
    """Send ``head`` and then ``chunk`` until ``total`` bytes or the server stops reading; the
    server's answer (empty when it only closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        raw.sendall(head)
        sent = 0
        try:
            while sent < total:
                raw.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # refused and closed while we were still sending
        try:
            return raw.recv(4096)
        except OSError:
            return b""


@pytest.mark.parametrize("tls", [False, True], ids=["waitress", "cheroot"])
def test_a_body_beyond_the_limit_is_refused_before_it_is_read(tls: bool) -> None:
    # waitress reads every body whole (to a temporary file) before the application sees the
    # request, up to 1 GiB by default, chunked or not: 193 MiB of a body the application
    # refuses at 8 MiB were read in 3 s. Each server now refuses what the application would.
    app = _Counting()
    chain, key = pki.tls_files()
    server = WsgiServer(
        LimitedApp(app=app, max_body_bytes=1 << 20),
        tls=ServerTls(certificate=chain, key=key) if tls else None,
    )
    server.start()
    try:
        if not tls:
            declared = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (64 << 20)
            answer = _post_head_and_body(server.port, declared, b"a" * 65536, 64 << 20)
            assert answer.startswith(b"HTTP/1.1 413 ")
            chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            piece = b"10000\r\n" + b"a" * 0x10000 + b"\r\n"
            answer = _post_head_and_body(server.port, chunked, piece, 64 << 20)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 413 ")
        else:
            big = b"Content-Length: %d\r\n" % (64 << 20)
            assert _get(server, big).startswith(b"HTTP/1.1 413 ")
        assert app.calls == 0
    finally:
        server.stop()


def test_each_application_says_how_large_a_body_it_takes() -> None:
    # What the servers enforce: a service's largest streamed route (the mailbox's deliveries
    # take a package and its JWS), the transport's configured limit, and 8 MiB for an
    # application that does not say.
    def nothing(request: object) -> None:
        raise AssertionError("not called")

    assert body_limit(_app) == DEFAULT_MAX_BODY_BYTES
    assert body_limit(service_app(nothing)) == DEFAULT_MAX_BODY_BYTES
    streamed = service_app(nothing, streamed={("deliveries",): 70 << 20})
    assert body_limit(streamed) == 70 << 20
    assert body_limit(transport_app(nothing, max_body=123)) == 123


# -- slow clients (slowloris): RequestDeadlines, Apache mod_reqtimeout's rule ------------------

_QUICK = RequestDeadlines(head_seconds=1.0, body_seconds=1.0, min_bytes_per_second=200)


def _echo(environ, start_response):  # type: ignore[no-untyped-def]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture(params=["http", "https"])
def quick(request: pytest.FixtureRequest) -> Iterator[WsgiServer]:
    """A server of each kind holding clients to one-second deadlines."""
    tls = None
    if request.param == "https":
        chain, key = pki.tls_files()
        tls = ServerTls(certificate=chain, key=key)
    server = WsgiServer(_echo, tls=tls, threads=4, deadlines=_QUICK)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _connect(server: WsgiServer) -> socket.socket:
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return _client().wrap_socket(raw) if server.tls else raw


def _trickle(server: WsgiServer, data: bytes, gap: float) -> tuple[float, bytes]:
    """``data`` sent a byte every ``gap`` seconds while the server listens; how long until it
    answered and closed, and its answer."""
    started = time.monotonic()
    with _connect(server) as connection:
        try:
            for byte in data:
                connection.sendall(bytes([byte]))
                time.sleep(gap)
        except OSError:
            pass  # closed on us: the answer is read below
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := connection.recv(65536):
                answer += chunk
    return time.monotonic() - started, answer


_SLOW_HEAD = b"GET / HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * 200 + b"\r\n\r\n"
_SLOW_BODY = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + b"b" * 2000


@pytest.mark.parametrize(
    ("what", "data"), [("head", _SLOW_HEAD), ("body", _SLOW_BODY)], ids=["head", "body"]
)
def test_a_request_that_trickles_in_is_answered_408_and_cut_off(
    quick: WsgiServer, what: str, data: bytes
) -> None:
    # A byte every 50 ms: each read well within any per-read timeout (waitress: 120 s without a
    # byte, cheroot: 10 s), so before the deadlines such a client held its connection (and
    # cheroot's worker) for as long as it liked. Now: the head's 1 s, or the body's 1 s plus
    # 1 s per 200 bytes (about 1.3 s at 20 bytes a second).
    elapsed, answer = _trickle(quick, data, 0.05)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert elapsed < 4, elapsed


def test_a_connection_that_never_speaks_is_cut_off(quick: WsgiServer) -> None:
    # Not one byte (no TLS handshake either): cut off after the head's deadline, where waitress
    # waited 120 s and cheroot's handshake its 10 s timeout.
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", quick.port), timeout=10) as connection:
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := connection.recv(65536):
                answer += chunk
    assert time.monotonic() - started < 4
    if not quick.tls:
        assert answer.startswith(b"HTTP/1.1 408 ")


def test_clients_within_the_deadlines_are_served_and_kept(quick: WsgiServer) -> None:
    with _connect(quick) as connection:
        for _ in range(2):
            # A body at 1,000 bytes a second, five times the minimum rate.
            head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1500\r\n\r\n"
            connection.sendall(head)
            for _ in range(15):
                connection.sendall(b"c" * 100)
                time.sleep(0.1)
            answer = b""
            while not answer.endswith(b"c" * 1500):
                chunk = connection.recv(65536)
                assert chunk, answer
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200 OK")
            time.sleep(1.5)  # idle between requests, beyond the head's deadline: kept open


def test_request_deadlines_must_be_positive() -> None:
    with pytest.raises(UsageError):
        RequestDeadlines(head_seconds=0)
    with pytest.raises(UsageError):
        RequestDeadlines(min_bytes_per_second=-1)


# -- HEAD (RFC 9110 9.3.2) -----------------------------------------------------------------------


def _sized(environ, start_response):  # type: ignore[no-untyped-def]
    body = b"fourteen bytes"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def _unsized(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"a body of "  # (a generator: the length is known only once it has run)
    yield b"two pieces"


def _refusing(request):  # type: ignore[no-untyped-def]
    raise HttpProblem(405, "method not allowed")


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize(
    ("app", "length"),
    [(_sized, b"14"), (_unsized, b"20"), (service_app(_refusing), b"31")],
    ids=["with Content-Length", "without", "a service's refusal"],
)
def test_head_is_answered_without_content_and_the_connection_stays_in_step(
    tls: bool, app: object, length: bytes
) -> None:
    # Neither waitress nor cheroot drops the content: a keep-alive client read it as the start
    # of its next answer. The HEAD answer carries the Content-Length GET would (RFC 9110 8.6).
    tls_files = ServerTls(certificate=pki.tls_files()[0], key=pki.tls_files()[1]) if tls else None
    server = WsgiServer(app, tls=tls_files, threads=2)  # type: ignore[arg-type]
    server.start()
    try:
        with _connect(server) as connection:
            connection.sendall(
                b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
    finally:
        server.stop()
    head, rest = answer.split(b"\r\n\r\n", 1)
    assert f"content-length: {length.decode()}".encode() in head.lower()
    assert rest.startswith(b"HTTP/1.1 "), rest[:80]  # the next answer, not a body
    get_head, get_body = rest.split(b"\r\n\r\n", 1)
    assert head.split(b"\r\n")[0] == get_head.split(b"\r\n")[0]
    if b"chunked" not in get_head.lower():
        assert len(get_body) == int(length)

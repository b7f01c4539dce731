"""bounded_request: one HTTP exchange within a size cap and a wall-clock budget, whatever the
server does (docs/security.md, DNS and SMP: a server dripping one byte at a time)."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from peppol_dpi.errors import TransportError
from peppol_dpi.httpclient import bounded_request


@contextmanager
def _server(answer: bytes, *, byte_every: float) -> Iterator[str]:
    """A server on 127.0.0.1 that reads the request and sends ``answer`` one byte every
    ``byte_every`` seconds (the whole of it at once when 0), until told to stop."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            if not byte_every:
                connection.sendall(answer)
                return
            for byte in answer:
                if stop.wait(byte_every):
                    return
                connection.sendall(bytes([byte]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


_HEAD = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: a\r\n" % i for i in range(90))


def test_a_server_dripping_its_header_fields_hits_the_time_budget() -> None:
    # Each byte comes well within the per-read timeout, so only a budget for the whole
    # exchange stops it; the head alone would take 200 s at this pace.
    with _server(_HEAD + b"Content-Length: 2\r\n\r\nok", byte_every=0.2) as url:
        started = time.monotonic()
        with requests.Session() as session, pytest.raises(TransportError, match="longer than 1"):
            bounded_request(session, "GET", url, max_bytes=1000, timeout=1.0)
        assert time.monotonic() - started < 2


def test_an_answer_within_the_budget_is_returned_whole() -> None:
    answer_bytes = _HEAD + b"Content-Length: 2\r\n\r\nok"
    with _server(answer_bytes, byte_every=0) as url, requests.Session() as session:
        answer = bounded_request(session, "GET", url, max_bytes=1000, timeout=5.0)
    assert (answer.status, answer.body, answer.headers["X-89"]) == (200, b"ok", "a")


def test_a_failure_before_the_answer_is_still_a_transport_error() -> None:
    with requests.Session() as session, pytest.raises(TransportError, match="failed"):
        bounded_request(session, "GET", "http://127.0.0.1:9/", max_bytes=1000, timeout=5.0)


class _Broken(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        raise RuntimeError("the disk went away")


def test_an_error_that_is_no_network_failure_reaches_the_caller_unchanged() -> None:
    # The exchange runs in a thread of its own: what it raises must still reach the caller
    # at once, neither swallowed into a timeout nor worded as a network failure.
    empty = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    started = time.monotonic()
    with (
        _server(empty, byte_every=0) as url,
        requests.Session() as session,
        pytest.raises(RuntimeError, match="disk"),
    ):
        bounded_request(session, "POST", url, data=_Broken(b"x"), max_bytes=10, timeout=5)
    assert time.monotonic() - started < 2

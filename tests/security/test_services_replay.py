"""Mutated replays of a whole demo run against its services (docs/security.md, HTTP).

The demo's scenario runs once on loopback while every request it makes (token grants, KRR and
SMP lookups, the SMP write API, ``POST /messages/out``, the AS4 messages between the corners,
deliveries, receipts, polling) is recorded, streamed bodies included. Then each replay takes one
recorded request, changes one thing (bytes of the body, a header value, the path, the method,
a header dropped) and sends it on a keep-alive connection to the same service. Whatever comes
in, a service answers with its own refusal: never a 5xx of its own making (a bug), and never
an answer that leaves the connection out of step (the answer to HEAD carried a body, which the
next request on that connection read as its status line).

``PEPPOL_DPI_REPLAYS`` sets how many requests are replayed (default 300; the HEAD bug took
about 2,000 to find by chance, so HEAD is also replayed on purpose below).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from peppol_dpi.demo.flow import run_scenario
from peppol_dpi.demo.network import Network
from peppol_dpi.demo.transcript import Transcript

REPLAYS = int(os.environ.get("PEPPOL_DPI_REPLAYS", "300"))
_INSERTS = (b"\x00", b"\xff", b"%", b"\r\n", b"--", b'"', b"{", b"[", b"\xc3", b";", b"\\")


@dataclass(frozen=True)
class Recorded:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


@pytest.fixture(scope="module")
def recorded() -> Iterator[list[Recorded]]:
    """The demo's requests (its network kept running for the replays)."""
    seen: list[Recorded] = []
    send = HTTPAdapter.send

    def recording(adapter: HTTPAdapter, request: requests.PreparedRequest, **kw: Any) -> Any:
        body = request.body
        if body is not None and not isinstance(body, bytes | str):
            # A streamed body: gathered and sent whole, the same bytes, so it can be replayed.
            body = body.read() if hasattr(body, "read") else b"".join(body)  # type: ignore[arg-type]
            request.body = body
            request.headers.pop("Transfer-Encoding", None)
            request.headers["Content-Length"] = str(len(body))
        data = body.encode() if isinstance(body, str) else (body or b"")
        seen.append(
            Recorded(request.method or "GET", request.url or "", dict(request.headers), data)
        )
        return send(adapter, request, **kw)

    network = Network(transcript=Transcript()).start()
    try:
        clients = network.setup()
        HTTPAdapter.send = recording  # type: ignore[method-assign]
        try:
            outcome = run_scenario(network, clients)
        finally:
            HTTPAdapter.send = send  # type: ignore[method-assign]
        assert outcome.ok
        yield seen
    finally:
        network.stop()


def _mutated(data: bytes, rnd: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        choice = rnd.random()
        at = rnd.randrange(len(out) + 1)
        if choice < 0.3 and out:
            out[min(at, len(out) - 1)] = rnd.randrange(256)
        elif choice < 0.5:
            del out[at : at + rnd.randint(1, 64)]
        elif choice < 0.75:
            out[at:at] = rnd.choice(_INSERTS)
        elif choice < 0.9 and out:
            start = rnd.randrange(len(out))
            out[at:at] = out[start : start + rnd.randint(1, 200)]
        else:
            del out[at:]
    return bytes(out)


def _header_value(value: str, rnd: random.Random) -> str:
    # What a client can send at all: Latin-1, no line breaks.
    text = _mutated(value.encode("latin-1", "replace"), rnd).decode("latin-1")
    return text.replace("\r", "").replace("\n", "")


def _replay(base: Recorded, rnd: random.Random) -> Recorded:
    method, url, headers, body = base.method, base.url, dict(base.headers), base.body
    headers.pop("Content-Length", None)
    choice = rnd.random()
    if choice < 0.45:
        body = _mutated(body, rnd)
    elif choice < 0.6 and headers:
        name = rnd.choice(sorted(headers))
        headers[name] = _header_value(headers[name], rnd)
    elif choice < 0.7:
        scheme_host, _, path = url.partition("://")[2].partition("/")
        url = f"http://{scheme_host}/" + _header_value(path, rnd).replace(" ", "%20")
    elif choice < 0.8:
        method = rnd.choice(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
    elif headers:
        del headers[rnd.choice(sorted(headers))]
    return Recorded(method, url, headers, body)


def _answer(session: requests.Session, request: Recorded) -> int | None:
    """The status a service gave ``request``, then a GET on the same connection (it must be
    in step); None when the client library refused to send it."""
    try:
        answer = session.request(
            request.method, request.url, headers=request.headers, data=request.body, timeout=30
        )
    except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError):
        return None  # refused by requests itself: never sent
    origin = request.url.split("/", 3)
    follow = session.get("/".join(origin[:3]) + "/", timeout=30)  # raises if out of step
    assert follow.status_code < 500, (request.url, follow.status_code)
    return answer.status_code


def test_mutated_replays_get_refusals_never_a_server_error(recorded: list[Recorded]) -> None:
    rnd = random.Random(8)
    failures: list[tuple[str, str, int]] = []
    with requests.Session() as session:
        session.trust_env = False  # loopback only
        for _ in range(REPLAYS):
            replay = _replay(rnd.choice(recorded), rnd)
            status = _answer(session, replay)
            if status is not None and status >= 500 and status not in (502, 503, 504):
                failures.append((replay.method, replay.url, status))
    assert failures == []


def test_head_on_every_recorded_route_keeps_the_connection_in_step(
    recorded: list[Recorded],
) -> None:
    routes = {r.url.split("?")[0]: _without_body_fields(r.headers) for r in recorded}
    with requests.Session() as session:
        session.trust_env = False
        for url, headers in sorted(routes.items()):
            head = session.head(url, headers=headers, timeout=30)
            assert head.content == b""
            assert _answer(session, Recorded("GET", url, headers, b"")) is not None


def _without_body_fields(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in ("content-length", "content-type")}

"""A large letter through both access points: the Python heap of each step stays well below
the package's size (issue 8; docs/performance.md has the measured figures).

Each step is wrapped to read the tracemalloc peak above what was held when it began: corner 2's
``POST /messages/out``, its wrap and AS4 build, corner 3's AS4 handler (open, unwrap, keep,
receipt, commit) and its delivery to corner 4. Before the DPI payload streamed, these were 3 to
5 times the package; now they are its pieces and the in-memory part of the spools.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from transport_doubles import RecordingCorner4
from transport_harness import Flow, Sender, wait_for

from peppol_dpi.spool import copy_chunks, spool
from peppol_dpi.transport import corner2, inbox, worker
from peppol_dpi.transport.form_data import FilePart, read_form_data
from peppol_dpi.transport.http import Request, Response

MiB = 1024 * 1024
PACKAGE_BYTES = 32 * MiB
#: Generous: the spools keep up to 8 MiB in memory, reads are 1 MiB, and the step's thread
#: shares the heap with the others; the bytes path needed several times the package.
BOUND = PACKAGE_BYTES * 3 // 4

STEPS: dict[str, tuple[Any, str]] = {
    "corner 2: POST /messages/out": (corner2.Corner2Api, "_post_message"),
    "corner 2: wrap and build": (worker.OutboundWorker, "_build"),
    "corner 3: AS4 handler": (inbox.As4Inbox, "__call__"),
    "corner 3: delivery to corner 4": (worker.DeliveryWorker, "_deliver"),
}


class _SpoolingCorner4(RecordingCorner4):
    """Keeps the package's digest, not the package: only corner 3's side is measured."""

    def _handle(self, request: Request) -> Response:
        with spool(None) as package:
            request.body_file.seek(0)
            form = read_form_data(
                request.header("Content-Type"),
                request.body_file,
                files={"dokumentpakke": FilePart(sink=package, max_bytes=64 * MiB)},
                max_part_bytes=MiB,
            )
            package.seek(0)
            digest = hashlib.sha256()
            for piece in copy_chunks(package):
                digest.update(piece)
        key = request.header("Idempotency-Key") or ""
        with self.lock:
            self.posts[key] += 1
            jws = form.values["forretningsmelding"].decode()
            self.delivered.setdefault(key, (jws, digest.digest()))
        return Response(status=200)


def _measured(name: str, peaks: dict[str, int], lock: threading.Lock, fn: Callable[..., Any]) -> Any:  # fmt: skip
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with lock:
            start = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
        try:
            return fn(*args, **kwargs)
        finally:
            peaks[name] = max(peaks.get(name, 0), tracemalloc.get_traced_memory()[1] - start)

    return wrapper


@pytest.fixture
def traced():
    tracemalloc.start()
    yield
    tracemalloc.stop()


def test_a_large_letter_is_never_held_whole(tmp_path, monkeypatch, traced) -> None:
    peaks: dict[str, int] = {}
    lock = threading.Lock()
    for name, (owner, method) in STEPS.items():
        monkeypatch.setattr(owner, method, _measured(name, peaks, lock, getattr(owner, method)))
    flow = Flow(tmp_path, corner4=_SpoolingCorner4())
    try:
        package = b"\x30\x80" + os.urandom(PACKAGE_BYTES - 2)
        sender = Sender(flow.keys, flow.c2.url)
        response, message_id = sender.post(package)
        assert response.status_code == 201, response.text
        wait_for(lambda: message_id in flow.corner4.delivered, timeout=120, what="delivery")
        assert flow.corner4.delivered[message_id][1] == hashlib.sha256(package).digest()
    finally:
        flow.stop()
    assert set(peaks) == set(STEPS)
    assert {name: peak for name, peak in peaks.items() if peak > BOUND} == {}, {
        name: f"{peak / MiB:.1f} MiB" for name, peak in peaks.items()
    }

"""A large letter through both access points to the reference mailbox: the Python heap of each
step stays well below the package's size (issue 8; docs/performance.md has the measured figures).

Each step is wrapped to read the tracemalloc peak above what was held when it began: corner 2's
``POST /messages/out``, its wrap and AS4 build, corner 3's AS4 handler (open, unwrap, keep,
receipt, commit) and its delivery to corner 4, which includes the reference mailbox
(``services.mailbox``, in this process) reading the request and making every corner 4 check:
fingerprint, decryption, XAdES and the documents' digests. Before the DPI payload streamed,
these were 3 to 5 times the package; now they are its pieces and the in-memory part of the spools.
"""

from __future__ import annotations

import functools
import os
import threading
import tracemalloc
from collections.abc import Callable
from typing import Any

import pki
import pytest
from transport_doubles import MAILBOX_ORG, SENDER_ORG, utcnow
from transport_harness import Flow, Keys, Sender, wait_for

from peppol_dpi.dpi.asic import Document
from peppol_dpi.dpi.sender import DigitalRecipient, send_digital
from peppol_dpi.dpi.sender import Sender as DpiSender
from peppol_dpi.ids import ParticipantId
from peppol_dpi.services.base import serve_wsgi_in_thread
from peppol_dpi.services.mailbox import MailboxService
from peppol_dpi.transport import corner2, inbox, worker
from peppol_dpi.transport.auth import StaticJwks

MiB = 1024 * 1024
PACKAGE_BYTES = 32 * MiB
#: Generous: the spools keep up to 8 MiB in memory, reads are 1 MiB, and the step's thread
#: shares the heap with the others; the bytes path needed several times the package.
BOUND = PACKAGE_BYTES * 3 // 4

STEPS: dict[str, tuple[Any, str]] = {
    "corner 2: POST /messages/out": (corner2.Corner2Api, "_post_message"),
    "corner 2: wrap and build": (worker.OutboundWorker, "_build"),
    "corner 3: AS4 handler": (inbox.As4Inbox, "__call__"),
    # The mailbox runs in this process: its handling is inside this step's peak.
    "corner 3: delivery to corner 4, and corner 4's checks": (worker.DeliveryWorker, "_deliver"),
}


class _Mailbox:
    """The reference mailbox (services.mailbox) as the flow's corner 4; receipts stay queued."""

    def __init__(self, keys: Keys) -> None:
        self.service = MailboxService(
            organisation=ParticipantId.norwegian(MAILBOX_ORG),
            key=keys.mailbox,
            trust=pki.business_trust(),
            maskinporten=StaticJwks(keys.maskinporten.jwks),
            maskinporten_issuer=keys.maskinporten.issuer,
            receipts_url="",
            clock=utcnow,
        )
        self.running = serve_wsgi_in_thread(self.service.app)
        self.url = self.running.url + "/deliveries"

    def stop(self) -> None:
        self.running.stop()


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
    keys = Keys.make()
    mailbox = _Mailbox(keys)
    flow = Flow(tmp_path, corner4=mailbox)  # type: ignore[arg-type]
    try:
        document = os.urandom(PACKAGE_BYTES)  # incompressible: the package is as large
        token = keys.maskinporten.token()
        parts = send_digital(
            sender=DpiSender(key=keys.sender, organisation=ParticipantId.norwegian(SENDER_ORG)),
            recipient=DigitalRecipient(
                postkasseadresse="ola.nordmann#9YDT",
                provider=ParticipantId.norwegian(MAILBOX_ORG),
                certificate=keys.mailbox.certificate,
            ),
            documents=(Document(name="vedtak.pdf", content=document, title="Vedtak"),),
            token=token,
            title="Vedtak",
            created=utcnow(),
        )
        del document
        assert len(parts.dokumentpakke) > PACKAGE_BYTES
        message_id = str(parts.message_id)
        response = Sender(keys, flow.c2.url).post_parts(
            parts.forretningsmelding.decode(), parts.dokumentpakke, token=token
        )
        assert response.status_code == 201, response.text
        del parts
        store = mailbox.service.store
        wait_for(lambda: store.letter(message_id) is not None, timeout=120, what="delivery")
        letter = store.letter(message_id)
        assert letter is not None and letter.documents == (
            ("vedtak.pdf", "application/pdf", PACKAGE_BYTES),
        )
        assert store.refused() == {}
    finally:
        flow.stop()
    assert set(peaks) == set(STEPS)
    assert {name: peak for name, peak in peaks.items() if peak > BOUND} == {}, {
        name: f"{peak / MiB:.1f} MiB" for name, peak in peaks.items()
    }

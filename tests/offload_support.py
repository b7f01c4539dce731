"""Putting the offload worker (peppol_dpi/offload.py) in a known state for a test."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType

import pytest

from peppol_dpi import offload

#: Seconds: far beyond any hand-over; reached only when something is stuck.
WAIT = 10

#: The worker runs only on a machine whose process may use two cores (CI's has two).
needs_two_cores = pytest.mark.skipif(
    not offload._worker.parallel, reason="one usable core: offload works in line there"
)


def wait_until_idle() -> None:
    """Wait until the worker has finished what it was given (it is handed work only then)."""
    deadline = time.monotonic() + WAIT
    while not offload._worker.idle():
        assert time.monotonic() < deadline, "the worker stayed busy"
        time.sleep(0.001)


@contextmanager
def worker_held() -> Iterator[threading.Event]:
    """The worker held by another caller's work until the block ends or the yielded event is
    set."""
    wait_until_idle()
    release, began = threading.Event(), threading.Event()
    held = offload.offload(
        lambda: "held" if began.set() or release.wait(WAIT) else "timed out",
        size=offload.MIN_BYTES,
    )
    assert began.wait(WAIT)
    try:
        yield release
    finally:
        release.set()
        assert held.result() == "held"
        wait_until_idle()


def begun_on_the_worker(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> list[str]:
    """Make all work that ``module`` hands over (through its name ``offload``) begin on the
    worker before its caller goes on, so that the worker's way is the one tested; the threads
    it ran on are listed."""
    threads: list[str] = []
    real = offload.offload

    def begun_first(
        work: Callable[[], object], *, size: int, kind: str = ""
    ) -> offload.Offloaded[object]:
        began = threading.Event()

        def run() -> object:
            threads.append(threading.current_thread().name)
            began.set()
            return work()

        wait_until_idle()
        pending = real(run, size=size, kind=kind)
        if offload.worth_offloading(size):
            assert began.wait(WAIT)
        return pending

    monkeypatch.setattr(module, "offload", begun_first)
    # Waited for however busy the machine is: what a stalled worker leaves to its caller is
    # test_offload.py's to check, not the outcome tests'.
    monkeypatch.setattr(offload, "_GRACE_SECONDS", WAIT)
    return threads

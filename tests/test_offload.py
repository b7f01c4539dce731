"""offload: work on a second core, never waited for behind someone else's.

What the module promises (peppol_dpi/offload.py): work below MIN_BYTES, or on a machine with
one usable core, is done in line by result(); larger work runs on the one worker thread; a
result asked for before the worker began is taken back and done by the caller; exceptions
reach the caller either way; a forked child gets a worker of its own.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import weakref
from collections.abc import Callable

import pytest
from offload_support import WAIT, needs_two_cores, wait_until_idle

from peppol_dpi import offload
from peppol_dpi.offload import MIN_BYTES

pytestmark = needs_two_cores


def _thread_name() -> str:
    return threading.current_thread().name


def _started(work: Callable[[], str]) -> tuple[Callable[[], str], threading.Event]:
    began = threading.Event()

    def run() -> str:
        began.set()
        return work()

    return run, began


def test_small_work_is_done_in_line_when_its_result_is_asked_for() -> None:
    ran: list[str] = []
    pending = offload.offload(lambda: ran.append(_thread_name()) or "done", size=MIN_BYTES - 1)
    assert ran == []  # nothing yet: in line means when result() is called
    assert pending.result() == "done"
    assert ran == [_thread_name()]


def test_large_work_runs_on_the_worker_thread() -> None:
    wait_until_idle()
    work, began = _started(_thread_name)
    pending = offload.offload(work, size=MIN_BYTES)
    assert began.wait(WAIT)  # begun by the worker before the result is asked for
    name = pending.result()
    assert name.startswith("peppol-dpi-offload") and name != _thread_name()


def test_the_caller_does_the_work_when_the_worker_is_busy(worker_busy: threading.Event) -> None:
    # The worker is held; waiting for it would take WAIT seconds.
    pending = offload.offload(_thread_name, size=10 * MIN_BYTES)
    assert pending.result() == _thread_name()


def test_a_worker_put_aside_is_not_waited_for() -> None:
    # The worker begins the work and then stalls (as when the scheduler gives its core to
    # another process): the caller waits only as long as the work should take, then does it
    # itself; what the worker makes of it later is dropped.
    wait_until_idle()
    release, began = threading.Event(), threading.Event()

    def work() -> str:
        if threading.current_thread().name.startswith("peppol-dpi-offload"):
            began.set()
            release.wait(WAIT)
            return "the worker's, late"
        return "the caller's"

    pending = offload.offload(work, size=MIN_BYTES)
    assert began.wait(WAIT)
    started = time.monotonic()
    assert pending.result() == "the caller's"
    assert time.monotonic() - started < WAIT / 2
    release.set()
    wait_until_idle()


def test_the_worker_s_speed_is_kept_for_each_kind_of_work(monkeypatch: pytest.MonkeyPatch) -> None:
    # A caller waits as long as work of its kind takes the worker: fast work of another kind
    # in between must not make it give up on slow work the worker is doing well.
    monkeypatch.setattr(offload._worker, "rates", {})

    def slow(seconds: float) -> Callable[[], str]:
        def work() -> str:
            time.sleep(seconds)
            return _thread_name()

        return work

    for kind, timed in (("slow", slow(0.2)), ("fast", _thread_name)):
        wait_until_idle()
        work, began = _started(timed)
        pending = offload.offload(work, size=MIN_BYTES, kind=kind)
        assert began.wait(WAIT)
        pending.result()
        wait_until_idle()  # timed by the worker, whoever's result was taken
    assert offload._worker.rate("slow") < MIN_BYTES / 0.2
    assert offload._worker.rate("fast") > 100 * offload._worker.rate("slow")
    wait_until_idle()
    work, began = _started(slow(0.02))
    pending = offload.offload(work, size=MIN_BYTES, kind="slow")
    assert began.wait(WAIT)
    assert pending.result().startswith("peppol-dpi-offload")  # waited for, not done again


def test_work_the_worker_has_not_begun_is_taken_back(worker_busy: threading.Event) -> None:
    # Queued behind the held work (handed over by hand: offload itself would not, the worker
    # being busy), then asked for: done here, and skipped by the worker when it gets to it.
    ran: list[str] = []
    pending = offload.Offloaded(lambda: ran.append(_thread_name()) or "done")
    offload._worker.submit(pending)
    assert pending.result() == "done"
    worker_busy.set()
    wait_until_idle()
    assert ran == [_thread_name()]


class _Input(bytearray):
    """A bytearray that can be referenced weakly."""


def test_nothing_of_the_work_outlives_its_result() -> None:
    # A queued item that was taken back must not keep a large input alive.
    for size in (1, MIN_BYTES):
        wait_until_idle()
        big = _Input(1024)
        alive = weakref.ref(big)
        pending = offload.offload(lambda big=big: len(big), size=size)
        del big
        assert pending.result() == 1024
        wait_until_idle()
        gc.collect()
        assert alive() is None, f"size {size}: the input outlived the result"


def test_an_exception_reaches_the_caller_from_the_worker_and_in_line(
    worker_busy: threading.Event,
) -> None:
    def fail() -> str:
        raise ValueError(_thread_name())

    with pytest.raises(ValueError) as in_line:
        offload.offload(fail, size=1).result()
    assert str(in_line.value) == _thread_name()
    with pytest.raises(ValueError) as taken_back:  # the worker is busy: done here
        offload.offload(fail, size=MIN_BYTES).result()
    assert str(taken_back.value) == _thread_name()
    worker_busy.set()
    wait_until_idle()
    work, began = _started(fail)  # type: ignore[arg-type]
    pending = offload.offload(work, size=MIN_BYTES)
    assert began.wait(WAIT)
    with pytest.raises(ValueError) as on_worker:
        pending.result()
    assert str(on_worker.value).startswith("peppol-dpi-offload")


def test_asking_again_gives_the_same_answer(worker_busy: threading.Event) -> None:
    # In line (small, and with the worker busy) and on the worker: a second result() returns
    # the first one's value or raises its exception, without running the work again.
    runs: list[str] = []

    def work() -> int:
        runs.append(_thread_name())
        return len(runs)

    def fail() -> int:
        raise ValueError("once")

    for size in (1, MIN_BYTES):
        pending = offload.offload(work, size=size)
        assert pending.result() == pending.result() == len(runs)
        failing = offload.offload(fail, size=size)
        for _ in range(2):
            with pytest.raises(ValueError, match="once"):
                failing.result()
    worker_busy.set()
    wait_until_idle()
    pending = offload.offload(work, size=MIN_BYTES)
    first = pending.result()
    assert pending.result() == first == len(runs) == 3


def test_with_one_usable_core_everything_is_done_in_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offload._worker, "parallel", False)
    ran: list[str] = []
    pending = offload.offload(lambda: ran.append(_thread_name()) or "done", size=100 * MIN_BYTES)
    assert ran == []
    assert pending.result() == "done" and ran == [_thread_name()]


def test_many_callers_at_once_each_get_their_own_result() -> None:
    results: dict[int, list[int]] = {}

    def caller(n: int) -> None:
        results[n] = [
            offload.offload(lambda i=i: n * 1000 + i, size=MIN_BYTES).result() for i in range(50)
        ]

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert results == {n: [n * 1000 + i for i in range(50)] for n in range(6)}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_a_forked_child_gets_a_worker_of_its_own() -> None:
    # The parent's worker thread exists before the fork; in the child, the copy of its queue
    # would take the work and no thread would ever run it (the alarm ends a child that hangs).
    wait_until_idle()
    work, began = _started(_thread_name)
    offload.offload(work, size=MIN_BYTES).result()
    assert began.is_set()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's outcome is its exit status
        code = 1
        try:
            import signal

            signal.alarm(WAIT)
            work, began = _started(_thread_name)
            pending = offload.offload(work, size=MIN_BYTES)
            if began.wait(WAIT) and pending.result().startswith("peppol-dpi-offload"):
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0

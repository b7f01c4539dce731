"""Work done on a second core while the calling thread goes on with its own.

Some steps of opening a message need each other's input but not each other's output: the
decompression of a decrypted payload, and the check of its attachment digest and the read of
its SBDH from its first kilobytes, read the same bytes and neither waits for the other. The
decompression runs in C with the GIL released (ISA-L's inflate, as hashlib does for more than
2 KB), so on a machine with two cores they can run at once, even the other's Python:
:func:`offload` hands one to a worker thread and returns at once; :meth:`Offloaded.result`
waits for it.

The caller never waits behind someone else's work, nor for a worker the scheduler has put
aside. Work is handed over only while the worker is idle; a result asked for before the worker
has begun it is taken back and computed by the caller itself; and work the worker has begun is
waited for only as long as it should take at the worker's measured speed for work of its kind,
plus 0.1 ms: a worker stalled beyond that (another process on its core, a hypervisor's stolen
time) leaves the caller to do the work itself. So offloading costs at most the hand-over
(waking the idle worker: 10-20 us on the project's machine, docs/performance-history.md) and,
when the worker stalls, that wait. Work below :data:`MIN_BYTES`, and all of it where the
process may use one core only, is done in line when its result is asked for. The work is
dropped once it has run, so that nothing of the input outlives the result.

The worker is one daemon thread per process, started on first use; a child made by ``fork``
starts its own (a worker thread does not survive the fork).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, Generic, TypeVar

__all__ = ["MIN_BYTES", "Offloaded", "active", "offload", "usable_cores", "worth_offloading"]

T = TypeVar("T")

#: Below this many bytes of input the work is done in line: handing it over costs more than
#: it saves (SHA-256 runs at about 2 GB/s, so 128 KiB take some 60 us).
MIN_BYTES = 128 * 1024


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return os.cpu_count() or 1


#: Bytes a second the worker is assumed to get through before it has timed a job of its own.
_FIRST_RATE = 1e9
#: Time allowed beyond the expected run before a caller stops waiting for the worker.
_GRACE_SECONDS = 100e-6


class _Worker:
    """The process's one worker thread, started on first use, taking work from a queue."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: SimpleQueue[Offloaded[Any]] | None = None
        self.running = False
        self.parallel = usable_cores() > 1
        #: Bytes a second of the jobs of each kind it ran (the first, then the fastest,
        #: drifting down to slower ones): kinds of work get through a byte at their own speeds.
        self.rates: dict[str, float] = {}

    def idle(self) -> bool:
        """Nothing running or queued (racy, and only a hint: work the worker has not begun
        is taken back by its caller anyway)."""
        queue = self._queue
        return not self.running and (queue is None or queue.empty())

    def submit(self, work: Offloaded[Any]) -> None:
        queue = self._queue
        if queue is None:
            with self._lock:
                if self._queue is None:
                    self._queue = SimpleQueue()
                    threading.Thread(
                        target=self._serve,
                        args=(self._queue,),
                        name="peppol-dpi-offload",
                        daemon=True,
                    ).start()
                queue = self._queue
        queue.put(work)

    def _serve(self, queue: SimpleQueue[Offloaded[Any]]) -> None:
        while True:
            work = queue.get()
            self.running = True
            elapsed = work._run_by_worker()
            if elapsed is not None and elapsed > 0:
                rate, known = work.size / elapsed, self.rates.get(work.kind)
                if known is not None and rate < known:  # drifting down from the fastest
                    rate = 0.9 * known + 0.1 * rate
                self.rates[work.kind] = rate
            self.running = False

    def rate(self, kind: str) -> float:
        """Bytes a second the worker gets through in work of ``kind``."""
        return self.rates.get(kind, _FIRST_RATE)

    def forget(self) -> None:
        """In a child made by ``fork``: the parent's thread is not there to serve the queue."""
        self._lock = threading.Lock()
        self._queue = None
        self.running = False


_worker = _Worker()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_worker.forget)


class Offloaded(Generic[T]):
    """Work handed to the worker, or left to be done in line: :meth:`result` is its value.

    Whoever claims the work first runs it: the worker when it gets to it, or :meth:`result`
    when the worker has not (``list.pop`` on the one-element claim is atomic). A caller waits
    for work the worker has begun only as long as the worker should need for it (its measured
    rate for work of that kind) and a grace of 0.1 ms: a worker the scheduler has put aside (another process on
    that core, a hypervisor's stolen time) is not waited for; the caller does the work itself
    and the worker's result is dropped. The work is dropped once it has run, so that nothing
    of the input outlives the result."""

    __slots__ = ("_claim", "_done", "_error", "_started", "_value", "_work", "kind", "size")

    def __init__(self, work: Callable[[], T], *, size: int = 0, kind: str = "") -> None:
        self._work: Callable[[], T] | None = work
        self.size, self.kind = size, kind
        self._claim = [True]
        self._done = threading.Lock()
        self._done.acquire()  # released by the worker when it has run the work
        self._started = 0.0
        self._value: T | None = None
        self._error: BaseException | None = None

    def _take(self) -> bool:
        try:
            self._claim.pop()
        except IndexError:
            return False
        return True

    def _run_by_worker(self) -> float | None:
        """Run the work unless its caller took it back; the seconds it took."""
        self._started = started = time.perf_counter()  # before the claim: result() reads it
        if not self._take():
            return None  # taken back by result()
        work = self._work
        assert work is not None
        try:
            self._value = work()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            del work
            self._work = None
            self._done.release()
        return time.perf_counter() - started

    def result(self) -> T:
        """The work's value (or its exception): computed here unless the worker has begun it
        and finishes it in the time it should take."""
        if self._take():  # small, no second core, the worker busy elsewhere or not yet there
            work, self._work = self._work, None
            assert work is not None
            try:
                self._value = work()
            except BaseException as exc:
                self._error = exc
            self._done.release()  # so that asking again gives the same answer
        else:
            # At least the grace: a worker done with its C part may only be waiting for the
            # GIL, which this thread holds until it waits here.
            expected = self.size / _worker.rate(self.kind)
            patience = self._started + expected - time.perf_counter()
            if not self._done.acquire(timeout=max(patience, 0.0) + _GRACE_SECONDS):
                work = self._work
                if work is not None:  # the worker is still at it: do it here, drop its result
                    return work()
                self._done.acquire()  # it finished just now
            self._done.release()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def active() -> bool:
    """Whether work of :data:`MIN_BYTES` or more goes to the worker: the process may use a
    second core (``os.sched_getaffinity``; ``taskset -c 0`` makes it False)."""
    return _worker.parallel


def worth_offloading(size: int) -> bool:
    """Whether :func:`offload` would hand work reading ``size`` bytes to the worker (when it
    is idle): a caller may then skip making the work at all."""
    return size >= MIN_BYTES and _worker.parallel


def offload(work: Callable[[], T], *, size: int, kind: str = "") -> Offloaded[T]:
    """Start ``work`` (which reads ``size`` bytes) on the worker thread when it is idle; small
    work, or any where there is no second core or the worker is busy, is left for
    :meth:`Offloaded.result` to do in line. ``kind`` names what the work does: the worker's
    speed is measured for each kind, and a caller waits as long as work of its kind takes.
    ``work`` must be safe to run in another thread, and twice at once (the caller may do it
    while the worker still does), and must not need the caller's locks."""
    offloaded = Offloaded(work, size=size, kind=kind)
    worker = _worker
    if worth_offloading(size) and worker.idle():
        worker.submit(offloaded)
    return offloaded

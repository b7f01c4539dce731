"""Work done on a second core while the calling thread goes on with its own.

Some steps of opening a message need each other's input but not each other's output: the
digest of a decrypted attachment and its decompression both read the same bytes, and neither
waits for the other. Both run in C with the GIL released (hashlib for more than 2 KB, ISA-L's
inflate), so on a machine with two cores they can run at once: :func:`offload` hands one to a
worker thread and returns at once; :meth:`Offloaded.result` waits for it.

The caller never waits behind someone else's work. Work is handed over only while the worker
is idle, and a result asked for before the worker has begun it is taken back and computed by
the caller itself, so offloading costs at most the hand-over over doing the work in line
(waking the idle worker: 10-20 us on the project's machine, docs/performance-history.md).
Work below :data:`MIN_BYTES`, and all of it where the process may use one core only, is done
in line when its result is asked for. Whoever runs the work drops it, so that an item left in
the queue holds none of the input.

The worker is one daemon thread per process, started on first use; a child made by ``fork``
starts its own (a worker thread does not survive the fork).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, Generic, TypeVar

__all__ = ["MIN_BYTES", "Offloaded", "offload"]

T = TypeVar("T")

#: Below this many bytes of input the work is done in line: handing it over costs more than
#: it saves (SHA-256 runs at about 2 GB/s, so 128 KiB take some 60 us).
MIN_BYTES = 128 * 1024


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return os.cpu_count() or 1


class _Worker:
    """The process's one worker thread, started on first use, taking work from a queue."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: SimpleQueue[Offloaded[Any]] | None = None
        self.running = False
        self.parallel = _usable_cores() > 1

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
            work._run_by_worker()
            self.running = False

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
    when the worker has not (``list.pop`` on the one-element claim is atomic). Whoever
    claims it drops it afterwards, so that work left in the queue holds none of its input."""

    __slots__ = ("_claim", "_done", "_error", "_value", "_work")

    def __init__(self, work: Callable[[], T]) -> None:
        self._work: Callable[[], T] | None = work
        self._claim = [True]
        self._done = threading.Lock()
        self._done.acquire()  # released by the worker when it has run the work
        self._value: T | None = None
        self._error: BaseException | None = None

    def _claimed(self) -> Callable[[], T] | None:
        """The work, for whoever claims it first; None for anyone after."""
        try:
            self._claim.pop()
        except IndexError:
            return None
        work, self._work = self._work, None
        return work

    def _run_by_worker(self) -> None:
        work = self._claimed()
        if work is None:
            return  # taken back by result()
        try:
            self._value = work()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            del work  # nothing of the work outlives it here
            self._done.release()

    def result(self) -> T:
        """The work's value (or its exception), computed here unless the worker has begun it.

        Called once."""
        work = self._claimed()
        if work is not None:  # small, no second core, or the worker busy elsewhere
            return work()
        with self._done:  # begun on the worker: wait for it
            pass
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def offload(work: Callable[[], T], *, size: int) -> Offloaded[T]:
    """Start ``work`` (which reads ``size`` bytes) on the worker thread when it is idle; small
    work, or any where there is no second core or the worker is busy, is left for
    :meth:`Offloaded.result` to do in line. ``work`` must be safe to run in another thread
    and must not need the caller's locks."""
    offloaded = Offloaded(work)
    worker = _worker
    if size >= MIN_BYTES and worker.parallel and worker.idle():
        worker.submit(offloaded)
    return offloaded

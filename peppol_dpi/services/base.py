"""Running a service in a thread: the handle returned by every ``serve_*`` helper."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from waitress.server import create_server

__all__ = ["RunningService", "WsgiApp", "serve_wsgi_in_thread"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


@dataclass(frozen=True, kw_only=True)
class RunningService:
    """A service running in a background thread: where it listens and how to stop it."""

    url: str  # "http://127.0.0.1:PORT" for HTTP services, "127.0.0.1:PORT" for DNS
    host: str
    port: int
    _stop: Callable[[], None] = field(repr=False)

    def stop(self) -> None:
        self._stop()

    def __enter__(self) -> RunningService:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_wsgi_in_thread(app: WsgiApp, *, host: str = "127.0.0.1", port: int = 0) -> RunningService:
    """Serve ``app`` with waitress on ``host:port`` (0 = a free port) in a daemon thread."""
    server: Any = create_server(app, host=host, port=port, threads=4, ident="peppol-dpi")
    bound_port = int(server.effective_port)
    stopping = threading.Event()

    def run() -> None:
        # waitress' own run() loops forever; closing its sockets from another thread races
        # with select(). Loop here in short steps and close everything in this thread.
        while not stopping.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)
        for channel in list(server._map.values()):
            channel.close()
        server.task_dispatcher.shutdown(timeout=1)

    thread = threading.Thread(target=run, name=f"wsgi-{bound_port}", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(timeout=5)

    return RunningService(url=f"http://{host}:{bound_port}", host=host, port=bound_port, _stop=stop)

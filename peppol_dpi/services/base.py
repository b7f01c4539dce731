"""Running a service in a thread: the handle returned by every ``serve_*`` helper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from ..wsgiserver import ThreadedWsgiServer, WsgiApp

__all__ = ["RunningService", "WsgiApp", "serve_wsgi_in_thread"]


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
    server = ThreadedWsgiServer(app, host=host, port=port)
    server.start()
    return RunningService(url=server.url, host=host, port=server.port, _stop=server.stop)

"""One way to serve a WSGI application in a thread: waitress, stopped without races.

waitress' own ``run()`` loops forever and its sockets cannot safely be closed from another
thread (the running ``select()`` then fails on a closed descriptor). Here the server loop runs
in short steps in its own thread and checks a stop flag; everything is closed in that same
thread once the flag is set. Used by the reference transport and the local services.

waitress reads every request body whole (to a temporary file beyond 512 KiB) before the
application sees the request, up to 1 GiB by default, chunked or not. So the server refuses
(413) a body larger than the application takes: a :class:`LimitedApp` says how large that is;
any other application gets :data:`DEFAULT_MAX_BODY_BYTES`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waitress.server import create_server

from .errors import UsageError

__all__ = ["DEFAULT_MAX_BODY_BYTES", "LimitedApp", "ThreadedWsgiServer", "WsgiApp", "body_limit"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]

#: The largest request body served to an application that does not say (the services read
#: bodies of up to 8 MiB into memory).
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class LimitedApp:
    """A WSGI application and the largest request body it takes, for its server to enforce."""

    app: WsgiApp
    max_body_bytes: int

    def __post_init__(self) -> None:
        if self.max_body_bytes < 0:
            raise UsageError("max_body_bytes must not be negative")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app(environ, start_response)


def body_limit(app: object) -> int:
    """The largest request body ``app`` takes (:class:`LimitedApp`), or the default."""
    return app.max_body_bytes if isinstance(app, LimitedApp) else DEFAULT_MAX_BODY_BYTES


_STEP_SECONDS = 0.05


class ThreadedWsgiServer:
    """A waitress server bound at construction (``port`` 0 = a free port); bodies larger than
    the application takes (:func:`body_limit`) are refused before they are read."""

    def __init__(
        self, app: WsgiApp, *, host: str = "127.0.0.1", port: int = 0, threads: int = 4
    ) -> None:
        self.host = host
        self._server: Any = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="peppol-dpi",
            clear_untrusted_proxy_headers=True,
            max_request_body_size=body_limit(app),
        )
        self.port = int(self._server.effective_port)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` is called from another one."""
        server = self._server
        try:
            while not self._stopping.is_set():
                server.asyncore.loop(timeout=_STEP_SECONDS, map=server._map, count=1)
        finally:
            for channel in list(server._map.values()):
                channel.close()
            server.task_dispatcher.shutdown(timeout=5)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, name=f"wsgi-{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        elif not self._server._map:
            return
        else:  # never started: close the listening socket here
            for channel in list(self._server._map.values()):
                channel.close()

"""One way to serve a WSGI application in a thread: waitress, stopped without races.

waitress' own ``run()`` loops forever and its sockets cannot safely be closed from another
thread (the running ``select()`` then fails on a closed descriptor). Here the server loop runs
in short steps in its own thread and checks a stop flag; everything is closed in that same
thread once the flag is set. Used by the reference transport and the local services.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from waitress.server import create_server

__all__ = ["ThreadedWsgiServer", "WsgiApp"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]

_STEP_SECONDS = 0.05


class ThreadedWsgiServer:
    """A waitress server bound at construction (``port`` 0 = a free port)."""

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

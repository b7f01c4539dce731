"""Running the services: waitress serving the WSGI application, plus the workers.

:func:`corner2_service` and :func:`corner3_service` assemble a service from its parts (the
store and the protocol implementations of :mod:`.ports`) and return a :class:`Service` to
``start`` and ``stop``. Start order: store, workers, HTTP; stop order: HTTP, workers, store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from ..arguments import require_callable, require_instance
from ..ids import ParticipantId
from ..wsgiserver import DEFAULT_DEADLINES, RequestDeadlines, ThreadedWsgiServer
from .config import RetentionConfig, RetryConfig, ServerConfig, ServerTls, WorkerConfig
from .corner2 import Corner2Api, TokenVerifier
from .corner3 import Corner3Receipts, delivery_sink, receipt_sink
from .http import Request, Response, Router, wsgi_app
from .inbox import As4Inbox, Sink
from .ports import As4Codec, BusinessMessageReader, Corner4, EndpointLocator, PayloadCodec
from .store import Store
from .tls import tls_server
from .wire import WireDump
from .worker import DeliveryWorker, OutboundWorker, PruneWorker

__all__ = ["Service", "WsgiServer", "corner2_service", "corner3_service"]

_SERVER, _RETRY, _WORKER = ServerConfig(), RetryConfig(), WorkerConfig()
_RETENTION = RetentionConfig()

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_Routes = dict[str, Callable[[Request], Response]]
_Worker = OutboundWorker | DeliveryWorker | PruneWorker


class WsgiServer:
    """A WSGI server on ``host:port`` (port 0: a free one), run in a daemon thread.

    Plain HTTP is served by waitress. With ``tls`` (certificate, key and optional chain files)
    the same application is served over HTTPS by cheroot (:mod:`.tls`), TLS 1.2 or newer. Both
    hold clients to ``deadlines`` (slowloris).
    """

    def __init__(
        self,
        app: WsgiApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
        tls: ServerTls | None = None,
        deadlines: RequestDeadlines = DEFAULT_DEADLINES,
    ) -> None:
        self.host = host
        self.tls = tls
        self._thread: threading.Thread | None = None
        self._plain: ThreadedWsgiServer | None = None
        if tls is None:
            self._plain = ThreadedWsgiServer(
                app, host=host, port=port, threads=threads, deadlines=deadlines
            )
            self.port: int = self._plain.port
        else:
            self._server: Any = tls_server(
                app, host=host, port=port, threads=threads, tls=tls, deadlines=deadlines
            )
            self.port = int(self._server.bind_addr[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> None:
        if self._plain is not None:
            self._plain.start()
            return
        self._thread = threading.Thread(
            target=self._server.serve, name=f"https-{self.port}", daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        if self._plain is not None:
            self._plain.serve_forever()
        else:
            self._server.serve()

    def stop(self) -> None:
        """Close the listening socket and every open connection, then end the loop."""
        if self._plain is not None:
            self._plain.stop()
            return
        self._server.stop()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None


class Service:
    """An HTTP server and its workers, started and stopped together."""

    def __init__(
        self,
        *,
        server: WsgiServer,
        workers: Iterable[OutboundWorker | DeliveryWorker | PruneWorker],
        store: Store,
        as4_path: str,
    ) -> None:
        self.server = server
        self.workers = tuple(workers)
        self.store = store
        self.as4_path = as4_path

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def as4_url(self) -> str:
        return self.server.url + self.as4_path

    def start(self) -> Service:
        for worker in self.workers:
            worker.start()
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        for worker in self.workers:
            worker.stop()
        self.store.close()

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _as4_out_and_in(
    *,
    store: Store,
    as4: As4Codec,
    payloads: PayloadCodec,
    locator: EndpointLocator,
    session: requests.Session,
    clock: Callable[[], datetime],
    retry: RetryConfig,
    worker: WorkerConfig,
    dump: WireDump | None,
    sink: Sink,
    spool_dir: Path | None,
) -> tuple[list[OutboundWorker], As4Inbox]:
    """The AS4 side both corners have: the workers that send what the store holds for sending,
    and the inbox that opens the AS4 messages received and hands them to ``sink``."""
    senders = [
        OutboundWorker(
            store=store,
            as4=as4,
            payloads=payloads,
            locator=locator,
            session=session,
            clock=clock,
            retry=retry.policy(),
            lease_seconds=worker.lease_seconds,
            timeout_seconds=worker.timeout_seconds,
            poll_seconds=worker.poll_seconds,
            batch=worker.batch,
            dump=dump,
            spool_dir=spool_dir,
        )
        for _ in range(worker.concurrency)
    ]
    inbox = As4Inbox(
        store=store, as4=as4, payloads=payloads, sink=sink, clock=clock, dump=dump,
        spool_dir=spool_dir,
    )  # fmt: skip
    return senders, inbox


def _wake_all(workers: Iterable[OutboundWorker | DeliveryWorker]) -> Callable[[], None]:
    targets = tuple(workers)

    def wake() -> None:
        for target in targets:
            target.wake()

    return wake


def _service(
    store: Store,
    server: ServerConfig,
    as4_path: str,
    routes: _Routes,
    workers: list[_Worker],
) -> Service:
    """The service serving ``routes`` over HTTP as ``server`` says, with its workers."""
    app = wsgi_app(
        Router(routes=routes), max_body=server.max_request_bytes, spool_dir=server.spool_dir
    )
    http = WsgiServer(
        app,
        host=server.host,
        port=server.port,
        threads=server.threads,
        tls=server.tls,
        deadlines=server.deadlines,
    )
    return Service(server=http, workers=workers, store=store, as4_path=as4_path)


_COMPONENTS: dict[str, type] = {
    "store": Store,
    "tokens": TokenVerifier,
    "reader": BusinessMessageReader,
    "as4": As4Codec,
    "payloads": PayloadCodec,
    "locator": EndpointLocator,
    "corner4": Corner4,
    "session": requests.Session,
}


def _check_components(
    caller: str, components: dict[str, object], clock: Callable[[], datetime]
) -> None:
    # Before any thread is made: a wrong component failed in the workers, at every poll.
    for name, value in components.items():
        require_instance(value, _COMPONENTS[name], caller=caller, name=name)
    require_callable(clock, caller=caller, name="clock")


def corner2_service(
    *,
    store: Store,
    tokens: TokenVerifier,
    reader: BusinessMessageReader,
    as4: As4Codec,
    payloads: PayloadCodec,
    locator: EndpointLocator,
    session: requests.Session,
    clock: Callable[[], datetime],
    server: ServerConfig = _SERVER,
    retry: RetryConfig = _RETRY,
    worker: WorkerConfig = _WORKER,
    as4_path: str = "/as4",
    dump: WireDump | None = None,
    retention: RetentionConfig = _RETENTION,
) -> Service:
    """Corner 2: the DPI API on ``/messages``, AS4 receipts in on ``as4_path``, the sender."""
    _check_components(
        "corner2_service",
        {"store": store, "tokens": tokens, "reader": reader, "as4": as4, "payloads": payloads,
         "locator": locator, "session": session},
        clock,
    )  # fmt: skip
    senders, inbox = _as4_out_and_in(
        store=store, as4=as4, payloads=payloads, locator=locator, session=session,
        clock=clock, retry=retry, worker=worker, dump=dump, sink=receipt_sink(reader, store),
        spool_dir=server.spool_dir,
    )  # fmt: skip
    api = Corner2Api(
        store=store, tokens=tokens, reader=reader, clock=clock,
        send_deadline=retry.deadline, on_accepted=_wake_all(senders),
        spool_dir=server.spool_dir,
    )  # fmt: skip
    routes: _Routes = {"/messages": api, as4_path: inbox}
    return _service(store, server, as4_path, routes, [*senders, _pruner(store, clock, retention)])


def corner3_service(
    *,
    store: Store,
    reader: BusinessMessageReader,
    as4: As4Codec,
    payloads: PayloadCodec,
    locator: EndpointLocator,
    corner4: Corner4,
    session: requests.Session,
    clock: Callable[[], datetime],
    server: ServerConfig = _SERVER,
    retry: RetryConfig = _RETRY,
    worker: WorkerConfig = _WORKER,
    as4_path: str = "/as4",
    corner4_api_key: str | None = None,
    dump: WireDump | None = None,
    served: Callable[[ParticipantId], bool] = lambda _: True,
    retention: RetentionConfig = _RETENTION,
) -> Service:
    """Corner 3: AS4 in on ``as4_path`` to corner 4; receipts from corner 4 on ``/receipts``.

    ``served``: the receivers this access point serves (others: PEPPOL:NOT_SERVICED)."""
    _check_components(
        "corner3_service",
        {"store": store, "reader": reader, "as4": as4, "payloads": payloads, "locator": locator,
         "corner4": corner4, "session": session},
        clock,
    )  # fmt: skip
    require_callable(served, caller="corner3_service", name="served")
    senders, inbox = _as4_out_and_in(
        store=store, as4=as4, payloads=payloads, locator=locator, session=session,
        clock=clock, retry=retry, worker=worker, dump=dump, sink=delivery_sink(reader, served),
        spool_dir=server.spool_dir,
    )  # fmt: skip
    deliveries = [
        DeliveryWorker(
            store=store,
            corner4=corner4,
            clock=clock,
            retry=retry.policy(),
            lease_seconds=worker.lease_seconds,
            poll_seconds=worker.poll_seconds,
            batch=worker.batch,
        )
        for _ in range(worker.concurrency)
    ]
    receipts = Corner3Receipts(
        store=store, reader=reader, clock=clock, send_deadline=retry.deadline,
        api_key=corner4_api_key, on_accepted=_wake_all(senders),
    )  # fmt: skip
    wake_delivery = _after(inbox, _wake_all(deliveries))
    routes: _Routes = {as4_path: wake_delivery, "/receipts": receipts}
    workers: list[_Worker] = [*senders, *deliveries, _pruner(store, clock, retention)]
    return _service(store, server, as4_path, routes, workers)


def _pruner(store: Store, clock: Callable[[], datetime], retention: RetentionConfig) -> PruneWorker:
    return PruneWorker(
        store=store,
        clock=clock,
        retention=timedelta(days=retention.days),
        interval=timedelta(seconds=retention.interval_seconds),
    )


def _after(
    handler: Callable[[Request], Response], then: Callable[[], None]
) -> Callable[[Request], Response]:
    def run(request: Request) -> Response:
        response = handler(request)
        then()
        return response

    return run

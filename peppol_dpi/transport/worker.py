"""The workers: send the outbox over AS4, hand the delivery queue to corner 4.

Each worker is a thread that leases due jobs from the store, works on them, and records the
outcome under its lease. A worker killed mid-job loses nothing: its lease runs out and the next
worker (after a restart, or another process) takes the job again.

Sending (peppol.md 1.9, sender): find the receiver's endpoint in SML/SMP, wrap the business
message and package in the Innbyggerpost payload and Peppol SBDH, build the signed and
encrypted AS4 message ONCE and freeze it in the store (retries resend the same bytes, so the
receiver's duplicate detection recognises them: peppol.md 1.8), POST it, and accept only a
valid signed receipt. Transport errors and error signals of the Communication category
(ConnectionFailure, DeliveryFailure, ...) are retried with exponential backoff until the
message's deadline; anything else, or the deadline, ends in FEILET with the reason.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

import requests
from cryptography import x509

from ..as4.message_file import read_dump_from
from ..errors import (
    EbmsCategory,
    EbmsError,
    InputError,
    PeppolDpiError,
    RemoteError,
    TransportError,
    UsageError,
)
from ..httpclient import bounded_request
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..limits import DEFAULT_LIMITS
from ..spool import spool
from .ports import As4Codec, Corner4, Endpoint, EndpointLocator, PayloadCodec
from .store import DeliveryClaim, OutboundClaim, Store
from .wire import WireDump, WireMessage

__all__ = ["DeliveryWorker", "OutboundWorker", "PruneWorker", "RetryPolicy", "is_retryable"]

log = logging.getLogger("peppol_dpi.transport.worker")


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Exponential backoff: ``first_delay * factor**(attempt-1)``, at most ``max_delay``."""

    first_delay: timedelta = timedelta(seconds=10)
    factor: float = 2.0
    max_delay: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if self.first_delay <= timedelta(0) or self.factor < 1 or self.max_delay < self.first_delay:
            raise UsageError(
                "retry policy needs first_delay > 0, factor >= 1, max_delay >= first_delay"
            )

    def delay(self, attempt: int) -> timedelta:
        exponent = max(attempt - 1, 0)
        seconds = self.first_delay.total_seconds() * self.factor ** min(exponent, 60)
        return min(timedelta(seconds=seconds), self.max_delay)


# Error signals that say "try again later" (ebMS3 6.7 Communication category) - except a
# decompression failure, which the same bytes will cause again.
_NOT_RETRYABLE_COMMUNICATION = frozenset({EbmsError.DECOMPRESSION_FAILURE})


def is_retryable(error: Exception) -> bool:
    """True for failures a later attempt with the same bytes may overcome."""
    if isinstance(error, TransportError | requests.RequestException):
        return True
    if isinstance(error, RemoteError):
        code = error.ebms_code
        return (
            code is not None
            and code.category is EbmsCategory.COMMUNICATION
            and code not in _NOT_RETRYABLE_COMMUNICATION
        )
    # A receipt that does not verify: the message may have arrived; resending the same bytes
    # is safe (duplicate detection) and may get a good receipt.
    return isinstance(error, InputError) and error.ebms_code in {
        EbmsError.INVALID_RECEIPT,
        EbmsError.MISSING_RECEIPT,
    }


class _Loop(ABC):
    """A daemon thread calling ``run_once`` until stopped; ``wake`` cuts a sleep short."""

    name = "worker"
    clock: Callable[[], datetime]  # set by each worker

    def __init__(self, *, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def run_once(self) -> int:
        """Do what is due now; the number of items handled (0: sleep until the next due)."""

    @abstractmethod
    def _next_due(self) -> datetime | None:
        """When the next item falls due, None when nothing is scheduled."""

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            raise UsageError("worker already started")
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                done = self.run_once()
            except Exception:
                log.exception("%s: unexpected error; continuing", self.name)
                done = 0
            if done:
                continue
            due = self._next_due()
            sleep = self.poll_seconds
            if due is not None:
                sleep = min(sleep, max((due - self.clock()).total_seconds(), 0.0))
            self._wake.wait(sleep)
            self._wake.clear()


class OutboundWorker(_Loop):
    """Sends an access point's outbox as Peppol AS4 messages."""

    name = "outbound-worker"

    def __init__(
        self,
        *,
        store: Store,
        as4: As4Codec,
        payloads: PayloadCodec,
        locator: EndpointLocator,
        session: requests.Session,
        clock: Callable[[], datetime],
        retry: RetryPolicy = RetryPolicy(),
        lease_seconds: float = 300.0,
        timeout_seconds: float = 120.0,
        batch: int = 16,
        poll_seconds: float = 5.0,
        worker_id: str | None = None,
        dump: WireDump | None = None,
        spool_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        if timeout_seconds >= lease_seconds:
            raise UsageError("the lease must outlast the HTTP timeout")
        self.store, self.as4, self.payloads, self.locator = store, as4, payloads, locator
        self.session, self.clock, self.retry = session, clock, retry
        self.lease_seconds, self.timeout_seconds, self.batch = lease_seconds, timeout_seconds, batch
        self.worker_id = worker_id or f"out-{uuid.uuid4()}"
        self.dump = dump
        #: Where the AS4 message is built before it is frozen and sent (system temp if None).
        self.spool_dir = spool_dir

    def _next_due(self) -> datetime | None:
        return self.store.next_outbound_due()

    def run_once(self) -> int:
        claims = self.store.claim_outbound(
            worker=self.worker_id,
            now=self.clock(),
            lease_seconds=self.lease_seconds,
            limit=self.batch,
        )
        for claim in claims:
            self._send(claim)
        return len(claims)

    def _send(self, claim: OutboundClaim) -> None:
        message = claim.message
        ids = {"message_id": message.message_id, "conversation_id": message.conversation_id}
        attempt = claim.attempts + 1
        try:
            receiver = ParticipantId.parse(message.receiver)
            document_type = DocumentTypeId.parse(message.document_type)
            process = ProcessId.parse(message.process)
            endpoint = self._locate(receiver, document_type, process)
            with ExitStack() as stack:
                if claim.wire_blob is None:
                    # Built once into a spool and frozen from it (issue 8: a 50 MiB package
                    # is not copied in memory again), then posted from the same file.
                    wire = stack.enter_context(spool(self.spool_dir))
                    as4_id = self._build(
                        claim, receiver=receiver, document_type=document_type,
                        process=process, endpoint=endpoint, sink=wire,
                    )  # fmt: skip
                    if not self.store.freeze_wire(
                        message.message_id,
                        worker=self.worker_id,
                        as4_message_id=as4_id,
                        wire=wire,
                    ):
                        log.warning("lease lost before sending", extra=ids)
                        return
                else:
                    # A retry posts the frozen message from the store's file as well.
                    wire = stack.enter_context(claim.wire_blob.open())
                    as4_id = claim.as4_message_id or "?"
                self._post(endpoint.url, wire, as4_id, endpoint.certificate)
        except PeppolDpiError as exc:
            self._failed_attempt(claim, attempt, exc, ids)
            return
        except requests.RequestException as exc:
            self._failed_attempt(claim, attempt, TransportError(f"HTTP: {exc}"), ids)
            return
        now = self.clock()
        if self.store.mark_sent(
            message.message_id,
            worker=self.worker_id,
            now=now,
            beskrivelse=f"AS4 receipt for {as4_id}",
        ):
            log.info("sent", extra={**ids, "as4_message_id": as4_id, "attempt": attempt})

    def _locate(
        self, receiver: ParticipantId, document_type: DocumentTypeId, process: ProcessId
    ) -> Endpoint:
        # The reason recorded with FEILET names whom the lookup was for.
        try:
            return self.locator.locate(receiver, document_type, process)
        except InputError as exc:
            raise InputError(
                f"{receiver.value} is not reachable for {document_type.customization_id}: "
                f"{exc.message}",
                rule=exc.rule,
                ebms_code=exc.ebms_code,
            ) from None
        except TransportError as exc:
            raise TransportError(f"lookup of {receiver.value} failed: {exc}") from None

    def _build(
        self,
        claim: OutboundClaim,
        *,
        receiver: ParticipantId,
        document_type: DocumentTypeId,
        process: ProcessId,
        endpoint: Endpoint,
        sink: IO[bytes],
    ) -> str:
        """Wrap the business message and package into a spool and build the AS4 message from
        it into ``sink``; the payload is dropped on return, before the message is sent (issue
        8: the package is read from the store's file, base64-encoded and gzipped in pieces)."""
        message = claim.message
        sender = ParticipantId.parse(message.sender)
        with ExitStack() as stack:
            package = (
                stack.enter_context(claim.package_blob.open())
                if claim.package_blob is not None
                else None
            )
            payload = stack.enter_context(spool(self.spool_dir))
            self.payloads.wrap(
                business_message=message.business_message,
                package=package,
                sender=sender,
                receiver=receiver,
                document_type=document_type,
                process=process,
                instance_id=message.message_id,
                now=self.clock(),
                sink=payload,
            )
            return self.as4.build(
                payload=payload,
                sender=sender,
                receiver=receiver,
                document_type=document_type,
                process=process,
                conversation_id=message.conversation_id,
                receiver_certificate=endpoint.certificate,
                sink=sink,
            )

    def _post(self, url: str, wire: IO[bytes], as4_id: str, certificate: x509.Certificate) -> None:
        # The body is sent from the dump file in pieces; the answer (a receipt or an error
        # signal) is read within the size cap and the time budget.
        with read_dump_from(wire) as (headers, body):
            if self.dump is not None:
                self.dump.write_stream(
                    incoming=False, message_id=as4_id, headers=headers.items, body=body,
                    now=self.clock(),
                )  # fmt: skip
            response = bounded_request(
                self.session,
                "POST",
                url,
                data=body,
                headers=headers.as_dict(),
                max_bytes=DEFAULT_LIMITS.max_http_response_bytes,
                timeout=self.timeout_seconds,
            )
        answer = WireMessage(headers=tuple(response.headers.items()), body=response.body)
        if self.dump is not None:
            self.dump.write(incoming=True, message_id=as4_id, message=answer, now=self.clock())
        content_type = answer.content_type.lower()
        if response.status >= 500 and "xml" not in content_type and "multipart" not in content_type:
            raise TransportError(f"HTTP {response.status} from {url}")
        try:
            self.as4.check_response(
                sent=wire,
                status=response.status,
                response=answer,
                receiver_certificate=certificate,
            )
        except RemoteError:
            raise
        except InputError as exc:
            # Neither a receipt we can believe nor an error signal (garbage, a proxy's page, a
            # bad signature): the message may or may not have arrived. Resending the same
            # bytes is safe (peppol.md 1.8), so it is retried like a lost answer.
            raise InputError(
                f"HTTP {response.status}: {exc.message}",
                rule=exc.rule,
                ebms_code=EbmsError.INVALID_RECEIPT,
            ) from None

    def _failed_attempt(
        self, claim: OutboundClaim, attempt: int, error: PeppolDpiError, ids: dict[str, str]
    ) -> None:
        message, now = claim.message, self.clock()
        reason = str(error)
        next_attempt = now + self.retry.delay(attempt)
        if is_retryable(error) and next_attempt <= message.deadline:
            log.warning("attempt %d failed, retrying: %s", attempt, reason, extra=ids)
            self.store.mark_retry(
                message.message_id, worker=self.worker_id, next_attempt=next_attempt, error=reason
            )
            return
        if is_retryable(error):
            reason = f"gave up after {attempt} attempts at the deadline: {reason}"
        log.error("failed: %s", reason, extra=ids)
        self.store.mark_failed(message.message_id, worker=self.worker_id, now=now, reason=reason)


class DeliveryWorker(_Loop):
    """Hands corner 3's received messages to corner 4, at least once, until delivered."""

    name = "delivery-worker"

    def __init__(
        self,
        *,
        store: Store,
        corner4: Corner4,
        clock: Callable[[], datetime],
        retry: RetryPolicy = RetryPolicy(),
        deadline: timedelta = timedelta(days=1),
        lease_seconds: float = 300.0,
        batch: int = 16,
        poll_seconds: float = 5.0,
        worker_id: str | None = None,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.store, self.corner4, self.clock, self.retry = store, corner4, clock, retry
        self.deadline, self.lease_seconds, self.batch = deadline, lease_seconds, batch
        self.worker_id = worker_id or f"delivery-{uuid.uuid4()}"

    def _next_due(self) -> datetime | None:
        return self.store.next_delivery_due()

    def run_once(self) -> int:
        claims = self.store.claim_deliveries(
            worker=self.worker_id,
            now=self.clock(),
            lease_seconds=self.lease_seconds,
            limit=self.batch,
        )
        for claim in claims:
            self._deliver(claim)
        return len(claims)

    def _deliver(self, claim: DeliveryClaim) -> None:
        delivery = claim.delivery
        ids = {"message_id": delivery.id, "as4_message_id": delivery.as4_message_id}
        try:
            # The package is posted from the store's file (issue 8).
            with ExitStack() as stack:
                package = (
                    stack.enter_context(claim.package_blob.open())
                    if claim.package_blob is not None
                    else None
                )
                self.corner4.deliver(
                    message_id=delivery.id,
                    receiver=ParticipantId.parse(delivery.receiver),
                    business_message=delivery.business_message,
                    package=package,
                )
        except (TransportError, requests.RequestException) as exc:
            now = self.clock()
            next_attempt = now + self.retry.delay(claim.attempts + 1)
            if next_attempt <= delivery.received_at + self.deadline:
                log.warning("delivery failed, retrying: %s", exc, extra=ids)
                self.store.mark_delivery_retry(
                    delivery.id, worker=self.worker_id, next_attempt=next_attempt, error=str(exc)
                )
            else:
                self.store.mark_delivery_failed(
                    delivery.id, worker=self.worker_id, now=now, reason=str(exc)
                )
            return
        except PeppolDpiError as exc:
            log.error("delivery refused: %s", exc, extra=ids)
            self.store.mark_delivery_failed(
                delivery.id, worker=self.worker_id, now=self.clock(), reason=str(exc)
            )
            return
        if self.store.mark_delivered(delivery.id, worker=self.worker_id, now=self.clock()):
            log.info("delivered to corner 4", extra=ids)


class PruneWorker(_Loop):
    """Every ``interval``, forgets finished work older than ``retention`` (:meth:`Store.prune`).

    ``retention`` is also the duplicate-detection window: keep it longer than any sender
    retries (phase4 keeps message ids 10 minutes; the default here is 30 days).
    """

    name = "prune-worker"

    def __init__(
        self,
        *,
        store: Store,
        clock: Callable[[], datetime],
        retention: timedelta = timedelta(days=30),
        interval: timedelta = timedelta(hours=1),
    ) -> None:
        super().__init__(poll_seconds=interval.total_seconds())
        if retention <= timedelta(0) or interval <= timedelta(0):
            raise UsageError("retention and interval must be positive")
        self.store, self.clock, self.retention = store, clock, retention

    def _next_due(self) -> datetime | None:
        return None  # sleep a whole interval

    def run_once(self) -> int:
        counts = self.store.prune(self.clock() - self.retention)
        if any(counts.values()):
            log.info("pruned", extra={f"pruned_{k}": v for k, v in counts.items()})
        return 0

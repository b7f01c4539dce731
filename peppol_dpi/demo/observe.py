"""Recording wrappers around the access points' parts, so the demo shows what they do.

Each wrapper implements the same protocol as the part it wraps (:mod:`peppol_dpi.transport.ports`,
corner 2's ``TokenVerifier``), calls it unchanged, and records a step in the
:class:`~.transcript.Transcript`: the transport code runs exactly as it does without them.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from cryptography import x509

from ..dpi.identifiers import MessageType
from ..errors import InputError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..limits import DEFAULT_LIMITS
from ..sbdh import read_sbdh
from ..transport.ports import As4Codec, Corner4, Endpoint, EndpointLocator, OpenedAs4
from ..transport.wire import WireMessage
from .transcript import Transcript

__all__ = ["ObservedAs4", "ObservedCorner4", "ObservedLocator", "type_of"]


def type_of(document_type: DocumentTypeId | str) -> str:
    """The DPI message type named by a Peppol document type (for display)."""
    value = document_type.value if isinstance(document_type, DocumentTypeId) else document_type
    found = MessageType.from_standard(value)
    return found.value if found is not None else value


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


@dataclass(frozen=True, kw_only=True)
class ObservedLocator:
    inner: EndpointLocator
    transcript: Transcript
    actor: str

    def locate(
        self, participant: ParticipantId, document_type: DocumentTypeId, process: ProcessId
    ) -> Endpoint:
        started = time.perf_counter()
        found = self.inner.locate(participant, document_type, process)
        ms = _ms(started)
        self.transcript.add(
            self.actor,
            "SML",
            f"NAPTR for {participant.value}: U-NAPTR Meta:SMP names the SMP",
        )
        self.transcript.add(
            self.actor,
            "SMP",
            f"{participant.value} receives {type_of(document_type)} at {found.url}",
            checks=(
                "SMP ServiceMetadata signature verified against the SMP CA",
                "receiving AP certificate validated against the AP CA",
            ),
            ms=ms,
        )
        return found


@dataclass(frozen=True, kw_only=True)
class ObservedAs4:
    """One access point's AS4 codec; ``name``/``peer`` are transcript actors (C2, C3)."""

    inner: As4Codec
    transcript: Transcript
    name: str
    peer: str

    def build(
        self,
        *,
        payload: IO[bytes],
        sender: ParticipantId,
        receiver: ParticipantId,
        document_type: DocumentTypeId,
        process: ProcessId,
        conversation_id: str,
        receiver_certificate: x509.Certificate,
        sink: IO[bytes],
    ) -> str:
        started = time.perf_counter()
        start = sink.tell()
        message_id = self.inner.build(
            payload=payload,
            sender=sender,
            receiver=receiver,
            document_type=document_type,
            process=process,
            conversation_id=conversation_id,
            receiver_certificate=receiver_certificate,
            sink=sink,
        )
        self.transcript.add(
            self.name,
            self.name,
            f"AS4 user message built for the {type_of(document_type)} "
            f"({sink.tell() - start} bytes with its HTTP headers): Peppol SBDH + Innbyggerpost, "
            "compressed, signed with the AP key, encrypted to the receiving AP",
            ms=_ms(started),
        )
        return message_id

    def check_response(
        self,
        *,
        sent: IO[bytes],
        status: int,
        response: WireMessage,
        receiver_certificate: x509.Certificate,
    ) -> None:
        started = time.perf_counter()
        self.inner.check_response(
            sent=sent, status=status, response=response, receiver_certificate=receiver_certificate
        )
        self.transcript.add(
            self.peer,
            self.name,
            "signed AS4 receipt",
            checks=(
                "receipt signature verified, signer = the AP certificate from the SMP",
                "RefToMessageId and non-repudiation digests match what was sent",
            ),
            ms=_ms(started),
        )

    def open(self, headers: Sequence[tuple[str, str]], body: IO[bytes]) -> OpenedAs4:
        started = time.perf_counter()
        try:
            opened = self.inner.open(headers, body)
        except InputError as exc:
            self.transcript.add(self.peer, self.name, f"AS4 message refused [{exc.rule}]")
            raise
        kind = "message"
        with contextlib.suppress(InputError):
            kind = type_of(read_sbdh(opened.payload, limits=DEFAULT_LIMITS).document_type)
        self.transcript.add(
            self.peer,
            self.name,
            f"AS4 user message with the {kind} ({body.seek(0, os.SEEK_END)} bytes)",
            checks=(
                "WS-Security signature verified, sender AP certificate valid (AP CA)",
                "decrypted (AES-GCM, RSA-OAEP key transport) and decompressed",
                "Peppol AS4 profile and SBDH routing checked",
            ),
            ms=_ms(started),
        )
        return opened

    def receipt(self, opened: OpenedAs4) -> WireMessage:
        return self.inner.receipt(opened)

    def error(self, error: InputError, ref_to_message_id: str | None) -> tuple[int, WireMessage]:
        return self.inner.error(error, ref_to_message_id)


@dataclass(kw_only=True)
class ObservedCorner4:
    """Corner 3's delivery to corner 4, recorded. :meth:`swap_package` makes the next delivery
    of one message carry another package: the demo's stand-in for a corner 3 (or anyone on
    the way) that swaps the letter, which corner 4 must detect."""

    inner: Corner4
    transcript: Transcript
    _swaps: dict[str, bytes] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def swap_package(self, message_id: str, package: bytes) -> None:
        with self._lock:
            self._swaps[message_id] = package

    def deliver(
        self,
        *,
        message_id: str,
        receiver: ParticipantId,
        business_message: str,
        package: IO[bytes] | None,
    ) -> None:
        with self._lock:
            swapped = self._swaps.pop(message_id, None)
        if swapped is not None:
            package = io.BytesIO(swapped)
            self.transcript.add("C3", "C3", f"ATTACK: the package of {message_id[:8]} swapped")
        size = package.seek(0, os.SEEK_END) if package is not None else 0
        self.transcript.add(
            "C3",
            "C4",
            f"POST /deliveries: letter {message_id[:8]} for {receiver.value} "
            f"({size} bytes of package)",
        )
        self.inner.deliver(
            message_id=message_id,
            receiver=receiver,
            business_message=business_message,
            package=package,
        )

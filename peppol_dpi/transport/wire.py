"""HTTP messages as bytes on the wire, and the debugging dump of them.

:class:`WireMessage` is an HTTP message without its start line: header fields and body. Its
:meth:`~WireMessage.to_dump` form is phase4's ``.as4in``/``.as4out`` dump format (header lines,
a blank line, the body, CRLF line ends), which is also how the outbox keeps the AS4 message it
froze for retries. :class:`WireDump` writes every AS4 message sent or received to a folder,
one file each, named by time, direction and message id.
"""

from __future__ import annotations

import io
import itertools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from ..errors import InputError
from ..spool import copy_chunks

__all__ = ["WireDump", "WireMessage", "dump_head"]

_CRLF = b"\r\n"


@dataclass(frozen=True, kw_only=True)
class WireMessage:
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header field, matched case-insensitively (RFC 9110 5.1)."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    @property
    def content_type(self) -> str:
        return self.header("Content-Type") or "application/octet-stream"

    def to_dump(self) -> bytes:
        return dump_head(self.headers) + self.body

    @classmethod
    def from_dump(cls, data: bytes) -> WireMessage:
        head, sep, body = data.partition(_CRLF + _CRLF)
        if not sep:
            if data.startswith(_CRLF):
                return cls(headers=(), body=data[2:])
            raise InputError("dump has no blank line after its headers", rule="wire:dump")
        headers = []
        for line in head.split(_CRLF):
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon:
                raise InputError(f"bad header line in dump: {line[:60]!r}", rule="wire:dump")
            headers.append((name.strip(), value.strip()))
        return cls(headers=tuple(headers), body=body)


def dump_head(headers: Sequence[tuple[str, str]]) -> bytes:
    """The dump form up to the body: the header lines and the empty line."""
    return b"".join(f"{k}: {v}".encode("latin-1") + _CRLF for k, v in headers) + _CRLF


_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")


class WireDump:
    """Writes each AS4 message to ``folder`` as ``<time>-<n>-<id>.as4in`` / ``.as4out``."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def write(
        self, *, incoming: bool, message_id: str, message: WireMessage, now: datetime
    ) -> Path:
        return self.write_stream(
            incoming=incoming,
            message_id=message_id,
            headers=message.headers,
            body=io.BytesIO(message.body),
            now=now,
        )

    def write_stream(
        self,
        *,
        incoming: bool,
        message_id: str,
        headers: Sequence[tuple[str, str]],
        body: IO[bytes],
        now: datetime,
    ) -> Path:
        """Write a message whose body is a seekable file, copied in pieces from its start."""
        with self._lock:
            n = next(self._counter)
        stamp = now.strftime("%Y%m%dT%H%M%S.%f")
        safe_id = _UNSAFE.sub("_", message_id)[:120] or "unknown"
        path = self.folder / f"{stamp}-{n:06d}-{safe_id}.{'as4in' if incoming else 'as4out'}"
        body.seek(0)
        with path.open("wb") as file:
            file.write(dump_head(headers))
            for piece in copy_chunks(body):
                file.write(piece)
        body.seek(0)
        return path

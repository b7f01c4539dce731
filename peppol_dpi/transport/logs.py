"""Structured logging for the services: one JSON object per line.

Every record carries ``time``, ``level``, ``logger`` and ``event``; the ids the services pass
in ``extra`` (``message_id``, ``conversation_id``, ``as4_message_id``, ``caller``, ``rule``,
``attempt``, ...) become fields of their own, so a log search for one message id finds its
whole path through corner 2, corner 3 and corner 4.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

__all__ = ["JsonFormatter", "configure_logging"]

_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, *, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        if self.service:
            entry["service"] = self.service
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and value is not None:
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    *,
    service: str,
    json_lines: bool = True,
    level: int = logging.INFO,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send the ``peppol_dpi`` loggers to ``stream`` (stderr), as JSON lines or plain text.

    Replaces the handler an earlier call installed, so calling it again does not double lines.
    """
    logger = logging.getLogger("peppol_dpi")
    for old in [h for h in logger.handlers if getattr(h, "_peppol_dpi", False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._peppol_dpi = True  # type: ignore[attr-defined]
    handler.setFormatter(
        JsonFormatter(service=service)
        if json_lines
        else logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler

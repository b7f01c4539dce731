"""Instants: every public API that takes a time takes it timezone-aware.

Python's own definition decides what aware means (the ``datetime`` documentation, "Determining
if an Object is Aware or Naive"): a ``tzinfo`` whose ``utcoffset`` gives None leaves a
datetime naive, and such a value would be written without an offset (an ``xs:dateTime`` that
the package's own readers then refuse) or compared with aware ones (a ``TypeError``).
"""

from __future__ import annotations

from datetime import datetime

from .errors import UsageError

__all__ = ["is_aware", "require_aware"]


def is_aware(value: datetime) -> bool:
    """Whether ``value`` has a UTC offset (its ``tzinfo`` gives one for it)."""
    return value.tzinfo is not None and value.utcoffset() is not None


def require_aware(value: datetime, what: str) -> None:
    """Raise :class:`~peppol_dpi.errors.UsageError` unless ``value`` is aware."""
    if not is_aware(value):
        raise UsageError(f"{what} must be timezone-aware")

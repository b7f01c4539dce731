"""Checks of a caller's arguments where they enter the public functions.

A wrong Python type given to a public function (text where bytes belong, a certificate where a
key belongs, a number where a time belongs) is the caller's mistake, not a peer's. It is raised
as :class:`~peppol_dpi.errors.ArgumentTypeError`, a UsageError and a TypeError, naming the
function and the parameter, before any work is done. Unchecked, such a mistake surfaced as an
AttributeError from deep inside, was read as something else (an ``int`` has ``to_bytes``), or
was reported as a peer's fault (a ``str`` key made ``open_package`` say "decryption failed",
an error a corner 4 would send back to the sender).

The checks are ``isinstance`` tests, a fraction of a microsecond each: they sit on the hot paths
too. Keys and trust policies are checked beside their types (:func:`peppol_dpi.keys.require_key`,
:func:`peppol_dpi.trust.require_trust`), which this module cannot import.
"""

from __future__ import annotations

import io
import os
from collections.abc import Collection
from datetime import datetime
from typing import TypeVar

from .errors import ArgumentTypeError
from .instants import require_aware
from .limits import Limits

__all__ = [
    "BYTES_LIKE",
    "require_binary_file",
    "require_buffer",
    "require_bytes",
    "require_callable",
    "require_instance",
    "require_items",
    "require_limits",
    "require_optional",
    "require_sink",
    "require_source",
    "require_spool_dir",
    "require_texts",
    "require_time",
    "wrong_type",
]

T = TypeVar("T")

BYTES_LIKE = (bytes, bytearray, memoryview)


def wrong_type(caller: str, name: str, expected: str, value: object) -> ArgumentTypeError:
    """The error for ``value`` given as ``name`` to ``caller``, which takes ``expected``."""
    return ArgumentTypeError(f"{caller}: {name} must be {expected}, not {type(value).__name__}")


def require_instance(
    value: object,
    kind: type[T] | tuple[type[T], ...],
    *,
    caller: str,
    name: str,
    expected: str | None = None,
) -> T:
    """``value`` if it is an instance of ``kind``, else :class:`ArgumentTypeError` saying
    ``expected`` (default: "a" and the class's name)."""
    if not isinstance(value, kind):
        raise wrong_type(caller, name, expected or _described(kind), value)
    return value


def require_optional(
    value: object, kind: type | tuple[type, ...], *, caller: str, name: str
) -> None:
    """None, or an instance of ``kind`` (a ``str | None`` parameter given a number, say)."""
    if value is not None and not isinstance(value, kind):
        raise wrong_type(caller, name, _described(kind) + " or None", value)


def require_items(
    value: object,
    kind: type,
    *,
    caller: str,
    name: str,
    expected: str,
    containers: tuple[type[Collection[object]], ...] = (list, tuple),
) -> None:
    """A list or tuple (or one of ``containers``) whose every item is a ``kind``."""
    if not isinstance(value, containers) or not all(isinstance(item, kind) for item in value):
        raise wrong_type(caller, name, expected, value)


def require_callable(value: object, *, caller: str, name: str, optional: bool = False) -> None:
    """A function (a clock, an id factory, a callback), or None where ``optional``."""
    if not (callable(value) or (optional and value is None)):
        raise wrong_type(caller, name, "a callable" + (" or None" if optional else ""), value)


def require_limits(value: object, *, caller: str) -> None:
    """The :class:`~peppol_dpi.limits.Limits` a function reads within."""
    require_instance(value, Limits, caller=caller, name="limits")


def require_spool_dir(value: object, *, caller: str) -> None:
    """Where large data is spooled: a directory path, or None for the default."""
    if value is not None and not isinstance(value, str | os.PathLike):
        raise wrong_type(caller, "spool_dir", "a directory path or None", value)


def _described(kind: type | tuple[type, ...]) -> str:
    """'a str', 'an int', 'a bytes or a str': the wording of an error's expected type."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_with_article(k.__name__) for k in kinds)


def _with_article(name: str) -> str:
    return ("an " if name[:1].lower() in ("a", "e", "i", "o", "u") else "a ") + name


def require_texts(value: object, *, caller: str, name: str) -> None:
    """A collection of str (a list, tuple or set): a str alone would be read as its characters,
    and a generator would be used up by the first of the callee's passes over it."""
    if (
        isinstance(value, str | bytes)
        or not isinstance(value, Collection)
        or not all(isinstance(v, str) for v in value)
    ):
        raise wrong_type(caller, name, "a list of str", value)


def require_bytes(value: object, *, caller: str, name: str) -> bytes:
    """``value`` as bytes: bytes itself, or a copy of a bytearray or memoryview."""
    if type(value) is bytes:
        return value
    if isinstance(value, BYTES_LIKE):
        return bytes(value)
    raise wrong_type(caller, name, "bytes", value)


def require_buffer(value: object, *, caller: str, name: str) -> bytes | memoryview:
    """``value`` if it is bytes or a memoryview, a view of it if a bytearray (no copies)."""
    if isinstance(value, bytes | memoryview):
        return value
    if isinstance(value, bytearray):
        return memoryview(value)
    raise wrong_type(caller, name, "bytes or a memoryview", value)


def require_time(value: object, *, caller: str, name: str, optional: bool = False) -> None:
    """A timezone-aware datetime (or None where ``optional``); see :mod:`peppol_dpi.instants`."""
    if value is None and optional:
        return
    if not isinstance(value, datetime):
        raise wrong_type(caller, name, "a timezone-aware datetime", value)
    require_aware(value, f"{caller}: {name}")


def require_binary_file(value: object, *, caller: str, name: str, expected: str) -> None:
    """A binary file open for reading (anything with ``read``), not a text file: its str would
    fail somewhere inside, or pass for a broken package (a peer's fault)."""
    if isinstance(value, io.TextIOBase):
        raise wrong_type(caller, name, "a binary file (open it with 'rb')", value)
    if not callable(getattr(value, "read", None)):
        raise wrong_type(caller, name, expected, value)


def require_source(value: object, *, caller: str, name: str) -> None:
    """A path (str or os.PathLike) or a binary file open for reading."""
    if not isinstance(value, str | os.PathLike):
        require_binary_file(
            value, caller=caller, name=name, expected="a path or a binary file open for reading"
        )


def require_sink(value: object, *, caller: str, name: str) -> None:
    """A binary file (or any object with ``write`` that takes bytes) to write to."""
    if isinstance(value, io.TextIOBase):
        raise wrong_type(caller, name, "a binary file (open it with 'wb')", value)
    if not callable(getattr(value, "write", None)):
        raise wrong_type(caller, name, "a binary file open for writing", value)

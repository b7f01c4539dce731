"""The one strict JSON reader of peppol-dpi.

:func:`loads` is ``json.loads`` for input from outside (JWS headers and payloads, Maskinporten
and KRR answers, requests to the reference services). It raises nothing but ``ValueError``
(callers translate that into their own InputError) and refuses what RFC 8259 does not allow or
what parsers disagree on:

* ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON, RFC 8259 section 6; Python accepts them
  and they made ``datetime.fromtimestamp`` raise OverflowError - found by fuzzing);
* a name repeated in one object (RFC 8259 4 leaves the outcome to the parser; with two
  ``"alg"`` members a verifier and an application may read different values - RFC 7515 4
  requires a JWS with duplicate header names to be rejected);
* nesting deep enough to exhaust Python's recursion limit (RecursionError, not ValueError).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["loads"]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"the name {name!r} occurs twice in one object")
        result[name] = value
    return result


def loads(data: str | bytes | bytearray) -> Any:
    """Parse JSON text (UTF-8/16/32 bytes or str); raises only ValueError."""
    try:
        return json.loads(data, parse_constant=_no_constant, object_pairs_hook=_unique)
    except RecursionError:
        raise ValueError("the JSON nests too deeply") from None

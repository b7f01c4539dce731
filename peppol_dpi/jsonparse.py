"""The one strict JSON reader (and deterministic writer) of peppol-dpi.

Every JSON document from outside is read here: JWS headers and payloads, business messages,
Maskinporten and KRR answers, requests to the reference services. Reading (:func:`load_json`,
or :func:`loads` where only a ``ValueError`` is wanted) accepts only what RFC 8259 and I-JSON
(RFC 7493) allow: UTF-8 without a byte order mark, no duplicate member names (two parsers would
disagree on which one counts: a classic way to make a signed message say two things), no
NaN/Infinity, no number beyond an IEEE 754 double (``1e400``), no lone surrogates; and within
the bounds of Jackson, with which the peers read (size, nesting, the digits of a number, the
length of a member name and of a string).

Writing (:func:`dump_json`) is deterministic: compact separators, UTF-8, non-ASCII and ``/``
written as themselves (as Digdir's client writes them since 2023), members in insertion order.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import InputError

__all__ = ["Json", "JsonError", "dump_json", "load_json", "loads"]

Json = Any  # a value json.loads returns


class JsonError(InputError):
    """Bytes that are not acceptable JSON (syntax, encoding, duplicates, size)."""


class _RefusalError(Exception):
    """Raised inside ``json.loads`` (whose own errors are ValueErrors) by the hooks below: what
    the document does (after its name) and the rule."""

    def __init__(self, does: str, rule: str) -> None:
        self.does, self.rule = does, rule


def _no_duplicates(pairs: list[tuple[str, Json]]) -> dict[str, Json]:
    # RFC 8259 4: names SHOULD be unique; RFC 7493 2.3: MUST be. We refuse duplicates.
    result: dict[str, Json] = {}
    for name, value in pairs:
        if name in result:
            raise _RefusalError(f"has the member {name[:80]!r} twice", "json:duplicate-member")
        if len(name) > _NAME_CHARS_ALWAYS_WITHIN and _utf8_length(name) > MAX_NAME_BYTES:
            raise _RefusalError(
                f"has a member name of more than {MAX_NAME_BYTES} bytes", "json:name"
            )
        result[name] = value
    return result


def _no_constant(name: str) -> Json:
    raise ValueError(f"{name} is not JSON")


#: The most digits a number may have (integer part, fraction and exponent together), and the
#: deepest nesting of arrays and objects: Jackson's StreamReadConstraints (2.15 on, and Debian's
#: 2.14 with them backported), under integrasjonspunkt and the mailbox providers, refuse more
#: than 1000 of either (tests/test_json_against_jackson.py). The depth is ours, lower and
#: independent of Python's recursion limit; a business message nests a few levels.
MAX_NUMBER_DIGITS = 1000
MAX_DEPTH = 500
#: The longest member name and the longest string value, in UTF-8 bytes: Jackson refuses
#: longer ones (StreamReadConstraints maxNameLength, 50,000 since 2.16, and maxStringLength,
#: 20,000,000 since 2.15.1), counting bytes where it reads bytes (an HTTP body) and characters
#: where it reads text; a UTF-8 length is never the smaller of the two, so it binds both.
MAX_NAME_BYTES = 50_000
MAX_STRING_BYTES = 20_000_000
# A name of this many characters or fewer is within MAX_NAME_BYTES whatever they are (a
# character is at most four bytes in UTF-8): no need to encode it to know.
_NAME_CHARS_ALWAYS_WITHIN = MAX_NAME_BYTES // 4


def _utf8_length(text: str) -> int:
    # (A lone surrogate escape is refused after parsing; here it counts its three bytes.)
    return len(text.encode("utf-8", "surrogatepass"))


def _digits_within_limit(text: str) -> str:
    if len(text) > MAX_NUMBER_DIGITS and sum(c.isdigit() for c in text) > MAX_NUMBER_DIGITS:
        raise _RefusalError(f"has a number of more than {MAX_NUMBER_DIGITS} digits", "json:number")
    return text


def _integer(text: str) -> int:
    return int(_digits_within_limit(text))


def _finite(text: str) -> float:
    # RFC 7493 2.2: no number of greater magnitude than an IEEE 754 double. Python reads one as
    # infinity, which no JSON writer can write back (a message read could not be written).
    value = float(_digits_within_limit(text))
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


# A string (its escapes included) or a bracket: what decides how deep a document nests.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _check_depth(text: str, what: str) -> None:
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return  # (the usual case: not that many brackets at all)
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise JsonError(
                    f"{what} nests more than {MAX_DEPTH} levels deep", rule="json:depth"
                )
        elif bracket in "]}":
            depth -= 1


def _check_string_lengths(value: Json) -> None:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if len(item) > MAX_STRING_BYTES // 4 and _utf8_length(item) > MAX_STRING_BYTES:
                raise _RefusalError(
                    f"has a string of more than {MAX_STRING_BYTES} bytes", "json:string"
                )
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def load_json(data: bytes, *, what: str, max_bytes: int) -> Json:
    """Parse ``data`` as strict JSON (see the module docstring), or raise :class:`JsonError`."""
    if len(data) > max_bytes:
        raise JsonError(f"{what} has {len(data)} bytes, more than {max_bytes}", rule="json:size")
    try:
        text = data.decode("utf-8")  # RFC 8259 8.1: JSON exchanged between systems is UTF-8
    except UnicodeDecodeError:
        raise JsonError(f"{what} is not UTF-8", rule="json:encoding") from None
    if text.startswith("\ufeff"):
        raise JsonError(f"{what} starts with a byte order mark", rule="json:encoding")
    _check_depth(text, what)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_int=_integer,
            parse_float=_finite,
        )
        # RFC 7493 2.1: no lone surrogates (they cannot be written back as UTF-8).
        json.dumps(value, ensure_ascii=False).encode("utf-8")
        if len(data) > MAX_STRING_BYTES:
            # (A string is never longer in UTF-8 than its JSON text: a smaller document holds
            # none too long.)
            _check_string_lengths(value)
    except _RefusalError as exc:
        raise JsonError(f"{what} {exc.does}", rule=exc.rule) from None
    except UnicodeEncodeError:
        raise JsonError(f"{what} has a lone surrogate escape", rule="json:encoding") from None
    except RecursionError:
        raise JsonError(f"{what} is nested too deeply", rule="json:depth") from None
    except ValueError as exc:
        raise JsonError(f"{what} is not JSON: {exc}", rule="json:syntax") from None
    return value


def dump_json(value: Json) -> bytes:
    """Compact, deterministic UTF-8 JSON (members in insertion order)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def loads(data: str | bytes | bytearray, *, max_bytes: int = 64 * 1024 * 1024) -> Json:
    """:func:`load_json` for callers that translate a plain ``ValueError`` themselves."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        return load_json(raw, what="JSON", max_bytes=max_bytes)
    except JsonError as exc:
        raise ValueError(exc.message) from None

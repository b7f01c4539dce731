"""Strict JSON and typed JSON objects for the DPI business messages.

Reading (:func:`load_json`) accepts only what RFC 8259 and I-JSON (RFC 7493) allow: UTF-8
without a byte order mark, no duplicate member names (two parsers would disagree on which one
counts: a classic way to make a signed message say two things), no NaN/Infinity, no lone
surrogates, bounded size and nesting.

Writing (:func:`dump_json`) is deterministic: compact separators, UTF-8, non-ASCII and ``/``
written as themselves (as Digdir's client writes them since 2023), members in the order the
model declares them.

A :class:`JsonObject` subclass is a frozen dataclass whose ``_fields`` say, for every member,
its JSON name, its attribute and a :class:`Codec` that checks the JSON Schema rules of that
member (type, length, pattern, enum, format) while converting to the Python value. Checking
never stops at the first problem: every broken rule is collected as a
:class:`~peppol_dpi.errors.Problem` whose ``location`` is a JSON path in the style
``$.standardBusinessDocument.digital.avsender`` (the style of ``jsonschema``'s ``json_path``).
Rules of the JSON schemas have ``rule`` names ``dpi-schema:<keyword>``; rules the DPI profile
adds on top (valid organisation numbers, identifiers matching the type, ...) have other names.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, ClassVar, Generic, Self, TypeVar

from ..errors import InputError, Problem, UsageError, ValidationError
from ..jsonparse import Json, JsonError, dump_json, load_json

__all__ = [
    "Codec",
    "JsonError",
    "JsonObject",
    "dump_json",
    "format_datetime",
    "load_json",
    "parse_datetime",
]

T = TypeVar("T")
E = TypeVar("E")


# -- formats (JSON Schema draft-07 section 7.3) -------------------------------------------------

_DATE_TIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", re.ASCII)
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+", re.ASCII)


def _valid_date(year: str, month: str, day: str) -> bool:
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _is_date_time(text: str) -> bool:
    # RFC 3339 5.6 date-time: full-date "T" full-time, offset required. Leap seconds (60) are
    # refused, as Java's OffsetDateTime (Digdir's client) and Python's datetime refuse them.
    m = _DATE_TIME_RE.fullmatch(text)
    if m is None or not _valid_date(m[1], m[2], m[3]):
        return False
    if int(m[4]) > 23 or int(m[5]) > 59 or int(m[6]) > 59:
        return False
    return m[8] is not None or (int(m[10]) <= 23 and int(m[11]) <= 59)


def _is_date(text: str) -> bool:
    m = _DATE_RE.fullmatch(text)  # RFC 3339 5.6 full-date
    return m is not None and _valid_date(m[1], m[2], m[3])


_FORMATS: dict[str, Callable[[str], bool]] = {
    "date-time": _is_date_time,
    "date": _is_date,
    "uuid": lambda text: _UUID_RE.fullmatch(text) is not None,  # RFC 4122 3 string form
    "email": lambda text: _EMAIL_RE.fullmatch(text) is not None,  # local@domain, no spaces
}


def parse_datetime(text: str) -> datetime:
    """An RFC 3339 date-time as an aware datetime (fractions beyond microseconds are cut)."""
    m = _DATE_TIME_RE.fullmatch(text)
    if m is None or not _is_date_time(text):
        raise UsageError(f"{text!r} is not an RFC 3339 date-time")
    micro = int((m[7] or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if m[9] is not None:
        offset = timedelta(hours=int(m[10]), minutes=int(m[11])) * (1 if m[9] == "+" else -1)
    tz = UTC if offset == timedelta(0) else timezone(offset)
    return datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]), micro, tz)


def format_datetime(value: datetime) -> str:
    """As Java's ``ISO_OFFSET_DATE_TIME`` (what Digdir's client writes): the fraction with its
    trailing zeros dropped and left out when zero, ``Z`` for UTC, else ``+HH:MM``."""
    offset = value.utcoffset()
    if offset is None:
        raise UsageError(f"{value!r} has no time zone; DPI times carry their offset")
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    fraction = f"{value.microsecond:06d}".rstrip("0")
    if fraction:
        text += "." + fraction
    if offset == timedelta(0):
        return text + "Z"
    sign = "+" if offset > timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    if abs(int(offset.total_seconds())) % 60:
        raise UsageError("DPI times carry offsets in whole minutes")
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# -- problems and paths -------------------------------------------------------------------------


def child_path(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


def schema_problem(keyword: str, message: str, path: str) -> Problem:
    return Problem(rule=f"dpi-schema:{keyword}", message=message, location=path)


def _type_name(raw: Json) -> str:
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "number", float: "number"}.get(
        type(raw), type(raw).__name__
    )


# -- codecs -------------------------------------------------------------------------------------


class Codec(Generic[T]):
    """Checks one JSON value against its schema rules and converts it (both ways).

    ``decode`` appends every problem it finds to ``out`` and returns None when there was one
    (no member of the DPI schemas may be null, so None never stands for a value).
    """

    def decode(self, raw: Json, path: str, out: list[Problem]) -> T | None:
        raise NotImplementedError

    def encode(self, value: T) -> Json:
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class Text(Codec[str]):
    """A JSON string with ``minLength``/``maxLength``/``pattern``/``format``."""

    min_length: int | None = None
    max_length: int | None = None
    #: A JSON Schema pattern (searched, not anchored, as the spec says; ECMA-262 ``\\d``/``\\w``
    #: are ASCII, so compile with ``re.ASCII``; write ``$`` as ``\\Z``).
    pattern: re.Pattern[str] | None = None
    format: str | None = None

    def decode(self, raw: Json, path: str, out: list[Problem]) -> str | None:
        if not isinstance(raw, str):
            out.append(schema_problem("type", f"must be a string, not {_type_name(raw)}", path))
            return None
        start = len(out)
        if self.min_length is not None and len(raw) < self.min_length:
            out.append(schema_problem("minLength", f"shorter than {self.min_length}", path))
        if self.max_length is not None and len(raw) > self.max_length:
            out.append(schema_problem("maxLength", f"longer than {self.max_length}", path))
        if self.pattern is not None and self.pattern.search(raw) is None:
            out.append(schema_problem("pattern", f"does not match {self.pattern.pattern!r}", path))
        if self.format is not None and not _FORMATS[self.format](raw):
            out.append(schema_problem("format", f"{raw!r} is not a valid {self.format}", path))
        return raw if len(out) == start else None

    def encode(self, value: str) -> Json:
        if not isinstance(value, str):
            raise UsageError(f"expected text, got {type(value).__name__}")
        return value


@dataclasses.dataclass(frozen=True)
class Converted(Codec[T]):
    """Another codec's value converted to a richer type (date-time, uuid, organisation...).

    ``to_value`` may raise an :class:`~peppol_dpi.errors.InputError` for a DPI profile rule
    the schema does not have; it becomes a problem with that error's rule.
    """

    inner: Codec[Any]
    to_value: Callable[[Any], T]
    to_inner: Callable[[T], Any]
    kind: type

    def decode(self, raw: Json, path: str, out: list[Problem]) -> T | None:
        checked = self.inner.decode(raw, path, out)
        if checked is None:
            return None
        try:
            return self.to_value(checked)
        except InputError as exc:
            out.append(Problem(rule=exc.rule, message=exc.message, location=path))
            return None

    def encode(self, value: T) -> Json:
        if not isinstance(value, self.kind):
            raise UsageError(f"expected {self.kind.__name__}, got {type(value).__name__}")
        return self.inner.encode(self.to_inner(value))


DATE_TIME: Converted[datetime] = Converted(
    Text(format="date-time"), parse_datetime, format_datetime, datetime
)
DATE: Converted[date] = Converted(Text(format="date"), date.fromisoformat, date.isoformat, date)
UUID: Converted[uuid.UUID] = Converted(Text(format="uuid"), uuid.UUID, str, uuid.UUID)


@dataclasses.dataclass(frozen=True)
class Choice(Codec[E]):
    """A JSON string or integer ``enum`` as a Python enum."""

    enum: type[E]
    integer: bool = False

    def decode(self, raw: Json, path: str, out: list[Problem]) -> E | None:
        values = [m.value for m in self.enum]  # type: ignore[attr-defined]
        if self.integer:
            # draft-07 "integer": any number with a zero fraction (3.0 is 3); booleans are not.
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            if not isinstance(raw, int) or isinstance(raw, bool):
                out.append(
                    schema_problem("type", f"must be an integer, not {_type_name(raw)}", path)
                )
                return None
        elif not isinstance(raw, str):
            out.append(schema_problem("type", f"must be a string, not {_type_name(raw)}", path))
            return None
        if raw not in values:
            out.append(schema_problem("enum", f"{raw!r} is not one of {values}", path))
            return None
        return self.enum(raw)  # type: ignore[call-arg]

    def encode(self, value: E) -> Json:
        if not isinstance(value, self.enum):
            raise UsageError(f"expected {self.enum.__name__}, got {value!r}")
        return value.value  # type: ignore[attr-defined]


class Boolean(Codec[bool]):
    def decode(self, raw: Json, path: str, out: list[Problem]) -> bool | None:
        if not isinstance(raw, bool):
            out.append(schema_problem("type", f"must be a boolean, not {_type_name(raw)}", path))
            return None
        return raw

    def encode(self, value: bool) -> Json:
        if not isinstance(value, bool):
            raise UsageError(f"expected a boolean, got {value!r}")
        return value


@dataclasses.dataclass(frozen=True)
class Integer(Codec[int]):
    """A draft-07 ``integer`` (any number with a zero fraction; not a boolean) in a range."""

    minimum: int | None = None
    maximum: int | None = None

    def decode(self, raw: Json, path: str, out: list[Problem]) -> int | None:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if not isinstance(raw, int) or isinstance(raw, bool):
            out.append(schema_problem("type", f"must be an integer, not {_type_name(raw)}", path))
            return None
        if self.minimum is not None and raw < self.minimum:
            out.append(schema_problem("minimum", f"less than {self.minimum}", path))
            return None
        if self.maximum is not None and raw > self.maximum:
            out.append(schema_problem("maximum", f"more than {self.maximum}", path))
            return None
        return raw

    def encode(self, value: int) -> Json:
        if not isinstance(value, int) or isinstance(value, bool):
            raise UsageError(f"expected an integer, got {value!r}")
        return value


@dataclasses.dataclass(frozen=True)
class ListOf(Codec[tuple[T, ...]]):
    """An array with ``minItems``/``maxItems`` whose items all follow one codec."""

    item: Codec[T]
    min_items: int | None = None
    max_items: int | None = None

    def decode(self, raw: Json, path: str, out: list[Problem]) -> tuple[T, ...] | None:
        if not isinstance(raw, list):
            out.append(schema_problem("type", f"must be an array, not {_type_name(raw)}", path))
            return None
        start = len(out)
        if self.min_items is not None and len(raw) < self.min_items:
            out.append(schema_problem("minItems", f"fewer than {self.min_items} items", path))
        if self.max_items is not None and len(raw) > self.max_items:
            out.append(schema_problem("maxItems", f"more than {self.max_items} items", path))
        items = [self.item.decode(value, child_path(path, i), out) for i, value in enumerate(raw)]
        if len(out) != start:
            return None
        return tuple(item for item in items if item is not None)

    def encode(self, value: tuple[T, ...]) -> Json:
        return [self.item.encode(item) for item in value]


@dataclasses.dataclass(frozen=True)
class Required:
    """A ``{"required": [...]}`` branch of a ``oneOf``."""

    names: tuple[str, ...]

    def holds(self, raw: Mapping[str, Json]) -> bool:
        return all(name in raw for name in self.names)


@dataclasses.dataclass(frozen=True)
class OneOf:
    """A ``oneOf`` of ``required`` branches: exactly one branch may hold."""

    branches: tuple[Required | OneOf, ...]
    explanation: str

    def holds(self, raw: Mapping[str, Json]) -> bool:
        return sum(branch.holds(raw) for branch in self.branches) == 1


@dataclasses.dataclass(frozen=True)
class Field:
    """One member of a :class:`JsonObject`: JSON name, attribute, codec, required."""

    json: str
    attr: str
    codec: Codec[Any]
    required: bool = False


class JsonObject:
    """Base of the frozen dataclasses that mirror a JSON object of Digdir's schemas.

    Subclasses set ``_fields`` (in the order they are written), ``_closed`` (the schema's
    ``additionalProperties: false``; an open object keeps unknown members in ``extensions``)
    and ``_one_of``. Constructing one checks every rule of its JSON form and raises
    :class:`~peppol_dpi.errors.ValidationError` listing all problems.
    """

    _fields: ClassVar[tuple[Field, ...]] = ()
    _closed: ClassVar[bool] = True
    _one_of: ClassVar[OneOf | None] = None
    _what: ClassVar[str] = "object"
    #: The schema gives no ``"type": "object"`` (commons#/definitions/varsler): a non-object
    #: then breaks a DPI profile rule, not a schema rule.
    _untyped: ClassVar[bool] = False

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        type(self).check(self.to_json(), "$", problems)
        ValidationError.raise_if_any(problems, what=self._what)

    @classmethod
    def check(cls, raw: Json, path: str, out: list[Problem]) -> dict[str, Any] | None:
        """Check ``raw`` against this object's rules; the constructor arguments, or None."""
        if not isinstance(raw, dict):
            message = f"must be an object, not {_type_name(raw)}"
            if cls._untyped:
                out.append(Problem(rule="dpi:type", message=message, location=path))
            else:
                out.append(schema_problem("type", message, path))
            return None
        start = len(out)
        values: dict[str, Any] = {}
        for field in cls._fields:
            if field.json in raw:
                value = field.codec.decode(raw[field.json], child_path(path, field.json), out)
                if value is not None:
                    values[field.attr] = value
            elif field.required:
                out.append(
                    schema_problem("required", f"the member {field.json!r} is missing", path)
                )
        known = {field.json for field in cls._fields}
        unknown = {name: value for name, value in raw.items() if name not in known}
        if cls._closed:
            out.extend(
                schema_problem("additionalProperties", f"the member {name!r} is not allowed", path)
                for name in unknown
            )
        else:
            values["extensions"] = MappingProxyType(unknown)
        if cls._one_of is not None and not cls._one_of.holds(raw):
            out.append(schema_problem("oneOf", cls._one_of.explanation, path))
        return values if len(out) == start else None

    @classmethod
    def decode(cls, raw: Json, path: str, out: list[Problem]) -> Self | None:
        values = cls.check(raw, path, out)
        if values is None:
            return None
        # Checked already: build without running the checks of __post_init__ again.
        instance = cls.__new__(cls)
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            if field.name in values:
                value = values[field.name]
            elif field.default is not dataclasses.MISSING:
                value = field.default
            else:
                value = field.default_factory()  # type: ignore[operator]
            object.__setattr__(instance, field.name, value)
        return instance

    def to_json(self) -> dict[str, Json]:
        """The JSON object, members in the declared order, absent (None) members left out."""
        result: dict[str, Json] = {}
        for field in self._fields:
            value = getattr(self, field.attr)
            if value is not None:
                result[field.json] = field.codec.encode(value)
        if not self._closed:
            result.update(getattr(self, "extensions", {}))
        return result


@dataclasses.dataclass(frozen=True)
class Nested(Codec[T]):
    """A member that is itself a :class:`JsonObject`."""

    cls: type[T]

    def decode(self, raw: Json, path: str, out: list[Problem]) -> T | None:
        return self.cls.decode(raw, path, out)  # type: ignore[attr-defined,no-any-return]

    def encode(self, value: T) -> Json:
        if not isinstance(value, self.cls):
            raise UsageError(f"expected {self.cls.__name__}, got {type(value).__name__}")
        return value.to_json()  # type: ignore[attr-defined]


def no_extensions() -> Mapping[str, Json]:
    """Default for the ``extensions`` of an open object."""
    return MappingProxyType({})

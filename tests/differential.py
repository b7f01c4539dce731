"""What differential tests and fuzz targets compare: the outcome of one reader of some bytes.

Readers that must agree (the bytes and streaming AS4 openers, the DPI package and payload
readers) are each run on the same input and their outcomes compared with :func:`same`: the
value read, a :class:`Failure` (an InputError: class, rule and ebMS code) or a :class:`Crash`
(any other exception, a bug wherever it happens). :class:`Trickle` is a file whose reads
return a few bytes at a time, as a raw stream's may.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xmlschema
from lxml import etree

from peppol_dpi.errors import InputError, ValidationError

__all__ = [
    "Crash",
    "Failure",
    "SchemaOracle",
    "Trickle",
    "Verdict",
    "describe",
    "edit",
    "outcome",
    "same",
    "schema_driver",
]


@dataclass(frozen=True)
class Failure:
    """A refusal: compared by class, rule, ebMS code and, when asked for, a ValidationError's
    problems; the message (and the cause) is shown, not compared."""

    cls: str
    rule: str | None
    ebms_code: str | None
    problems: tuple[tuple[str, str, str], ...] = ()
    message: str = field(default="", compare=False)
    cause: str = field(default="", compare=False)

    @classmethod
    def of(cls, exc: InputError, *, problems: bool = False) -> Failure:
        cause = exc.__cause__
        return cls(
            type(exc).__name__,
            exc.rule,
            exc.ebms_code.code if exc.ebms_code is not None else None,
            tuple((p.rule, p.location, p.message) for p in exc.problems)
            if problems and isinstance(exc, ValidationError)
            else (),
            message=str(exc)[:300],
            cause=f"{type(cause).__name__} [{getattr(cause, 'rule', '')}] {cause}" if cause else "",
        )


@dataclass(frozen=True)
class Crash:
    """An exception other than InputError: compared by class; :func:`same` raises it when
    every reader raised it."""

    cls: str
    exc: BaseException = field(compare=False, repr=False)
    message: str = field(default="", compare=False)


@dataclass(frozen=True)
class Verdict:
    """What one reader (ours, or the other implementation it is held to) made of an input, for
    the "never laxer" tests: accepted or not, why, and whether it crashed."""

    accepted: bool
    detail: str
    crashed: bool = False


def outcome(read: Callable[[], object], *, problems: bool = False) -> object:
    """What ``read`` returned, or how it failed (compared, not raised: another reader may
    answer)."""
    try:
        return read()
    except InputError as exc:
        return Failure.of(exc, problems=problems)
    except Exception as exc:
        return Crash(type(exc).__name__, exc, str(exc)[:300])


def edit(base: bytes, old: bytes, new: bytes) -> bytes:
    """``base`` with its first ``old`` (which must occur) replaced by ``new``: a mutation."""
    assert old in base, old
    return base.replace(old, new, 1)


def describe(outcomes: Mapping[str, object]) -> str:
    return "\n".join(f"  {name}: {value!r}"[:700] for name, value in outcomes.items())


def same(outcomes: Mapping[str, object]) -> object:
    """The one outcome of ``outcomes``: AssertionError naming them all unless they are equal;
    a crash of every reader is raised as it is."""
    values = list(outcomes.values())
    if not all(v == values[0] for v in values):
        raise AssertionError(f"the readers disagree:\n{describe(outcomes)}")
    if isinstance(values[0], Crash):
        raise values[0].exc
    return values[0]


class Trickle(io.RawIOBase):
    """A seekable binary file whose reads return at most ``step`` bytes, and never cross the
    offsets in ``cuts``: a raw stream may return fewer bytes than asked (io.RawIOBase.read)."""

    def __init__(self, data: bytes, step: int | None = None, cuts: Iterable[int] = ()) -> None:
        self._data = io.BytesIO(data)
        self._step = step
        self._cuts = sorted(cuts)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._data.seek(offset, whence)

    def tell(self) -> int:
        return self._data.tell()

    def readinto(self, buffer: Any) -> int:
        at = self._data.tell()
        size = len(buffer)
        if self._step is not None:
            size = min(size, self._step)
        for cut in self._cuts:
            if cut > at:
                size = min(size, cut - at)
                break
        piece = self._data.read(size)
        buffer[: len(piece)] = piece
        return len(piece)


@dataclass
class SchemaOracle:
    """Official schemas as two engines judge them, libxml2 (``lxml``) and the pure-Python
    ``xmlschema`` (``pure``): each lets through something the other catches, so a document
    either one refuses is schema-invalid."""

    lxml: etree.XMLSchema
    pure: xmlschema.XMLSchema

    @classmethod
    def compiled(cls, main: Path) -> SchemaOracle:
        """Both engines' compilation of the schema document ``main``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pure = xmlschema.XMLSchema(str(main))
        return cls(lxml_schema(main), pure)

    def parser(self, *, plain: bool = False) -> etree.XMLParser:
        """``plain``: without PIs and comments (xmlschema takes a PI inside simple content for
        a child element; XSD 1.0 part 1, 3.3.4, the infoset, ignores both)."""
        return etree.XMLParser(resolve_entities=False, remove_pis=plain, remove_comments=plain)

    def objections(self, data: bytes) -> list[str]:
        """What either engine says is wrong with ``data`` (empty: schema-valid)."""
        try:
            document = etree.fromstring(data, self.parser())
        except etree.XMLSyntaxError as exc:
            return [f"not well-formed: {exc}"]
        found = []
        if not self.lxml.validate(document):
            log: list[Any] = list(self.lxml.error_log)  # type: ignore[call-overload]
            found += [f"lxml: {e.message}" for e in log]
        plain = etree.fromstring(data, self.parser(plain=True))
        found += [f"xmlschema: {e.reason}" for e in self.pure.iter_errors(plain)]
        return found


def lxml_schema(main: Path) -> etree.XMLSchema:
    """libxml2's compilation of the schema document ``main``. The XML Signature schema names a
    DTD beside it: loaded from the folder, never the network."""
    parser = etree.XMLParser(load_dtd=True, no_network=True, resolve_entities=True)
    return etree.XMLSchema(etree.parse(str(main), parser))


def schema_driver(folder: Path, imports: Mapping[str, str], namespace: str | None = None) -> Path:
    """``folder``/driver.xsd: a schema document importing each namespace in ``imports`` from
    its location (relative to ``folder``), in ``namespace`` (none: no target namespace)."""
    body = "".join(
        f'<xs:import namespace="{n}" schemaLocation="{at}"/>' for n, at in imports.items()
    )
    target = f' targetNamespace="{namespace}"' if namespace else ""
    driver = folder / "driver.xsd"
    driver.write_text(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"{target}>{body}</xs:schema>'
    )
    return driver

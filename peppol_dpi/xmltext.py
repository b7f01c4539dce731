"""XML text: writing character data and attribute values, escaped (XML 1.0 sections 2.2, 2.4
and 3.3.3), and reading the two XML Schema types every layer meets, xs:base64Binary and
xs:dateTime, strictly.

Messages with a fixed layout (the AS4 envelope, its security header, eb:Messaging) are written
as text: a few string joins instead of dozens of element-API calls. Every value goes through
:func:`text` or :func:`attr`, which refuse characters XML cannot carry rather than write a
document nobody can read, and escape exactly as Canonical XML 1.0 (section 2.3) writes character
data and attribute values: text written with them, in canonical element and attribute order, is
already its own canonical form (the AS4 signer relies on it).
"""

from __future__ import annotations

import binascii
import re
from datetime import UTC, datetime, timedelta, timezone

from .errors import UsageError

__all__ = [
    "NOT_XML_CHAR",
    "XML_SPACE",
    "XML_WHITESPACE",
    "attr",
    "base64_binary",
    "date_time",
    "is_xml_space",
    "strict_base64",
    "text",
    "xml_strip",
    "xml_tokens",
]

#: A character XML 1.0 cannot carry: anything outside 2.2 Char (tab, newline, carriage return
#: and the non-control code points). The one definition the package checks text against.
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Values that need neither a check nor an escape: the common case, decided by one match.
_PLAIN_TEXT = re.compile("[^&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\r]*")
#: The white space XML text may carry between base64 characters (XML 1.0 section 2.3 S).
XML_WHITESPACE = b" \t\r\n"
#: The same as text: the only white space XML knows (XML 1.0 section 2.3, production S), and
#: what Java's ``String.trim()`` removes from XML text (no other character below U+0021 is an
#: XML character). Python's ``str.strip()``, ``split()`` and ``isspace()`` also take U+0085,
#: U+00A0, U+2003, U+3000 and others for white space: a value padded with them is another
#: value to every other reader, and a list split at them other tokens.
XML_SPACE = " \t\r\n"
_XML_SPACE_RUNS = re.compile("[ \t\r\n]+")
_PLAIN_ATTR = re.compile('[^&<"\x00-\x1f\ud800-\udfff\ufffe\uffff]*')


def xml_strip(value: str) -> str:
    """``value`` without the XML white space around it (nothing else removed)."""
    return value.strip(XML_SPACE)


def is_xml_space(value: str | None) -> bool:
    """Whether ``value`` (an element's text or tail) is empty or XML white space only: what
    element-only content may hold between its elements (XML 1.0 3.2.1)."""
    return not value or not value.strip(XML_SPACE)


def xml_tokens(value: str) -> list[str]:
    """The tokens of a white-space separated list (xs:NMTOKENS and other XSD list types, whose
    whiteSpace is collapse: XSD 1.0 part 2, 3.2.1 and 4.3.6), split at XML white space only."""
    stripped = value.strip(XML_SPACE)
    return _XML_SPACE_RUNS.split(stripped) if stripped else []


def _check(value: str) -> None:
    found = NOT_XML_CHAR.search(value)
    if found is not None:
        raise UsageError(
            f"U+{ord(found.group()):04X} cannot be written in XML (XML 1.0 2.2): {value[:60]!r}"
        )


def text(value: str) -> str:
    """``value`` as character data, escaped as C14N 1.0 (section 2.3) escapes text: ``&``, ``<``,
    ``>`` and ``\\r`` (a character reference, which end-of-line handling, XML 1.0 2.11, would
    otherwise turn into ``\\n``)."""
    if _PLAIN_TEXT.fullmatch(value):
        return value
    _check(value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")
    )


def attr(value: str) -> str:
    """``value`` for a double-quoted attribute, escaped as C14N 1.0 (section 2.3) escapes
    attribute values: ``&``, ``<``, ``"`` and, so that attribute-value normalization (XML 1.0
    3.3.3) keeps them, tab, newline and carriage return (``>`` stays as it is)."""
    if _PLAIN_ATTR.fullmatch(value):
        return value
    _check(value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace('"', "&quot;")
        .replace("\t", "&#x9;")
        .replace("\n", "&#xA;")
        .replace("\r", "&#xD;")
    )


def base64_binary(value: str) -> bytes:
    """The octets of an xs:base64Binary value (XSD 1.0 part 2 section 3.2.16), decoded strictly:
    XML white space (space, tab, CR, LF) is allowed and removed, only when the value has some;
    anything else outside the alphabet (RFC 4648 section 4), non-ASCII text and misplaced
    padding are refused with a ValueError (``binascii.Error`` is one). The one decoder of the
    package for base64 in XML, whole (:mod:`peppol_dpi.base64text` decodes it in pieces)."""
    try:
        return strict_base64(value)
    except binascii.Error:
        stripped = value.encode("ascii").translate(None, XML_WHITESPACE)
        return strict_base64(stripped)


def strict_base64(text: str | bytes) -> bytes:
    """``binascii.a2b_base64(text, strict_mode=True)`` for text without white space, with one
    more refusal: ``=`` where a quantum starts or at its second character (RFC 4648 section 4
    pads only the last quantum, at its third or fourth character). CPython before 3.12.4
    (gh-118314) accepts ``AAAA=`` in strict mode; this refuses it on every version, whole or
    in pieces (:class:`peppol_dpi.base64text.Base64Decoder` uses it too)."""
    pad = text.find("=") if isinstance(text, str) else text.find(b"=")
    if pad >= 0 and pad % 4 < 2:
        raise binascii.Error("base64 padding where no quantum ends")
    return binascii.a2b_base64(text, strict_mode=True)


# xs:dateTime (XSD 1.0 part 2 section 3.2.7), with the four-digit years Python can hold.
_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def date_time(value: str) -> datetime | None:
    """An xs:dateTime value (XSD 1.0 part 2 section 3.2.7), or None when it is not one (or not
    one Python can hold). Surrounding XML white space is removed (the type's whiteSpace
    collapse); the value has no time zone (a naive datetime) when it names none; fractions
    beyond microseconds are cut (Oxalis writes nanoseconds); 24:00:00 is the next midnight.

    The one reader of the package for xs:dateTime: ``datetime.fromisoformat`` would also take
    dates alone, ISO week dates, the basic format and a space instead of ``T``.
    """
    m = _DATE_TIME.fullmatch(value.strip(XML_SPACE))
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    tz: timezone | None = None
    if m.group(8) == "Z":
        tz = UTC
    elif m.group(8):
        sign = -1 if m.group(8)[0] == "-" else 1
        hours, minutes = int(m.group(8)[1:3]), int(m.group(8)[4:6])
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):  # at most 14:00
            return None
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        if hour == 24 and minute == second == micro == 0:
            return datetime(year, month, day, tzinfo=tz) + timedelta(days=1)
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except (ValueError, OverflowError):
        return None

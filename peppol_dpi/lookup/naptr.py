"""NAPTR records and their substitution expressions (RFC 3403, RFC 3402 section 3.2, RFC 4848).

A U-NAPTR record (RFC 4848) carries a ``regexp`` of the form ``<d>ERE<d>REPL<d>[i]``; applied to
the domain name that was queried (the Application Unique String), it yields the URI. The ERE is
POSIX Extended syntax, which differs from Python's ``re``: this module translates it token by
token, refusing Python-only constructs (``(?...)``, ``\\d``, backreferences inside the pattern),
quantified groups that hold a quantifier or an alternation (the shapes of catastrophic
backtracking) and more than two quantifiers, so a hostile DNS answer can neither change the
meaning of the pattern nor make matching hang.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SmlError

__all__ = ["NaptrRecord", "SubstitutionExpression", "parse_substitution"]

# A DNS <character-string> holds at most 255 octets (RFC 1035 3.3); the regexp field is one.
_MAX_REGEXP = 255
_MAX_BOUND = 255
# Real records use one (".*", "^.*$") or two; with a name of at most 253 characters, two
# quantifiers cost at most ~64 000 matching steps however the pattern is built.
_MAX_QUANTIFIERS = 2
_POSIX_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "xdigit": "0-9A-Fa-f",
    "space": " \\t\\n\\r\\f\\v",
}


def _malformed(message: str, regexp: str) -> SmlError:
    return SmlError(f"NAPTR regexp {regexp!r}: {message}", rule="sml:malformed-naptr")


def _unsafe(message: str, regexp: str) -> SmlError:
    return SmlError(f"NAPTR regexp {regexp!r}: {message}", rule="sml:unsafe-regexp")


@dataclass(frozen=True, kw_only=True)
class NaptrRecord:
    """One NAPTR resource record (RFC 3403 section 4.1)."""

    order: int
    preference: int
    flags: str
    service: str
    regexp: str
    replacement: str  # a domain name; "." (the root) means "none"

    def __post_init__(self) -> None:
        for name in ("order", "preference"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= 0xFFFF:
                raise SmlError(
                    f"NAPTR {name} {value!r} is not a 16-bit number", rule="sml:malformed-naptr"
                )


@dataclass(frozen=True, kw_only=True)
class SubstitutionExpression:
    """A parsed ``regexp`` field: the translated pattern and the replacement template."""

    source: str
    pattern: re.Pattern[str]
    replacement: tuple[str | int, ...]  # literal text, or a backreference number

    def apply(self, subject: str) -> str | None:
        """The substituted string, or None when the pattern does not match ``subject``.

        RFC 3402 3.2: the first match is replaced by the expanded replacement, sed-style.
        """
        match = self.pattern.search(subject)
        if match is None:
            return None
        parts: list[str] = []
        for part in self.replacement:
            if isinstance(part, int):
                if part > (self.pattern.groups or 0):
                    raise _malformed(f"backreference \\{part} names no group", self.source)
                parts.append(match.group(part) or "")
            else:
                parts.append(part)
        return subject[: match.start()] + "".join(parts) + subject[match.end() :]


def parse_substitution(regexp: str) -> SubstitutionExpression:
    """Parse and translate a NAPTR ``regexp`` field (RFC 3402 section 3.2 grammar)."""
    if not regexp:
        raise _malformed("is empty", regexp)
    if len(regexp) > _MAX_REGEXP:
        raise _malformed(f"is longer than {_MAX_REGEXP} characters", regexp)
    delim = regexp[0]
    # RFC 3402 3.2: the delimiter is any character but a digit 1-9, the flag "i" and backslash.
    if delim in "123456789i\\" or not delim.isprintable():
        raise _malformed(f"{delim!r} cannot be the delimiter", regexp)
    fields = _split_fields(regexp, delim)
    if len(fields) != 3:
        raise _malformed(f"needs exactly three {delim!r} delimiters", regexp)
    ere, repl, flags = fields
    if flags not in ("", "i"):  # RFC 3402 3.2: the only flag is "i"
        raise _malformed(f"unknown flags {flags!r}", regexp)
    if not ere:
        raise _malformed("has an empty pattern", regexp)
    python_pattern = _translate_ere(ere, regexp)
    try:
        pattern = re.compile(python_pattern, re.IGNORECASE if flags else 0)
    except re.error as exc:
        raise _malformed(f"is not a valid regular expression: {exc}", regexp) from None
    return SubstitutionExpression(
        source=regexp, pattern=pattern, replacement=_parse_replacement(repl, delim, regexp)
    )


def _split_fields(regexp: str, delim: str) -> list[str]:
    """Split on unescaped delimiters; an escaped delimiter stays in its field, unescaped."""
    fields: list[str] = []
    current: list[str] = []
    i = 1
    while i < len(regexp):
        char = regexp[i]
        if char == "\\" and i + 1 < len(regexp):
            nxt = regexp[i + 1]
            current.append(nxt if nxt == delim else char + nxt)
            i += 2
            continue
        if char == delim:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    fields.append("".join(current))
    return fields


def _parse_replacement(repl: str, delim: str, regexp: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    text: list[str] = []
    i = 0
    while i < len(repl):
        char = repl[i]
        if char == "\\":
            if i + 1 >= len(repl):
                raise _malformed("ends with a lone backslash", regexp)
            nxt = repl[i + 1]
            if nxt in "123456789":  # RFC 3402 3.2 backref = "\" POS-DIGIT
                if text:
                    parts.append("".join(text))
                    text = []
                parts.append(int(nxt))
            elif nxt in (delim, "\\"):
                text.append(nxt)
            else:
                raise _malformed(f"unknown escape \\{nxt} in the replacement", regexp)
            i += 2
            continue
        text.append(char)
        i += 1
    if text:
        parts.append("".join(text))
    return tuple(parts)


def _translate_ere(ere: str, regexp: str) -> str:
    """POSIX ERE to an equivalent Python pattern, refusing what could be abused."""
    out: list[str] = []
    # For each open group: does it (or a group inside it) hold a quantifier or an alternation?
    # Quantifying such a group - (a+)*, (a|aa)* - backtracks exponentially.
    group_complex: list[bool] = [False]
    last_atom_complex = False  # the previous atom was such a group
    last_was_atom = False
    quantifiers = 0
    i = 0
    while i < len(ere):
        char = ere[i]
        if char == "\\":
            if i + 1 >= len(ere):
                raise _malformed("pattern ends with a lone backslash", regexp)
            nxt = ere[i + 1]
            if nxt.isdigit():
                raise _unsafe("backreferences in the pattern are not allowed", regexp)
            out.append(re.escape(nxt))  # POSIX: "\c" is the literal c
            i += 2
            last_atom_complex, last_was_atom = False, True
            continue
        if char == "[":
            end, text = _translate_bracket(ere, i, regexp)
            out.append(text)
            i = end
            last_atom_complex, last_was_atom = False, True
            continue
        if char == "(":
            if ere[i + 1 : i + 2] == "?":
                raise _unsafe("'(?' extensions are not POSIX and not allowed", regexp)
            group_complex.append(False)
            out.append("(")
            last_was_atom = False
        elif char == ")":
            if len(group_complex) == 1:
                raise _malformed("unbalanced ')'", regexp)
            inner = group_complex.pop()
            group_complex[-1] = group_complex[-1] or inner
            out.append(")")
            last_atom_complex, last_was_atom = inner, True
        elif char in "*+?{":
            if not last_was_atom:
                raise _malformed(f"quantifier {char!r} follows nothing", regexp)
            if last_atom_complex:
                raise _unsafe("a quantified group may hold no quantifier or '|'", regexp)
            quantifiers += 1
            if quantifiers > _MAX_QUANTIFIERS:
                # k quantifiers over one character class cost up to n^k steps on a miss.
                raise _unsafe(f"more than {_MAX_QUANTIFIERS} quantifiers", regexp)
            if char == "{":
                close = ere.find("}", i)
                bound = ere[i + 1 : close] if close > i else ""
                if not re.fullmatch(r"[0-9]{1,3}(,[0-9]{0,3})?", bound) or any(
                    int(n) > _MAX_BOUND for n in bound.split(",") if n
                ):
                    raise _malformed(f"bad interval {{{bound}}}", regexp)
                out.append("{" + bound + "}")
                i = close + 1
            else:
                out.append(char)
                i += 1
            if ere[i : i + 1] in ("?", "+"):
                raise _unsafe("lazy or possessive quantifiers are not POSIX", regexp)
            group_complex[-1] = True
            last_was_atom = False
            continue
        elif char in ".^$|":
            if char == "|":
                group_complex[-1] = True
            out.append(char)
            last_atom_complex, last_was_atom = False, char == "."
        else:
            out.append(re.escape(char))
            last_atom_complex, last_was_atom = False, True
        i += 1
    if len(group_complex) != 1:
        raise _malformed("unbalanced '('", regexp)
    return "".join(out)


def _translate_bracket(ere: str, start: int, regexp: str) -> tuple[int, str]:
    """Translate a POSIX bracket expression starting at ``ere[start] == '['``."""
    i = start + 1
    out = ["["]
    if ere[i : i + 1] == "^":
        out.append("^")
        i += 1
    first = True
    while i < len(ere):
        char = ere[i]
        if char == "]" and not first:
            out.append("]")
            return i + 1, "".join(out)
        if char == "[" and ere[i + 1 : i + 2] == ":":
            close = ere.find(":]", i + 2)
            name = ere[i + 2 : close] if close > 0 else ""
            if name not in _POSIX_CLASSES:
                raise _malformed(f"unsupported character class [:{name}:]", regexp)
            out.append(_POSIX_CLASSES[name])
            i = close + 2
        elif char == "[" and ere[i + 1 : i + 2] in ("=", "."):
            raise _malformed("collating elements are not supported", regexp)
        else:
            # POSIX: inside brackets everything is literal except ']' and '-' ranges.
            out.append(char if char == "-" else re.escape(char))
            i += 1
        first = False
    raise _malformed("unterminated '['", regexp)

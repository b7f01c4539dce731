"""Differential test: our JSON reader is never laxer than Jackson's, and reads what it reads.

A DPI business message is a JSON Standard Business Document carried as a JWS payload. Digdir's
integrasjonspunkt and the mailbox providers read it with Jackson (jackson-databind's
``ObjectMapper``); we read it with :func:`peppol_dpi.jsonparse.load_json`. The signature covers
the bytes, so a payload that one side reads and the other refuses, or that the two read as two
values, is one signed message read two ways. ``tests/java/JsonOracle.java`` reads every case in
one JVM with ``new ObjectMapper().readTree(bytes)``, the defaults a Spring application gets
(Spring's builder turns off FAIL_ON_UNKNOWN_PROPERTIES and DEFAULT_VIEW_INCLUSION, which a tree
does not use), and writes the tree in a canonical form that the test writes of our value too:
members in document order, strings as UTF-16 units, integers as their digits, doubles as their
IEEE 754 bits. A second mapper with FAIL_ON_TRAILING_TOKENS on is reported beside it; the
default mapper's refusal is what counts as Jackson refusing. For each case: (a) we never crash
(a refusal is a JsonError); (b) what Jackson refuses, we refuse; (c) what both read, both read
to the same value, bit for bit.

The defaults that matter. Every JsonReadFeature is off (comments, single quotes, unquoted names,
NaN and Infinity, leading zeros, raw control characters, escaping any character, trailing commas,
missing values): Jackson refuses those as we do. FAIL_ON_TRAILING_TOKENS is off: Jackson reads
the first value and never looks at what follows. STRICT_DUPLICATE_DETECTION and
FAIL_ON_READING_DUP_TREE_KEY are off: a repeated name keeps its first place and its last value.
USE_BIG_DECIMAL_FOR_FLOATS is off: a number with a point or an exponent is a double
(``Double.parseDouble``, correctly rounded as Python's ``float``), an integer an int, long or
BigInteger by size, as Python reads them. The byte reader takes zero bytes among the first four
for UTF-16 or UTF-32 and skips a UTF-8 byte order mark. jackson-core's StreamReadConstraints
(since 2.15; Debian's 2.14.1, the oracle here, has them backported for CVE-2025-52999 with the
same defaults) refuse a number of more than 1000 digits, nesting deeper than 1000 and a string
of more than 20,000,000 characters (longer than ``Limits.max_jws_bytes`` lets a payload be).

The cases (904 written, 440 more from ../shared/fixtures): whitespace of every kind before,
between and after tokens; literals in other cases and misspelt; numbers (signs, leading zeros,
points and exponents cut short, integers at the int, long and 2**53 boundaries and far beyond,
both ends of the double range, subnormals, halfway cases that round to even, many digits, either
side of 1000 digits); strings (every escape, lone and reversed surrogate escapes, bad escapes,
raw control characters, non-characters, invalid UTF-8: overlong, encoded surrogates, CESU-8,
beyond U+10FFFF, cut short, Latin-1); encodings (a UTF-8 BOM, UTF-16 and UTF-32 with and without
one); structure (trailing, leading and double commas, comments, single quotes, names unquoted or
not strings, duplicate names written alike or through escapes, nesting to 100,000, top-level
scalars, two top-level values, garbage, NULs and whitespace after the value, empty input); our
own DPI message. With ../shared/fixtures (the tests skip without it): the eight JSON samples of
Digdir's documentation and reference client (as written, with a BOM, with CRLF line ends,
compact, followed by garbage) and 400 single-byte changes, insertions, deletions and bit flips of
``digital-forretningsmelding.json``, two in three where its structure lies.

FOUND when this was written (1,344 cases: 449 read alike, 701 refused by both, 164 refused by us
alone, no value read otherwise), 30 laxer, all refused since (``jsonparse.MAX_NUMBER_DIGITS``,
``json:number``; ``FIXED``, each pinned by ``test_a_number_jackson_refuses_is_refused``):

* a number of more than 1000 digits (those of the integer part, fraction and exponent counted
  together; sign, point and "e" not). Jackson refuses it (StreamConstraintsException "Number
  length (1001) exceeds the maximum length (1000)"); we read integers up to the 4300 digits
  Python's int conversion allows and floats of any length. 15 numbers, each alone and in an
  array: 1001 and 4300 digits, pi to 1000 places, exact halfway cases written out (2**-1075,
  1 + 2**-53 with a 1 after 1200 zeros). ``load_json`` counts the digits now
  (``parse_int`` and ``parse_float``).

Noticed and settled: our nesting bound was Python's recursion limit (1000) less the caller's
frames, about 990 under pytest, stricter than Jackson's 1000 but not steady (a program that
raised ``sys.setrecursionlimit`` would read nesting Jackson refuses); ``load_json`` bounds it
at ``jsonparse.MAX_DEPTH`` (500) now, before parsing. Jackson 2.16 added a bound on member
names (50,000 bytes read from bytes, characters from text), which Debian's 2.14.1 lacks, so a
60,000-character name is refused by us alone here; ``jsonparse.MAX_NAME_BYTES`` holds us to
the newer Jackson (``json:name``; test_dpi_message.py, as the string bound).

STRICTER, by design (Jackson reads these, we refuse; allowed, not asserted):

* anything after the first value (FAIL_ON_TRAILING_TOKENS off): a second value, garbage, a
  comment, an extra closing bracket, NULs, invalid UTF-8, a BOM. The mapper with the feature on
  refuses them too. Empty input and whitespace alone, which Jackson reads as no tree
  (MissingNode) without an error.
* duplicate names however written (RFC 7493 2.3; Jackson keeps the last value).
* numbers beyond the double range (``1e309``, ``1.7976931348623159e308``, 2**1024 - 2**970),
  which Jackson reads as infinity (RFC 7493 2.2).
* lone and reversed surrogate escapes (RFC 7493 2.1), which Jackson keeps as lone UTF-16 units.
* invalid UTF-8 that Jackson decodes without a word: overlong forms (C0 80 as U+0000, E0 80 AF
  as "/"), encoded surrogates and CESU-8 pairs (joined into the character they spell, even with
  one half escaped), overlong four-byte forms and sequences beyond U+10FFFF (stray UTF-16 units).
* a UTF-8 byte order mark, which Jackson skips, and UTF-16 or UTF-32 with or without one (RFC
  8259 8.1): ``1\\x00`` is the number 1 in UTF-16LE to Jackson.
* nesting deeper than 500 levels (``jsonparse.MAX_DEPTH``, ``json:depth``).
"""

from __future__ import annotations

import json
import random
import struct
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
from java_oracle import JavaVerdict, run_batch

from peppol_dpi.errors import InputError
from peppol_dpi.jsonparse import JsonError, dump_json, load_json
from peppol_dpi.limits import DEFAULT_LIMITS


def _j(text: str) -> bytes:
    return text.encode("utf-8")


def _exact_power_of_half(k: int, multiple: int = 1) -> str:
    """``multiple * 2**-k`` written out exactly in decimal (it terminates after k digits)."""
    digits = str(multiple * 5**k).rjust(k + 1, "0")
    return f"{digits[:-k]}.{digits[-k:]}"


#: A DPI business message in the shape Digdir's client writes (compact, non-ASCII as itself,
#: a number, a boolean, an empty object), written here, not taken from anyone.
OUR_MESSAGE = dump_json(
    {
        "standardBusinessDocument": {
            "standardBusinessDocumentHeader": {
                "headerVersion": "1.0",
                "sender": [{"identifier": {"value": "0192:000000001", "authority": "iso6523"}}],
                "receiver": [{"identifier": {"value": "0192:000000002", "authority": "iso6523"}}],
                "documentIdentification": {
                    "standard": "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost",
                    "typeVersion": "1.0",
                    "instanceIdentifier": "00000000-0000-4000-8000-000000000001",
                    "type": "digital",
                    "creationDateAndTime": "2026-01-02T03:04:05.678+01:00",
                },
            },
            "digital": {
                "mottaker": {"postkasseadresse": "ola.nordmann#0001"},
                "dokumentpakkefingeravtrykk": {
                    "digestMethod": "http://www.w3.org/2001/04/xmlenc#sha256",
                    "digestValue": "AAAA/+AAAA=",
                },
                "sikkerhetsnivaa": 4,
                "aapningskvittering": False,
                "ikkesensitivtittel": "Vedtak om støtte: «søknad» — 2026 😀",
                "spraak": "NO",
                "varsler": {},
            },
        }
    }
)

_OBJECT = b'{"a":1,"b":[true,null]}'

#: Places a whitespace-like byte sequence can go: before, between tokens, after.
_WHITESPACE = {
    "space": b" ",
    "tab": b"\t",
    "CR": b"\r",
    "LF": b"\n",
    "CRLF": b"\r\n",
    "form feed": b"\f",
    "vertical tab": b"\v",
    "NUL": b"\x00",
    "file separator 0x1c": b"\x1c",
    "unit separator 0x1f": b"\x1f",
    "DEL": b"\x7f",
    "Ctrl-Z": b"\x1a",
    "NBSP": _j("\u00a0"),
    "NEL U+0085": _j("\u0085"),
    "U+2028": _j("\u2028"),
    "U+2029": _j("\u2029"),
    "ideographic space": _j("\u3000"),
    "zero width no-break space": _j("\ufeff"),
    "zero width space": _j("\u200b"),
}


def _whitespace_cases() -> list[tuple[str, bytes]]:
    cases = []
    for name, ws in _WHITESPACE.items():
        cases.append((f"{name} before", ws + _OBJECT))
        cases.append((f"{name} after", _OBJECT + ws))
        cases.append((f"{name} between tokens", b"{" + ws + b'"a"' + ws + b":" + ws + b"1}"))
        cases.append((f"{name} inside an array", b"[1," + ws + b"2]"))
        cases.append((f"{name} after a root number", b"1" + ws))
    cases.append(
        ("every JSON whitespace everywhere", b' \t\r\n{ \t\r\n"a" \n:\r 1\t,\n"b"  : [ ] }\n')
    )
    return cases


_LITERALS = [
    "true",
    "false",
    "null",
    "True",
    "TRUE",
    "False",
    "FALSE",
    "Null",
    "NULL",
    "nul",
    "nulll",
    "tru",
    "fals",
    "t",
    "f",
    "n",
    "truex",
    "true1",
    "nullnull",
    "NaN",
    "nan",
    "-NaN",
    "Infinity",
    "-Infinity",
    "+Infinity",
    "inf",
    "-inf",
    "undefined",
    "None",
]


def _literal_cases() -> list[tuple[str, bytes]]:
    cases = []
    for literal in _LITERALS:
        cases.append((f"literal {literal}", _j(literal)))
        cases.append((f"literal {literal} in an array", _j(f"[{literal}]")))
        cases.append((f"literal {literal} as a member", _j(f'{{"a":{literal}}}')))
    return cases


_TWO_POW_53_PLUS_ONE = str(2**53 + 1)
#: 2**1024 - 2**970: halfway between the largest double and 2**1024 (rounds to infinity).
_HALFWAY_TO_OVERFLOW = str(2**1024 - 2**970)

_NUMBERS = [
    "0",
    "-0",
    "0.0",
    "-0.0",
    "-0e0",
    "0e0",
    "0E-0",
    "1",
    "-1",
    "1e5",
    "1E5",
    "1e+5",
    "1E+5",
    "1e-5",
    "1E-5",
    "1.5e3",
    "1.25",
    "-1.25",
    "100e-2",
    "01",
    "-01",
    "00",
    "0.0e",
    "+1",
    "+0",
    ".5",
    "-.5",
    "5.",
    "5.e3",
    "1.e5",
    "1e",
    "1e+",
    "1e-",
    "1E",
    "-",
    "--1",
    "1-",
    "1.2.3",
    "1e5e5",
    "0x10",
    "0X1F",
    "1_000",
    "1 000",
    "0b1",
    "0o7",
    "٣",
    "１",
    str(2**31 - 1),
    str(2**31),
    str(-(2**31)),
    str(-(2**31) - 1),
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    str(-(2**63)),
    str(-(2**63) - 1),
    str(10**400),
    "-" + str(10**400),
    "1e308",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "-1.7976931348623159e308",
    _HALFWAY_TO_OVERFLOW + ".0",
    str(2**1024 - 2**970 - 1) + ".0",
    "1e309",
    "-1e309",
    "1E400",
    "1e-400",
    "-1e-400",
    "4.9e-324",
    "5e-324",
    "-5e-324",
    "2.4e-324",
    "2.5e-324",
    "2.4703282292062327e-324",
    "2.4703282292062328e-324",
    "2.2250738585072011e-308",
    "2.2250738585072012e-308",
    "2.2250738585072014e-308",
    "2.225073858507201136057409796709131975934819546351645648e-308",
    "0.1",
    "0.3",
    "0.1000000000000000055511151231257827",
    "0.1000000000000000055511151231257827021181583404541015625",
    "0.10000000000000000555111512312578270211815834045410156250001",
    _exact_power_of_half(53),
    "1" + _exact_power_of_half(53)[1:],
    _TWO_POW_53_PLUS_ONE,
    _TWO_POW_53_PLUS_ONE + ".0",
    _TWO_POW_53_PLUS_ONE + "e0",
    _TWO_POW_53_PLUS_ONE + ".00000000000000000001",
    "1e23",
    "8.98846567431158e307",
    "123456789012345678901234567890e-10",
    "0e99999999",
    "0e-99999999",
    "1e99999999999999999999",
    "1e-99999999999999999999",
    "1e2147483647",
    "1e2147483648",
    "1e-2147483648",
    "1e-2147483649",
    "0." + "0" * 399 + "1",
    "1" + "0" * 400 + ".0",
    "0.000001",
    "1e-7",
    "123456789012345678",
    "1234567890123456789012345678901234567890",
    "-1234567890123456789012345678901234567890",
]


#: Numbers too long to name by themselves. Jackson counts a number's digits (those of the
#: integer part, the fraction and the exponent together) and refuses more than 1000.
_LONG_NUMBERS = {
    "of 1000 digits": "9" * 1000,
    "of 1000 digits, negative": "-" + "9" * 1000,
    "of 1001 digits": "9" * 1001,
    "of 1001 digits, negative": "-" + "9" * 1001,
    "of 4300 digits": "9" * 4300,
    "of 4301 digits": "9" * 4301,
    "of 10000 digits": "1" + "0" * 9999,
    "0.111... of 1000 digits": "0." + "1" * 999,
    "0.111... of 1001 digits": "0." + "1" * 1000,
    "1e000...1 of 1000 digits": "1e" + "0" * 998 + "1",
    "1e000...1 of 1001 digits": "1e" + "0" * 999 + "1",
    "1.111...e000... of 1000 digits": "1." + "1" * 499 + "e-" + "0" * 500,
    "1.111...e000... of 1001 digits": "1." + "1" * 500 + "e-" + "0" * 500,
    "111...1.5 of 1000 digits": "1" * 999 + ".5",
    "pi to 1000 digits": "3." + "1415926535" * 100,
    "2**-1075 exactly (halfway from 0 to the least double)": _exact_power_of_half(1075),
    "just above 2**-1075": _exact_power_of_half(1075) + "1",
    "just below 2**-1075": _exact_power_of_half(1075)[:-1] + "4",
    "3 * 2**-1075 exactly": _exact_power_of_half(1075, 3),
    "1 + 2**-53 and a 1 after 1200 zeros": "1" + _exact_power_of_half(53)[1:] + "0" * 1200 + "1",
    "just below 1 + 2**-53, 1200 nines": "1" + _exact_power_of_half(53)[1:-1] + "4" + "9" * 1200,
    "2**53 + 1 and a 1 after 1200 zeros": _TWO_POW_53_PLUS_ONE + "." + "0" * 1200 + "1",
    "2**53 + 1 as 1200 more digits and an exponent": _TWO_POW_53_PLUS_ONE + "0" * 1200 + "1e-1201",
}


def _number_cases() -> list[tuple[str, bytes]]:
    named = [(number, number) for number in _NUMBERS]
    named += [(f"{label} ({len(number)} chars)", number) for label, number in _LONG_NUMBERS.items()]
    cases = []
    for label, number in named:
        cases.append((f"number {label}", _j(number)))
        cases.append((f"number {label} in an array", _j(f"[{number}]")))
    return cases


_ESCAPES = [
    r"\/",
    r"\b",
    r"\f",
    r"\n",
    r"\r",
    r"\t",
    r"\"",
    r"\\",
    r"\u0000",
    r"\u001f",
    r"\u0041",
    r"\u00e9",
    r"\u00E9",
    r"\uD83D\uDE00",
    r"\ud83d\ude00",
    r"\uDBFF\uDFFF",
    r"\uFFFF",
    r"\uFFFE",
    r"\uFEFF",
    r"\u2028",
    r"\uD800",
    r"\uDC00",
    r"\uDE00\uD83D",
    r"\uD83Dx",
    r"\uD83D\u0041",
    r"\uD83D\uD83D\uDE00",
    r"\uD83D\uDE00\uDE00",
    r"\uD83D\n",
    r"\uD83D",
    r"\x41",
    r"\'",
    r"\a",
    r"\v",
    r"\0",
    r"\e",
    r"\U0001F600",
    r"\u12",
    r"\u12G4",
    r"\u 123",
    r"\u+123",
    r"\u-123",
    r"\u1_23",
    r"\u0x12",
    r"\uD83D\u",
    r"\uD83D\uDE0",
    "\\",
    "\\\n",
    "\\ ",
]

#: Raw (unescaped) bytes inside a string, valid UTF-8 or not.
_RAW_IN_STRINGS = {
    **{f"control 0x{c:02x}": bytes([c]) for c in range(0x20)},
    "DEL": b"\x7f",
    "U+0080": _j("\u0080"),
    "U+00e9": _j("\u00e9"),
    "U+2028": _j("\u2028"),
    "U+2029": _j("\u2029"),
    "U+FEFF": _j("\ufeff"),
    "U+FFFE": _j("\ufffe"),
    "U+FFFF": _j("\uffff"),
    "U+FDD0": _j("\ufdd0"),
    "U+10FFFF": _j("\U0010ffff"),
    "U+1F600": _j("\U0001f600"),
    "overlong NUL C0 80": b"\xc0\x80",
    "overlong C1 BF": b"\xc1\xbf",
    "overlong 3 bytes E0 80 80": b"\xe0\x80\x80",
    "overlong slash E0 80 AF": b"\xe0\x80\xaf",
    "overlong 4 bytes F0 80 80 80": b"\xf0\x80\x80\x80",
    "surrogate ED A0 80": b"\xed\xa0\x80",
    "surrogate ED BF BF": b"\xed\xbf\xbf",
    "CESU-8 pair": b"\xed\xa0\xbd\xed\xb8\x80",
    "escaped high then raw low surrogate": b"\\uD83D\xed\xb8\x80",
    "raw high surrogate then escaped low": b"\xed\xa0\xbd\\uDE00",
    "above U+10FFFF F4 90 80 80": b"\xf4\x90\x80\x80",
    "F5 80 80 80": b"\xf5\x80\x80\x80",
    "five bytes F8 88 80 80 80": b"\xf8\x88\x80\x80\x80",
    "six bytes FC 84 80 80 80 80": b"\xfc\x84\x80\x80\x80\x80",
    "FE": b"\xfe",
    "FF": b"\xff",
    "lone continuation 80": b"\x80",
    "lone continuation BF": b"\xbf",
    "truncated C3": b"\xc3",
    "truncated E2 82": b"\xe2\x82",
    "truncated F0 9F 98": b"\xf0\x9f\x98",
    "C3 then ASCII": b"\xc3A",
    "E2 28 A1": b"\xe2\x28\xa1",
    "Latin-1 e acute E9": b"\xe9",
    "Windows-1252 quote 93": b"\x93",
}


def _string_cases() -> list[tuple[str, bytes]]:
    cases = []
    for escape in _ESCAPES:
        raw = _j(escape)
        cases.append((f"escape {escape!r}", b'"' + raw + b'"'))
        cases.append((f"escape {escape!r} in a member name", b'{"' + raw + b'":0}'))
    for name, raw in _RAW_IN_STRINGS.items():
        cases.append((f"raw {name} in a string", b'["x' + raw + b'y"]'))
        cases.append((f"raw {name} in a member name", b'{"' + raw + b'":0}'))
        cases.append((f"raw {name} outside strings", b"[1" + raw + b"]"))
    cases += [
        ("truncated C3 at the end of input", b'"\xc3'),
        ("string without its closing quote", b'"abc'),
        ("empty string", b'""'),
        ("a long string", b'"' + b"x" * 200_000 + b'"'),
        ("a long non-ASCII string", _j('"' + "\u00e6\u00f8\u00e5\U0001f600" * 20_000 + '"')),
        ("every escape in one string", _j(r'"\"\\\/\b\f\n\r\t\u0000\u00e9\ud83d\ude00"')),
        ("NFC and NFD names are two members", _j('{"\u00e5":1,"a\u030a":2}')),
    ]
    return cases


def _encoding_cases() -> list[tuple[str, bytes]]:
    text = '{"a":"\u00e6\u00f8\u00e5 \U0001f600","b":[1,2.5]}'
    bom = "\ufeff" + text
    return [
        ("UTF-8 BOM before an object", b"\xef\xbb\xbf" + _j(text)),
        ("UTF-8 BOM before a string", b'\xef\xbb\xbf"x"'),
        ("UTF-8 BOM before a number", b"\xef\xbb\xbf1"),
        ("UTF-8 BOM alone", b"\xef\xbb\xbf"),
        ("UTF-8 BOM twice", b"\xef\xbb\xbf\xef\xbb\xbf{}"),
        ("UTF-8 BOM after leading whitespace", b" \xef\xbb\xbf{}"),
        ("UTF-8 BOM cut short", b"\xef\xbb{}"),
        ("UTF-16LE with BOM", bom.encode("utf-16-le")),
        ("UTF-16BE with BOM", bom.encode("utf-16-be")),
        ("UTF-16LE without BOM", text.encode("utf-16-le")),
        ("UTF-16BE without BOM", text.encode("utf-16-be")),
        ("UTF-16LE number without BOM", "12".encode("utf-16-le")),
        ("UTF-16BE with BOM, odd length", bom.encode("utf-16-be") + b"\x00"),
        ("UTF-32LE with BOM", bom.encode("utf-32-le")),
        ("UTF-32BE with BOM", bom.encode("utf-32-be")),
        ("UTF-32LE without BOM", text.encode("utf-32-le")),
        ("UTF-32BE without BOM", text.encode("utf-32-be")),
        ("UTF-32 in 2143 order", b"".join(bytes([0, 0, c, 0]) for c in b"[1]")),
        ("UTF-32 in 3412 order", b"".join(bytes([0, c, 0, 0]) for c in b"[1]")),
        ("Latin-1 object", text.replace(" \U0001f600", "").encode("latin-1")),
        ("CESU-8 emoji", b'"\xed\xa0\xbd\xed\xb8\x80"'),
        ("modified UTF-8 NUL", b'"\xc0\x80"'),
    ]


def _nested(depth: int, open_: str, close: str, inner: str = "1") -> bytes:
    return _j(open_ * depth + inner + close * depth)


def _structure_cases() -> list[tuple[str, bytes]]:
    cases = [
        ("empty object", b"{}"),
        ("empty array", b"[]"),
        ("object in an array in an object", b'{"a":[{"b":{}}]}'),
        ("trailing comma in an array", b"[1,2,]"),
        ("trailing comma in an object", b'{"a":1,}'),
        ("leading comma in an array", b"[,1]"),
        ("leading comma in an object", b'{,"a":1}'),
        ("two commas in an array", b"[1,,2]"),
        ("two commas in an object", b'{"a":1,,"b":2}'),
        ("comma alone in an array", b"[,]"),
        ("missing comma in an array", b"[1 2]"),
        ("missing comma in an object", b'{"a":1 "b":2}'),
        ("missing colon", b'{"a" 1}'),
        ("two colons", b'{"a"::1}'),
        ("comma for a colon", b'{"a",1}'),
        ("equals for a colon", b'{"a"=1}'),
        ("member without a value", b'{"a":}'),
        ("member name alone", b'{"a"}'),
        ("line comment before", b"// hi\n{}"),
        ("line comment inside", b'{"a":1 // hi\n}'),
        ("block comment inside", b'{"a":/* hi */1}'),
        ("block comment after", b"{}/* hi */"),
        ("line comment after", b"{}// hi"),
        ("hash comment", b"# hi\n{}"),
        ("hash comment after", b"{}# hi"),
        ("unterminated block comment", b"{}/*"),
        ("single-quoted string", b"['a']"),
        ("single-quoted member name", b"{'a':1}"),
        ("unquoted member name", b"{a:1}"),
        ("unquoted member name with a digit", b"{a1:1}"),
        ("number as member name", b"{1:2}"),
        ("null as member name", b"{null:1}"),
        ("true as member name", b"{true:1}"),
        ("array as member name", b"{[]:1}"),
        ("object as member name", b"{{}:1}"),
        ("unclosed object", b'{"a":1'),
        ("unclosed array", b"[1,2"),
        ("unclosed nested", b'{"a":[1,{"b":2}'),
        ("object closed by a bracket", b'{"a":1]'),
        ("array closed by a brace", b"[1}"),
        ("extra closing brace", b"{}}"),
        ("extra closing bracket", b"[1]]"),
        ("closing brace alone", b"}"),
        ("closing bracket alone", b"]"),
        ("colon alone", b":"),
        ("comma alone", b","),
        ("opening brace alone", b"{"),
        ("opening bracket alone", b"["),
        ("duplicate member, same value", b'{"a":1,"a":1}'),
        ("duplicate member, other values", b'{"a":1,"a":2}'),
        ("duplicate member, three times", b'{"a":1,"b":0,"a":2,"a":3}'),
        ("duplicate member, other types", b'{"a":"x","a":{"y":1}}'),
        ("duplicate member, written with an escape", b'{"a":1,"\\u0061":2}'),
        ("duplicate member, non-ASCII and its escape", _j('{"\u00e9":1,"\\u00e9":2}')),
        (
            "duplicate member, emoji and its surrogate escapes",
            _j('{"\U0001f600":1,"\\ud83d\\ude00":2}'),
        ),
        ("duplicate member, nested", b'{"x":{"a":1,"a":2}}'),
        ("duplicate member in an array's object", b'[{"a":1},{"a":1,"a":1}]'),
        ("duplicate empty member name", b'{"":1,"":2}'),
        ("members differing by case", b'{"a":1,"A":2}'),
        ("members differing by a trailing space", b'{"a":1,"a ":2}'),
        ("members differing by an escaped NUL", b'{"a":1,"a\\u0000":2}'),
        ("empty member name", b'{"":1}'),
        ("a member name of 60000 characters", b'{"' + b"n" * 60_000 + b'":1}'),
        ("ten thousand members", _j("{" + ",".join(f'"k{i}":{i}' for i in range(10_000)) + "}")),
        ("the same member in sibling objects", b'[{"a":1},{"a":2}]'),
        ("top-level string", b'"text"'),
        ("top-level number", b"42"),
        ("top-level negative float", b"-1.5"),
        ("top-level true", b"true"),
        ("top-level null", b"null"),
        ("two objects", b"{} {}"),
        ("two objects, no space", b"{}{}"),
        ("an object then a message", b'{}{"a":1}'),
        ("two numbers", b"1 2"),
        ("two numbers on two lines", b"1\n2"),
        ("two arrays", b"[1][2]"),
        ("two strings", b'"a""b"'),
        ("two strings with a space", b'"a" "b"'),
        ("two literals", b"true false"),
        ("two literals, no space", b"truefalse"),
        ("a value then a comma", b"{},"),
        ("an array then a comma and a value", b"[1],[2]"),
        ("garbage after an object", b"{}x"),
        ("garbage after an object, after a space", b"{} x"),
        ("garbage after a string", b'"a"x'),
        ("garbage after a number", b"1x"),
        ("garbage after a number, after a space", b"1 x"),
        ("garbage after a literal", b"null x"),
        ("NUL after an object", b"{}\x00"),
        ("NULs after an object", b"{}\x00\x00\x00\x00"),
        ("NUL after a number", b"1\x00"),
        ("NUL after a number, after a space", b"1 \x00"),
        ("NUL after a string", b'"a"\x00'),
        ("Ctrl-Z after an object", b"{}\x1a"),
        ("CRLFs after an object", b"{}\r\n\r\n"),
        ("invalid UTF-8 after an object", b"{}\xff"),
        ("invalid UTF-8 after an object, after a space", b"{} \xc3"),
        ("a BOM after an object", b"{}\xef\xbb\xbf"),
        ("empty input", b""),
        ("only whitespace", b" \t\r\n"),
        ("only a NUL", b"\x00"),
        ("only a line comment", b"// nothing"),
        ("a message then another message", OUR_MESSAGE + OUR_MESSAGE),
        ("a message then garbage", OUR_MESSAGE + b"garbage"),
        ("a message then a NUL", OUR_MESSAGE + b"\x00"),
        ("a message cut short", OUR_MESSAGE[:-1]),
        ("a message with a trailing comma", OUR_MESSAGE[:-2] + b",}}"),
        ("our DPI message", OUR_MESSAGE),
        ("our DPI message, pretty-printed", _j(_pretty(OUR_MESSAGE))),
        ("our DPI message, ASCII only", _j(_ascii(OUR_MESSAGE))),
    ]
    for depth in (100, 500, 998, 999, 1000, 1001, 5000, 100_000):
        cases.append((f"arrays nested {depth} deep", _nested(depth, "[", "]")))
    for depth in (100, 998, 999, 1000, 5000, 100_000):
        cases.append((f"objects nested {depth} deep", _nested(depth, '{"a":', "}")))
    cases.append(("mixed nesting 2000 deep", _nested(1000, '[{"a":', "}]", "[]")))
    cases.append(("arrays nested 5000 deep, never closed", _j("[" * 5000)))
    return cases


def _pretty(data: bytes) -> str:
    return json.dumps(json.loads(data), indent=2, ensure_ascii=False)


def _ascii(data: bytes) -> str:
    return json.dumps(json.loads(data), ensure_ascii=True, separators=(",", ":"))


#: (name, bytes): each is a business message (the JWS payload) as a peer could send it.
CASES: list[tuple[str, bytes]] = (
    _whitespace_cases()
    + _literal_cases()
    + _number_cases()
    + _string_cases()
    + _encoding_cases()
    + _structure_cases()
)


#: The JSON samples of ../shared/fixtures (PROVENANCE.md): Digdir's complete examples and the
#: reference client's test messages. Named here so that the tests are known before the folder is.
SAMPLES = (
    "dpi/digdir-samples/digital-forretningsmelding.json",
    "dpi/digdir-samples/digital-forretningsmelding-autorisasjonsbevis.json",
    "dpi/digdir-samples/utskrift-forretningsmelding.json",
    "dpi/digdir-samples/utskrift-forretningsmelding-autorisasjonsbevis.json",
    "dpi/reference-client/digital_ready_for_send-sbd.json",
    "dpi/reference-client/utskrift_ready_for_send-sbd.json",
    "dpi/reference-client/feil-sbd.json",
    "dpi/reference-client/message_statuses.json",
)
#: The sample the mutations change.
MUTATED = SAMPLES[0]
MUTATIONS = 400

_SAMPLE_VARIANTS = ("as written", "with a BOM", "with CRLF line ends", "compact", "then garbage")


def _variant(data: bytes, variant: str) -> bytes:
    if variant == "with a BOM":
        return b"\xef\xbb\xbf" + data
    if variant == "with CRLF line ends":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if variant == "compact":
        return dump_json(load_json(data, what="sample", max_bytes=1 << 20))
    if variant == "then garbage":
        return data + b"\n}garbage"
    return data


_ALPHABET = b'{}[],:"\\ \t\r\n0123456789-+.eEtrufalsn/\x00\x7f\x80\xc3\xa9\xed\xa0\xef\xbb\xbf\xff'


def _mutations(base: bytes, seed: int = 2026, count: int = MUTATIONS) -> list[tuple[str, bytes]]:
    """Single-byte changes, insertions and deletions, two in three where the structure lies
    (outside strings, at their quotes and escapes), the rest anywhere."""
    structural, inside = [], False
    for position, byte in enumerate(base):
        if byte == 0x22 and (position == 0 or base[position - 1] != 0x5C):
            inside = not inside
            structural.append(position)
        elif not inside or byte == 0x5C:
            structural.append(position)
    rng = random.Random(seed)
    found = []
    for index in range(count):
        anywhere = rng.random() < 1 / 3
        position = rng.randrange(len(base)) if anywhere else rng.choice(structural)
        kind = rng.choice(("byte", "insert", "delete", "flip"))
        byte = bytes([rng.choice(_ALPHABET) if rng.random() < 0.75 else rng.randrange(256)])
        if kind == "byte":
            data = base[:position] + byte + base[position + 1 :]
        elif kind == "insert":
            data = base[:position] + byte + base[position:]
        elif kind == "delete":
            data = base[:position] + base[position + 1 :]
        else:
            flipped = bytes([base[position] ^ (1 << rng.randrange(8))])
            data = base[:position] + flipped + base[position + 1 :]
        found.append((f"mutation {index} ({kind} at {position})", data))
    return found


@dataclass(frozen=True)
class _Ours:
    accepted: bool
    dump: str | None
    rule: str | None


def _dump(value: object) -> str:
    """The oracle's canonical form (tests/java/JsonOracle.java), without recursion."""
    out: list[str] = []
    todo: list[object] = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, _Punctuation):
            out.append(item.text)
        elif isinstance(item, dict):
            pieces: list[object] = []
            for index, (key, member) in enumerate(item.items()):
                pieces.append(_Punctuation(("," if index else "") + _string(key) + ":"))
                pieces.append(member)
            out.append("{")
            todo.append(_Punctuation("}"))
            todo.extend(reversed(pieces))
        elif isinstance(item, list):
            pieces = []
            for index, member in enumerate(item):
                if index:
                    pieces.append(_Punctuation(","))
                pieces.append(member)
            out.append("[")
            todo.append(_Punctuation("]"))
            todo.extend(reversed(pieces))
        elif isinstance(item, str):
            out.append(_string(item))
        elif item is True or item is False or item is None:
            out.append({True: "true", False: "false", None: "null"}[item])
        elif isinstance(item, int):
            out.append(str(item))
        elif isinstance(item, float):
            out.append("d:" + struct.pack(">d", item).hex())
        else:
            raise AssertionError(f"load_json returned a {type(item).__name__}")
    return "".join(out)


@dataclass(frozen=True)
class _Punctuation:
    text: str


def _string(text: str) -> str:
    units = text.encode("utf-16-be", "surrogatepass")
    out = ['"']
    for i in range(0, len(units), 2):
        unit = (units[i] << 8) | units[i + 1]
        ascii_ok = 0x20 <= unit < 0x7F and unit not in (0x22, 0x5C)
        out.append(chr(unit) if ascii_ok else f"\\u{unit:04x}")
    out.append('"')
    return "".join(out)


def _ours(name: str, data: bytes) -> _Ours:
    try:
        value = load_json(data, what="business message", max_bytes=DEFAULT_LIMITS.max_jws_bytes)
    except JsonError as exc:
        return _Ours(False, None, exc.rule)
    except InputError as exc:  # (a) another InputError than JsonError is a bug too
        pytest.fail(f"{name}: refused with {type(exc).__name__} {exc.rule}, not JsonError")
    except Exception as exc:  # (a) a crash: anything else escaping the reader
        pytest.fail(f"{name}: load_json crashed with {type(exc).__name__}: {exc}")
    return _Ours(True, _dump(value), None)


@dataclass(frozen=True)
class _Jackson:
    accepted: bool
    detail: str  # the dump when accepted, else "<Class>:<message>"
    no_trailing_accepted: bool


def _jackson(verdict: JavaVerdict) -> _Jackson:
    main, _, trailing = verdict.detail.rpartition(" ")
    assert trailing.startswith("trailing="), verdict.detail
    return _Jackson(verdict.accepted, unquote_plus(main), trailing == "trailing=OK")


def _check(name: str, data: bytes, jackson: _Jackson) -> None:
    ours = _ours(name, data)  # (a)
    if not jackson.accepted:  # (b)
        assert not ours.accepted, f"{name}: Jackson refuses ({jackson.detail[:300]}), we read it"
    if ours.accepted and jackson.accepted:  # (c)
        assert ours.dump == jackson.detail, f"{name}: Jackson reads another value"


def _batch(cases: list[tuple[str, bytes]]) -> dict[str, _Jackson]:
    verdicts = run_batch("JsonOracle", [data for _, data in cases], libraries=("jackson",))
    return {name: _jackson(v) for (name, _), v in zip(cases, verdicts, strict=True)}


@pytest.fixture(scope="module")
def jackson() -> dict[str, _Jackson]:
    return _batch(CASES)


def _sample_cases(shared: Path) -> list[tuple[str, bytes]]:
    cases = []
    for sample in SAMPLES:
        data = (shared / sample).read_bytes()
        cases += [(f"{sample} {variant}", _variant(data, variant)) for variant in _SAMPLE_VARIANTS]
    return cases + _mutations((shared / MUTATED).read_bytes())


@pytest.fixture(scope="module")
def samples(shared: Path) -> dict[str, tuple[bytes, _Jackson]]:
    cases = _sample_cases(shared)
    verdicts = _batch(cases)
    return {name: (data, verdicts[name]) for name, data in cases}


#: Found by this file and fixed since (``jsonparse.MAX_NUMBER_DIGITS``): the labels of
#: :data:`_LONG_NUMBERS` we read and Jackson refuses; refused now (``json:number``).
_MORE_DIGITS_THAN_JACKSON_READS = (
    "of 1001 digits",
    "of 1001 digits, negative",
    "of 4300 digits",
    "0.111... of 1001 digits",
    "1e000...1 of 1001 digits",
    "1.111...e000... of 1001 digits",
    "pi to 1000 digits",
    "2**-1075 exactly (halfway from 0 to the least double)",
    "just above 2**-1075",
    "just below 2**-1075",
    "3 * 2**-1075 exactly",
    "1 + 2**-53 and a 1 after 1200 zeros",
    "just below 1 + 2**-53, 1200 nines",
    "2**53 + 1 and a 1 after 1200 zeros",
    "2**53 + 1 as 1200 more digits and an exponent",
)
_TOO_LONG = (
    "FOUND: a number of more than 1000 digits (integer, fraction and exponent digits together). "
    "Jackson refuses it (StreamReadConstraints.maxNumberLength, 1000 by default since 2.15 and in "
    "Debian's 2.14.1), we read it: integers up to Python's 4300 digits, floats of any length"
)
FIXED: dict[str, str] = {
    f"number {label} ({len(_LONG_NUMBERS[label])} chars){where}": _TOO_LONG
    for label in _MORE_DIGITS_THAN_JACKSON_READS
    for where in ("", " in an array")
}
#: What Jackson reads otherwise and we accept, as strict xfails: none open.
FINDINGS: dict[str, str] = {}


def _params(names: list[str]) -> list[object]:
    return [
        pytest.param(name, marks=[pytest.mark.xfail(strict=True, reason=FINDINGS[name])])
        if name in FINDINGS
        else name
        for name in names
    ]


@pytest.mark.parametrize("name", sorted(FIXED))
def test_a_number_jackson_refuses_is_refused(name: str) -> None:
    # (No JDK needed: these pin the fix of the findings.)
    data = dict(CASES)[name]
    with pytest.raises(JsonError) as info:
        load_json(data, what="JSON", max_bytes=1 << 24)
    assert info.value.rule == "json:number"


def test_the_harness_reads_a_plain_message_alike(jackson: dict[str, _Jackson]) -> None:
    # Jackson must read our message to the very dump we make of it, or nothing below means
    # anything; and it must refuse something (a trailing comma) for its refusals to mean anything.
    plain = jackson["our DPI message"]
    assert plain.accepted and plain.no_trailing_accepted, plain.detail
    assert plain.detail == _ours("plain", OUR_MESSAGE).dump
    assert "\\ud83d\\ude00" in plain.detail and '"sikkerhetsnivaa":4,' in plain.detail
    assert jackson["number 1.25"].detail == "d:3ff4000000000000"
    assert not jackson["trailing comma in an array"].accepted


@pytest.mark.parametrize("name", _params([name for name, _ in CASES]))
def test_never_laxer_than_jackson(name: str, jackson: dict[str, _Jackson]) -> None:
    _check(name, dict(CASES)[name], jackson[name])


_SAMPLE_NAMES = [f"{s} {v}" for s in SAMPLES for v in _SAMPLE_VARIANTS] + [
    f"mutation {i}" for i in range(MUTATIONS)
]


@pytest.mark.parametrize("name", _params(_SAMPLE_NAMES))
def test_samples_and_mutations_never_laxer_than_jackson(
    name: str, samples: dict[str, tuple[bytes, _Jackson]]
) -> None:
    if name.startswith("mutation "):
        # The mutation's full name says what was changed where.
        (name,) = [key for key in samples if key.startswith(name + " (")]
    data, jackson = samples[name]
    _check(name, data, jackson)

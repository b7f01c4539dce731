"""Writing XML as text: every value survives a parse unchanged, or is refused."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peppol_dpi import base64text
from peppol_dpi.errors import UsageError
from peppol_dpi.xmlparse import c14n, parse_xml
from peppol_dpi.xmltext import attr, base64_binary, date_time, text

# XML 1.0 2.2: the characters a document may hold.
_XML_CHARS = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="".join(chr(c) for c in range(0x20) if c not in (9, 10, 13))
    + "\ufffe\uffff",
)


@given(st.text(_XML_CHARS, max_size=40), st.text(_XML_CHARS, max_size=40))
def test_values_round_trip_through_the_parser(content: str, value: str) -> None:
    root = parse_xml(f'<r a="{attr(value)}">{text(content)}</r>'.encode())
    assert root.get("a") == value
    assert (root.text or "") == content


@given(st.text(_XML_CHARS, max_size=40), st.text(_XML_CHARS, max_size=40))
def test_written_values_are_already_canonical(content: str, value: str) -> None:
    # C14N 1.0 section 2.3 writes character data and attribute values with these very escapes:
    # what the AS4 signer writes as text is its own canonical form.
    written = f'<r a="{attr(value)}">{text(content)}</r>'
    for exclusive in (True, False):
        assert c14n(parse_xml(written.encode()), exclusive=exclusive) == written.encode()


def test_markup_characters_are_escaped_as_canonical_xml_does() -> None:
    assert text("a<b>&c\r") == "a&lt;b&gt;&amp;c&#xD;"
    assert attr('"x"\t\n\r<>&') == "&quot;x&quot;&#x9;&#xA;&#xD;&lt;>&amp;"
    assert text("plain") == "plain"


@pytest.mark.parametrize("bad", ["\x00", "a\x01b", "\x1f", "\ufffe", "\ud800"])
def test_characters_xml_cannot_carry_are_refused(bad: str) -> None:
    with pytest.raises(UsageError):
        text(bad)
    with pytest.raises(UsageError):
        attr(bad)


@given(st.binary(max_size=300), st.sampled_from(["", "\n", "\r\n", " ", "\t"]))
def test_base64_binary_reads_any_value_with_or_without_white_space(
    data: bytes, breaks: str
) -> None:
    encoded = base64.b64encode(data).decode()
    wrapped = breaks.join(encoded[i : i + 64] for i in range(0, len(encoded), 64))
    assert base64_binary(encoded) == data
    assert base64_binary(f"{breaks}{wrapped}{breaks}") == data


@pytest.mark.parametrize(
    "value",
    ["QUJD!", "QU=JD", "QUJDRA===", "QUJD RA=x", "QUJ\u00e9", "QUJDRA==QUJD"],
    ids=[
        "stray character",
        "padding inside",
        "too much padding",
        "after padding",
        "non-ASCII",
        "data after padding",
    ],
)
def test_base64_binary_refuses_what_is_not_base64(value: str) -> None:
    with pytest.raises(ValueError):  # binascii.Error is a ValueError
        base64_binary(value)
    with pytest.raises(ValueError):  # as the standard library's strict decoder
        base64.b64decode("".join(value.split()), validate=True)
    assert issubclass(binascii.Error, ValueError)


@pytest.mark.parametrize(
    "value",
    ["QUJD\u00a0RA==", "QUJD\u0085RA==", "QUJD\u2028RA==", "QUJD\x0bRA=="],
    ids=["no-break space", "next line", "line separator", "vertical tab"],
)
def test_base64_binary_allows_only_xml_white_space(value: str) -> None:
    # XSD base64Binary: XML white space between the characters, nothing else (as the streamed
    # payload decoder, peppol_dpi.base64text, has always read it).
    assert base64_binary("QUJD \t\r\nRA==") == b"ABCD"
    with pytest.raises(ValueError):
        base64_binary(value)
    with pytest.raises(ValueError):
        base64text.decode_text(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-26T12:00:00Z", datetime(2026, 11, 26, 12, tzinfo=UTC)),
        (
            "2025-09-25T09:54:32.971659362+02:00",  # Oxalis' nanoseconds, cut to microseconds
            datetime(2025, 9, 25, 9, 54, 32, 971659, tzinfo=timezone(timedelta(hours=2))),
        ),
        (" 2017-06-13T11:39:52.967\n", datetime(2017, 6, 13, 11, 39, 52, 967000)),  # no zone
        (
            "2026-11-26T24:00:00-14:00",  # XSD: the next midnight; -14:00 is the farthest zone
            datetime(2026, 11, 27, tzinfo=timezone(timedelta(hours=-14))),
        ),
    ],
)
def test_date_time_reads_xs_date_time(value: str, expected: datetime) -> None:
    found = date_time(value)
    assert found == expected
    assert found is not None and found.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "value",
    [
        # what datetime.fromisoformat takes but xs:dateTime is not
        "2026-11-26",
        "2026-W48-4",
        "20261126T120000",
        "2026-11-26 12:00:00",
        "2026-11-26T12:00",
        "2026-11-26T12:00:00,5",
        "2026-11-26T12:00:00+0100",
        # not a time at all, or beyond the type's bounds
        "2026-11-26T12:00:00+14:30",
        "2026-02-30T00:00:00Z",
        "2026-11-26T25:00:00Z",
        "2026-11-26T12:00:00Z\u00a0",  # a no-break space is not XML white space
        "\u0662\u0660\u0662\u0666-11-26T12:00:00Z",  # Arabic-Indic digits
        "",
    ],
)
def test_date_time_refuses_what_is_not_one(value: str) -> None:
    assert date_time(value) is None

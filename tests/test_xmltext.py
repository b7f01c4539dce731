"""Writing XML as text: every value survives a parse unchanged, or is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peppol_dpi.errors import UsageError
from peppol_dpi.xmlparse import parse_xml
from peppol_dpi.xmltext import attr, text

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


def test_markup_characters_are_escaped() -> None:
    assert text("a<b>&c\r") == "a&lt;b&gt;&amp;c&#13;"
    assert attr('"x"\t\n') == "&quot;x&quot;&#9;&#10;"
    assert text("plain") == "plain"


@pytest.mark.parametrize("bad", ["\x00", "a\x01b", "\x1f", "\ufffe", "\ud800"])
def test_characters_xml_cannot_carry_are_refused(bad: str) -> None:
    with pytest.raises(UsageError):
        text(bad)
    with pytest.raises(UsageError):
        attr(bad)

"""The BER reader under the CMS layer: header forms, and every truncation refused."""

from __future__ import annotations

import io

import pytest

from peppol_dpi.dpi.ber import BerError, Header, StreamReader, definite_header


def _reader(data: bytes, limit: int = 1 << 20) -> StreamReader:
    return StreamReader(io.BytesIO(data), limit=limit)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x04\x05", Header(0x04, 5, b"\x04\x05")),
        (b"\x30\x80", Header(0x30, None, b"\x30\x80")),
        (b"\x04\x81\xc8", Header(0x04, 200, b"\x04\x81\xc8")),
        (definite_header(0x04, 70_000), Header(0x04, 70_000, definite_header(0x04, 70_000))),
    ],
)
def test_header_forms(data: bytes, expected: Header) -> None:
    reader = _reader(data)
    assert reader.header() == expected
    assert reader.position == len(data)
    assert expected.constructed == bool(expected.tag & 0x20)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",  # identifier only
        b"\x1f\x01",  # high-tag-number form
        b"\x04\x80",  # indefinite length on a primitive value
        b"\x04\x89" + b"\x01" * 9,  # nine length octets
        b"\x04\x82\x01",  # a length octet missing
    ],
)
def test_bad_headers_are_refused(data: bytes) -> None:
    with pytest.raises(BerError):
        _reader(data).header()


def test_every_truncation_of_an_element_is_refused() -> None:
    inner = definite_header(0x04, 300) + bytes(300)
    whole = b"\x30\x80" + inner + b"\x04\x02ab" + b"\x00\x00"
    reader = _reader(whole)
    assert reader.element(reader.header(), max_bytes=1000) == whole
    for cut in range(len(whole)):
        reader = _reader(whole[:cut])
        with pytest.raises(BerError):
            reader.element(reader.header(), max_bytes=1000)


def test_reading_past_the_limit_is_refused() -> None:
    with pytest.raises(BerError):
        _reader(b"\x04\x01a", limit=1).header()

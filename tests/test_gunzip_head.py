"""gunzip_head: the start of a gzip payload, decompressed on its own, is the start of the whole.

The AS4 opener reads a large payload's SBDH from ``gunzip_head`` on one core while ``gunzip``
decompresses the whole on another, and takes the early answer only when the whole payload
decompresses (receiving.py). What it relies on: whenever ``gunzip`` succeeds, any head given
is a prefix of its output; the head is given only when ``enough`` holds for it, never longer
than ``most``; and anything the head reader cannot read (not gzip, a corrupt start, a first
member that ends early) is None, never an exception. Checked on hand-made headers, on every
case and mutation of the gzip corpus that is read against the JDK (test_gzip_never_laxer.py),
and on random data.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_as4_openers_agree import SBD, _gzip_header
from test_gzip_never_laxer import ALL_CASES

from peppol_dpi.as4.compression import DecompressionError, gunzip, gunzip_head, gzip_compress
from peppol_dpi.limits import Limits

DOCUMENT = b"".join(b"<Line>%06d an invoice line</Line>\n" % i for i in range(20_000))
GZ = gzip_compress(DOCUMENT)
EIGHT_MEMBERS = Limits(max_gzip_members=8)


def _marker(text: bytes) -> object:
    return lambda head: text in head


@pytest.mark.parametrize(
    "data", [GZ, gzip_compress(DOCUMENT, level=0)], ids=["deflated", "stored blocks"]
)
@pytest.mark.parametrize("line", [0, 7, 900, 19_999])
def test_the_head_is_the_start_of_the_whole_and_ends_once_enough(data: bytes, line: int) -> None:
    wanted = b"<Line>%06d" % line
    head = gunzip_head(data, enough=_marker(wanted), most=len(DOCUMENT))
    assert head is not None
    assert DOCUMENT.startswith(head) and wanted in head
    if line <= 7:  # read in growing steps: stopped at the first that showed the marker
        assert len(head) <= 16 * 1024


@pytest.mark.parametrize(
    "flags",
    [0x08, 0x04 | 0x08 | 0x10 | 0x02, 0x04],
    ids=["FNAME", "every optional field", "a long FEXTRA"],
)
def test_a_header_with_optional_fields_is_read_whole_first(flags: int) -> None:
    # python-isal loses the state of a gzip header split between calls (compression.py).
    data = _gzip_header(flags, extra=b"x" * 5000, name=b"invoice.xml", comment=b"c" * 3000)
    head = gunzip_head(data, enough=_marker(b"</StandardBusinessDocumentHeader>"), most=10**6)
    assert head is not None and SBD.startswith(head)


def test_not_more_than_most() -> None:
    assert gunzip_head(GZ, enough=lambda head: False, most=10_000) is None
    assert (
        gunzip_head(GZ, enough=lambda head: len(head) >= 10_000, most=10_000) == DOCUMENT[:10_000]
    )
    assert gunzip_head(GZ, enough=_marker(b"<Line>019999"), most=10_000) is None


def test_a_bomb_is_read_no_further_than_most() -> None:
    bomb = gzip_compress(bytes(200 * 1024 * 1024))  # some 200 KB that inflate to 200 MB
    seen: list[int] = []

    def never(head: bytes) -> bool:
        seen.append(len(head))
        return False

    assert gunzip_head(bomb, enough=never, most=64 * 1024) is None
    assert max(seen) <= 64 * 1024


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty", b""),
        ("not gzip", b"%PDF-1.7 " * 100),
        ("magic alone", b"\x1f\x8b"),
        ("header cut short", _gzip_header(0x08, name=b"a long file name")[:15]),
        ("reserved flag", _gzip_header(0x20)),
        ("not deflate", GZ[:2] + b"\x07" + GZ[3:]),
        ("corrupt at the start", GZ[:10] + b"\xff" * 64 + GZ[74:]),
        ("the first member ends first", gzip_compress(DOCUMENT[:100]) + GZ),
        ("cut before the marker", GZ[:200]),
    ],
)
def test_what_cannot_be_read_early_is_none(name: str, data: bytes) -> None:
    assert gunzip_head(data, enough=_marker(b"<Line>000500"), most=len(DOCUMENT)) is None


@pytest.mark.parametrize(("name", "data"), ALL_CASES, ids=[name for name, _ in ALL_CASES])
def test_on_the_gzip_corpus_a_head_is_a_prefix_whenever_the_whole_decompresses(
    name: str, data: bytes
) -> None:
    for size in (1, 50, 5000):
        head = gunzip_head(data, enough=lambda head, size=size: len(head) >= size, most=10**6)
        if head is None:
            continue
        assert len(head) >= size
        try:
            whole = gunzip(data, limits=EIGHT_MEMBERS)
        except DecompressionError:
            continue  # the opener then reports the whole payload's fault
        assert whole.startswith(head), name


@given(st.binary(max_size=3000), st.integers(min_value=1, max_value=4000))
def test_on_any_bytes_it_gives_a_prefix_or_none(data: bytes, size: int) -> None:
    for candidate in (data, GZ[:10] + data, gzip_compress(data) + data):
        head = gunzip_head(candidate, enough=lambda head: len(head) >= size, most=10**6)
        if head is None:
            continue
        try:
            whole = gunzip(candidate, limits=EIGHT_MEMBERS)
        except DecompressionError:
            continue
        assert whole.startswith(head)


def test_random_data_that_is_no_gzip_is_none() -> None:
    for _ in range(50):
        assert gunzip_head(os.urandom(4096), enough=lambda head: True, most=1000) is None

"""The deflate engine: its CRC-32 and one-buffer inflate agree with the stdlib's zlib."""

from __future__ import annotations

import os
import zlib

import pytest

from peppol_dpi import deflate


@pytest.mark.parametrize("size", [0, 1, 15, 16, 63, 64, 65, 1000, 1 << 20])
def test_crc32_is_zlibs(size: int) -> None:
    data = os.urandom(size)
    assert deflate.crc32(data) == zlib.crc32(data)
    assert deflate.crc32(memoryview(data)) == zlib.crc32(data)


def test_crc32_continues_from_a_value() -> None:
    head, tail = os.urandom(100_000), os.urandom(777)
    assert deflate.crc32(tail, deflate.crc32(head)) == zlib.crc32(head + tail)


def test_inflate_once_reads_what_zlib_wrote_and_stops_at_the_bound() -> None:
    data = os.urandom(5000) * 20
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = compressor.compress(data) + compressor.flush()
    whole = deflate.inflate_once(raw, -15, len(data) + 1)
    assert (whole.data, whole.eof) == (data, True)
    cut = deflate.inflate_once(raw, -15, len(data) - 1)
    assert (cut.data, cut.eof) == (data[:-1], False)

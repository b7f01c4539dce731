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


def test_the_engines_objects_behave_as_zlibs() -> None:
    # compressobj/decompressobj hand out the engine wrapped (the vector state cleared after
    # every call): output and state attributes are the engine's own.
    data = os.urandom(3000) * 30
    compressor = deflate.compressobj(None, 31)
    gz = (
        compressor.compress(data[:40_000]) + compressor.compress(data[40_000:]) + compressor.flush()
    )
    assert zlib.decompress(gz, 31) == data
    inflater = deflate.decompressobj(31)
    first = inflater.decompress(gz + b"tail", 1000)
    assert len(first) == 1000 and not inflater.eof and inflater.unconsumed_tail
    rest = inflater.decompress(inflater.unconsumed_tail)
    assert first + rest == data and inflater.eof and inflater.unused_data == b"tail"

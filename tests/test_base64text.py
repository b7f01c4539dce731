"""base64text: the streaming encoder and decoder agree with the whole-text ones, byte for byte
and refusal for refusal."""

from __future__ import annotations

import base64
import io
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peppol_dpi import base64text
from peppol_dpi.base64text import Base64Decoder, decode_text, encode_chunks
from peppol_dpi.spool import CHUNK_BYTES


def _whole(text: str) -> bytes | None:
    try:
        return decode_text(text)
    except ValueError:
        return None


def _streamed(pieces: list[str]) -> bytes | None:
    sink = io.BytesIO()
    decoder = Base64Decoder(sink)
    try:
        for piece in pieces:
            decoder.feed(piece)
        written = decoder.close()
    except ValueError:
        return None
    assert written == len(sink.getvalue())
    return sink.getvalue()


def _split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(c, len(text)) for c in cuts})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]


# Characters that may land anywhere: XML whitespace, padding, characters outside the alphabet
# (URL-safe ones, other whitespace, non-ASCII).
_NOISE = st.sampled_from([" ", "\t", "\r", "\n", "=", "==", "-", "_", "*", "\x0b", "\xa0", "é"])


@given(
    data=st.binary(max_size=64),
    inserts=st.lists(st.tuples(st.integers(0, 100), _NOISE), max_size=4),
    cuts=st.lists(st.integers(0, 120), max_size=6),
    drop=st.integers(0, 3),
)
def test_streamed_decoder_accepts_and_refuses_as_the_whole_text(
    data: bytes, inserts: list[tuple[int, str]], cuts: list[int], drop: int
) -> None:
    text = base64.b64encode(data).decode()
    text = text[: len(text) - drop] if drop < len(text) else text
    for position, noise in inserts:
        at = min(position, len(text))
        text = text[:at] + noise + text[at:]
    assert _streamed(_split(text, cuts)) == _whole(text)


@pytest.mark.parametrize(
    "text",
    [
        "", "QQ==", "QUI=", "QUJD", " Q U J D \r\n", "QQ", "Q", "QQ=", "QQ===", "=QQ=",
        "QQ==QQ==", "QQ=A", "Q===", "QUJD=", "QUJD\n=", "QUJD\x0b", "QUJD\u00e9", "QUJ-",
        "QQ==\n", "\tQUI=\t",
    ],
)  # fmt: skip
def test_edge_cases_fed_character_by_character(text: str) -> None:
    assert _streamed(list(text)) == _whole(text)
    assert _streamed([text]) == _whole(text)


def test_large_text_is_decoded_in_pieces_with_padding_at_the_very_end() -> None:
    data = os.urandom(3 * CHUNK_BYTES + 2)  # padded: "=" in the last quantum only
    text = base64.encodebytes(data).decode()  # folded at 76 characters, as Java's MIME does
    sink = io.BytesIO()
    decoder = Base64Decoder(sink)
    step = 100_003
    for at in range(0, len(text), step):
        decoder.feed(text[at : at + step])
        # Only the undecoded remainder is held, never the text read so far.
        assert len(decoder._pending) < CHUNK_BYTES + step
    assert decoder.close() == len(data)
    assert sink.getvalue() == data


def test_data_after_padding_is_refused_before_the_end() -> None:
    decoder = Base64Decoder(io.BytesIO())
    decoder.feed("QUJD" * 10 + "QQ==")
    # Held while short; refused once a chunk's worth is buffered, not only at the end.
    with pytest.raises(ValueError):
        decoder.feed("QUJD" * (CHUNK_BYTES // 4))


@given(st.binary(max_size=5000))
def test_encode_chunks_joined_is_b64encode(data: bytes) -> None:
    assert b"".join(encode_chunks(io.BytesIO(data))) == base64.b64encode(data)


def test_encode_chunks_of_a_large_file_come_in_pieces() -> None:
    data = os.urandom(2 * CHUNK_BYTES + 5)
    pieces = list(encode_chunks(io.BytesIO(data)))
    assert len(pieces) == 3 and all(len(p) <= CHUNK_BYTES for p in pieces)
    assert b"".join(pieces) == base64.b64encode(data)
    assert base64text.decode_text(b"".join(pieces).decode()) == data

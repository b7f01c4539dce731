"""The streaming AS4 path (issue 8): build_message_to / open_message_from against the bytes path."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import zlib
from functools import cache
from pathlib import Path

import pki
import pytest
from as4_support import NOW, counter_ids, make_sbd, mutated, trust
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_as4_message import CASES

from peppol_dpi import spool
from peppol_dpi.as4 import build_message, mime_stream, open_message, receive
from peppol_dpi.as4.compression import gunzip, gunzip_stream, gzip_compress
from peppol_dpi.as4.dump import read_dump
from peppol_dpi.as4.message_file import read_dump_from
from peppol_dpi.as4.receipt import check_receipt
from peppol_dpi.as4.signals import read_answer
from peppol_dpi.as4.stream_receive import open_message_from, receive_from
from peppol_dpi.as4.stream_send import build_message_to
from peppol_dpi.errors import DecryptionError, EbmsError, InputError, UsageError
from peppol_dpi.limits import Limits

C2 = pki.ap_key("c2")
C3 = pki.ap_key("c3")
FIXED = {
    "key": C2,
    "receiver_cert": C3.certificate,
    "now": NOW,
    "message_id": "m1@c2.test",
    "random_bytes": lambda n: b"\x01" * n,
    "boundary": "----=_Part_fixed",
}


def _no_oaep(body: bytes) -> bytes:
    # RSA-OAEP padding is randomized inside cryptography; everything else is fixed.
    return re.sub(rb"<xenc:CipherValue>[^<]*<", b"", body)


class _Unseekable(io.RawIOBase):
    """A socket-like stream: reads only, in small pieces, no seek."""

    def __init__(self, data: bytes, piece: int = 1000) -> None:
        self._data = io.BytesIO(data)
        self._piece = piece

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def,override]
        chunk = self._data.read(min(len(buffer), self._piece))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _build(
    sbd: bytes | None = None, message_id: str = "m1@c2.test"
) -> tuple[dict[str, str], bytes]:
    headers, body, _ = build_message(
        sbd or make_sbd(), key=C2, receiver_cert=C3.certificate, now=NOW, message_id=message_id
    )
    return headers, body


def _refusal(headers: dict[str, str], body: bytes, **kw) -> InputError:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as info:
        open_message_from(
            io.BytesIO(body),
            headers,
            key=kw.pop("key", C3),
            trust=trust(),
            payload_sink=io.BytesIO(),
            **kw,
        )
    return info.value


@pytest.fixture(params=[7, 100, 1024 * 1024], ids=["7B chunks", "100B chunks", "1MiB chunks"])
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Small chunks put delimiters, tags and gzip headers across chunk edges."""
    size: int = request.param
    monkeypatch.setattr(spool, "CHUNK_BYTES", size)
    monkeypatch.setattr(mime_stream, "_CHUNK", size)
    return size


def test_streamed_build_is_the_bytes_build_byte_for_byte(tmp_path: Path, chunk: int) -> None:
    sbd = make_sbd(filler=b"streamed invoice line " * 3000)
    headers, body, sent = build_message(sbd, new_id=counter_ids(), **FIXED)  # type: ignore[arg-type]
    (tmp_path / "sbd.xml").write_bytes(sbd)
    sink = io.BytesIO()
    s_headers, s_sent = build_message_to(
        tmp_path / "sbd.xml",
        sink,
        new_id=counter_ids(),
        spool_dir=tmp_path,
        **FIXED,  # type: ignore[arg-type]
    )
    assert s_headers == headers
    assert s_sent == sent
    assert _no_oaep(sink.getvalue()) == _no_oaep(body)
    # And the bytes path opens it (the OAEP-wrapped key differs, everything else is equal).
    received = open_message(s_headers, sink.getvalue(), key=C3, trust=trust())
    assert received.payload == sbd


def test_streamed_build_of_a_large_sbd_opens_to_the_same_sbd(tmp_path: Path) -> None:
    # Above 1 MiB the SBD is compressed in several calls; ISA-L's output may then differ from
    # the one-call bytes build, but the message is complete and inflates to the same SBD.
    sbd = make_sbd(filler=bytes(range(48, 123)) * 40_000)  # about 3 MB
    (tmp_path / "sbd.xml").write_bytes(sbd)
    sink = io.BytesIO()
    headers, sent = build_message_to(
        tmp_path / "sbd.xml",
        sink,
        new_id=counter_ids(),
        spool_dir=tmp_path,
        **FIXED,  # type: ignore[arg-type]
    )
    received = open_message(headers, sink.getvalue(), key=C3, trust=trust())
    assert received.payload == sbd
    assert received.signed_references == sent.signed_references


def test_streamed_open_gives_the_bytes_open_result(tmp_path: Path, chunk: int) -> None:
    sbd = make_sbd(filler=b"x" * 30_000)
    headers, body, sent = build_message(
        sbd, key=C2, receiver_cert=C3.certificate, now=NOW, message_id="m2@c2.test"
    )
    expected = open_message(headers, body, key=C3, trust=trust())
    (tmp_path / "body").write_bytes(body)
    for source in (tmp_path / "body", io.BytesIO(body), _Unseekable(body)):
        sink = io.BytesIO()
        opened = open_message_from(
            source, headers, key=C3, trust=trust(), payload_sink=sink, spool_dir=tmp_path
        )
        assert sink.getvalue() == sbd
        assert opened.payload_size == len(sbd)
        assert hashlib.sha256(sink.getvalue()).digest() == expected.payload_sha256
        assert opened.user_message == expected.user_message
        assert opened.signed_references == expected.signed_references == sent.signed_references
        assert (opened.routing, opened.sbdh) == (expected.routing, expected.sbdh)
        assert opened.validated.subject == expected.validated.subject


def test_stream_to_stream_round_trip_with_a_multi_member_payload(tmp_path: Path) -> None:
    sbd = make_sbd(filler=b"abc" * 100_000)
    body_file = tmp_path / "body"
    with body_file.open("wb") as sink:
        headers, sent = build_message_to(
            io.BytesIO(sbd),
            sink,
            key=C2,
            receiver_cert=C3.certificate,
            now=NOW,
            message_id="m3@c2.test",
        )
    out = io.BytesIO()
    opened = open_message_from(body_file, headers, key=C3, trust=trust(), payload_sink=out)
    assert out.getvalue() == sbd and opened.message_id == sent.message_id == "m3@c2.test"


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_message_is_refused_as_the_bytes_path_refuses_it(case: str) -> None:
    mutate, code, rule = CASES[case]
    headers, body = _build()
    sink = io.BytesIO()
    with pytest.raises(InputError) as info:
        open_message_from(
            io.BytesIO(mutate(body)), headers, key=C3, trust=trust(), payload_sink=sink
        )
    assert (info.value.ebms_code, info.value.rule) == (code, rule)
    assert sink.getvalue() == b""  # nothing of a refused message reaches the sink


def test_every_opener_refuses_to_run_without_a_trust_policy() -> None:
    """A missing TrustPolicy is the caller's mistake (UsageError naming the function), never
    a peer's fault turned into an error signal, and nothing is read from the body first."""
    headers, body = _build()
    file = io.BytesIO(body)
    openers = {
        "open_message": lambda t: open_message(headers, body, key=C3, trust=t),
        "receive": lambda t: receive(headers, body, key=C3, trust=t).message,
        "open_message_from": lambda t: open_message_from(
            file, headers, key=C3, trust=t, payload_sink=io.BytesIO()
        ),
        "receive_from": lambda t: (
            receive_from(file, headers, key=C3, trust=t, payload_sink=io.BytesIO()).message
        ),
    }
    for name, run in openers.items():
        file.seek(0)
        with pytest.raises(UsageError, match=f"^{name} needs a TrustPolicy: nothing is trusted"):
            run(None)
        assert file.tell() == 0
        assert run(trust()).message_id == "m1@c2.test"


def test_wrong_key_and_tampered_tag_look_the_same() -> None:
    headers, body = _build()
    end = body.rindex(b"\r\n--")
    tag_flipped = body[: end - 1] + bytes([body[end - 1] ^ 1]) + body[end:]
    seen = {
        (str(error), error.ebms_code, type(error))
        for error in (_refusal(headers, tag_flipped), _refusal(headers, body, key=C2))
    }
    assert seen == {
        (
            "EBMS:0102 FailedDecryption: decryption failed [decryption-failed]",
            EbmsError.FAILED_DECRYPTION,
            DecryptionError,
        )
    }


def test_truncated_body_file_is_mime_inconsistency() -> None:
    headers, body = _build()
    for cut in (len(body) - 3, len(body) - 40, 300):
        assert _refusal(headers, body[:cut]).ebms_code is EbmsError.MIME_INCONSISTENCY


def test_oversized_envelope_part_is_refused_before_parsing() -> None:
    error = _refusal(*_build(), limits=Limits(max_envelope_bytes=1000))
    assert (error.ebms_code, error.rule) == (
        EbmsError.MIME_INCONSISTENCY,
        "mime:envelope-too-large",
    )


def test_gzip_bomb_through_the_stream_is_refused_with_0303() -> None:
    headers, body = _build(make_sbd(filler=b" " * 1_000_000))
    for limits in (Limits(max_compression_ratio=100), Limits(max_decompressed_bytes=100_000)):
        error = _refusal(headers, body, limits=limits)
        assert (error.ebms_code, error.rule) == (EbmsError.DECOMPRESSION_FAILURE, "gzip:too-large")


def test_sbdh_beyond_the_prefix_is_refused_on_build() -> None:
    with pytest.raises(InputError) as info:
        build_message_to(
            io.BytesIO(make_sbd()),
            io.BytesIO(),
            key=C2,
            receiver_cert=C3.certificate,
            now=NOW,
            message_id="m1@c2.test",
            limits=Limits(max_sbdh_bytes=200),
        )
    assert info.value.ebms_code is EbmsError.VALUE_INCONSISTENT


@pytest.mark.parametrize("piece", [1, 2, 5, 1000])
def test_streamed_gunzip_reads_members_and_padding_split_anywhere(piece: int) -> None:
    # Several members only where the limit allows them (the default is one).
    data = gzip.compress(b"first " * 500) + gzip_compress(b"second") + b"\0\0\0"
    chunks = [data[i : i + piece] for i in range(0, len(data), piece)]
    two = Limits(max_gzip_members=2)
    read = b"".join(gunzip_stream(chunks, compressed_size=len(data), limits=two))
    assert read == b"first " * 500 + b"second"
    assert gunzip(data, limits=two) == b"first " * 500 + b"second"


def _gzip_with_header_fields(data: bytes, *, flags: int, name: bytes = b"n" * 1100) -> bytes:
    """``data`` as one gzip member whose header carries FEXTRA, FNAME, FCOMMENT and FHCRC
    (RFC 1952 2.3) as ``flags`` says."""
    header = bytearray(b"\x1f\x8b\x08" + bytes([flags]) + b"\0\0\0\0\0\xff")
    if flags & 4:
        header += (1024).to_bytes(2, "little") + b"e" * 1024
    if flags & 8:
        header += name + b"\0"
    if flags & 16:
        header += b"a comment\0"
    if flags & 2:
        header += (zlib.crc32(header) & 0xFFFF).to_bytes(2, "little")
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = compressor.compress(data) + compressor.flush()
    return (
        bytes(header)
        + body
        + zlib.crc32(data).to_bytes(4, "little")
        + len(data).to_bytes(4, "little")
    )


@pytest.mark.parametrize("flags", [2, 4 | 8, 8 | 16, 2 | 4 | 8 | 16])
@pytest.mark.parametrize("piece", [1, 7, 1000, 5000])
def test_a_gzip_header_with_optional_fields_reads_split_anywhere(flags: int, piece: int) -> None:
    # python-isal 1.9 loses the state of such a header split between two decompress calls
    # (an FHCRC failed, a long FNAME broke the deflate data): the header is gathered first.
    payload = b"payload " * 2000
    data = _gzip_with_header_fields(payload, flags=flags) * 2
    chunks = [data[i : i + piece] for i in range(0, len(data), piece)]
    two = Limits(max_gzip_members=2)  # (the second member's header is split too)
    assert b"".join(gunzip_stream(chunks, compressed_size=len(data), limits=two)) == payload * 2
    assert gunzip(data, limits=two) == payload * 2


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (_gzip_with_header_fields(b"x", flags=0x20), "gzip:corrupt"),  # reserved bit: 2.3.1.2
        (_gzip_with_header_fields(b"x", flags=8, name=b"n" * 300_000), "gzip:corrupt"),
        (_gzip_with_header_fields(b"x", flags=8)[:600], "gzip:truncated"),
    ],
    ids=["reserved flag", "header over 256 KiB", "cut inside the header"],
)
def test_a_bad_gzip_header_is_refused_alike_streamed_and_whole(data: bytes, rule: str) -> None:
    with pytest.raises(InputError) as whole:
        gunzip(data)
    chunks = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    with pytest.raises(InputError) as streamed:
        b"".join(gunzip_stream(chunks, compressed_size=len(data)))
    assert whole.value.rule == streamed.value.rule == rule


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (gzip_compress(b"payload" * 100)[:-5], "gzip:truncated"),
        (b"not gzip at all, but long enough", "gzip:not-gzip"),
        (gzip_compress(b"payload") + b"\0junk", "gzip:corrupt"),
        (gzip_compress(b"payload") + b"\x1f", "gzip:truncated"),
    ],
    ids=["truncated", "not gzip", "junk after", "half a magic"],
)
def test_streamed_gunzip_refusals(data: bytes, rule: str) -> None:
    chunks = [data[i : i + 3] for i in range(0, len(data), 3)]
    with pytest.raises(InputError) as info:
        b"".join(gunzip_stream(chunks, compressed_size=len(data)))
    assert (info.value.ebms_code, info.value.rule) == (EbmsError.DECOMPRESSION_FAILURE, rule)


def test_receive_from_answers_a_good_message_with_a_receipt_and_a_bad_one_with_its_error() -> None:
    headers, body = _build()
    payload = io.BytesIO()
    good = receive_from(io.BytesIO(body), headers, key=C3, trust=trust(), payload_sink=payload)
    assert good.ok and good.message is not None and payload.getvalue() == make_sbd()
    status, answer_headers, answer_body = good.answer(key=C3, now=NOW, message_id="r1@c3.test")
    receipt = check_receipt(
        read_answer(status, answer_headers, answer_body, trust=trust()),
        message_id="m1@c2.test",
        signed_references=good.message.signed_references,
    )
    assert receipt.signer_subject.startswith("CN=POP000002")
    tampered = body.replace(b"<eb:ConversationId>m1@c2.test", b"<eb:ConversationId>m9@c2.test")
    bad = receive_from(
        io.BytesIO(tampered), headers, key=C3, trust=trust(), payload_sink=io.BytesIO()
    )
    assert bad.message is None and bad.error is not None
    assert bad.ref_to_message_id == "m1@c2.test"  # known before the signature failed
    signal = bad.signal(now=NOW, message_id="e1@c3.test")
    assert [e.code for e in signal.errors] == [EbmsError.FAILED_AUTHENTICATION.code]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_bodies_stream_to_the_bytes_path_s_answer(data: st.DataObject) -> None:
    # Whatever is flipped, cut or inserted, the streaming opener refuses with an InputError
    # exactly when the bytes path does, with the same EBMS code.
    headers, original = _mutation_base()
    body = mutated(data, original, [b"<", b"--", b"\r\n", b"\n--"], most=3)
    streamed = receive_from(
        io.BytesIO(body), headers, key=C3, trust=trust(), payload_sink=io.BytesIO()
    )
    held = receive(headers, body, key=C3, trust=trust())
    assert streamed.ok == held.ok
    if held.error is not None:
        assert isinstance(streamed.error, InputError)
        assert streamed.error.ebms_code is held.error.ebms_code


@cache
def _mutation_base() -> tuple[dict[str, str], bytes]:
    return _build(make_sbd(filler=b"mutation " * 50))


def _dump_forms(headers: dict[str, str], body: bytes) -> dict[str, bytes]:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
    pieces = [body[i : i + 777] for i in range(0, len(body), 777)]
    chunked = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    return {
        "dump": head + b"\r\n" + body,
        "LF dump": head.replace(b"\r\n", b"\n") + b"\n" + body,
        "bare body": body,
        "stray chunked header": head + b"Transfer-Encoding: chunked\r\n\r\n" + body,
        "chunked": head + b"Transfer-Encoding: chunked\r\n\r\n" + chunked,
        "no headers": b"\r\n" + body,
        "truncated headers": head[:-5],
        "broken chunks": head + b"Transfer-Encoding: chunked\r\n\r\n" + chunked[:-900],
    }


@pytest.mark.parametrize("seekable", [True, False], ids=["file", "socket-like"])
def test_a_dump_file_reads_as_read_dump_reads_it(seekable: bool) -> None:
    headers, body = _build()
    results: dict[str, object] = {}
    for name, data in _dump_forms(headers, body).items():
        try:
            expected: tuple[object, bytes] | str = (read_dump(data)[0], bytes(read_dump(data)[1]))
        except InputError as exc:
            expected = exc.rule
        source = io.BytesIO(data) if seekable else _Unseekable(data)
        try:
            with read_dump_from(source) as (got_headers, got_body):
                got: tuple[object, bytes] | str = (got_headers, got_body.read())
                assert got_body.seek(0, io.SEEK_END) == len(got[1])  # type: ignore[index]
        except InputError as exc:
            got = exc.rule
        assert got == expected, name
        results[name] = got
    bodies = {results[n][1] for n in ("dump", "chunked", "stray chunked header", "bare body")}  # type: ignore[index]
    assert bodies == {body}
    assert results["truncated headers"] == "mime:truncated"
    assert results["broken chunks"] == "mime:chunked"


def test_a_dump_stream_larger_than_the_limit_is_refused_while_it_is_copied() -> None:
    source = _Unseekable(b"x" * 5000)
    with (
        pytest.raises(InputError) as info,
        read_dump_from(source, limits=Limits(max_message_bytes=4096)),
    ):
        pass
    assert info.value.rule == "mime:too-large"


@pytest.mark.parametrize("shift", [-2, -1, 0, 1, 5])
def test_a_delimiter_after_a_lone_cr_is_refused_across_the_scan_chunks(shift: int) -> None:
    # RFC 2046: a delimiter follows a line end; Jakarta Mail (phase4) takes a lone CR for one.
    # The streaming reader scans the file in chunks of a MiB: the CR and the delimiter after it
    # land on either side of a chunk's end, or inside one, and are refused as the bytes reader
    # refuses them.
    from peppol_dpi.as4.mime import parse_message

    head = (
        b"--B\r\nContent-Type: application/soap+xml\r\n\r\n<e/>\r\n--B\r\nContent-ID: <a@x>\r\n\r\n"
    )
    cr_at = mime_stream._CHUNK + shift  # the file offset of the lone CR
    body = head + b"x" * (cr_at - len(head)) + b"\r--B\r\nX: y\r\n\r\nz\r\n--B--\r\n"
    headers = {"Content-Type": 'multipart/related; boundary="B"'}
    with pytest.raises(InputError) as whole:
        parse_message(headers, body)
    with pytest.raises(InputError) as streamed:
        mime_stream.scan_message(headers, io.BytesIO(body), size=len(body))
    assert whole.value.rule == streamed.value.rule == "mime:boundary"

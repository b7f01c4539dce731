"""The fast paths of opening an AS4 message give the answers of the general ones.

Each shortcut (one-call gunzip, ``bytes.find`` for MIME delimiters, one id index per Security
header, receipt references from the verified references, the SBDH read early while streaming,
one parser per thread) is checked against the path it replaces, on good and on bad input.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import random
import re
import struct
import threading
import zlib

import pki
import pytest
from as4_support import NOW, make_sbd, trust
from lxml import etree

from peppol_dpi import ns
from peppol_dpi.as4 import build_message, open_message
from peppol_dpi.as4.compression import gunzip, gunzip_stream, gzip_compress
from peppol_dpi.as4.ebms_xml import read_signed_reference
from peppol_dpi.as4.mime import _empty_line, parse_message, part_headers
from peppol_dpi.as4.sbd_routing import read_routing
from peppol_dpi.as4.soap import parse_envelope
from peppol_dpi.as4.stream_receive import open_message_from
from peppol_dpi.as4.wss_tokens import SecurityIds, SecurityPolicyError, resolve_str
from peppol_dpi.errors import EbmsError, InputError, SignatureError, XmlSecurityError
from peppol_dpi.limits import DEFAULT_LIMITS, Limits
from peppol_dpi.xmldsig.references import id_attributes, id_index
from peppol_dpi.xmlparse import parse_xml
from peppol_dpi.xmlprefix import end_tag_end, parse_xml_until

C2 = pki.ap_key("c2")
C3 = pki.ap_key("c3")


def _build(sbd: bytes) -> tuple[dict[str, str], bytes]:
    headers, body, _ = build_message(
        sbd, key=C2, receiver_cert=C3.certificate, now=NOW, message_id="m1@c2.test"
    )
    return headers, body


def _streamed_gunzip(data: bytes, limits: Limits = DEFAULT_LIMITS) -> bytes:
    return b"".join(gunzip_stream([data], compressed_size=len(data), limits=limits))


# -- gunzip: one member in one call -----------------------------------------------------------


def _with_trailer(payload: bytes, *, crc: int | None = None, size: int | None = None) -> bytes:
    """gzip of ``payload`` with its trailer (RFC 1952 2.3.1: CRC-32, ISIZE) replaced."""
    data = gzip_compress(payload)
    real_crc, real_size = struct.unpack("<II", data[-8:])
    return data[:-8] + struct.pack(
        "<II", real_crc if crc is None else crc, real_size if size is None else size
    )


@pytest.mark.parametrize(
    "data",
    [
        gzip_compress(b"invoice " * 5000),
        gzip.compress(b"one") + gzip.compress(b"two"),  # several members: the general path
        gzip_compress(b"padded") + b"\0" * 7,  # trailing zeros: the general path
        gzip_compress(b""),
    ],
    ids=["one member", "two members", "padding", "empty"],
)
def test_gunzip_gives_what_the_streamed_path_gives(data: bytes) -> None:
    two = Limits(max_gzip_members=2)  # (two members are refused by default)
    assert gunzip(data, limits=two) == _streamed_gunzip(data, two)
    assert gunzip(memoryview(data), limits=two) == gunzip(bytearray(data), limits=two)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (gzip_compress(b"payload" * 100)[:-5], "gzip:truncated"),
        (b"not gzip at all, but long enough", "gzip:not-gzip"),
        (gzip_compress(b"payload") + b"\0junk", "gzip:corrupt"),
        (b"\x1f\x8b\x08\x00" + b"\xff" * 30, "gzip:corrupt"),  # a gzip header, then garbage
        (gzip_compress(b"payload" * 100)[:20], "gzip:truncated"),
        # The trailer's ISIZE sizes the one-call buffer, but is checked like the CRC-32:
        (_with_trailer(b"payload" * 100, size=10), "gzip:corrupt"),
        (_with_trailer(b"payload" * 100, size=70_000), "gzip:corrupt"),
        (_with_trailer(b"payload" * 100, size=2**32 - 1), "gzip:corrupt"),
        (_with_trailer(b"payload" * 100, crc=12345), "gzip:corrupt"),
    ],
    ids=[
        "truncated",
        "not gzip",
        "junk after",
        "corrupt deflate",
        "header only",
        "ISIZE too small",
        "ISIZE too large",
        "ISIZE huge",
        "CRC wrong",
    ],
)
def test_gunzip_refuses_as_the_streamed_path_does(data: bytes, rule: str) -> None:
    for attempt in (gunzip, _streamed_gunzip):
        with pytest.raises(InputError) as info:
            attempt(data)
        assert (info.value.ebms_code, info.value.rule) == (EbmsError.DECOMPRESSION_FAILURE, rule)


def test_a_bomb_stops_at_the_cap_in_one_call() -> None:
    bomb = gzip_compress(b"\0" * 2_000_000)  # ~2 KB that inflate a thousandfold
    for limits in (Limits(max_compression_ratio=10), Limits(max_decompressed_bytes=100_000)):
        for attempt in (gunzip, _streamed_gunzip):
            with pytest.raises(InputError) as info:
                attempt(bomb, limits=limits)  # type: ignore[operator]
            assert info.value.rule == "gzip:too-large"
    exactly = Limits(max_decompressed_bytes=2_000_000, max_compression_ratio=10_000)
    assert len(gunzip(bomb, limits=exactly)) == 2_000_000
    unbounded = Limits(max_decompressed_bytes=10**30, max_compression_ratio=10**30)
    assert len(gunzip(bomb, limits=unbounded)) == 2_000_000  # no overflow from a huge limit
    raw = zlib.compress(b"x" * 100)  # zlib, not gzip framing
    with pytest.raises(InputError):
        gunzip(raw + b"\0" * 20)


# -- MIME: delimiters found in bytes or in any buffer -----------------------------------------


def test_mime_parts_are_the_same_from_bytes_and_from_a_window_on_a_larger_buffer() -> None:
    headers, body = _build(make_sbd(filler=b"y" * 5000))
    direct = parse_message(headers, body)
    framed = b"GARBAGE BEFORE" + body + b"GARBAGE AFTER"
    window = memoryview(framed)[len(b"GARBAGE BEFORE") : len(b"GARBAGE BEFORE") + len(body)]
    for other in (parse_message(headers, window), parse_message(headers, bytearray(body))):
        assert bytes(other.root.body) == bytes(direct.root.body)
        assert [bytes(a.body) for a in other.attachments] == [
            bytes(a.body) for a in direct.attachments
        ]
        assert [a.content_id for a in other.attachments] == [
            a.content_id for a in direct.attachments
        ]
    huge = Limits(max_mime_header_bytes=10**30, max_message_bytes=10**30)
    assert bytes(parse_message(headers, body, limits=huge).root.body) == bytes(direct.root.body)
    truncated = memoryview(framed)[len(b"GARBAGE BEFORE") : len(b"GARBAGE BEFORE") + 4000]
    with pytest.raises(InputError) as info:
        parse_message(headers, truncated)
    assert info.value.rule == "mime:truncated"


# -- ids: one index per Security header, duplicates still refused -----------------------------

_WSSE, _WSU = ns.WSSE, ns.WSU


def _security(*children: str) -> etree._Element:
    return etree.fromstring(
        f'<wsse:Security xmlns:wsse="{_WSSE}" xmlns:wsu="{_WSU}">{"".join(children)}'
        "</wsse:Security>"
    )


def _key_info(target: str) -> etree._Element:
    return etree.fromstring(
        f'<ds:KeyInfo xmlns:ds="{ns.DS}" xmlns:wsse="{_WSSE}"><wsse:SecurityTokenReference>'
        f'<wsse:Reference URI="#{target}"/></wsse:SecurityTokenReference></ds:KeyInfo>'
    )


def test_a_token_reference_resolves_through_one_index_and_refuses_duplicates() -> None:
    security = _security(
        '<wsse:BinarySecurityToken wsu:Id="a"/>',
        '<x Id="b" wsu:Id="b"/>',  # the same id twice on one element: one match
        '<y Id="c"/><z wsu:Id="c"/>',
        "<?pi Id='d'?>",  # not an element
    )
    ids = SecurityIds(security)
    for security_or_ids in (security, ids):
        assert resolve_str(_key_info("a"), security_or_ids, what="t").get(f"{{{_WSU}}}Id") == "a"
        assert etree.QName(resolve_str(_key_info("b"), security_or_ids, what="t")).localname == "x"
        for missing in ("c", "d", "nothing"):
            with pytest.raises(SecurityPolicyError) as info:
                resolve_str(_key_info(missing), security_or_ids, what="t")
            assert info.value.rule == "wss:token-reference"


def test_the_envelope_wide_index_resolves_tokens_as_the_header_index_does() -> None:
    envelope = etree.fromstring(
        f'<e xmlns:wsse="{_WSSE}" xmlns:wsu="{_WSU}"><h>'
        + etree.tostring(
            _security(
                '<wsse:BinarySecurityToken wsu:Id="a"/>',
                '<x Id="b" wsu:Id="b"/>',
                '<y Id="c"/><z wsu:Id="c"/>',
                '<v ID="e"/><w xml:id="f"/>',  # ids, but not the ones tokens are referenced by
            )
        ).decode()
        + '</h><body wsu:Id="a2"><t wsu:Id="g"/></body></e>'
    )
    security = envelope[0][0]
    header_only = SecurityIds(security)
    whole = SecurityIds(security, id_attributes(envelope))
    for wanted in ("a", "b", "c", "e", "f", "g", "a2", "nothing"):
        assert whole.elements(wanted) == header_only.elements(wanted), wanted
    assert [e.tag for e in whole.elements("c")] == ["y", "z"]
    assert whole.elements("g") == []  # outside the header
    assert header_only.document_ids() is None
    with pytest.raises(SignatureError) as info:  # "c" twice: refused when the signature asks
        whole.document_ids()
    assert info.value.rule == "dsig:duplicate-id"
    envelope[0][0].remove(envelope[0][0][2])
    envelope[0][0].remove(envelope[0][0][2])
    fixed = SecurityIds(security, id_attributes(envelope)).document_ids()
    assert fixed == id_index(envelope)
    assert set(fixed or {}) == {"a", "b", "e", "f", "a2", "g"}


def test_the_signature_id_index_refuses_a_duplicate_under_any_id_attribute() -> None:
    doc = etree.fromstring(
        f'<r xmlns:wsu="{_WSU}"><a wsu:Id="one" other="one"/><b ID="two"/><c xml:id="three"/></r>'
    )
    assert set(id_index(doc)) == {"one", "two", "three"}
    for clash in ('<d id="two"/>', '<d Id="three"/>', '<d xml:id="one"/>'):
        doc.append(etree.fromstring(clash))
        with pytest.raises(SignatureError) as info:
            id_index(doc)
        assert info.value.rule == "dsig:duplicate-id"
        doc.remove(doc[-1])


# -- receipts repeat the references that were verified ----------------------------------------


def test_the_signed_references_are_the_ds_references_of_the_message() -> None:
    headers, body = _build(make_sbd())
    received = open_message(headers, body, key=C3, trust=trust())
    envelope = parse_envelope(parse_message(headers, body).root.body)
    assert envelope.security is not None
    signed_info = envelope.security.find(f"{{{ns.DS}}}Signature/{{{ns.DS}}}SignedInfo")
    assert signed_info is not None
    expected = tuple(read_signed_reference(r) for r in signed_info.iter(f"{{{ns.DS}}}Reference"))
    assert received.signed_references == expected
    assert [r.transforms[0][1] for r in expected] == [("S12",), (), ()]


# -- the SBDH read early while streaming ------------------------------------------------------


def _with_fake_end_tag(sbd: bytes) -> bytes:
    # A comment inside the header that looks like its end tag, then 30 KB that do not
    # compress: the first pieces inflated hold the fake end tag but not the real one.
    noise = b"".join(
        hashlib.sha256(bytes([i, j])).hexdigest().encode() for i in range(4) for j in range(250)
    )
    return sbd.replace(
        b"<HeaderVersion>",
        b"<!-- </StandardBusinessDocumentHeader> --><!-- " + noise + b" --><HeaderVersion>",
        1,
    )


def test_a_streamed_open_reads_the_sbdh_past_an_end_tag_in_a_comment() -> None:
    sbd = _with_fake_end_tag(make_sbd(filler=b"z" * 100_000))
    assert end_tag_end(sbd, "{x}StandardBusinessDocumentHeader") < sbd.index(b"<Sender>")
    headers, body = _build(sbd)
    expected = open_message(headers, body, key=C3, trust=trust())
    sink = io.BytesIO()
    opened = open_message_from(io.BytesIO(body), headers, key=C3, trust=trust(), payload_sink=sink)
    assert sink.getvalue() == sbd
    assert (opened.sbdh, opened.routing) == (expected.sbdh, expected.routing)


def test_a_streamed_open_refuses_a_bad_sbdh_as_the_bytes_path_does() -> None:
    routing = read_routing(make_sbd())  # the ebMS headers follow make_sbd(); the payload not
    for sbd in (
        make_sbd(receiver="0192:984661185"),  # another receiver than the ebMS headers name
        make_sbd().replace(b"<HeaderVersion>1.0", b"<HeaderVersion>2.0"),
        _with_fake_end_tag(make_sbd(receiver="0192:984661185")),
    ):
        headers, body, _ = build_message(
            sbd,
            key=C2,
            receiver_cert=C3.certificate,
            now=NOW,
            message_id="m1@c2.test",
            routing=routing,
        )
        with pytest.raises(InputError) as in_memory:
            open_message(headers, body, key=C3, trust=trust())
        with pytest.raises(InputError) as streamed:
            open_message_from(
                io.BytesIO(body), headers, key=C3, trust=trust(), payload_sink=io.BytesIO()
            )
        assert (streamed.value.rule, streamed.value.ebms_code) == (
            in_memory.value.rule,
            in_memory.value.ebms_code,
        )
        assert in_memory.value.ebms_code is EbmsError.VALUE_INCONSISTENT


# -- the hardened parser, reused per thread ---------------------------------------------------


def test_the_parser_is_reusable_after_a_refusal_and_separate_per_thread() -> None:
    good = b"<r><a>1</a></r>"
    for bad, rule in (
        (b"<r><a></r>", "xml:not-well-formed"),
        (b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>', "xml:dtd-forbidden"),
    ):
        with pytest.raises(XmlSecurityError) as info:
            parse_xml(bad)
        assert info.value.rule == rule
        assert parse_xml(good).findtext("a") == "1"
    results: list[str] = []

    def parse_many(tag: str) -> None:
        for i in range(200):
            root = parse_xml(f"<{tag}><n>{i}</n></{tag}>".encode())
            results.append(f"{root.tag}{root.findtext('n')}")

    threads = [threading.Thread(target=parse_many, args=(t,)) for t in ("p", "q")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted([f"{t}{i}" for t in "pq" for i in range(200)])


def test_parse_xml_until_reads_past_an_end_tag_in_a_comment() -> None:
    sbd = _with_fake_end_tag(make_sbd())
    tag = f"{{{ns.SBDH}}}StandardBusinessDocumentHeader"
    header = parse_xml_until(sbd, tag)
    assert header is not None and header.find(f"{{{ns.SBDH}}}BusinessScope") is not None
    # A UTF-16 document: no hint is found, the general chunking reads it all the same.
    utf16 = make_sbd().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert end_tag_end(utf16, tag) == -1
    header16 = parse_xml_until(utf16, tag)
    assert header16 is not None and len(header16) == len(header)


# -- MIME header blocks without the regex engine ------------------------------------------


def test_the_empty_line_is_found_where_the_pattern_finds_it() -> None:
    # _empty_line and _split_headers' line split against the regexes they replaced
    # (\r?\n\r?\n and \r?\n), on every string of up to 7 characters from an alphabet of line
    # ends, header text and CR/LF neighbours, and on random longer ones.
    empty_line, line_end = re.compile(rb"\r?\n\r?\n"), re.compile(r"\r?\n")
    alphabet = [b"\r", b"\n", b"a", b":"]
    cases = [b"".join(p) for n in range(8) for p in itertools.product(alphabet, repeat=n)]
    rng = random.Random(8)
    cases += [
        bytes(rng.choice(b"\r\n\r\na: ") for _ in range(rng.randrange(60))) for _ in range(3000)
    ]
    for case in cases:
        match = empty_line.search(case)
        assert _empty_line(case) == (match.span() if match else None), case
        text = case.decode("latin-1")
        assert text.replace("\r\n", "\n").split("\n") == line_end.split(text), case


@pytest.mark.parametrize("at", [1000, 1020, 1021, 1022, 1023, 1024, 1025, 3000])
def test_a_header_block_ends_wherever_the_first_kilobyte_ends(at: int) -> None:
    # The header block is searched in its first kilobyte first: an empty line across or after
    # that boundary is still found, with the same headers and content.
    name = b"X-Long: " + b"v" * (at - len(b"X-Long: "))
    headers, body = b"Content-Type: application/gzip\r\n" + name, b"payload\r\n"
    part = headers + b"\r\n\r\n" + body
    parsed, rest = part_headers(memoryview(part), DEFAULT_LIMITS)
    assert parsed.get("X-Long") == name.split(b": ", 1)[1].decode()
    assert bytes(rest) == body

"""AS4 building blocks: MIME quirks, bounded gzip, eb:Messaging XML, the profile validator."""

from __future__ import annotations

import gzip
import gzip as stdlib_gzip
from datetime import UTC, datetime, timedelta, timezone

import pytest

from peppol_dpi.as4.compression import DecompressionError, gunzip, gunzip_stream, gzip_compress
from peppol_dpi.as4.dump import read_dump, write_dump
from peppol_dpi.as4.ebms_write import messaging_element
from peppol_dpi.as4.ebms_xml import (
    format_timestamp,
    parse_messaging,
    parse_timestamp,
)
from peppol_dpi.as4.mime import MimeError, build_multipart, parse_content_type, parse_message
from peppol_dpi.as4.model import (
    Ebms3Error,
    Ebms3HeaderError,
    MessageInfo,
    PartInfo,
    Party,
    PartyId,
    Property,
    Receipt,
    Role,
    SignalMessage,
    SignedReference,
    UserMessage,
    check_message_id,
    message_id_factory,
)
from peppol_dpi.as4.profile import (
    SbdRouting,
    check_user_message,
    routing_problems,
    user_message_problems,
)
from peppol_dpi.dpi.identifiers import MessageType
from peppol_dpi.errors import EbmsError, UsageError, ValidationError
from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
from peppol_dpi.limits import Limits
from peppol_dpi.xmlparse import parse_xml, to_bytes

T0 = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)

# -- MIME -------------------------------------------------------------------------------------


def _message(**kw: object) -> tuple[dict[str, str], bytes]:
    headers, chunks = build_multipart(
        b"<soap/>",
        [("a@x", "application/octet-stream", [b"\x00\x01", b"binary\r\n--not-a-boundary"])],
        boundary="BND",
    )
    return headers, b"".join(chunks)


def test_build_and_parse_multipart() -> None:
    headers, body = _message()
    mime = parse_message(headers, body)
    assert bytes(mime.root.body) == b"<soap/>"
    (part,) = mime.attachments
    assert part.content_id == "a@x" and bytes(part.body) == b"\x00\x01binary\r\n--not-a-boundary"


@pytest.mark.parametrize(
    "transform",
    [
        lambda h, b: ({k.upper(): v for k, v in h.items()}, b),  # header names in any case
        lambda h, b: (h, b.replace(b"\r\n", b"\n")),  # LF-only dump
        lambda h, b: (h, b"preamble text\r\n" + b),  # a preamble
        lambda h, b: (
            {"content-type": 'Multipart/Related; type="application/soap+xml"; boundary=BND'},
            b,
        ),
        lambda h, b: (h, b.replace(b"--BND\r\n", b"--BND  \r\n")),  # transport padding
    ],
    ids=["header-case", "lf-only", "preamble", "bare-boundary", "padding"],
)
def test_parse_tolerates_real_world_quirks(transform) -> None:  # type: ignore[no-untyped-def]
    headers, body = transform(*_message())
    mime = parse_message(headers, body)
    assert bytes(mime.root.body) == b"<soap/>"
    assert mime.attachments[0].content_id == "a@x"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            'Multipart/Related; boundary="----=_Part_1"; type="application/soap+xml"',
            ("multipart/related", {"boundary": "----=_Part_1", "type": "application/soap+xml"}),
        ),
        # quoted-pairs (RFC 9110 5.6.4): an escaped quote, a ";" and a backslash inside
        (
            r'multipart/related;BOUNDARY="a\"b;c\\d" ; start=<root@x>',
            ("multipart/related", {"boundary": 'a"b;c\\d', "start": "<root@x>"}),
        ),
        ('text/xml;charset=utf-8;;action=""', ("text/xml", {"charset": "utf-8", "action": ""})),
        ("application/soap+xml", ("application/soap+xml", {})),
    ],
)
def test_content_type_parameters(value: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_content_type(value) == expected


def test_root_by_start_parameter_with_content_id() -> None:
    # CXF/Oxalis name the root with start; it must be the first part, which phase4 takes.
    root = b"--B\r\ncontent-id: <root.message@cxf.apache.org>\r\ncontent-type: application/soap+xml\r\n\r\n<soap/>\r\n"
    attachment = b"--B\r\nContent-ID: <att@x>\r\n\r\nDATA\r\n"
    headers = {
        "Content-Type": 'multipart/related; boundary="B"; start="<root.message@cxf.apache.org>"'
    }
    mime = parse_message(headers, root + attachment + b"--B--\r\n")
    assert bytes(mime.root.body) == b"<soap/>" and bytes(mime.attachments[0].body) == b"DATA"
    for body, start in [
        (attachment + root + b"--B--\r\n", "<root.message@cxf.apache.org>"),  # not the first
        (root + attachment + b"--B--\r\n", "<nope>"),  # no such part
    ]:
        with pytest.raises(MimeError) as info:
            parse_message(
                {"Content-Type": f'multipart/related; boundary="B"; start="{start}"'}, body
            )
        assert info.value.rule == "mime:start"
        assert info.value.ebms_code is EbmsError.MIME_INCONSISTENCY


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda b: b[:-12], "mime:truncated"),
        (lambda b: b.replace(b"BND", b"XYZ"), "mime:boundary"),
        (lambda b: b"--BND\r\n" + b"X" * 20000, "mime:truncated"),
        (
            lambda b: b.replace(
                b"Content-Transfer-Encoding: binary", b"Content-Transfer-Encoding: x-uue", 1
            ),
            "mime:encoding",
        ),
    ],
    ids=["no-close", "wrong-boundary", "endless-headers", "encoding"],
)
def test_broken_mime_is_ebms_0007(mutate, rule: str) -> None:  # type: ignore[no-untyped-def]
    headers, body = _message()
    with pytest.raises(MimeError) as info:
        parse_message(headers, mutate(body))
    assert (info.value.ebms_code, info.value.rule) == (EbmsError.MIME_INCONSISTENCY, rule)


def test_too_many_parts_and_too_large() -> None:
    part = b"--B\r\n\r\nx\r\n"
    body = part * 5 + b"--B--\r\n"
    headers = {"Content-Type": "multipart/related; boundary=B"}
    assert len(parse_message(headers, body).attachments) == 4
    with pytest.raises(MimeError) as info:
        parse_message(headers, body, limits=Limits(max_mime_parts=3))
    assert info.value.rule == "mime:too-many-parts"
    with pytest.raises(MimeError) as info:
        parse_message(headers, body, limits=Limits(max_message_bytes=10))
    assert info.value.rule == "mime:too-large"


def test_dump_forms() -> None:
    headers, body = _message()
    dump = write_dump(headers, body)
    read_headers, read_body = read_dump(dump)
    assert read_headers.get("content-type") == headers["Content-Type"] and bytes(read_body) == body
    # A bare MIME body (first line = the boundary) and a bare SOAP envelope.
    bare_headers, bare_body = read_dump(body)
    assert parse_message(bare_headers, bare_body).attachments[0].content_id == "a@x"
    soap_headers, soap_body = read_dump(b"<S12:Envelope/>")
    assert parse_message(soap_headers, soap_body).attachments == ()
    # Real dumps keep "Transfer-Encoding: chunked" over an unchunked body; a chunked one is undone.
    soap = b"<?xml version='1.0'?><x/>"
    _, plain = read_dump(
        b"Content-Type: application/soap+xml\nTransfer-Encoding: chunked\n\n" + soap
    )
    assert bytes(plain) == soap
    chunked = (
        b"Transfer-Encoding: chunked\r\n\r\n5\r\n<?xml\r\n"
        + f"{len(soap) - 5:x}".encode()
        + b"\r\n"
        + soap[5:]
        + b"\r\n0\r\n\r\n"
    )
    assert bytes(read_dump(chunked)[1]) == soap


# -- gzip ---------------------------------------------------------------------------------------


def test_gzip_round_trip_and_multi_member() -> None:
    data = b"payload " * 1000
    assert gunzip(gzip_compress(data)) == data == gzip.decompress(gzip_compress(data))
    many = Limits(max_gzip_members=4096)
    assert gunzip(gzip_compress(b"a") + gzip_compress(b"b") + b"\0" * 8, limits=many) == b"ab"
    big = bytes(range(256)) * 20_000  # 5 MB: several input slices per member
    assert gunzip(gzip_compress(big) + gzip_compress(big), limits=many) == big * 2
    with pytest.raises(DecompressionError) as info:
        gunzip(gzip_compress(b"a") + b"trailing junk")
    assert info.value.rule == "gzip:corrupt"
    # Thousands of tiny members: bounded by a limit, and cheap up to it.
    with pytest.raises(DecompressionError) as info:
        gunzip(gzip_compress(b"a") * 5000, limits=many)
    assert info.value.rule == "gzip:too-many-members"
    assert gunzip(gzip_compress(b"a") * 4000, limits=many) == b"a" * 4000


def test_a_second_gzip_member_is_refused_by_default() -> None:
    # Limits.max_gzip_members is 1: the JDK's GZIPInputStream (phase4, Oxalis) may end after
    # the first member, silently (JDK-7036144), so such a payload could be two documents.
    two = gzip_compress(b"<Invoice/>") + gzip_compress(b"<!-- more -->")
    for read in (gunzip, lambda d: b"".join(gunzip_stream([d], compressed_size=len(d)))):
        with pytest.raises(DecompressionError) as info:
            read(two)
        assert info.value.rule == "gzip:too-many-members"
        assert info.value.ebms_code is EbmsError.DECOMPRESSION_FAILURE
    # Zero padding after the one member is still read, as gzip(1) reads it.
    assert gunzip(gzip_compress(b"<Invoice/>") + b"\0" * 8) == b"<Invoice/>"


def test_gzip_bomb_stops_at_the_ratio_guard() -> None:
    # An attacker compresses with zlib at level 9 (~1025x: past the default ratio of 1000).
    bomb = stdlib_gzip.compress(b"\0" * 8_000_000, 9, mtime=0)
    with pytest.raises(DecompressionError) as info:
        gunzip(bomb)
    assert (info.value.ebms_code, info.value.rule) == (
        EbmsError.DECOMPRESSION_FAILURE,
        "gzip:too-large",
    )
    with pytest.raises(DecompressionError):
        gunzip(gzip_compress(b"x" * 5000), limits=Limits(max_decompressed_bytes=4000))


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"PK\x03\x04 not gzip at all.....", "gzip:not-gzip"),
        (gzip_compress(bytes(range(256)) * 8)[:-30], "gzip:truncated"),
        (gzip_compress(b"hello")[:10] + b"\xff" * 20, "gzip:corrupt"),
    ],
)
def test_bad_gzip_is_ebms_0303(data: bytes, rule: str) -> None:
    with pytest.raises(DecompressionError) as info:
        gunzip(data)
    assert (info.value.ebms_code, info.value.rule) == (EbmsError.DECOMPRESSION_FAILURE, rule)


# -- eb:Messaging ---------------------------------------------------------------------------------


def _user_message(**changes: object) -> UserMessage:
    values: dict[str, object] = {
        "message_info": MessageInfo(timestamp=T0, message_id="m1@c2.test"),
        "sender": Party.peppol("POP000001", Role.INITIATOR),
        "receiver": Party.peppol("POP000002", Role.RESPONDER),
        "service": "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
        "service_type": "cenbii-procid-ubl",
        "action": "busdox-docid-qns::urn:x::Invoice##c::2.1",
        "conversation_id": "c1",
        "properties": (
            Property(name="originalSender", value="0192:991825827", type="iso6523-actorid-upis"),
            Property(name="finalRecipient", value="0192:810969342", type="iso6523-actorid-upis"),
        ),
        "parts": (
            PartInfo(
                href="cid:a@x",
                properties=(
                    Property(name="MimeType", value="application/xml"),
                    Property(name="CompressionType", value="application/gzip"),
                ),
            ),
        ),
    }
    return UserMessage(**(values | changes))  # type: ignore[arg-type]


def test_messaging_round_trip() -> None:
    um = _user_message()
    parsed = parse_messaging(parse_xml(to_bytes(messaging_element(um, wsu_id="m"))))
    assert parsed == _user_message(
        message_info=MessageInfo(timestamp=T0.replace(microsecond=123000), message_id="m1@c2.test")
    )
    signal = SignalMessage(
        message_info=MessageInfo(timestamp=T0, message_id="s@x", ref_to_message_id="m1@c2.test"),
        receipt=Receipt(
            references=(
                SignedReference(
                    uri="#a",
                    transforms=(("http://www.w3.org/2001/10/xml-exc-c14n#", ("S12",)),),
                    digest_method="http://www.w3.org/2001/04/xmlenc#sha256",
                    digest_value=b"\x01" * 32,
                ),
            )
        ),
    )
    back = parse_messaging(parse_xml(to_bytes(messaging_element(signal, wsu_id="s"))))
    assert isinstance(back, SignalMessage) and back.receipt == signal.receipt
    error = SignalMessage(
        message_info=signal.message_info,
        errors=(
            Ebms3Error.of(
                EbmsError.FAILED_DECRYPTION,
                ref_to_message_in_error="m1@c2.test",
                description="decryption failed",
            ),
        ),
    )
    back = parse_messaging(parse_xml(to_bytes(messaging_element(error, wsu_id="e"))))
    assert isinstance(back, SignalMessage) and back.errors == error.errors


def test_messaging_values_with_markup_round_trip() -> None:
    # eb:Messaging is written as text: every value is escaped, none can inject markup.
    tricky = "a&b <c d=\"e\"> 'f' ]]> \t\r\n"
    um = _user_message(
        conversation_id=tricky,
        properties=(Property(name=tricky, value=tricky, type=tricky),),
    )
    parsed = parse_messaging(messaging_element(um, wsu_id="m"))
    assert isinstance(parsed, UserMessage)
    # Attributes come back exactly; reading strips the whitespace around element text.
    assert parsed.properties == (Property(name=tricky, value=tricky.strip(), type=tricky),)
    assert parsed.conversation_id == tricky.strip()
    with pytest.raises(UsageError):
        messaging_element(_user_message(conversation_id="c\x01"), wsu_id="m")


def test_timestamps_and_message_ids() -> None:
    assert format_timestamp(T0) == "2026-11-01T12:00:00.123Z"
    assert parse_timestamp("2025-09-25T09:54:32.971659362+02:00") == datetime(
        2025, 9, 25, 9, 54, 32, 971659, tzinfo=timezone(timedelta(hours=2))
    )
    assert parse_timestamp("2017-06-13T11:39:52.967").tzinfo is UTC
    for bad in ("yesterday", "2026-11-26", "2026-W48-4", "20261126T120000", "2026-11-26 12:00"):
        with pytest.raises(Ebms3HeaderError) as refused:
            parse_timestamp(bad)
        assert refused.value.rule == "as4:timestamp"
    new_id = message_id_factory("c2.example")
    first, second = new_id(), new_id()
    assert first != second and first.endswith("@c2.example") and check_message_id(first) == first
    for bad in ("no-at-sign", "<a@b>", "a b@c", "a@"):
        with pytest.raises(Ebms3HeaderError) as info:
            check_message_id(bad)
        assert info.value.ebms_code is EbmsError.INVALID_HEADER


# -- the Peppol profile ------------------------------------------------------------------------------


def test_a_good_message_has_no_problems() -> None:
    assert user_message_problems(_user_message(), attachment_count=1) == []


def test_every_violation_is_reported() -> None:
    bad = _user_message(
        sender=Party(
            ids=(PartyId(value="POP000001", type="urn:other"), PartyId(value="x")),
            role=Role.RESPONDER.value,
        ),
        agreement="urn:other-agreement",
        agreement_pmode="pm-1",
        service_type=None,
        properties=(
            Property(name="originalSender", value="0192:991825827"),
            Property(name="trackingIdentifier", value="t"),
        ),
        parts=(
            PartInfo(
                href="payload.xml",
                properties=(Property(name="CompressionType", value="application/rar"),),
            ),
        ),
        mpc="urn:other-mpc",
    )
    rules = [p.rule for p in user_message_problems(bad, attachment_count=2)]
    assert sorted(set(rules)) == sorted(
        {
            "peppol:party-count", "peppol:party-type", "peppol:role", "peppol:agreement",
            "peppol:agreement-attributes", "peppol:service-type", "peppol:mpc",
            "peppol:property-type", "peppol:property-missing", "peppol:tracking-identifier",
            "peppol:payload-count", "peppol:part-href", "peppol:compression", "peppol:mime-type",
        }
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        check_user_message(bad, attachment_count=2)
    assert info.value.ebms_code is EbmsError.PROCESSING_MODE_MISMATCH
    assert len(info.value.problems) == len(rules)


def test_swa_attachment_signature_input_follows_wss4j() -> None:
    from peppol_dpi.as4.wss_sign import swa_signature_input

    xml = b'<?xml version="1.0"?>\n<a   b="1" a="2"><c/></a>'
    assert swa_signature_input("application/xml", xml) == b'<a a="2" b="1"><c></c></a>'
    assert swa_signature_input("application/vnd.peppol+xml; charset=UTF-8", xml).startswith(
        b"<a a="
    )
    assert swa_signature_input("text/plain", b"a\nb\r\nc\rd") == b"a\r\nb\r\nc\r\nd"
    assert swa_signature_input("application/gzip", b"a\nb") == b"a\nb"  # binary: as is


def test_ebms_and_sbdh_participants_compare_ignoring_ascii_case_only() -> None:
    # PFUOI: participant ids compare case-insensitively; they are printable US-ASCII, so the
    # comparison folds ASCII only (str.lower() turns U+212A KELVIN SIGN into "k").
    routing = SbdRouting(
        sender=ParticipantId.parse("9915:test-k"),
        receiver=ParticipantId.parse("0192:810969342"),
        document_type=DocumentTypeId.parse("busdox-docid-qns::urn:x::Invoice##c::2.1"),
        process=ProcessId.parse("cenbii-procid-ubl::urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"),
    )

    def problems(sender_value: str) -> list[str]:
        properties = (
            Property(name="originalSender", value=sender_value, type="iso6523-actorid-upis"),
            Property(name="finalRecipient", value="0192:810969342", type="iso6523-actorid-upis"),
        )
        return [p.rule for p in routing_problems(_user_message(properties=properties), routing)]

    assert problems("9915:TEST-K") == []
    assert problems("9915:test-\u212a") == ["peppol:sbdh-mismatch"]


def test_dpi_standards_match_ignoring_ascii_case_only() -> None:
    digital = MessageType.DIGITAL.standard
    assert MessageType.from_standard(digital.replace("xsd::innbyggerpost", "xsd::Innbyggerpost"))
    assert MessageType.from_standard(digital.replace("innbyggerpost", "innbyggerpo\u017ft")) is None

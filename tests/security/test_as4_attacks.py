"""Attacks on an AS4 receiver: signature wrapping at the message level, MIME and gzip tricks
(docs/security.md, sections "XML signatures" and "MIME and compression").

tests/test_as4_units.py refuses broken MIME (EBMS:0007), too many parts and gzip bombs by
ratio; tests/test_as4_robustness.py mutates whole messages. This file adds what needs the
message's structure: a second or moved eb:Messaging (the receiver must act on the verified
one only), a Content-ID that names a part that is not there, repeated boundaries and header
floods, and gzip member floods.
"""

from __future__ import annotations

import base64
import gzip
import re
import time

import as4_support
import pki
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from peppol_dpi.as4 import build_message, open_message, receive
from peppol_dpi.as4.compression import gunzip
from peppol_dpi.as4.mime import parse_message
from peppol_dpi.errors import EbmsError, InputError
from peppol_dpi.limits import Limits

C2, C3 = pki.ap_key("c2"), pki.ap_key("c3")
HEADERS, BODY, _ = build_message(
    as4_support.make_sbd(),
    key=C2,
    receiver_cert=C3.certificate,
    now=as4_support.NOW,
    message_id="orig@c2.test",
)
MESSAGING = re.compile(rb"<eb:Messaging .*?</eb:Messaging>", re.S)


def _refused(body: bytes, headers: dict[str, str] | None = None) -> InputError:
    reception = receive(
        headers or HEADERS, body, key=C3, trust=as4_support.trust(), at=as4_support.NOW
    )
    assert reception.message is None and reception.error is not None
    assert reception.error.ebms_code is not None  # the sender is told, with a code
    return reception.error


def _messaging() -> bytes:
    found = MESSAGING.search(BODY)
    assert found is not None
    return found.group(0)


def _forged_messaging() -> bytes:
    # The same header with another message id and without the signed wsu:Id.
    forged = _messaging().replace(b"orig@c2.test", b"forged@c2.test")
    return re.sub(rb' wsu:Id="[^"]+"', b"", forged, count=1)


def test_the_untouched_message_is_accepted() -> None:
    received = open_message(HEADERS, BODY, key=C3, trust=as4_support.trust(), at=as4_support.NOW)
    assert received.message_id == "orig@c2.test"


def test_xsw_a_second_unsigned_messaging_header_is_refused() -> None:
    body = BODY.replace(_messaging(), _messaging() + _forged_messaging(), 1)
    error = _refused(body)
    assert error.ebms_code in (EbmsError.INVALID_HEADER, EbmsError.FAILED_AUTHENTICATION)


def test_xsw_the_signed_messaging_moved_and_replaced_is_refused() -> None:
    # The signed header goes into a wrapper element; a forged one takes its place.
    wrapped = b"<Wrapper>" + _messaging() + b"</Wrapper>"
    body = BODY.replace(_messaging(), _forged_messaging() + wrapped, 1)
    error = _refused(body)
    assert error.ebms_code in (EbmsError.INVALID_HEADER, EbmsError.FAILED_AUTHENTICATION)


def test_xsw_a_forged_messaging_first_and_the_signed_one_second_is_refused() -> None:
    body = BODY.replace(_messaging(), _forged_messaging() + _messaging(), 1)
    _refused(body)


def test_a_content_id_that_names_no_part_is_refused() -> None:
    cid = re.search(rb'href="cid:([^"]+)"', BODY)
    assert cid is not None
    body = BODY.replace(b"<" + cid.group(1) + b">", b"<someone-else@c2.test>")
    error = _refused(body)
    assert error.ebms_code in (EbmsError.VALUE_INCONSISTENT, EbmsError.MIME_INCONSISTENCY)


def _boundary() -> bytes:
    found = re.search(r'boundary="([^"]+)"', HEADERS["Content-Type"])
    assert found is not None
    return found.group(1).encode()


def test_repeated_boundaries_make_empty_parts_that_are_refused() -> None:
    delimiter = b"--" + _boundary() + b"\r\n"
    body = BODY.replace(delimiter, delimiter + delimiter * 20, 1)
    _refused(body)


def test_missing_closing_boundary_is_refused() -> None:
    closing = b"--" + _boundary() + b"--"
    assert closing in BODY
    _refused(BODY.replace(closing, b""))


def test_missing_boundary_parameter_is_refused() -> None:
    headers = {**HEADERS, "Content-Type": 'multipart/related; type="application/soap+xml"'}
    error = _refused(BODY, headers)
    assert error.ebms_code is EbmsError.MIME_INCONSISTENCY


def test_a_header_flood_in_a_part_is_refused_by_the_limit() -> None:
    delimiter = b"--" + _boundary() + b"\r\n"
    flood = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"y" * 100) for n in range(400))
    body = BODY.replace(delimiter, delimiter + flood, 1)
    with pytest.raises(InputError) as err:
        parse_message(HEADERS, body, limits=Limits(max_mime_header_bytes=16 * 1024))
    assert err.value.rule.startswith("mime:")


def test_gzip_member_flood_is_refused() -> None:
    # RFC 1952 allows many members; each costs a decompressor set-up.
    members = gzip.compress(b"") * 5000
    with pytest.raises(InputError) as err:
        gunzip(members)
    assert err.value.ebms_code is EbmsError.DECOMPRESSION_FAILURE


def test_gzip_bomb_is_stopped_by_the_absolute_limit() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)  # ~5 KB that inflates to 5 MB
    with pytest.raises(InputError) as err:
        gunzip(bomb, limits=Limits(max_decompressed_bytes=1_000_000, max_compression_ratio=10**6))
    assert err.value.ebms_code is EbmsError.DECOMPRESSION_FAILURE


def _token_values() -> list[bytes]:
    return re.findall(rb"<wsse:BinarySecurityToken [^>]*>([^<]+)</wsse:BinarySecurityToken>", BODY)


@pytest.mark.parametrize(
    "substitute",
    [
        lambda: pki.ap_key("c3").certificate,  # another trusted access point
        lambda: pki.wrong_ca_key().certificate,  # an untrusted one
        lambda: pki.expired_key().certificate,
    ],
    ids=["other-trusted-ap", "untrusted", "expired"],
)
def test_a_signing_token_that_names_another_certificate_is_refused(substitute: object) -> None:
    # KeyInfo pointing elsewhere: the BinarySecurityToken the signature refers to now holds
    # another certificate. Either the signature does not verify with its key, or the
    # certificate is not trusted; both are EBMS:0101 answers, never a processed message.
    der = substitute().public_bytes(Encoding.DER)  # type: ignore[operator]
    body = BODY
    for value in _token_values():
        body = body.replace(value, base64.b64encode(der))
    error = _refused(body)
    assert error.ebms_code is EbmsError.FAILED_AUTHENTICATION


@pytest.mark.parametrize("where", ["after", "before"])
def test_xsw_a_second_soap_body_is_refused(where: str) -> None:
    found = re.search(rb"<S12:Body [^>]*></S12:Body>", BODY)
    assert found is not None
    signed = found.group(0)
    forged = b"<S12:Body><order amount='1000000'/></S12:Body>"
    body = BODY.replace(signed, signed + forged if where == "after" else forged + signed, 1)
    _refused(body)


def test_a_header_flooded_with_the_token_id_is_refused_fast() -> None:
    # Before the signature is checked, the receiver resolves the signature's token reference
    # among the header's ids. 30,000 elements carrying the signer token's wsu:Id made that
    # quadratic (each one compared with every one found, about 10 s here); the flood is now
    # refused as an ambiguous reference in well under a second. A guard, not a benchmark.
    reference = re.search(rb'<wsse:Reference URI="#([^"]+)"', BODY.split(b"<ds:Signature ")[1])
    assert reference is not None
    flood = b"".join(b'<x wsu:Id="' + reference.group(1) + b'"/>' for _ in range(30_000))
    security = re.search(rb"<wsse:Security [^>]*>", BODY)
    assert security is not None
    body = BODY.replace(security.group(0), security.group(0) + flood, 1)
    started = time.monotonic()
    error = _refused(body)
    assert time.monotonic() - started < 3
    assert error.rule == "wss:token-reference"

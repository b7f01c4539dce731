"""AS4 recipes end to end: build, open, receipts, and every way a message can be bad."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable

import pki
import pytest
from as4_support import NOW, counter_ids, make_sbd, trust
from lxml import etree

from peppol_dpi import ns
from peppol_dpi.as4 import (
    ReceivedMessage,
    build_message,
    build_message_chunks,
    open_message,
    receive,
)
from peppol_dpi.as4.compression import gzip_compress
from peppol_dpi.as4.mime import parse_message
from peppol_dpi.as4.profile import PeppolProfile, SbdRouting
from peppol_dpi.as4.receipt import InvalidReceiptError, check_receipt
from peppol_dpi.as4.sbd_routing import read_routing
from peppol_dpi.as4.signals import NotServicedError, read_answer
from peppol_dpi.errors import DecryptionError, EbmsError, InputError, RemoteError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.limits import Limits
from peppol_dpi.xmlparse import parse_xml, to_bytes

C2 = pki.ap_key("c2")
C3 = pki.ap_key("c3")


def _build(sbd: bytes | None = None, *, key=C2, **kw):  # type: ignore[no-untyped-def]
    return build_message(
        sbd or make_sbd(),
        key=key,
        receiver_cert=C3.certificate,
        now=NOW,
        message_id="m1@c2.test",
        **kw,
    )


def test_round_trip_gives_back_the_sbd_byte_for_byte() -> None:
    sbd = make_sbd(filler=b"x" * 5000)
    headers, body, sent = _build(sbd)
    received = open_message(headers, body, key=C3, trust=trust())
    assert received.payload == sbd
    assert received.message_id == sent.message_id == "m1@c2.test"
    um = received.user_message
    assert (um.sender.id, um.receiver.id) == ("POP000001", "POP000002")
    assert um.find_property("originalSender").value == "0192:991825827"  # type: ignore[union-attr]
    assert received.validated.subject.startswith("CN=POP000001")
    assert [r.uri[:4] for r in received.signed_references] == ["#pha", "#id-", "cid:"]
    assert received.signed_references == sent.signed_references


def test_build_is_byte_stable_with_injected_clock_ids_and_randomness() -> None:
    def once() -> bytes:
        _, body, _ = _build(
            new_id=counter_ids(), random_bytes=lambda n: b"\x01" * n, boundary="----=_Part_fixed"
        )
        return body

    first = once()
    # RSA-OAEP padding is randomized inside cryptography; everything else is fixed.
    assert re.sub(rb"<xenc:CipherValue>[^<]*<", b"", first) == re.sub(
        rb"<xenc:CipherValue>[^<]*<", b"", once()
    )


def test_wire_layout_is_phase4_like() -> None:
    headers, body, _ = _build()
    assert headers["Content-Type"].startswith('multipart/related; boundary="')
    assert 'type="application/soap+xml"' in headers["Content-Type"]
    mime = parse_message(headers, body)
    assert b"\r\n" in body and b"Content-Disposition" not in body
    (attachment,) = mime.attachments
    assert attachment.content_type == "application/octet-stream"
    assert attachment.headers.get("Content-Transfer-Encoding") == "binary"
    soap = parse_xml(bytes(mime.root.body))
    security = soap.find(f"{{{ns.SOAP12}}}Header/{{{ns.WSSE}}}Security")
    assert security is not None
    order = [etree.QName(child).localname for child in security]
    assert order == [
        "BinarySecurityToken",
        "EncryptedKey",
        "EncryptedData",
        "BinarySecurityToken",
        "Signature",
    ]
    algorithms = set(re.findall(rb'Algorithm="([^"]+)"', bytes(mime.root.body)))
    assert b"http://www.w3.org/2009/xmlenc11#rsa-oaep" in algorithms
    assert b"http://www.w3.org/2009/xmlenc11#mgf1sha256" in algorithms
    assert b"http://www.w3.org/2009/xmlenc11#aes128-gcm" in algorithms
    assert b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" in algorithms


def test_receipt_round_trip_and_its_checks() -> None:
    headers, body, sent = _build()
    reception = receive(headers, body, key=C3, trust=trust())
    assert reception.ok and reception.error is None
    status, answer_headers, answer_body = reception.answer(key=C3, now=NOW, message_id="r1@c3.test")
    answer = read_answer(status, answer_headers, answer_body, trust=trust())
    receipt = check_receipt(
        answer, message_id=sent.message_id, signed_references=sent.signed_references
    )
    assert receipt.signal.message_info.ref_to_message_id == "m1@c2.test"
    assert receipt.signer_subject.startswith("CN=POP000002")
    # A receipt for another message, or repeating other digests, is not a receipt for ours.
    with pytest.raises(InvalidReceiptError) as info:
        check_receipt(answer, message_id="other@c2.test")
    assert info.value.ebms_code is EbmsError.INVALID_RECEIPT
    _, _, other = _build(make_sbd(filler=b"other"))
    with pytest.raises(InvalidReceiptError) as info:
        check_receipt(answer, signed_references=other.signed_references)
    assert info.value.rule == "receipt:nri-mismatch"
    # A receipt whose NRI digest was altered no longer verifies at all.
    forged = answer_body.replace(b"<ds:DigestValue>", b"<ds:DigestValue>AAAA", 1)
    with pytest.raises(InputError) as info2:
        read_answer(status, answer_headers, forged, trust=trust())
    assert info2.value.ebms_code is EbmsError.FAILED_AUTHENTICATION


# -- bad messages: each one a clear error with its EBMS code ---------------------------------


def _soap_edit(body: bytes, edit: Callable[[etree._Element], None]) -> bytes:
    start = body.index(b"<?xml")
    end = body.index(b"</S12:Envelope>") + len(b"</S12:Envelope>")
    root = parse_xml(body[start:end])
    edit(root)
    return body[:start] + to_bytes(root) + body[end:]


def _header(root: etree._Element) -> etree._Element:
    header = root.find(f"{{{ns.SOAP12}}}Header")
    assert header is not None
    return header


def _messaging(root: etree._Element) -> etree._Element:
    messaging = _header(root).find(f"{{{ns.EB}}}Messaging")
    assert messaging is not None
    return messaging


def _move_messaging(root: etree._Element) -> None:
    # Wrapping: the signed Messaging moves into the Security header, an unsigned forgery with
    # another id takes its place.
    original = _messaging(root)
    forged = etree.fromstring(etree.tostring(original))
    forged.set(f"{{{ns.WSU}}}Id", "forged")
    forged.find(f".//{{{ns.EB}}}Action").text = "forged-action"  # type: ignore[union-attr]
    security = _header(root).find(f"{{{ns.WSSE}}}Security")
    assert security is not None
    security.append(original)
    _header(root).append(forged)


def _duplicate_messaging(root: etree._Element) -> None:
    _header(root).append(etree.fromstring(etree.tostring(_messaging(root))))


def _body(root: etree._Element) -> etree._Element:
    body = root.find(f"{{{ns.SOAP12}}}Body")
    assert body is not None
    return body


def _move_body(root: etree._Element) -> None:
    # Wrapping: the signed Body hides in the header, an unsigned one takes its place.
    original = _body(root)
    _header(root).append(original)
    forged = etree.SubElement(root, f"{{{ns.SOAP12}}}Body")
    forged.set(f"{{{ns.WSU}}}Id", "forged-body")


def _fill_body(root: etree._Element) -> None:
    etree.SubElement(_body(root), "Payload").text = "in the body"


def _nbsp_body(root: etree._Element) -> None:
    _body(root).text = "\u00a0"


def _duplicate_body(root: etree._Element) -> None:
    root.append(etree.fromstring(etree.tostring(_body(root))))


def _duplicate_body_id(root: etree._Element) -> None:
    body = root.find(f"{{{ns.SOAP12}}}Body")
    assert body is not None
    extra = etree.SubElement(_header(root), "Extra")
    extra.set(f"{{{ns.WSU}}}Id", body.get(f"{{{ns.WSU}}}Id") or "")


def _remove_signature(root: etree._Element) -> None:
    signature = root.find(f".//{{{ns.DS}}}Signature")
    assert signature is not None
    signature.getparent().remove(signature)  # type: ignore[union-attr]


def _replaced(old: bytes, new: bytes, count: int = -1) -> Callable[[bytes], bytes]:
    """A mutation replacing ``old``, which must be there (so that no case tests nothing)."""

    def mutate(body: bytes) -> bytes:
        assert old in body, old
        return body.replace(old, new, count)

    return mutate


def _flip_last_ciphertext_byte(body: bytes) -> bytes:
    end = body.rindex(b"\r\n--")
    return body[: end - 1] + bytes([body[end - 1] ^ 1]) + body[end:]


def _drop_attachment(body: bytes) -> bytes:
    boundary = body.split(b"\r\n", 1)[0]
    second = body.index(boundary, len(boundary))
    return body[:second] + boundary + b"--\r\n"


CASES: dict[str, tuple[Callable[[bytes], bytes], EbmsError, str]] = {
    "tampered payload": (
        _flip_last_ciphertext_byte,
        EbmsError.FAILED_DECRYPTION,
        "decryption-failed",
    ),
    "tampered header": (
        _replaced(b"<eb:ConversationId>m1@c2.test", b"<eb:ConversationId>m2@c2.test"),
        EbmsError.FAILED_AUTHENTICATION,
        "dsig:digest-mismatch",
    ),
    "signature algorithm rsa-sha1": (
        _replaced(b"xmldsig-more#rsa-sha256", b"xmldsig#rsa-sha1"),
        EbmsError.FAILED_AUTHENTICATION,
        "dsig:algorithm-not-allowed",
    ),
    "digest algorithm md5": (
        _replaced(b'xmlenc#sha256"></ds:DigestMethod>', b'xmldsig-more#md5"></ds:DigestMethod>', 1),
        EbmsError.FAILED_AUTHENTICATION,
        "dsig:algorithm-not-allowed",
    ),
    "content encryption aes-cbc": (
        _replaced(b"xmlenc11#aes128-gcm", b"xmlenc#aes128-cbc"),
        EbmsError.POLICY_NONCOMPLIANCE,
        "xenc:algorithm",
    ),
    "key transport rsa-1_5": (
        _replaced(b"xmlenc11#rsa-oaep", b"xmlenc#rsa-1_5"),
        EbmsError.POLICY_NONCOMPLIANCE,
        "xenc:key-transport",
    ),
    "moved Messaging (wrapping)": (
        lambda b: _soap_edit(b, _move_messaging),
        EbmsError.FAILED_AUTHENTICATION,
        "wss:coverage",
    ),
    "moved Body (wrapping)": (
        lambda b: _soap_edit(b, _move_body),
        EbmsError.FAILED_AUTHENTICATION,
        "wss:coverage",
    ),
    "payload in the Body": (
        lambda b: _soap_edit(b, _fill_body),
        EbmsError.VALUE_INCONSISTENT,
        "as4:body-not-empty",
    ),
    "U+00A0 in the Body": (
        # Character data to every XML reader; str.strip() took it for white space.
        lambda b: _soap_edit(b, _nbsp_body),
        EbmsError.VALUE_INCONSISTENT,
        "as4:body-not-empty",
    ),
    "duplicated Body": (
        lambda b: _soap_edit(b, _duplicate_body),
        EbmsError.INVALID_HEADER,
        "soap:duplicate",
    ),
    "duplicated Messaging": (
        lambda b: _soap_edit(b, _duplicate_messaging),
        EbmsError.INVALID_HEADER,
        "soap:duplicate",
    ),
    "duplicate id": (
        lambda b: _soap_edit(b, _duplicate_body_id),
        EbmsError.FAILED_AUTHENTICATION,
        "dsig:duplicate-id",
    ),
    "unsigned": (
        lambda b: _soap_edit(b, _remove_signature),
        EbmsError.POLICY_NONCOMPLIANCE,
        "wss:unsigned",
    ),
    "truncated MIME": (lambda b: b[: len(b) // 2], EbmsError.MIME_INCONSISTENCY, "mime:truncated"),
    "missing attachment part": (
        _drop_attachment,
        EbmsError.EXTERNAL_PAYLOAD_ERROR,
        "as4:part-count",
    ),
    "not MIME at all": (lambda b: b"\x00garbage", EbmsError.MIME_INCONSISTENCY, "mime:boundary"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_message_is_refused_with_its_code(case: str) -> None:
    mutate, code, rule = CASES[case]
    headers, body, _ = _build()
    bad = mutate(body)
    with pytest.raises(InputError) as info:
        open_message(headers, bad, key=C3, trust=trust())
    assert (info.value.ebms_code, info.value.rule) == (code, rule)
    # The receiving API never raises for it and answers with a signed error signal.
    reception = receive(headers, bad, key=C3, trust=trust())
    assert reception.message is None and reception.error is not None
    assert reception.error.ebms_code is code
    status, answer_headers, answer_body = reception.answer(key=C3, now=NOW, message_id="e1@c3.test")
    answer = read_answer(status, answer_headers, answer_body, trust=trust())
    assert answer.verification is not None
    assert [e.code for e in answer.errors] == [code.code]
    with pytest.raises(RemoteError) as remote:
        answer.raise_for_errors()
    assert remote.value.ebms_code is code


def test_decryption_failures_all_look_the_same() -> None:
    headers, body, _ = _build()
    messages = set()
    for bad_body, key in ((_flip_last_ciphertext_byte(body), C3), (body, C2)):
        with pytest.raises(DecryptionError) as info:
            open_message(headers, bad_body, key=key, trust=trust())
        messages.add((str(info.value), info.value.rule))
        reception = receive(headers, bad_body, key=key, trust=trust())
        signal = reception.signal(now=NOW, message_id="e@c3.test")
        messages.add((signal.errors[0].description, signal.errors[0].detail))
    assert messages == {
        ("EBMS:0102 FailedDecryption: decryption failed [decryption-failed]", "decryption-failed"),
        ("decryption failed", "decryption-failed"),
    }


def test_gzip_bomb_is_refused_with_0303() -> None:
    # A megabyte of spaces deflates several hundred times: beyond a ratio guard of 100.
    headers, body, _ = _build(make_sbd(filler=b" " * 1_000_000))
    with pytest.raises(InputError) as info:
        open_message(headers, body, key=C3, trust=trust(), limits=Limits(max_compression_ratio=100))
    assert (info.value.ebms_code, info.value.rule) == (
        EbmsError.DECOMPRESSION_FAILURE,
        "gzip:too-large",
    )
    small = Limits(max_decompressed_bytes=10_000)
    headers, body, _ = _build(make_sbd(filler=b"y" * 20_000))
    with pytest.raises(InputError) as info:
        open_message(headers, body, key=C3, trust=trust(), limits=small)
    assert (info.value.ebms_code, info.value.rule) == (
        EbmsError.DECOMPRESSION_FAILURE,
        "gzip:too-large",
    )


@pytest.mark.parametrize(
    ("signer", "rule"),
    [(pki.wrong_ca_key(), "cert:untrusted"), (pki.expired_key(), "cert:expired")],
    ids=["wrong CA", "expired"],
)
def test_untrusted_signers_are_refused(signer, rule: str) -> None:  # type: ignore[no-untyped-def]
    headers, body, _ = _build(key=signer)
    with pytest.raises(InputError) as info:
        open_message(headers, body, key=C3, trust=trust())
    assert (info.value.ebms_code, info.value.rule) == (EbmsError.FAILED_AUTHENTICATION, rule)


def test_sbdh_must_agree_with_the_ebms_headers() -> None:
    sbd = make_sbd()
    real = read_routing(sbd)
    lying = SbdRouting(
        sender=ParticipantId.parse("0192:974761076"),
        receiver=real.receiver,
        document_type=real.document_type,
        process=real.process,
    )
    headers, body, _ = _build(sbd, routing=lying)
    with pytest.raises(InputError) as info:
        open_message(headers, body, key=C3, trust=trust())
    assert (info.value.ebms_code, info.value.rule) == (
        EbmsError.VALUE_INCONSISTENT,
        "peppol:sbdh-mismatch",
    )


def test_uncompressed_payload_is_accepted() -> None:
    # CEF AS4 common profile: receivers must not reject uncompressed payloads.
    headers, body, _ = _build()
    assert gzip.decompress(gzip_compress(b"abc")) == b"abc"
    received = open_message(headers, body, key=C3, trust=trust())
    assert received.user_message.parts[0].compression_type == "application/gzip"


def test_not_serviced_is_answered_as_peppol_requires() -> None:
    headers, body, _ = _build()

    def refuse(message: ReceivedMessage) -> None:
        assert message.routing.receiver == ParticipantId.parse("0192:810969342")
        raise NotServicedError()

    reception = receive(headers, body, key=C3, trust=trust(), accept=refuse)
    assert reception.error is not None and reception.error.ebms_code is EbmsError.OTHER
    status, answer_headers, answer_body = reception.answer(key=C3, now=NOW, message_id="n1@c3.test")
    answer = read_answer(status, answer_headers, answer_body, trust=trust())
    (error,) = answer.errors
    assert (error.code, error.severity, error.detail) == (
        "EBMS:0004",
        "failure",
        "PEPPOL:NOT_SERVICED",
    )
    assert answer.not_serviced
    assert error.ref_to_message_in_error == "m1@c2.test"


def test_streaming_chunks_are_the_same_message() -> None:
    options = {
        "new_id": counter_ids(),
        "random_bytes": lambda n: b"\x02" * n,
        "boundary": "----=_Part_s",
    }
    headers, chunks, _ = build_message_chunks(
        make_sbd(),
        key=C2,
        receiver_cert=C3.certificate,
        now=NOW,
        message_id="m1@c2.test",
        **options,  # type: ignore[arg-type]
    )
    body = b"".join(chunks)
    assert any(
        isinstance(c, bytes) and len(c) == 12 for c in chunks
    )  # the IV, not copied into the ciphertext
    assert open_message(headers, body, key=C3, trust=trust()).payload == make_sbd()


def test_a_bare_soap_fault_is_read_and_raised() -> None:
    fault = (
        b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault>'
        b"<env:Code><env:Value>env:Receiver</env:Value></env:Code>"
        b'<env:Reason><env:Text xml:lang="en">Internal error</env:Text></env:Reason>'
        b"</env:Fault></env:Body></env:Envelope>"
    )
    answer = read_answer(
        500, {"Content-Type": "application/soap+xml; charset=utf-8"}, fault, trust=None
    )
    assert answer.signal is None and answer.fault is not None
    assert (answer.fault.code, answer.fault.reason) == ("env:Receiver", "Internal error")
    with pytest.raises(RemoteError) as info:
        answer.raise_for_errors()
    assert info.value.rule == "as4:soap-fault"
    empty = read_answer(204, {}, b"", trust=None)
    assert empty.signal is None and empty.fault is None and empty.errors == ()


def test_from_party_must_be_the_signers_seat_id() -> None:
    headers, body, _ = _build(from_party="POP000099")
    with pytest.raises(InputError) as info:
        open_message(headers, body, key=C3, trust=trust())
    assert (info.value.ebms_code, info.value.rule) == (
        EbmsError.FAILED_AUTHENTICATION,
        "peppol:sender-not-signer",
    )
    lenient = PeppolProfile(sender_is_signer=False)
    assert open_message(headers, body, key=C3, trust=trust(), profile=lenient).payload == make_sbd()


def test_legacy_rsa_oaep_mgf1p_key_transport_is_accepted() -> None:
    # CEF AS4 1.14: receivers MAY accept xmlenc#rsa-oaep-mgf1p (Holodeck B2B used it).
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    headers, body, _ = _build()
    wrapped = re.search(rb"<xenc:CipherValue>([^<]+)</xenc:CipherValue>", body)
    assert wrapped is not None
    oaep256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    oaep1 = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    cek = C3.key.decrypt(base64.b64decode(wrapped.group(1)), oaep256)
    rewrapped = base64.b64encode(C3.certificate.public_key().encrypt(cek, oaep1))  # type: ignore[union-attr]
    legacy = re.sub(
        rb'<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep">.*?</xenc:EncryptionMethod>',
        b'<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>',
        body.replace(wrapped.group(1), rewrapped),
        flags=re.S,
    )
    assert b"rsa-oaep-mgf1p" in legacy
    assert open_message(headers, legacy, key=C3, trust=trust()).payload == make_sbd()


def test_the_payloads_sbdh_is_validated() -> None:
    good = make_sbd()
    received = open_message(*_build(good)[:2], key=C3, trust=trust())
    assert received.sbdh.country_c1 == "NO" and received.sbdh.type == "Invoice"
    broken = good.replace(
        b"<Scope><Type>COUNTRY_C1</Type><InstanceIdentifier>NO</InstanceIdentifier></Scope>", b""
    )
    headers, body, _ = _build(broken, routing=read_routing(good))
    with pytest.raises(InputError) as info:
        open_message(headers, body, key=C3, trust=trust())
    assert info.value.ebms_code is EbmsError.VALUE_INCONSISTENT
    assert info.value.rule.startswith("sbdh:")

"""Property-based round trips and tamper detection (docs/security.md, "Round trips").

For generated valid inputs, building then opening gives back the same payload and metadata
(SBDH, AS4, DPI business messages, document packages); and a single changed byte of a signed
or encrypted message is either detected or provably harmless (it left every verified value
exactly as it was: a byte in an unsigned MIME header or in the zip's unsigned comment).
"""

from __future__ import annotations

from datetime import UTC, datetime

import as4_support
import dpi_samples
import pki
import sbdh_support
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peppol_dpi.as4 import build_message, open_message
from peppol_dpi.dpi.asic import AsicBuilder, Document
from peppol_dpi.dpi.message import MessageType
from peppol_dpi.dpi.package import open_package, seal
from peppol_dpi.dpi.signed import sign_business_message, verify_business_message
from peppol_dpi.errors import InputError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.sbdh import BinaryContent, TextContent, XmlPayload, build_sbd, read_sbd
from peppol_dpi.xmlparse import c14n, parse_xml

C2, C3 = pki.ap_key("c2"), pki.ap_key("c3")
SENDER_KEY, MAILBOX_KEY = pki.business_key("sender"), pki.business_key("digipost")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SLOW = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # each example signs, encrypts and verifies with RSA-2048

# XML 1.0 characters (no controls, no surrogates), as any payload text may hold.
xml_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=200,
)


# -- SBDH ---------------------------------------------------------------------------------


def _xml_payload(text: str) -> XmlPayload:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return XmlPayload(
        data=b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><Note>'
        + escaped.encode()
        + b"</Note></Invoice>"
    )


payloads = st.one_of(
    xml_text.map(_xml_payload),
    st.builds(
        BinaryContent,
        data=st.binary(max_size=2000),
        mime_type=st.sampled_from(["application/pdf", "image/png", "application/octet-stream"]),
    ),
    st.builds(TextContent, text=xml_text, mime_type=st.sampled_from(["text/plain", "text/csv"])),
)


@settings(max_examples=60, deadline=None)
@given(payloads)
def test_sbdh_build_then_read_gives_back_header_and_payload(payload: object) -> None:
    header = sbdh_support.header_for(payload)  # type: ignore[arg-type]
    document = read_sbd(build_sbd(header, payload))  # type: ignore[arg-type]
    assert document.header == header
    if isinstance(payload, XmlPayload):
        # The XML payload is re-serialized (declaration, empty-element form): same infoset.
        assert isinstance(document.payload, XmlPayload)
        assert c14n(parse_xml(document.payload.data)) == c14n(parse_xml(payload.data))
    else:
        assert document.payload == payload


# -- AS4 ----------------------------------------------------------------------------------


@SLOW
@given(filler=xml_text, message_id=st.from_regex(r"[a-z0-9]{1,20}@c2\.test", fullmatch=True))
def test_as4_build_then_open_gives_back_payload_and_metadata(filler: str, message_id: str) -> None:
    escaped = filler.replace("&", "&amp;").replace("<", "&lt;").encode()
    sbd = as4_support.make_sbd(filler=escaped)
    headers, body, _ = build_message(
        sbd, key=C2, receiver_cert=C3.certificate, now=as4_support.NOW, message_id=message_id
    )
    received = open_message(headers, body, key=C3, trust=as4_support.trust(), at=as4_support.NOW)
    assert received.payload == sbd
    assert received.message_id == message_id
    assert received.signer == C2.certificate
    assert str(received.routing.sender).endswith(as4_support.SENDER)
    assert str(received.routing.receiver).endswith(as4_support.RECEIVER)


HEADERS, BODY, _ = build_message(
    as4_support.make_sbd(),
    key=C2,
    receiver_cert=C3.certificate,
    now=as4_support.NOW,
    message_id="fixed@c2.test",
)


@settings(max_examples=150, deadline=None)
@given(position=st.integers(0, len(BODY) - 1), xor=st.integers(1, 255))
def test_as4_any_single_byte_change_is_detected_or_harmless(position: int, xor: int) -> None:
    body = bytearray(BODY)
    body[position] ^= xor
    try:
        received = open_message(
            HEADERS, bytes(body), key=C3, trust=as4_support.trust(), at=as4_support.NOW
        )
    except InputError as err:
        assert err.ebms_code is not None  # the peer can be told
        return
    # Accepted: then every verified value is what was sent (the byte was in an unsigned MIME
    # header or in whitespace of the unsigned MIME framing).
    assert received.payload == as4_support.make_sbd()
    assert received.message_id == "fixed@c2.test"


# -- DPI business messages ------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(list(MessageType)))
def test_dpi_sign_then_verify_gives_back_the_message(kind: MessageType) -> None:
    message = dpi_samples.message(kind)
    # receipts come from the mailbox provider (e-Boks), everything else from the sender
    key = pki.business_key("eboks") if message.sender == dpi_samples.EBOKS else SENDER_KEY
    verified = verify_business_message(sign_business_message(message, key), trust=None)
    assert verified.message == message
    assert verified.message.to_bytes() == message.to_bytes()


TOKEN = sign_business_message(dpi_samples.message(MessageType.DIGITAL), SENDER_KEY)


@settings(max_examples=150, deadline=None)
@given(position=st.integers(0, len(TOKEN) - 1), xor=st.integers(1, 255))
def test_dpi_any_single_byte_change_of_a_token_is_detected(position: int, xor: int) -> None:
    token = bytearray(TOKEN)
    token[position] ^= xor
    try:
        verify_business_message(bytes(token), trust=None)
    except InputError:
        return
    # Only trailing whitespace may change without consequence (it is stripped).
    assert bytes(token).strip() == TOKEN


# -- document packages ----------------------------------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_-]{0,20}\.(pdf|txt|png)", fullmatch=True)


@SLOW
@given(
    main=st.binary(min_size=1, max_size=3000),
    attachments=st.lists(st.tuples(names, st.binary(max_size=2000)), max_size=3),
    title=st.one_of(st.none(), xml_text.filter(lambda t: 0 < len(t.strip()) == len(t))),
)
def test_package_seal_then_open_gives_back_every_document(
    main: bytes, attachments: list[tuple[str, bytes]], title: str | None
) -> None:
    unique = {name: content for name, content in attachments if name != "hoved.pdf"}
    builder = (
        AsicBuilder()
        .sender(ParticipantId.norwegian("991825827"), sender_identifier="991825827:avsender")
        .mailbox("ola.nordmann#9YDT")
        .main_document(Document(name="hoved.pdf", content=main, title=title))
    )
    for name, content in unique.items():
        builder = builder.add_attachment(Document(name=name, content=content))
    sealed = seal(builder, SENDER_KEY, recipient=MAILBOX_KEY.certificate, signing_time=NOW)
    opened = open_package(sealed, MAILBOX_KEY, trust=pki.business_trust(), at=NOW)
    assert (opened.main.name, opened.main.content, opened.main.title) == ("hoved.pdf", main, title)
    assert {a.name: a.content for a in opened.attachments} == unique
    assert opened.signer == SENDER_KEY.certificate


SEALED = seal(
    AsicBuilder()
    .sender(ParticipantId.norwegian("991825827"), sender_identifier="991825827:avsender")
    .mailbox("ola.nordmann#9YDT")
    .main_document(Document(name="hoved.pdf", content=b"%PDF-1.4 brev")),
    SENDER_KEY,
    recipient=MAILBOX_KEY.certificate,
    signing_time=NOW,
)


@settings(max_examples=100, deadline=None)
@given(position=st.integers(0, len(SEALED) - 1), xor=st.integers(1, 255))
def test_package_any_single_byte_change_is_detected_or_harmless(position: int, xor: int) -> None:
    sealed = bytearray(SEALED)
    sealed[position] ^= xor
    try:
        opened = open_package(bytes(sealed), MAILBOX_KEY, at=NOW)
    except InputError:
        return
    assert opened.main.content == b"%PDF-1.4 brev"  # e.g. a byte of the unsigned zip comment

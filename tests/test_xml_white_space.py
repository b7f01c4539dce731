"""White space is what the format says it is, and nothing more.

XML knows four white-space characters (XML 1.0 2.3, production S: space, tab, carriage return,
line feed); a MIME or HTTP header two (RFC 5322 2.2.3 WSP, RFC 9110 5.6.3 OWS: space and tab);
an OAuth scope list one (RFC 6749 3.3: space). Python's ``str.strip()``, ``split()``,
``isspace()`` and the regex class ``\\s`` also take U+0085, U+00A0, U+1680, U+2000-U+200A,
U+2028, U+2029, U+202F, U+205F, U+3000 (and, in Latin-1 headers, the C0 separators). Java's
``String.trim()`` removes nothing above U+0020, so phase4, Oxalis and peppol-commons read a value
padded with U+00A0 as another value than we did, and Apache Santuario splits an exclusive C14N
PrefixList at the four XML characters only (tests/test_xmldsig_never_laxer.py holds us to xmlsec
there).

Each reader below is handed such a value. Where the format keeps it, we keep it (and the value's
own check then refuses what is no identifier, URL or message id); where it is markup-free
element content, we refuse it as text.
"""

from __future__ import annotations

import copy

import pytest
from lookup_support import smp_metadata
from lxml import etree
from sbdh_support import INVOICE, RECEIVER, header_for
from test_ebms_never_laxer import peppol_user_message

from peppol_dpi import ns
from peppol_dpi.as4.ebms_write import messaging_xml
from peppol_dpi.as4.ebms_xml import parse_messaging
from peppol_dpi.as4.mime import MimeError, parse_content_type, parse_message
from peppol_dpi.as4.model import (
    UserMessage,
)
from peppol_dpi.as4.soap import body_xml, envelope_xml, parse_envelope
from peppol_dpi.dpi.innbyggerpost import Innbyggerpost, InnbyggerpostError
from peppol_dpi.errors import InputError
from peppol_dpi.lookup.errors import SmpError
from peppol_dpi.lookup.maskinporten import scope_tokens
from peppol_dpi.lookup.smp_xml import build_service_metadata, read_service_metadata
from peppol_dpi.sbdh import XmlPayload, build_sbd, read_sbd
from peppol_dpi.xmldsig.structure import inclusive_prefixes, signed_info_parts
from peppol_dpi.xmltext import XML_SPACE, is_xml_space, xml_strip, xml_tokens

#: Characters ``str.isspace()`` takes for white space that no format here does.
UNICODE_SPACES = ["\u0085", "\u00a0", "\u1680", "\u2003", "\u2028", "\u202f", "\u3000"]


def test_python_takes_them_for_white_space() -> None:
    # The premise: were this not so, nothing below would test anything.
    assert all(c.isspace() and not c.strip() for c in UNICODE_SPACES)
    assert all(len(f"a{c}b".split()) == 2 for c in UNICODE_SPACES)


# -- the helpers (peppol_dpi.xmltext) -----------------------------------------------------------


@pytest.mark.parametrize("space", UNICODE_SPACES)
def test_xml_text_helpers_keep_unicode_spaces(space: str) -> None:
    assert xml_strip(f"{XML_SPACE}{space}v{space}{XML_SPACE}") == f"{space}v{space}"
    assert xml_tokens(f" a{space}b \t\r\nc ") == [f"a{space}b", "c"]
    assert not is_xml_space(space)
    assert not is_xml_space(f"\n  {space}\n")


def test_xml_text_helpers_take_the_four_xml_characters() -> None:
    assert xml_strip(" \t\r\nv \t\r\n") == "v"
    assert xml_tokens("\t a \r\n\n b\t") == ["a", "b"]
    assert xml_tokens(" \t\r\n") == []
    assert xml_tokens("") == []
    assert is_xml_space(None) and is_xml_space("") and is_xml_space(" \t\r\n")


# -- eb:Messaging (as4.ebms_xml) ----------------------------------------------------------------


def _read_with(local: str, value: str) -> UserMessage:
    """The user message with the text of its (first) eb:``local`` replaced by ``value``."""
    messaging = messaging_xml(peppol_user_message(), wsu_id="messaging")
    root = etree.fromstring(envelope_xml(security="", messaging=messaging, body=body_xml("b")))
    element = next(root.iter(f"{{{ns.EB}}}{local}"))
    element.text = value
    envelope = parse_envelope(etree.tostring(root))
    assert envelope.messaging is not None
    parsed = parse_messaging(envelope.messaging)
    assert isinstance(parsed, UserMessage)
    return parsed


@pytest.mark.parametrize("space", UNICODE_SPACES)
def test_ebms_values_keep_unicode_spaces(space: str) -> None:
    # phase4 reads the values through JAXB and trims nothing but XML white space (if that).
    assert _read_with("MessageId", f"{space}m1@c2.test").message_id == f"{space}m1@c2.test"
    assert _read_with("ConversationId", f"c1{space}").conversation_id == f"c1{space}"
    original_sender = _read_with("Property", f"\n 0192:991825827{space}\n").properties[0]
    assert original_sender.value == f"0192:991825827{space}"


def test_ebms_values_lose_surrounding_xml_white_space() -> None:
    assert _read_with("MessageId", "\n\t m1@c2.test \r\n").message_id == "m1@c2.test"


# -- XMLDSig content model (xmldsig.structure) --------------------------------------------------


_SIGNED_INFO = (
    f'<ds:SignedInfo xmlns:ds="{ns.DS}">'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    '<ds:Reference URI="#b1"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
    "<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>"
)


@pytest.mark.parametrize("space", UNICODE_SPACES)
def test_unicode_space_in_element_only_content_is_text(space: str) -> None:
    # XMLDSig 1.1 4.4 (and its schema): SignedInfo is element-only; XML white space may sit
    # between its children (XML 1.0 3.2.1), U+00A0 is character data there.
    signed_info = etree.fromstring(
        _SIGNED_INFO.replace("<ds:SignatureMethod", f"{space}<ds:SignatureMethod")
    )
    with pytest.raises(InputError) as caught:
        signed_info_parts(signed_info)
    assert caught.value.rule == "dsig:malformed"
    # ...and XML white space is not.
    spaced = etree.fromstring(
        _SIGNED_INFO.replace("<ds:SignatureMethod", "\n\t <ds:SignatureMethod")
    )
    assert len(signed_info_parts(spaced)[2]) == 1


def test_prefix_list_tokens_are_split_at_xml_white_space_only() -> None:
    method = etree.fromstring(
        f'<ds:CanonicalizationMethod xmlns:ds="{ns.DS}" Algorithm="{ns.EXC_C14N}">'
        f'<ec:InclusiveNamespaces xmlns:ec="{ns.EXC_C14N}" PrefixList="#default&#160;p&#9;q r"/>'
        "</ds:CanonicalizationMethod>"
    )
    assert inclusive_prefixes(method, "CanonicalizationMethod") == ("#default\u00a0p", "q", "r")


# -- DPI: Innbyggerpost ---------------------------------------------------------------------------


@pytest.mark.parametrize("space", UNICODE_SPACES)
def test_innbyggerpost_refuses_unicode_space_between_its_elements(space: str) -> None:
    good = Innbyggerpost(forretningsmelding=b"a.b.c", dokumentpakke=b"zip").to_bytes()
    assert Innbyggerpost.parse(good.replace(b"><", b">\n  <"))  # XML white space: fine
    padded = good.replace(b"><", f">{space}<".encode(), 1)
    with pytest.raises(InnbyggerpostError) as caught:
        Innbyggerpost.parse(padded)
    assert caught.value.rule == "innbyggerpost:content"


# -- SBDH (sbdh.header_reader) -------------------------------------------------------------------


def _sbd(receiver_text: str) -> bytes:
    payload = XmlPayload(data=INVOICE)
    document = build_sbd(header_for(payload), payload)
    original = f">{RECEIVER.value}</".encode()
    assert document.count(original) == 1
    return document.replace(original, f">{receiver_text}</".encode())


@pytest.mark.parametrize("space", UNICODE_SPACES)
def test_sbdh_identifier_with_unicode_space_is_refused(space: str) -> None:
    # peppol-commons trims each value with Java's trim(): the identifier keeps U+00A0 and is no
    # 0192 organisation number; we stripped it and routed the document to 0192:987464291.
    with pytest.raises(InputError):
        read_sbd(_sbd(f"{RECEIVER.value}{space}"))


def test_sbdh_identifier_loses_surrounding_xml_white_space() -> None:
    assert read_sbd(_sbd(f"\n\t {RECEIVER.value} \n")).header.receiver == RECEIVER


# -- SMP (lookup.smp_xml) -------------------------------------------------------------------------


def _smp_with_url(url: str) -> etree._Element:
    root = build_service_metadata(smp_metadata())
    address = next(root.iter(f"{{{ns.WSA}}}Address"))
    address.text = url
    return copy.deepcopy(root)


@pytest.mark.parametrize("space", UNICODE_SPACES)
def test_smp_endpoint_url_with_unicode_space_is_refused(space: str) -> None:
    # peppol-commons trims with Java's trim(): the URL keeps the character and is none.
    for url in (f"{space}https://ap.example/as4", f"https://ap.example/as4{space}"):
        with pytest.raises(SmpError) as caught:
            read_service_metadata(_smp_with_url(url))
        assert caught.value.rule == "smp:bad-url"


def test_smp_endpoint_url_loses_surrounding_xml_white_space() -> None:
    metadata = read_service_metadata(_smp_with_url("\n  https://ap.example/as4\t\n"))
    assert metadata.processes[0].endpoints[0].url == "https://ap.example/as4"  # type: ignore[union-attr]


# -- MIME (as4.mime) ------------------------------------------------------------------------------


def _multipart(content_id_line: str, encoding: str = "binary") -> tuple[dict[str, str], bytes]:
    headers = {"Content-Type": 'multipart/related; boundary="b1"; type="application/soap+xml"'}
    body = (
        "--b1\r\nContent-Type: application/soap+xml\r\n\r\n<e/>\r\n"
        f"--b1\r\nContent-Type: application/octet-stream\r\n{content_id_line}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n\r\npayload\r\n--b1--\r\n"
    ).encode("latin-1")
    return headers, body


@pytest.mark.parametrize("space", ["\u0085", "\u00a0", "\x1c", "\x1f", "\x0b"])
def test_mime_header_values_keep_what_is_not_wsp(space: str) -> None:
    # JavaMail (phase4, Oxalis) skips space and tab after the colon, nothing else.
    headers, body = _multipart(f"Content-ID: <cid1{space}>")
    (attachment,) = parse_message(headers, body).attachments
    assert attachment.content_id == f"cid1{space}"
    headers, body = _multipart(f"Content-ID: <cid1>{space}")  # not "<" id ">" (RFC 2392)
    with pytest.raises(MimeError) as info:
        parse_message(headers, body)
    assert info.value.rule == "mime:content-id"
    headers, body = _multipart("Content-ID: <cid1>", encoding=f"{space}binary")
    with pytest.raises(MimeError):
        parse_message(headers, body)


def test_mime_header_values_lose_surrounding_wsp() -> None:
    headers, body = _multipart("Content-ID: \t <cid1> \t", encoding=" \tbinary\t ")
    (attachment,) = parse_message(headers, body).attachments
    assert attachment.content_id == "cid1"


@pytest.mark.parametrize("space", ["\u0085", "\u00a0"])
def test_content_type_parameters_are_separated_by_wsp_only(space: str) -> None:
    media, params = parse_content_type(f"multipart/related;{space}boundary=b1; start=x{space}y")
    assert media == "multipart/related"
    assert "boundary" not in params
    assert params["start"] == f"x{space}y"
    assert parse_content_type("multipart/related; \tboundary=b1")[1] == {"boundary": "b1"}


# -- OAuth scopes (lookup.maskinporten) -----------------------------------------------------------


@pytest.mark.parametrize("separator", [*UNICODE_SPACES, "\t", "\n"])
def test_scopes_are_separated_by_spaces_only(separator: str) -> None:
    assert scope_tokens(f"digdir:dpi{separator}krr:global/kontaktinformasjon.read") == (
        f"digdir:dpi{separator}krr:global/kontaktinformasjon.read",
    )
    assert scope_tokens(" digdir:dpi  krr:x ") == ("digdir:dpi", "krr:x")
    assert scope_tokens(["digdir:dpi"]) == ()

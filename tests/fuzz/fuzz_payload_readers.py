"""Fuzz target (differential): the readers of one DPI payload reach the same outcome.

The readers, pair by pair (tests/test_payload_readers_agree.py has the deterministic cases):

* ``peppol_payload.unwrap`` (bytes) and ``unwrap_from`` (a BytesIO, and a file whose reads
  return a few bytes): the same header, business message, JWS and package, or the same error
  class, ``rule`` and ``ebms_code``;
* ``sbdh.read_sbdh`` of bytes (header cache empty, and warm when the header qualifies), of a
  memoryview, of a BytesIO and of a trickling file: the same header or the same refusal
  (problems included); and ``read_sbd``: a document it accepts gives read_sbdh the same
  header, a document read_sbdh refuses it refuses too;
* ``base64text.Base64Decoder`` fed in pieces (its buffer made small, so that it drains) and
  ``decode_text`` of the whole: the same bytes or both refuse;
* ``xmlprefix.parse_xml_until`` of bytes, a memoryview, a BytesIO and a trickling file; and,
  for what it reads, ``xmlparse.parse_xml`` of the whole document: a refusal of the part read is
  parse_xml's refusal (same rule); the ``stop`` after the content found as the root's child,
  with only the root's end tag unread, means parse_xml accepts; an element absent means
  parse_xml's outcome.

A disagreement raises AssertionError with every outcome; an exception other than InputError
raised alike by all is a finding as in any target.

The first byte of an input says what the rest is (``byte % 4``) and how it is read: bit 2
picks :data:`SMALL` limits instead of the defaults, bits 3-5 the size of a trickling file's
reads (:data:`STEPS`):

* 0: a DPI SBD (unwrap, unwrap_from, and the header readers);
* 1: the base64 text of the package of a valid DPI SBD (the same readers, and the decoders);
* 2: a Peppol SBD with an XML, binary or text payload (the header readers and read_sbd);
* 3: XML: the next byte is the length of a prolog, then the prolog, then the content ``C``
  of ``<r>C<stop/></r>`` (parse_xml_until of ``stop`` and of an absent element, parse_xml).
"""

from __future__ import annotations

import binascii
import dataclasses
import io
from collections.abc import Callable, Iterable
from typing import Any

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi import base64text
    from peppol_dpi.base64text import Base64Decoder, decode_text
    from peppol_dpi.dpi.identifiers import MessageType
    from peppol_dpi.dpi.innbyggerpost import Innbyggerpost
    from peppol_dpi.dpi.peppol_payload import unwrap, unwrap_from, wrap
    from peppol_dpi.dpi.signed import sign_business_message
    from peppol_dpi.limits import DEFAULT_LIMITS, Limits
    from peppol_dpi.sbdh import (
        BinaryContent,
        TextContent,
        XmlPayload,
        build_sbd,
        read_sbd,
        read_sbdh,
    )
    from peppol_dpi.sbdh.header_cache import forget_all, header_shape
    from peppol_dpi.xmlparse import PARSER_OPTIONS, parse_xml, xml_declaration
    from peppol_dpi.xmlprefix import end_tag_end, parse_xml_until

import dpi_samples
import pki
import sbdh_support
from differential import Crash, Failure, Trickle, describe, outcome, same
from lxml import etree

from peppol_dpi import ns

DPI, TEXT, SBD, XML = 0, 1, 2, 3
HEADER_TAG = ns.qname(ns.SBDH, "StandardBusinessDocumentHeader")
#: Sizes of a trickling file's reads (bits 3-5 of the first byte).
STEPS = (1, 2, 3, 4, 5, 7, 64, 4093)


def _innbyggerpost(message_type: MessageType, package: bytes) -> Innbyggerpost:
    key = pki.business_key("eboks" if message_type.is_receipt else "sender")
    message = sign_business_message(dpi_samples.message(message_type), key)
    return Innbyggerpost(forretningsmelding=message, dokumentpakke=package)


CREATED = dpi_samples.CREATED
PACKAGE = b"CMS bytes of the package"
LETTER = wrap(_innbyggerpost(MessageType.DIGITAL, PACKAGE), instance_id="c2-1", created=CREATED)
PACKAGE_TEXT = binascii.b2a_base64(PACKAGE, newline=False)
assert PACKAGE_TEXT in LETTER
#: Limits a small SBD meets: elements, depth, namespaces, package and document size.
SMALL = Limits(
    max_xml_bytes=len(LETTER) + 256,
    max_xml_depth=6,
    max_xml_elements=len(parse_xml(LETTER).xpath("//*")) + 2,
    max_xml_namespaces_in_scope=4,
    max_package_bytes=len(PACKAGE) + 3,
    max_jws_bytes=len(LETTER),
)


# -- outcomes -------------------------------------------------------------------------------------


def check_payload(data: bytes, limits: Limits, step: int) -> None:
    def held() -> object:
        read = unwrap(data, limits=limits)
        post = read.innbyggerpost
        return ("ok", read.header, read.message, post.forretningsmelding, post.dokumentpakke)

    def streamed(source: Any) -> object:
        sink = io.BytesIO()
        read = unwrap_from(source, sink, limits=limits)
        assert read.package_bytes == len(sink.getvalue())
        return ("ok", read.header, read.message, read.forretningsmelding, sink.getvalue())

    forget_all()
    same(
        {
            "unwrap": outcome(held),
            "unwrap_from(BytesIO)": outcome(lambda: streamed(io.BytesIO(data))),
            f"unwrap_from(reads of {step})": outcome(lambda: streamed(Trickle(data, step))),
        }
    )


def _template(data: bytes) -> bytes | None:
    """``data`` with plain values for the instance id and the creation time the header cache
    cuts out: read first, it makes read_sbdh(data) take the cached way."""
    end = end_tag_end(data, HEADER_TAG)
    shape = header_shape(data[:end], DEFAULT_LIMITS) if end >= 0 else None
    if shape is None:
        return None
    _, before, between, after = shape.key
    return before + b"x" + between + b"2026-01-01T00:00:00Z" + after + data[end:]


def check_headers(data: bytes, limits: Limits, step: int) -> None:
    def read(source: Any) -> Callable[[], object]:
        return lambda: read_sbdh(source, limits=limits)

    forget_all()
    outcomes = {
        "read_sbdh(bytes)": outcome(read(data), problems=True),
        "read_sbdh(memoryview)": outcome(read(memoryview(data)), problems=True),
        "read_sbdh(BytesIO)": outcome(read(io.BytesIO(data)), problems=True),
        f"read_sbdh(reads of {step})": outcome(read(Trickle(data, step)), problems=True),
    }
    template = _template(data)
    if template is not None:
        forget_all()
        outcome(lambda: read_sbdh(template, limits=limits))
        outcomes["read_sbdh(bytes, cache warm)"] = outcome(read(data), problems=True)
    forget_all()
    header = same(outcomes)
    whole = outcome(lambda: read_sbd(data, limits=limits), problems=True)
    described = describe({"read_sbd": whole, **outcomes})
    if isinstance(whole, Crash):
        raise AssertionError(f"read_sbd crashed:\n{described}")
    if not isinstance(whole, Failure):
        assert header == whole.header, f"read_sbd reads another header:\n{described}"  # type: ignore[attr-defined]
    if isinstance(header, Failure):
        assert isinstance(whole, Failure), f"read_sbd accepts what read_sbdh refuses:\n{described}"


def check_decoders(text: bytes, cuts: Iterable[int], buffer: int) -> None:
    chars = text.decode("latin-1")

    def whole() -> object:
        try:
            return decode_text(chars)
        except ValueError:
            return "refused"

    def pieces() -> object:
        sink = io.BytesIO()
        decoder = Base64Decoder(sink)
        saved = base64text.CHUNK_BYTES
        base64text.CHUNK_BYTES = buffer  # drains every few characters (really every CHUNK_BYTES)
        try:
            at = 0
            for cut in [*sorted({c % (len(chars) + 1) for c in cuts}), len(chars)]:
                decoder.feed(chars[at:cut])
                at = cut
            written = decoder.close()
        except ValueError:
            return "refused"
        finally:
            base64text.CHUNK_BYTES = saved
        assert written == len(sink.getvalue())
        return sink.getvalue()

    same({"decode_text": outcome(whole), f"Base64Decoder(buffer {buffer})": outcome(pieces)})


def _element(found: object) -> object:
    if found is None:
        return None
    assert isinstance(found, etree._Element)
    return (found.tag, found.sourceline, etree.tostring(found, with_tail=False))


def _part_read_closed(prolog: bytes, content: bytes) -> bytes | None:
    """What ``parse_xml_until(prolog + <r>content<stop/></r>, "stop")`` reads (all but ``</r>``,
    when ``content`` holds no other "stop"), with end tags for the elements still open after
    it; the part alone when libxml2 finds a syntax error in it. None when the document is in
    an encoding that does not write ASCII as ASCII (the part is then not known)."""
    declaration = xml_declaration(prolog)
    if declaration.family != "utf-8":
        return None
    part = prolog + b"<r>" + content + b"<stop/>"
    parser = etree.XMLPullParser(events=("start", "end"), **PARSER_OPTIONS)
    open_elements: list[Any] = []
    try:
        parser.feed(part)
        for event, element in parser.read_events():
            if event == "start":
                open_elements.append(element)
            else:
                open_elements.pop()
    except etree.XMLSyntaxError:
        return part
    if any(entry.level >= etree.ErrorLevels.ERROR for entry in parser.feed_error_log):
        return part
    encoding = declaration.encoding or "utf-8"
    return part + b"".join(
        f"</{_raw_name(element)}>".encode(encoding) for element in reversed(open_elements)
    )


def _raw_name(element: Any) -> str:
    local = etree.QName(element).localname
    return f"{element.prefix}:{local}" if element.prefix else local


def check_until(prolog: bytes, content: bytes, limits: Limits, step: int) -> None:
    data = prolog + b"<r>" + content + b"<stop/></r>"

    def readers(tag: str) -> dict[str, object]:
        def read(source: Any) -> Callable[[], object]:
            return lambda: _element(parse_xml_until(source, tag, limits=limits))

        return {
            "bytes": outcome(read(data)),
            "memoryview": outcome(read(memoryview(data))),
            "BytesIO": outcome(read(io.BytesIO(data))),
            f"reads of {step}": outcome(read(Trickle(data, step))),
        }

    found = same(readers("stop"))
    whole = outcome(lambda: parse_xml(data, limits=limits))
    described = describe({"parse_xml_until(stop)": found, "parse_xml": whole})
    if isinstance(found, Failure):
        assert isinstance(whole, Failure), described
        if whole.rule != found.rule:
            # parse_xml names a syntax error before any limit, and too many elements before
            # too deep (xmlparse): a fault after the stop, which parse_xml_until never reads,
            # may come first. Its refusal must then be parse_xml's of the part it read, with
            # end tags for the elements left open.
            closed = _part_read_closed(prolog, content) if b"stop" not in prolog + content else None
            if closed is None:  # the part read is not known: the refusals must be alike
                assert (whole.cls, whole.ebms_code) == (found.cls, found.ebms_code), described
            else:
                size = max(limits.max_xml_bytes, len(closed))
                room = dataclasses.replace(limits, max_xml_bytes=size)
                alone = outcome(lambda: parse_xml(closed, limits=room))
                assert alone == found, describe(
                    {"parse_xml_until(stop)": found, "parse_xml": whole, "part read": alone}
                )
    elif found is not None and b"stop" not in prolog + content and b"</r>" not in content:
        # The stop found is the one after the content: if it is the root's child, only the
        # root's end tag was left unread.
        element = parse_xml_until(data, "stop", limits=limits)
        parent = element.getparent() if element is not None else None
        if parent is not None and parent.getparent() is None:
            assert not isinstance(whole, Failure), f"only </r> was left unread:\n{described}"
    absent = same(readers("absent"))
    expected = whole if isinstance(whole, Failure) else None
    assert absent == expected, describe({"parse_xml_until(absent)": absent, "parse_xml": whole})


# -- the target -----------------------------------------------------------------------------------


def target(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0] % 4, data[1:]
    limits = SMALL if data[0] & 4 else DEFAULT_LIMITS
    step = STEPS[data[0] >> 3 & 7]
    if mode == DPI:
        check_payload(rest, limits, step)
        check_headers(rest, limits, step)
    elif mode == TEXT:
        sbd = LETTER.replace(PACKAGE_TEXT, rest, 1)
        check_payload(sbd, limits, step)
        check_decoders(rest, (data[0], len(rest) // 2, len(rest) - 1), step % 5 + 1)
    elif mode == SBD:
        check_headers(rest, limits, step)
    elif rest:
        prolog, content = rest[1 : 1 + rest[0]], rest[1 + rest[0] :]
        check_until(prolog, content, limits, step)


def _sbds() -> Iterable[bytes]:
    xml = XmlPayload(data=sbdh_support.INVOICE)
    binary = BinaryContent(data=bytes(range(64)), mime_type="application/pdf")
    text = TextContent(text="a;b\r\n<æ>&]]>\n", mime_type="text/csv")
    yield build_sbd(sbdh_support.header_for(xml), xml)
    for payload in (binary, text):
        header = sbdh_support.header_for(payload, document_type=sbdh_support.FACTUR_X)
        yield build_sbd(header, payload)


def corpus() -> Iterable[bytes]:
    body = LETTER.split(b"\n", 1)[1].decode()
    receipt = wrap(
        _innbyggerpost(MessageType.LEVERINGSKVITTERING, b""), instance_id="c2-2", created=CREATED
    )
    for first in (DPI, DPI | 4, DPI | 3 << 3):
        yield bytes([first]) + LETTER
    yield bytes([DPI]) + receipt
    yield bytes([DPI | 2 << 3]) + ("<?xml version='1.0' encoding='UTF-16'?>\n" + body).encode(
        "utf-16"
    )
    yield bytes([DPI]) + LETTER.replace(b"UTF-8", b"ISO-8859-1")
    yield bytes([DPI]) + LETTER.replace(b"UTF-8", b"UTF-7")
    yield bytes([DPI]) + b"\xef\xbb\xbf" + LETTER
    for text in (
        PACKAGE_TEXT,
        PACKAGE_TEXT[:8] + b"\r\n\t " + PACKAGE_TEXT[8:],
        b"YQ==",
        b"YWI=",
        b"<![CDATA[" + PACKAGE_TEXT[:8] + b"]]>&#x51;" + PACKAGE_TEXT[9:],
        b"",
        b"Q01T<!-- -->IGJ5dGVz&#10;IG9mIHRoZSBwYWNrYWdl",
    ):
        yield bytes([TEXT]) + text
        yield bytes([TEXT | 4 | 1 << 3]) + text
    for sbd in _sbds():
        yield bytes([SBD]) + sbd
        yield bytes([SBD | 4 | 2 << 3]) + sbd
    yield bytes([SBD]) + next(iter(_sbds())).replace(b"UTF-8", b"UTF-7").replace(
        "blåbær".encode(), b"blabar"
    )
    for prolog, content in (
        (b"", b"<a><b>text</b><c/></a>"),
        (
            b"<?xml version='1.0' encoding='UTF-8'?>",
            b'<p:a xmlns:p="urn:p"><p:b xmlns="urn:d"/></p:a>',
        ),
        (b"<!-- c --><?pi x?>", b"<!-- </stop> --><![CDATA[<stop/>]]>&amp;&#65;"),
        (b"\xef\xbb\xbf", b"<a>" * 5 + b"</a>" * 5),
        (b"<!DOCTYPE r>", b""),
    ):
        yield bytes([XML, len(prolog)]) + prolog + content
        yield bytes([XML | 4 | 1 << 3, len(prolog)]) + prolog + content


if __name__ == "__main__":
    fuzz("payload_readers", target, corpus)

"""Differential test: our MIME reader is never laxer than Jakarta Mail's, and splits alike.

An AS4 message is a multipart/related HTTP body: the SOAP envelope and the attachments. phase4
split it with Jakarta Mail's ``MimeMultipart`` until version 4.6 (its own part reader since,
on Jakarta Mail's header parser) and took the first part for the envelope; many Java AS4
stacks still do. ``tests/java/MimeOracle.java`` reads every case with ``MimeMultipart`` (the
library's default settings, each part's content through ``getInputStream``, the transfer
encoding undone) in one JVM; we read it with :func:`peppol_dpi.as4.mime.parse_message` and
the streaming reader :func:`peppol_dpi.as4.mime_stream.scan_message` (the two AS4 openers'
first step). For each case: (a) we never crash (a refusal is an InputError); (b) what Jakarta
Mail refuses, we refuse; (c) what we accept, Jakarta Mail splits into the same parts: the same
number, our envelope its first part, each of our attachments a part of its own with the same
Content-ID and the same content; (d) our two readers give one verdict (the same rule) and the
same parts. A message whose envelope or attachment two readers see
differently is one message read two ways: the signature covers what one of them saw.

The cases: delimiters (transport padding, a longer boundary, a boundary inside a line, LF
line ends, CR alone, the close delimiter missing or followed by text, preamble and epilogue
holding delimiter-like lines), the boundary parameter (quoted, missing, empty, with spaces or
illegal characters, 70 characters and more), headers (folded, without a colon, with a space
before it, duplicated, lower case, none), transfer encodings (base64 with line breaks or bad
characters, quoted-printable, 7bit holding 8-bit bytes, unknown), the ``start`` parameter, empty
parts, parts without Content-ID, and 600 single-byte changes of a whole message's structure.

FOUND when this was written (664 cases: 556 split alike, 7 refused by both, 98 refused by us
alone), 12 where we were laxer or split otherwise, all refused since (``mime.split_root``,
``part_headers``, ``multipart_framing``, the delimiter search of both readers):

* other parts. A delimiter after a lone CR: Jakarta Mail takes the CR for a line end and splits
  the attachment there; RFC 2046 and we did not (``mime:boundary`` now). ``start`` naming the
  attachment: we took it for the envelope, phase4 the first part (CXF and Oxalis follow
  ``start``, so only a ``start`` naming the first part is read now, ``mime:start``). Two
  attachments with one Content-ID: we kept both, and the second was never decrypted nor
  checked (``mime:content-id``).
* other Content-IDs. A lone CR inside a header line, which ends the line for Jakarta Mail
  (``mime:header``); space inside the brackets, which we trimmed and phase4 keeps; a bracket on
  one side only, which phase4 trims and we kept (six mutations): a Content-ID must be ``<id>``
  or ``id`` now (RFC 2392, ``mime:content-id``).
* laxer. An unquoted parameter value holding a tspecial (``type=application/soap+xml``,
  ``boundary=----=_Part``), which RFC 2045 5.1 forbids and Jakarta Mail refuses, where our
  parameter regex took what it could (``mime:content-type``); a boundary ending in a space,
  which Jakarta Mail never finds because it trims delimiter lines (``mime:boundary``).

STRICTER, by design (Jakarta Mail reads these, we refuse; allowed, not asserted): a missing
close delimiter (Jakarta Mail's default ignores it) or one followed by one dash; a delimiter
followed by text (Jakarta Mail skips the line and goes on); a preamble holding a longer
boundary; a boundary parameter missing (Jakarta Mail takes the first line that starts with
"--"); Content-Types other than multipart/related or SOAP; two Content-ID or Content-Type
fields in a part; a header line without a colon; quoted-printable, uuencode and base64 with
characters outside its alphabet or data after the padding; a part whose headers never end.
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
from dataclasses import dataclass
from urllib.parse import unquote

import pytest
from java_oracle import JavaVerdict, run_batch

from peppol_dpi.as4.mime import MimeMessage, parse_message
from peppol_dpi.as4.mime_stream import read_span, scan_message
from peppol_dpi.errors import InputError

B = "MIMEBoundary_4c1d"
SOAP = b'<?xml version="1.0"?><S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><S12:Header/><S12:Body/></S12:Envelope>'
PAYLOAD = bytes(range(256)) * 8  # binary, as an encrypted attachment is
CTYPE = f'multipart/related; boundary="{B}"; type="application/soap+xml"'


def _part(headers: list[str], content: bytes, eol: bytes = b"\r\n") -> bytes:
    return eol.join(h.encode("latin-1") for h in headers) + eol + eol + content


ROOT_HEADERS = ["Content-Type: application/soap+xml; charset=UTF-8", "Content-ID: <root@as4>"]
ATTACHMENT_HEADERS = [
    "Content-Type: application/octet-stream",
    "Content-Transfer-Encoding: binary",
    "Content-ID: <payload@as4>",
]


def _message(
    parts: list[bytes] | None = None,
    *,
    boundary: str = B,
    eol: bytes = b"\r\n",
    preamble: bytes = b"",
    epilogue: bytes = b"",
    close: bytes | None = None,
) -> bytes:
    if parts is None:
        parts = [_part(ROOT_HEADERS, SOAP, eol), _part(ATTACHMENT_HEADERS, PAYLOAD, eol)]
    dash = b"--" + boundary.encode("latin-1")
    body = preamble
    for part in parts:
        body += dash + eol + part + eol
    body += (dash + b"--" if close is None else close) + eol + epilogue
    return body


def _with_attachment(headers: list[str], content: bytes) -> bytes:
    return _message([_part(ROOT_HEADERS, SOAP), _part(headers, content)])


def _encoded(encoding: str, content: bytes) -> bytes:
    """A message whose attachment has Content-Transfer-Encoding ``encoding``."""
    headers = [
        ATTACHMENT_HEADERS[0],
        f"Content-Transfer-Encoding: {encoding}",
        ATTACHMENT_HEADERS[2],
    ]
    return _with_attachment(headers, content)


_B64 = base64.encodebytes(PAYLOAD)

#: (name, Content-Type header value, body)
CASES: list[tuple[str, str, bytes]] = [
    ("plain", CTYPE, _message()),
    ("LF line ends", CTYPE, _message(eol=b"\n")),
    ("preamble", CTYPE, _message(preamble=b"This is a MIME message.\r\n")),
    ("epilogue", CTYPE, _message(epilogue=b"bye\r\n")),
    (
        "epilogue holding a delimiter line",
        CTYPE,
        _message(epilogue=f"--{B}\r\nX: y\r\n\r\nz".encode()),
    ),
    ("preamble holding a longer boundary", CTYPE, _message(preamble=f"--{B}x\r\n".encode())),
    ("close delimiter missing", CTYPE, _message(close=b"")),
    ("close delimiter followed by text", CTYPE, _message(close=f"--{B}-- trailing".encode())),
    ("close delimiter with padding", CTYPE, _message(close=f"--{B}--  \t".encode())),
    ("close delimiter, one dash", CTYPE, _message(close=f"--{B}-".encode())),
    (
        "delimiter with transport padding",
        CTYPE,
        _message().replace(f"--{B}\r\n".encode(), f"--{B} \t \r\n".encode()),
    ),
    (
        "delimiter followed by text",
        CTYPE,
        _message().replace(f"--{B}\r\n".encode(), f"--{B}junk\r\n".encode(), 1),
    ),
    (
        "a longer boundary inside the attachment",
        CTYPE,
        _with_attachment(ATTACHMENT_HEADERS, PAYLOAD + f"\r\n--{B}x\r\nmore".encode()),
    ),
    (
        "the boundary inside a line of the attachment",
        CTYPE,
        _with_attachment(ATTACHMENT_HEADERS, PAYLOAD + f"text --{B}\r\n".encode() + PAYLOAD),
    ),
    (
        "the boundary after a bare CR in the attachment",
        CTYPE,
        _with_attachment(ATTACHMENT_HEADERS, PAYLOAD + f"\r--{B}\r\nX: y\r\n\r\nz".encode()),
    ),
    (
        "the boundary after a bare LF in the attachment",
        CTYPE,
        _with_attachment(ATTACHMENT_HEADERS, PAYLOAD + f"\n--{B}\r\nX: y\r\n\r\nz".encode()),
    ),
    (
        "boundary unquoted",
        f"multipart/related; boundary={B}; type=application/soap+xml",
        _message(),
    ),
    ("boundary parameter missing", 'multipart/related; type="application/soap+xml"', _message()),
    ("boundary empty", 'multipart/related; boundary=""', _message()),
    ("boundary with a space", 'multipart/related; boundary="a b"', _message(boundary="a b")),
    ("boundary ending in a space", 'multipart/related; boundary="ab "', _message(boundary="ab ")),
    (
        "boundary of 70 characters",
        f'multipart/related; boundary="{"b" * 70}"',
        _message(boundary="b" * 70),
    ),
    (
        "boundary of 71 characters",
        f'multipart/related; boundary="{"b" * 71}"',
        _message(boundary="b" * 71),
    ),
    (
        "boundary parameter twice",
        f'multipart/related; boundary="{B}"; boundary="other"',
        _message(),
    ),
    ("boundary parameter in upper case", f'multipart/related; BOUNDARY="{B}"', _message()),
    ("content type in upper case", f'MULTIPART/RELATED; boundary="{B}"', _message()),
    ("multipart/mixed", f'multipart/mixed; boundary="{B}"', _message()),
    ("text/plain", "text/plain", _message()),
    ("one part", CTYPE, _message([_part(ROOT_HEADERS, SOAP)])),
    ("no parts", CTYPE, _message([])),
    (
        "three parts",
        CTYPE,
        _message(
            [
                _part(ROOT_HEADERS, SOAP),
                _part(ATTACHMENT_HEADERS, PAYLOAD),
                _part(["Content-ID: <two@as4>"], b"two"),
            ]
        ),
    ),
    ("empty attachment", CTYPE, _with_attachment(ATTACHMENT_HEADERS, b"")),
    ("attachment without headers", CTYPE, _message([_part(ROOT_HEADERS, SOAP), b"\r\n" + PAYLOAD])),
    ("attachment without Content-ID", CTYPE, _with_attachment(ATTACHMENT_HEADERS[:2], PAYLOAD)),
    (
        "Content-ID twice",
        CTYPE,
        _with_attachment([*ATTACHMENT_HEADERS, "Content-ID: <other@as4>"], PAYLOAD),
    ),
    (
        "Content-Type twice",
        CTYPE,
        _with_attachment([*ATTACHMENT_HEADERS, "Content-Type: text/plain"], PAYLOAD),
    ),
    (
        "Content-ID without brackets",
        CTYPE,
        _with_attachment([*ATTACHMENT_HEADERS[:2], "Content-ID: payload@as4"], PAYLOAD),
    ),
    (
        "Content-ID with spaces inside",
        CTYPE,
        _with_attachment([*ATTACHMENT_HEADERS[:2], "Content-ID: < payload@as4 >"], PAYLOAD),
    ),
    (
        "Content-ID in lower case",
        CTYPE,
        _with_attachment([*ATTACHMENT_HEADERS[:2], "content-id: <payload@as4>"], PAYLOAD),
    ),
    (
        "Content-ID folded",
        CTYPE,
        _with_attachment([*ATTACHMENT_HEADERS[:2], "Content-ID:\r\n <payload@as4>"], PAYLOAD),
    ),
    ("header without a colon", CTYPE, _with_attachment([*ATTACHMENT_HEADERS, "Garbage"], PAYLOAD)),
    (
        "header with a space before its colon",
        CTYPE,
        _with_attachment([*ATTACHMENT_HEADERS[:2], "Content-ID : <payload@as4>"], PAYLOAD),
    ),
    (
        "header line starting with a colon",
        CTYPE,
        _with_attachment([*ATTACHMENT_HEADERS, ": value"], PAYLOAD),
    ),
    (
        "two attachments, one Content-ID",
        CTYPE,
        _message(
            [
                _part(ROOT_HEADERS, SOAP),
                _part(ATTACHMENT_HEADERS, PAYLOAD),
                _part(ATTACHMENT_HEADERS, b"other"),
            ]
        ),
    ),
    (
        "base64 with line breaks",
        CTYPE,
        _encoded("base64", _B64),
    ),
    (
        "base64 without line breaks",
        CTYPE,
        _encoded("base64", base64.b64encode(PAYLOAD)),
    ),
    (
        "base64 with a bad character",
        CTYPE,
        _encoded("base64", _B64[:40] + b"*" + _B64[40:]),
    ),
    (
        "base64 with data after padding",
        CTYPE,
        _encoded("base64", base64.b64encode(b"ab") + b"QUJD"),
    ),
    (
        "base64 cut short",
        CTYPE,
        _encoded("base64", base64.b64encode(PAYLOAD)[:-3]),
    ),
    (
        "base64 in upper case",
        CTYPE,
        _encoded("BASE64", _B64),
    ),
    (
        "quoted-printable",
        CTYPE,
        _with_attachment(
            [
                ATTACHMENT_HEADERS[0],
                "Content-Transfer-Encoding: quoted-printable",
                ATTACHMENT_HEADERS[2],
            ],
            b"a=3Db=\r\nc",
        ),
    ),
    (
        "7bit holding 8-bit bytes",
        CTYPE,
        _encoded("7bit", PAYLOAD),
    ),
    (
        "8bit",
        CTYPE,
        _encoded("8bit", PAYLOAD),
    ),
    (
        "unknown transfer encoding",
        CTYPE,
        _encoded("x-gzip", PAYLOAD),
    ),
    (
        "uuencode",
        CTYPE,
        _encoded("uuencode", b"begin 644 x\r\n`\r\nend\r\n"),
    ),
    ("start naming the first part", f'{CTYPE}; start="<root@as4>"', _message()),
    ("start naming the attachment", f'{CTYPE}; start="<payload@as4>"', _message()),
    ("start naming no part", f'{CTYPE}; start="<none@as4>"', _message()),
    ("start without brackets", f'{CTYPE}; start="root@as4"', _message()),
    ("body starting with the delimiter, no CRLF before", CTYPE, _message()),
    ("CRLF before the first delimiter", CTYPE, b"\r\n" + _message()),
    ("a part whose headers never end", CTYPE, f"--{B}\r\nContent-ID: <x>\r\n--{B}--\r\n".encode()),
    (
        "nested multipart",
        CTYPE,
        _with_attachment(
            ["Content-Type: multipart/mixed; boundary=inner", "Content-ID: <payload@as4>"],
            b"--inner\r\n\r\nx\r\n--inner--",
        ),
    ),
]


def _mutations(seed: int = 2026, count: int = 600) -> list[tuple[str, str, bytes]]:
    """Single-byte changes, insertions and deletions where the structure lies (the delimiters
    and headers), not in the middle of the payload."""
    base = _message([_part(ROOT_HEADERS, SOAP), _part(ATTACHMENT_HEADERS, b"payload bytes")])
    positions = [i for i in range(len(base)) if base[i : i + 1] in b"-\r\n:<>" or i < 60]
    positions += [base.index(b"Content-ID: <payload") + k for k in range(25)]
    rng = random.Random(seed)
    alphabet = b'-\r\n :<>;="\t\x00xAB' + B.encode()
    found = []
    for index in range(count):
        position = rng.choice(positions)
        kind = rng.choice(("byte", "insert", "delete"))
        byte = bytes([rng.choice(alphabet)])
        if kind == "byte":
            data = base[:position] + byte + base[position + 1 :]
        elif kind == "insert":
            data = base[:position] + byte + base[position:]
        else:
            data = base[:position] + base[position + 1 :]
        found.append((f"mutation {index} ({kind} at {position})", CTYPE, data))
    return found


ALL_CASES = CASES + _mutations()


@dataclass(frozen=True)
class JavaPart:
    content_id: str | None
    content_ids: int
    encoding: str | None
    length: int
    sha256: str


def _java_parts(verdict: JavaVerdict) -> list[JavaPart]:
    parts = []
    for text in verdict.detail.split(",") if verdict.detail else []:
        cid, count, encoding, length, sha = text.split(":")
        parts.append(
            JavaPart(
                None if cid == "-" else unquote(cid),
                int(count),
                None if encoding == "-" else unquote(encoding),
                int(length),
                sha,
            )
        )
    return parts


def _stripped_id(value: str | None) -> str | None:
    # As phase4 reads a Content-ID: the angle brackets trimmed (WSS SwA 5.2).
    if value is None:
        return None
    value = value.strip(" \t")
    return value[1:-1].strip(" \t") if value.startswith("<") and value.endswith(">") else value


def _digest(data: bytes | memoryview) -> tuple[int, str]:
    return len(data), hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def jdk_verdicts() -> dict[str, JavaVerdict]:
    documents = [ctype.encode("latin-1") + b"\n" + body for _, ctype, body in ALL_CASES]
    verdicts = run_batch("MimeOracle", documents, libraries=("jakarta-mail",))
    return {name: v for (name, _, _), v in zip(ALL_CASES, verdicts, strict=True)}


def test_the_harness_splits_a_plain_message_alike(jdk_verdicts: dict[str, JavaVerdict]) -> None:
    plain = jdk_verdicts["plain"]
    assert plain.accepted, plain.detail
    parts = _java_parts(plain)
    assert [(p.content_id, _digest_tuple(p)) for p in parts] == [
        ("<root@as4>", _digest(SOAP)),
        ("<payload@as4>", _digest(PAYLOAD)),
    ]
    assert not jdk_verdicts["no parts"].accepted  # the oracle refuses something


def _digest_tuple(part: JavaPart) -> tuple[int, str]:
    return part.length, part.sha256


def _read_both(ctype: str, body: bytes) -> tuple[str, MimeMessage | None]:
    """Our two readers' common verdict ("ok" or the rule) and the bytes reader's message; the
    streaming reader must split alike (its attachments' content read from their spans)."""
    headers = {"Content-Type": ctype}
    try:
        ours: MimeMessage | None = parse_message(headers, body)
        verdict = "ok"
    except InputError as exc:
        ours, verdict = None, str(exc.rule)
    try:
        # (a base64 attachment decoded into a file of its own, as the streaming opener does)
        scanned = scan_message(headers, io.BytesIO(body), size=len(body), base64_files=io.BytesIO)
        streamed = "ok"
    except InputError as exc:
        scanned, streamed = None, str(exc.rule)
    assert streamed == verdict, f"the bytes reader says {verdict}, the streaming one {streamed}"
    if ours is not None and scanned is not None:
        assert bytes(scanned.mime.root.body) == bytes(ours.root.body)
        for attachment in ours.attachments:
            if attachment.content_id is None:
                continue  # (only a part with a Content-ID has a span: nothing can name another)
            span = scanned.spans[attachment.content_id]
            source = scanned.files.get(attachment.content_id, io.BytesIO(body))
            content = b"".join(read_span(source, span))
            assert content == bytes(attachment.body), attachment.content_id
    return verdict, ours


@pytest.mark.parametrize("name", [name for name, _, _ in ALL_CASES])
def test_never_laxer_than_jakarta_mail(name: str, jdk_verdicts: dict[str, JavaVerdict]) -> None:
    _, ctype, body = next(case for case in ALL_CASES if case[0] == name)
    java = jdk_verdicts[name]
    # (a) and (d): a refusal of our own types, the same by both readers.
    _, ours = _read_both(ctype, body)
    if ours is None:
        return  # stricter is allowed
    # (b) what Jakarta Mail refuses, we refuse.
    assert java.accepted, f"{name}: Jakarta Mail refuses ({java.detail}), we read it"
    # (c) the same parts: our envelope its first, each attachment one of the others.
    parts = _java_parts(java)
    assert len(parts) == 1 + len(ours.attachments), f"{name}: {len(parts)} parts in Java"
    assert _digest_tuple(parts[0]) == _digest(ours.root.body), f"{name}: another envelope"
    for attachment in ours.attachments:
        same = [p for p in parts[1:] if _stripped_id(p.content_id) == attachment.content_id]
        assert len(same) == 1, f"{name}: <{attachment.content_id}> is not one Java part"
        assert _digest_tuple(same[0]) == _digest(attachment.body), f"{name}: other content"

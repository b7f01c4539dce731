"""SOAP-with-attachments packaging: MIME multipart/related (RFC 2387).

Writing follows phase4: CRLF line ends, the SOAP part first without a Content-ID, attachment
parts with ``Content-Transfer-Encoding: binary`` and ``Content-ID: <...>``, no
Content-Disposition (Peppol AS4 2.0.3 section 10; AS4 profile 5.1.2). The body is produced as
a list of chunks so a payload is never copied more than once (into the final HTTP body).

Reading is tolerant where real peers differ and strict where safety needs it:

* header names in any case, folded header lines, quoted or bare boundary parameters;
* CRLF or bare LF line ends (dumps edited on Unix), a preamble before the first delimiter;
* a Content-ID with or without its angle brackets (old phase4 test files);
* ``Content-Transfer-Encoding`` binary/8bit/7bit or base64 (old phase4 test files).

What two readers could split differently is refused (tests/test_mime_never_laxer.py holds
this reader to Jakarta Mail's, which phase4 used): a delimiter after a lone CR (a line end to
Jakarta Mail, none to RFC 2046), a lone CR in a header block, a ``start`` naming another part
than the first (CXF and Oxalis take the part it names, phase4 the first), two parts with one
Content-ID, a Content-ID that is not ``<id>`` or ``id``, a Content-Type parameter that is
neither a token nor a quoted string, a boundary ending in a space. A missing closing delimiter,
too many parts or oversized headers are refused too, all with EBMS:0007 (MimeInconsistency),
before anything is decrypted. The dump form of a whole message (HTTP
headers, empty line, body) is :mod:`.dump`.
"""

from __future__ import annotations

import binascii
import functools
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..arguments import wrong_type
from ..errors import ArgumentTypeError, EbmsError, InputError
from ..limits import DEFAULT_LIMITS, Limits
from ..xmltext import XML_WHITESPACE, strict_base64

__all__ = [
    "MAX_DELIMITER_LINE_BYTES",
    "Headers",
    "MimeError",
    "MimeMessage",
    "MimePart",
    "base64_error",
    "build_multipart",
    "check_envelope_size",
    "decoded",
    "delimiter_line_end",
    "header_block",
    "headers_and_rest",
    "lone_cr_delimiter",
    "multipart_frame",
    "multipart_framing",
    "multipart_headers",
    "new_boundary",
    "parse_content_type",
    "parse_message",
    "part_headers",
    "split_root",
    "transfer_encoding",
]

#: The white space of a header (RFC 5322 2.2.3 WSP, RFC 9110 5.6.3 OWS): space and tab. Headers
#: are read as Latin-1, and Python's str.strip() and the regex class \s would also take U+0085,
#: U+00A0 and the C0 separators, which JavaMail and the other readers keep in the value.
_WSP = " \t"

SOAP_CONTENT_TYPE = "application/soap+xml"


class MimeError(InputError):
    """The MIME packaging is broken (EBMS:0007 MimeInconsistency)."""

    default_ebms_code = EbmsError.MIME_INCONSISTENCY


@dataclass(frozen=True)
class Headers:
    """Header fields in their order, looked up without regard to case (RFC 5322 / RFC 9110)."""

    items: tuple[tuple[str, str], ...] = ()
    _first_by_name: dict[str, str] = field(init=False, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        value: Headers | Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        caller: str = "Headers.of",
    ) -> Headers:
        """HTTP headers as :class:`Headers`: a Headers, a mapping, anything else with ``items()``
        (http.client's and email's messages, which are no Mapping), or (name, value) pairs;
        every name and value a str, as WSGI, requests and http.client give them. Anything else
        is the caller's mistake, named after ``caller`` (:mod:`peppol_dpi.arguments`)."""
        if isinstance(value, Headers):
            return value
        items = getattr(value, "items", None)
        if callable(items):
            pairs: Iterable[object] = items()
        elif isinstance(value, list | tuple):
            pairs = value
        else:
            raise wrong_type(caller, "headers", "a mapping of header names to values", value)
        checked: list[tuple[str, str]] = []
        for pair in pairs:
            if not (
                isinstance(pair, tuple | list)
                and len(pair) == 2
                and isinstance(pair[0], str)
                and isinstance(pair[1], str)
            ):
                shown = repr(pair)[:60]
                raise ArgumentTypeError(
                    f"{caller}: headers must pair str names with str values: {shown}"
                )
            checked.append((pair[0], pair[1]))
        return cls(tuple(checked))

    def __post_init__(self) -> None:
        # The first field of each name, by its lower-case name: a part's fields are looked
        # up half a dozen times per message.
        first = {k.lower(): v for k, v in reversed(self.items)}
        object.__setattr__(self, "_first_by_name", first)

    def get(self, name: str) -> str | None:
        """The first field named ``name`` (any case), None without one."""
        return self._first_by_name.get(name.lower())

    @property
    def names_repeat(self) -> bool:
        """Whether a field name (in any case) occurs more than once."""
        return len(self._first_by_name) != len(self.items)

    def as_dict(self) -> dict[str, str]:
        return dict(self.items)


@dataclass(frozen=True)
class MimePart:
    """One body part: its headers and its content (transfer encoding already undone)."""

    headers: Headers
    body: bytes | memoryview

    @property
    def content_type(self) -> str:
        return parse_content_type(self.headers.get("Content-Type") or "text/plain")[0]

    @functools.cached_property
    def content_id(self) -> str | None:
        """The Content-ID without its angle brackets (phase4's old files omit them)."""
        value = self.headers.get("Content-ID")
        if value is None:
            return None
        value = value.strip(_WSP)
        return value[1:-1].strip(_WSP) if value.startswith("<") and value.endswith(">") else value


@dataclass(frozen=True)
class MimeMessage:
    """A SOAP message: the root (SOAP envelope) part and the attachments, in order."""

    root: MimePart
    attachments: tuple[MimePart, ...] = field(default=())

    def attachment(self, content_id: str) -> MimePart | None:
        return next((a for a in self.attachments if a.content_id == content_id), None)


# A quoted-string is written as runs of plain characters between quoted-pairs (RFC 9110 5.6.4),
# which the regex engine matches a run at a time rather than a character at a time.
_QUOTED = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_TOKEN_PARAM = re.compile(
    rf""";[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*=[ \t]*({_QUOTED}|[^; \t]*)"""
)


_PLAIN_VALUE = r"[!#$%&'*+.0-9A-Z^_`a-z{|}~-]+"  # RFC 2045 5.1: no tspecials, spaces or controls
_PARAMETER_LIST = re.compile(
    rf"(?:[ \t]*;[ \t]*{_PLAIN_VALUE}[ \t]*=[ \t]*(?:{_PLAIN_VALUE}|{_QUOTED}))*[ \t]*;?[ \t]*"
)


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """The lower-case media type and its parameters (names lower-case, quotes removed)."""
    media, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in _TOKEN_PARAM.finditer(";" + rest):
        raw = match.group(2)
        if raw.startswith('"'):
            raw = raw[1:-1]
            if "\\" in raw:  # quoted-pair (RFC 9110 5.6.4)
                raw = re.sub(r"\\(.)", r"\1", raw)
        params[match.group(1).lower()] = raw
    return media.strip(_WSP).lower(), params


def new_boundary() -> str:
    """A fresh boundary in the JavaMail style phase4 uses."""
    return f"----=_Part_{uuid.uuid4().hex}"


# -- writing --------------------------------------------------------------------------------


def header_block(headers: Sequence[tuple[str, str]]) -> bytes:
    """Header lines, each ended by CRLF, and the empty line that ends them."""
    return b"".join(f"{k}: {v}\r\n".encode("ascii") for k, v in headers) + b"\r\n"


def build_multipart(
    root: bytes,
    attachments: Sequence[tuple[str, str, bytes | memoryview | Sequence[bytes | memoryview]]],
    *,
    boundary: str,
) -> tuple[dict[str, str], list[bytes | memoryview]]:
    """The HTTP headers and body chunks of a SOAP 1.2 message with attachments.

    ``attachments`` are ``(content_id, content_type, content)``; a content is bytes or a
    sequence of chunks (IV and ciphertext, say) and goes into the body unchanged (binary
    transfer encoding). Join the chunks (or write them out) to get the body.
    """
    delimiter = f"--{boundary}\r\n".encode("ascii")
    chunks: list[bytes | memoryview] = [
        delimiter,
        header_block(
            [
                ("Content-Type", f"{SOAP_CONTENT_TYPE};charset=UTF-8"),
                ("Content-Transfer-Encoding", "binary"),
            ]
        ),
        root,
        b"\r\n",
    ]
    for content_id, content_type, content in attachments:
        chunks += [
            delimiter,
            header_block(
                [
                    ("Content-Type", content_type),
                    ("Content-Transfer-Encoding", "binary"),
                    ("Content-ID", f"<{content_id}>"),
                ]
            ),
            *([content] if isinstance(content, bytes | memoryview) else content),
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    return multipart_headers(boundary), chunks


def multipart_headers(boundary: str) -> dict[str, str]:
    """The HTTP headers of a message :func:`build_multipart` frames with ``boundary`` (known
    before the body is, so a dump can be written head first)."""
    return {
        "MIME-Version": "1.0",
        "Content-Type": f'multipart/related; boundary="{boundary}"; type="{SOAP_CONTENT_TYPE}"',
    }


def multipart_frame(
    root: bytes, content_id: str, content_type: str, *, boundary: str
) -> tuple[dict[str, str], bytes, bytes]:
    """:func:`build_multipart` for one attachment written by the caller: the HTTP headers, the
    body before the attachment's content and the body after it."""
    headers, chunks = build_multipart(root, [(content_id, content_type, ())], boundary=boundary)
    # The body ends with the attachment's CRLF and the close delimiter (see build_multipart).
    return headers, b"".join(chunks[:-2]), b"".join(chunks[-2:])


# -- reading --------------------------------------------------------------------------------


def _split_headers(block: bytes | memoryview, limits: Limits, what: str) -> Headers:
    if len(block) > limits.max_mime_header_bytes:
        raise MimeError(
            f"the {what} headers are larger than {limits.max_mime_header_bytes} bytes",
            rule="mime:header-too-large",
        )
    text = bytes(block).decode("latin-1")
    if text.count("\r") != text.count("\r\n"):
        # A lone CR ends a header line for Jakarta Mail and other readers, not here.
        raise MimeError(f"the {what} headers hold a lone CR", rule="mime:header")
    items: list[tuple[str, str]] = []
    # Lines end with CRLF or LF (a lone CR is not a line end): replacing each CRLF first and
    # then splitting at LF cuts where the pattern \r?\n does, without the regex engine.
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line:
            continue
        if line[0] in " \t" and items:  # folded continuation line (RFC 5322 2.2.3)
            name, value = items[-1]
            items[-1] = (name, f"{value} {line.strip(_WSP)}")
            continue
        raw_name, sep, value = line.partition(":")
        name = raw_name.strip(_WSP)
        if not sep or not name or " " in name:
            raise MimeError(f"malformed {what} header line {line[:80]!r}", rule="mime:header")
        items.append((name, value.strip(_WSP)))
    return Headers(tuple(items))


def _empty_line(block: bytes) -> tuple[int, int] | None:
    """Where the first empty line ends the header lines in ``block``: the span of the first
    ``\r?\n\r?\n``. Its middle LF is the first LF followed by LF or CRLF, so two searches for
    those find it, where a regex engine would try every position."""
    found = [i for i in (block.find(b"\n\n"), block.find(b"\n\r\n")) if i >= 0]
    if not found:
        return None
    middle = min(found)
    start = middle - 1 if middle and block[middle - 1] == 0x0D else middle
    return start, middle + (2 if block[middle + 1] == 0x0A else 3)


def headers_and_rest(data: memoryview, limits: Limits, what: str) -> tuple[Headers, memoryview]:
    """The header lines at the start of ``data`` (a body part, or a dump's HTTP head; ``what``
    names it in errors) and what follows their empty line."""
    start = bytes(data[:2])
    if start.startswith((b"\r\n", b"\n")):  # no headers at all
        skip = 2 if start == b"\r\n" else 1
        return Headers(), data[skip:]
    # The header block is at most max_mime_header_bytes (plus its end); usually it is a few
    # hundred bytes, so the first kilobyte is searched before the whole allowance is copied.
    limit = limits.max_mime_header_bytes + 4
    span = _empty_line(bytes(data[: min(limit, 1024)]))
    if span is None and limit > 1024:
        span = _empty_line(bytes(data[:limit]))
    if span is None:
        raise MimeError(f"the {what} headers do not end with an empty line", rule="mime:truncated")
    return _split_headers(data[: span[0]], limits, what), data[span[1] :]


def parse_message(
    headers: Headers | Mapping[str, str],
    body: bytes | memoryview,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> MimeMessage:
    """The SOAP message in an HTTP request or response: multipart/related or a bare envelope."""
    hdrs = Headers.of(headers)
    view = memoryview(body)
    if len(view) > limits.max_message_bytes:
        raise MimeError(
            f"the message is larger than {limits.max_message_bytes} bytes", rule="mime:too-large"
        )
    framing = multipart_framing(hdrs)
    if framing is None:
        check_envelope_size(len(view), limits)
        media = parse_content_type(hdrs.get("Content-Type") or "")[0]
        return MimeMessage(root=MimePart(Headers((("Content-Type", media),)), view))
    boundary, start = framing
    message = split_root(_split_parts(view, boundary, limits), start)
    check_envelope_size(len(message.root.body), limits)
    return MimeMessage(
        root=decoded(message.root),
        attachments=tuple(decoded(part) for part in message.attachments),
    )


def multipart_framing(headers: Headers) -> tuple[bytes, str | None] | None:
    """The boundary and ``start`` parameter of a multipart/related message, None for a bare
    SOAP envelope; any other Content-Type is refused."""
    value = headers.get("Content-Type") or ""
    media, params = parse_content_type(value)
    if media in (SOAP_CONTENT_TYPE, "text/xml", "application/xml"):
        return None
    if media != "multipart/related":
        raise MimeError(
            f"Content-Type {media or '(none)'!r} is neither multipart/related nor SOAP",
            rule="mime:content-type",
        )
    _, semicolon, parameters = value.partition(";")
    if not _PARAMETER_LIST.fullmatch(semicolon + parameters):
        # RFC 2045 5.1: a value is a token or a quoted-string. Jakarta Mail refuses the
        # message otherwise (phase4), where the regex above would take what it can.
        raise MimeError(
            f"the Content-Type parameters {value[:200]!r} are malformed", rule="mime:content-type"
        )
    boundary = params.get("boundary")
    if not boundary or len(boundary) > 200:
        raise MimeError("multipart/related without a usable boundary", rule="mime:boundary")
    if boundary.endswith(" "):
        # RFC 2046 5.1.1: bcharsnospace ends a boundary. Jakarta Mail trims the delimiter
        # lines it reads, so it never finds such a boundary.
        raise MimeError("the boundary ends in a space", rule="mime:boundary")
    return boundary.encode("latin-1"), params.get("start")


def split_root(parts: Sequence[MimePart], start: str | None) -> MimeMessage:
    """The root part, which is the first (RFC 2387 3.2), and the attachments. ``start`` may
    name it, and nothing else: CXF and Oxalis take the part ``start`` names, phase4 the first,
    so a message whose ``start`` names another part is two messages (``mime:start``). Two
    parts with one Content-ID are refused too (RFC 2392: a Content-ID names one part)."""
    ids = [p.content_id for p in parts if p.content_id is not None]
    if len(ids) != len(set(ids)):
        raise MimeError("two MIME parts have the same Content-ID", rule="mime:content-id")
    if start:
        wanted = start.strip(_WSP)
        wanted = wanted[1:-1] if wanted.startswith("<") and wanted.endswith(">") else wanted
        if wanted not in ids:
            raise MimeError(f"the start part <{wanted}> is not in the message", rule="mime:start")
        if parts[0].content_id != wanted:
            raise MimeError(f"the start part <{wanted}> is not the first part", rule="mime:start")
    return MimeMessage(root=parts[0], attachments=tuple(parts[1:]))


def _finder(data: memoryview) -> Callable[[bytes, int], int]:
    """``find(needle, start)`` over ``data``: -1 when absent, as ``bytes.find``."""
    whole = data.obj
    if isinstance(whole, bytes | bytearray) and data.c_contiguous and data.nbytes == len(whole):
        return whole.find  # the view is the whole object: its find needs no copy and is fastest

    def find(needle: bytes, start: int) -> int:
        # A compiled pattern searches the memoryview itself: the body is never copied.
        match = re.compile(re.escape(needle)).search(data, start)
        return -1 if match is None else match.start()

    return find


#: RFC 2046 5.1.1 lets transport padding (white space) follow a delimiter; both readers refuse
#: a delimiter line longer than this (the streaming one reads that much of it, no more).
MAX_DELIMITER_LINE_BYTES = 1024


def delimiter_line_end(line_end: int, available: int) -> int:
    """Check one delimiter line: ``line_end`` is where its line feed was found (-1: not within
    ``available`` bytes after the delimiter, which are all there are or more than
    :data:`MAX_DELIMITER_LINE_BYTES`). Returns ``line_end``; refuses a line too long
    (``mime:boundary``) or cut off by the end of the body (``mime:truncated``)."""
    if line_end > MAX_DELIMITER_LINE_BYTES or (
        line_end < 0 and available > MAX_DELIMITER_LINE_BYTES
    ):
        raise MimeError(
            f"a MIME delimiter line is longer than {MAX_DELIMITER_LINE_BYTES} bytes",
            rule="mime:boundary",
        )
    if line_end < 0:
        raise MimeError("the message ends inside a delimiter line", rule="mime:truncated")
    return line_end


def check_envelope_size(size: int, limits: Limits) -> None:
    """The SOAP part (its content, before any transfer decoding) is at most
    ``Limits.max_envelope_bytes``: the streaming reader holds it in memory, the bytes reader
    parses it."""
    if size > limits.max_envelope_bytes:
        raise MimeError(
            f"the SOAP part is larger than {limits.max_envelope_bytes} bytes",
            rule="mime:envelope-too-large",
        )


def lone_cr_delimiter() -> MimeError:
    # RFC 2046 5.1.1: a delimiter follows CRLF (or LF, as dumps edited on Unix have it). Jakarta
    # Mail takes a lone CR for a line end too, and would split the part there.
    return MimeError("a MIME delimiter follows a lone CR", rule="mime:boundary")


def _next_delimiter(
    data: memoryview, find: Callable[[bytes, int], int], dash: bytes, at: int
) -> int:
    """Where the first ``--boundary`` at the start of a line begins, at or after ``at`` (> 0):
    -1 when there is none. One after a lone CR is refused (:func:`lone_cr_delimiter`)."""
    found = find(dash, at)
    while found > 0:
        before = data[found - 1]
        if before == 0x0A:
            return found
        if before == 0x0D:
            raise lone_cr_delimiter()
        found = find(dash, found + 1)
    return found


def _split_parts(data: memoryview, boundary: bytes, limits: Limits) -> list[MimePart]:
    # A delimiter is "--boundary" at the start of a line (RFC 2046 5.1.1).
    dash = b"--" + boundary
    find = _finder(data)
    pos = 0 if bytes(data[: len(dash)]) == dash else _next_delimiter(data, find, dash, 1)
    if pos < 0:
        raise MimeError("the boundary does not occur in the body", rule="mime:boundary")
    ranges: list[tuple[int, int]] = []
    while True:
        after = pos + len(dash)
        if bytes(data[after : after + 2]) == b"--":
            break  # close delimiter
        found = find(b"\n", after)
        line_end = after + delimiter_line_end(
            found - after if found >= 0 else -1, len(data) - after
        )
        if bytes(data[after:line_end]).strip(b" \t\r"):
            raise MimeError("text after a MIME delimiter", rule="mime:boundary")
        content_start = line_end + 1
        nxt = _next_delimiter(data, find, dash, content_start)
        if nxt < 0:
            raise MimeError(
                "the message ends without the closing MIME delimiter", rule="mime:truncated"
            )
        end = nxt - 2 if bytes(data[nxt - 2 : nxt - 1]) == b"\r" else nxt - 1
        if len(ranges) >= limits.max_mime_parts:
            raise MimeError(
                f"more than {limits.max_mime_parts} MIME parts", rule="mime:too-many-parts"
            )
        ranges.append((content_start, max(end, content_start)))
        pos = nxt
    if not ranges:
        raise MimeError("the multipart body has no parts", rule="mime:missing-part")
    # The whole structure first, then every part's headers (the transfer encodings are undone
    # once the root is known): the order the streaming reader (mime_stream) finds problems in,
    # so that both report the same one.
    return [MimePart(*part_headers(data[start:end], limits)) for start, end in ranges]


def decoded(part: MimePart) -> MimePart:
    """``part`` with its transfer encoding undone.

    Base64 (RFC 2045 6.8): the line breaks and other white space between the characters are
    dropped, anything else must be of the alphabet, with ``=`` padding only at the end. RFC
    2045 lets a decoder ignore other characters or reject the message; this one rejects, as
    :class:`~peppol_dpi.base64text.Base64Decoder` does for a part streamed from a file."""
    if transfer_encoding(part.headers) == "base64":
        try:
            # Space, tab, CR, LF: the white space base64text's decoder drops as well.
            text = bytes(part.body).translate(None, XML_WHITESPACE)
            return MimePart(part.headers, strict_base64(text))
        except binascii.Error:
            raise base64_error() from None
    return part


def base64_error() -> MimeError:
    return MimeError("a base64 MIME part is not valid base64", rule="mime:base64")


#: The fields a body part may carry once (RFC 2045 and RFC 2392: one type, one transfer
#: encoding, one identity); with two, readers that take the first and readers that take the
#: last see different parts.
_SINGLE_FIELDS = frozenset({"content-type", "content-transfer-encoding", "content-id"})


#: A Content-ID with its angle brackets, or without them (old phase4 files): no white space and
#: no other bracket inside.
_CONTENT_ID = re.compile(r"<[^<> \t\r\n]+>|[^<> \t\r\n]+")


def part_headers(raw: memoryview, limits: Limits) -> tuple[Headers, memoryview]:
    """The headers of a body part and its content (enough of it: a prefix will do)."""
    headers, rest = headers_and_rest(raw, limits, "MIME part")
    if headers.names_repeat:
        names = [name.lower() for name, _ in headers.items]
        for name in _SINGLE_FIELDS:
            if names.count(name) > 1:
                raise MimeError(f"a MIME part has more than one {name} field", rule="mime:header")
    content_id = headers.get("Content-ID")
    if content_id is not None and not _CONTENT_ID.fullmatch(content_id.strip(_WSP)):
        # RFC 2392: "<" addr-spec ">". Readers that trim a bracket on each side alone (phase4)
        # or keep space inside would name the part otherwise.
        raise MimeError(f"the Content-ID {content_id[:80]!r} is malformed", rule="mime:content-id")
    return headers, rest


def transfer_encoding(headers: Headers) -> str:
    """The part's Content-Transfer-Encoding: binary, 8bit, 7bit or base64; others refused."""
    encoding = (headers.get("Content-Transfer-Encoding") or "binary").strip(_WSP).lower()
    if encoding not in ("binary", "8bit", "7bit", "base64"):
        raise MimeError(
            f"Content-Transfer-Encoding {encoding!r} is not supported", rule="mime:encoding"
        )
    return encoding

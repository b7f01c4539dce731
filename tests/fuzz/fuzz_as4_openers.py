"""Fuzz target (differential): the two AS4 openers reach the same outcome on every input.

``receive`` opens the HTTP body in memory, ``receive_from`` streams it from a file; for the
same input both must succeed with the same payload and routing, or both fail with the same
EBMS code and rule. Anything else raises an AssertionError showing both outcomes.

The first byte of the input chooses what the rest is (bit 2: the small :data:`SMALL` limits
instead of the defaults, to reach their edges with small inputs; bit 3: the bytes opener
hands its attachment checks and early SBDH read to the offload worker however small the
payload, as it does from 128 KiB):

* 0: the HTTP body of a real signed, compressed and encrypted message (MIME framing, part
  headers, the envelope, the ciphertext);
* 1: the plaintext of the attachment, gzip data as sent, encrypted and signed here (so that
  every mutation reaches decompression and the SBDH);
* 2: the SBD, compressed, encrypted and signed here;
* 3: the HTTP Content-Type (first line) and the body (the rest).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi import offload
    from peppol_dpi.as4 import build_message, receive, receive_from
    from peppol_dpi.as4.compression import GZIP, gzip_compress
    from peppol_dpi.as4.mime import build_multipart
    from peppol_dpi.as4.sbd_routing import read_routing
    from peppol_dpi.as4.sending import OCTET_STREAM, new_user_message
    from peppol_dpi.as4.wss_encrypt import encrypt_attachments
    from peppol_dpi.as4.wss_sign import write_signed_envelope
    from peppol_dpi.limits import DEFAULT_LIMITS, Limits

import as4_support
import pki

C2, C3 = pki.ap_key("c2"), pki.ap_key("c3")
TRUST = as4_support.trust()
SBD = as4_support.make_sbd(filler=b"fuzzed invoice line " * 8)
ROUTING = read_routing(SBD)
CID = "att-fuzz@peppol-dpi"
BOUNDARY = "----=_Part_fuzz"
HEADERS, BODY, _ = build_message(
    SBD,
    key=C2,
    receiver_cert=C3.certificate,
    now=as4_support.NOW,
    message_id="f1@c2.test",
    boundary=BOUNDARY,
    new_id=as4_support.counter_ids(),
    random_bytes=lambda n: b"\x01" * n,
)
USER_MESSAGE = new_user_message(
    ROUTING,
    key=C2,
    receiver_cert=C3.certificate,
    now=as4_support.NOW,
    message_id="f1@c2.test",
    content_id=CID,
    conversation_id=None,
    from_party=None,
    to_party=None,
    payload_mime_type="application/xml",
)
#: Limits small enough for fuzzed inputs to cross them.
SMALL = Limits(
    max_mime_parts=4,
    max_mime_header_bytes=512,
    max_sbdh_bytes=2048,
    max_decompressed_bytes=256 * 1024,
    max_compression_ratio=100,
    max_gzip_members=4,
)
#: Rule pairs (bytes, streamed) that differ on purpose for one and the same EBMS code: an
#: XML-typed EncryptedData/@MimeType (unsigned) fails authentication either way.


def sealed(content: bytes) -> bytes:
    """The HTTP body (for HEADERS) of a message whose attachment plaintext is ``content``,
    validly encrypted for corner 3 and signed by corner 2."""
    encrypted = encrypt_attachments(
        [(CID, GZIP, content)],
        C3.certificate,
        new_id=as4_support.counter_ids("e"),
        random_bytes=lambda n: b"\x01" * n,
    )
    root, _ = write_signed_envelope(
        USER_MESSAGE,
        key=C2,
        attachments=[(CID, GZIP, content)],
        security_head=encrypted.header_xml,
        new_id=as4_support.counter_ids("s"),
    )
    _, chunks = build_multipart(
        root, [(CID, OCTET_STREAM, encrypted.bodies[CID])], boundary=BOUNDARY
    )
    return b"".join(chunks)


def input_of(data: bytes) -> tuple[dict[str, str], bytes, Limits]:
    """The HTTP headers, body and limits the input stands for (see the module doc)."""
    if not data:
        return HEADERS, b"", DEFAULT_LIMITS
    mode, rest = data[0], data[1:]
    limits = SMALL if mode & 4 else DEFAULT_LIMITS
    if mode & 3 == 1:
        return HEADERS, sealed(rest), limits
    if mode & 3 == 2:
        return HEADERS, sealed(gzip_compress(rest)), limits
    if mode & 3 == 3:
        line, _, body = rest.partition(b"\n")
        return {"Content-Type": line.decode("latin-1")}, body, limits
    return HEADERS, rest, limits


def outcome(reception: object, payload: bytes) -> tuple[object, ...]:
    message = getattr(reception, "message", None)
    if message is not None:
        return ("ok", payload, repr(message.routing), message.message_id)
    error = getattr(reception, "error", None)
    assert error is not None
    code = error.ebms_code.code if error.ebms_code is not None else None
    return ("error", code, error.rule, type(error).__name__, error.message[:200])


def agree(held: tuple[object, ...], streamed: tuple[object, ...]) -> bool:
    if held[0] != streamed[0]:
        return False
    if held[0] == "ok":
        return held == streamed
    same_rule = held[2] == streamed[2]
    return held[1] == streamed[1] and same_rule


_MIN_BYTES = offload.MIN_BYTES


def target(data: bytes) -> None:
    headers, body, limits = input_of(data)
    at = as4_support.NOW
    offload.MIN_BYTES = 0 if data[:1] and data[0] & 8 else _MIN_BYTES
    try:
        held = receive(headers, body, key=C3, trust=TRUST, at=at, limits=limits)
    finally:
        offload.MIN_BYTES = _MIN_BYTES
    sink = io.BytesIO()
    streamed = receive_from(
        io.BytesIO(body), headers, key=C3, trust=TRUST, payload_sink=sink, at=at, limits=limits
    )
    a = outcome(held, held.message.payload if held.message is not None else b"")
    b = outcome(streamed, sink.getvalue())
    if not agree(a, b):
        raise AssertionError(f"the openers disagree:\n  bytes:    {a!r}\n  streamed: {b!r}")


def corpus() -> Iterable[bytes]:
    content_type = HEADERS["Content-Type"].encode()
    compressed = gzip_compress(SBD)
    yield b"\x00" + BODY
    yield b"\x04" + BODY
    yield b"\x08" + BODY
    yield b"\x09" + compressed
    yield b"\x00" + BODY.replace(b"\r\n", b"\n")
    yield b"\x01" + compressed
    yield b"\x05" + compressed
    yield b"\x01" + gzip_compress(SBD[:200]) + gzip_compress(SBD[200:])
    yield (
        b"\x01"
        + compressed[:3]
        + b"\x1c"
        + compressed[4:10]
        + b"\x02\x00abn\0c\0"
        + compressed[10:]
    )
    yield b"\x02" + SBD
    yield b"\x06" + SBD
    yield b"\x03" + content_type + b"\n" + BODY
    yield b"\x07" + content_type + b"\n" + BODY


if __name__ == "__main__":
    fuzz("as4_openers", target, corpus)

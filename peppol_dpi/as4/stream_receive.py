"""Opening a Peppol AS4 message from a file, chunk by chunk (issue 8: large payloads).

The same checks, in the same order and with the same errors (EBMS codes) as
:func:`.receiving.open_message`, with memory that does not grow with the payload:

1. the MIME body is scanned for its delimiters (:mod:`.mime_stream`); the SOAP part is read
   into memory, the encrypted attachment stays in the file;
2. the envelope and its user message are checked, the signature over Messaging and Body
   and the signer verified (before the receiver's key is used at all);
3. the content key is unwrapped and AES-GCM decryption streams the attachment (the tag is its
   last 16 bytes) into a spool, digesting the gzip bytes as they come with the digest methods
   the signature names; the tag is checked at the end;
4. those digests are compared with the signed ones (WSS SwA 1.1 5.2);
5. only then is the spool gunzipped, with the caps of :mod:`.compression`, into
   ``payload_sink``: the first ``Limits.max_sbdh_bytes`` are held back until the SBDH was read
   and compared with the ebMS headers.

Nothing reaches ``payload_sink`` before the signature, the GCM tag and the SBDH passed. A
decompression failure (a gzip bomb signed by the sender) can still be found after output was
written: then the error is raised and what the sink holds must be discarded.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import IO, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..arguments import require_sink, require_source, require_spool_dir
from ..errors import DecryptionError, InputError
from ..keys import PrivateKey
from ..limits import DEFAULT_LIMITS, Limits
from ..sbdh import SbdHeader
from ..spool import copy_chunks, spool
from ..trust import TrustPolicy
from ..xmldsig import DigestMethod, ExternalDigest
from .compression import GZIP, gunzip_stream
from .message_file import MessageSource, seekable_message
from .mime import Headers
from .mime_stream import PartSpan, read_span, scan_message
from .model import UserMessage
from .profile import PEPPOL_PROFILE, PeppolProfile, SbdRouting
from .receiving import OpenedMessage, Opening, Reception, reception_of, require_encrypted
from .sbd_routing import EARLY_SBDH_BYTES, header_may_end
from .wss_encrypt import GCM_IV_BYTES, GCM_TAG_BYTES, attachment_keys
from .wss_sign import check_canonical_size, needs_canonical_form

__all__ = ["StreamedMessage", "open_message_from", "receive_from"]


@dataclass(frozen=True, kw_only=True)
class StreamedMessage(OpenedMessage):
    """A message opened from a file: as :class:`.receiving.ReceivedMessage`, with the payload
    written to the caller's sink instead of held (its size instead; a caller that wants its
    digest hashes what the sink receives: computing it here would cost a third of the time)."""

    payload_size: int


def open_message_from(
    source: MessageSource,
    headers: Headers | Mapping[str, str],
    *,
    key: PrivateKey,
    trust: TrustPolicy,
    payload_sink: BinaryIO | IO[bytes],
    at: datetime | None = None,
    profile: PeppolProfile = PEPPOL_PROFILE,
    limits: Limits = DEFAULT_LIMITS,
    spool_dir: str | os.PathLike[str] | None = None,
) -> StreamedMessage:
    """Open the HTTP body in ``source`` and write the payload to ``payload_sink``; raise an
    InputError carrying its EBMS code as :func:`.receiving.open_message` does.

    ``source`` is a path or a binary stream holding the body and nothing else: a seekable
    stream is read from its start, one that cannot seek is first copied to a spool.
    """
    return _open(
        Opening(limits, trust, caller="open_message_from"),
        source,
        headers,
        key=key,
        payload_sink=payload_sink,
        at=at,
        profile=profile,
        spool_dir=spool_dir,
    )


def receive_from(
    source: MessageSource,
    headers: Headers | Mapping[str, str],
    *,
    key: PrivateKey,
    trust: TrustPolicy,
    payload_sink: BinaryIO | IO[bytes],
    at: datetime | None = None,
    profile: PeppolProfile = PEPPOL_PROFILE,
    limits: Limits = DEFAULT_LIMITS,
    spool_dir: str | os.PathLike[str] | None = None,
) -> Reception[StreamedMessage]:
    """Like :func:`open_message_from`, but a peer's fault becomes ``Reception.error`` (as
    :func:`.receiving.receive`); the Reception answers with a receipt or an error signal."""
    opening = Opening(limits, trust, caller="receive_from")
    return reception_of(
        opening,
        lambda: _open(
            opening,
            source,
            headers,
            key=key,
            payload_sink=payload_sink,
            at=at,
            profile=profile,
            spool_dir=spool_dir,
        ),
    )


def _open(
    opening: Opening,
    source: MessageSource,
    headers: Headers | Mapping[str, str],
    *,
    key: PrivateKey,
    payload_sink: BinaryIO | IO[bytes],
    at: datetime | None,
    profile: PeppolProfile,
    spool_dir: str | os.PathLike[str] | None,
) -> StreamedMessage:
    limits = opening.limits
    hdrs, key = opening.arguments(headers, key=key, at=at, profile=profile)
    require_source(source, caller=opening.caller, name="source")
    require_sink(payload_sink, caller=opening.caller, name="payload_sink")
    require_spool_dir(spool_dir, caller=opening.caller)
    with ExitStack() as stack:
        file = seekable_message(source, stack, limits=limits, spool_dir=spool_dir)
        size = file.seek(0, os.SEEK_END)
        scanned = scan_message(
            hdrs,
            file,
            size=size,
            limits=limits,
            base64_files=lambda: stack.enter_context(spool(spool_dir)),
        )
        envelope, parsed = opening.envelope_of(scanned.mime)
        # Authenticated before anything is decrypted (see receiving.Opening.authenticate).
        ids, verification = opening.authenticate(
            envelope, parsed, at=at, profile=profile, attachment_count=len(scanned.mime.attachments)
        )
        plain: dict[str, tuple[str | None, IO[bytes]]] = {}
        digests: dict[str, ExternalDigest] = {}
        failure = False
        for found in attachment_keys(ids, lambda cid: cid in scanned.spans, key):
            out = stack.enter_context(spool(spool_dir))
            digest = _decrypt(
                scanned.files.get(found.content_id, file),
                scanned.spans[found.content_id],
                found.key,
                out,
                verification.digest_methods(found.content_id),
            )
            if digest is None:
                failure = True  # keep going: every part costs the same, the error says nothing
                continue
            plain[found.content_id] = (found.mime_type, out)
            digests[found.content_id] = digest
        if failure:
            raise DecryptionError()
        require_encrypted(parsed, plain)
        verification = verification.with_attachments(
            {
                cid: (mime_type, _signed_content(mime_type, out, digests[cid], limits))
                for cid, (mime_type, out) in plain.items()
            },
            limits=limits,
        )
        assert verification.validated is not None
        part = parsed.parts[0]
        content = plain[part.content_id or ""][1]
        compressed_size = content.seek(0, os.SEEK_END)
        content.seek(0)
        pieces = copy_chunks(content)
        if part.compression_type == GZIP:
            pieces = gunzip_stream(pieces, compressed_size=compressed_size, limits=limits)
        sbdh, routing, payload_size = _deliver(pieces, payload_sink, opening, parsed, limits)
        return StreamedMessage(
            user_message=parsed,
            payload_size=payload_size,
            payload_mime_type=part.mime_type,
            signer=verification.signer,
            validated=verification.validated,
            signed_references=verification.references,
            routing=routing,
            sbdh=sbdh,
        )


def _signed_content(
    mime_type: str | None, decrypted: IO[bytes], digest: ExternalDigest, limits: Limits
) -> bytes | ExternalDigest:
    """What the signature's attachment reference is checked against: the digest taken while
    decrypting, or, for a type the SwA transform canonicalizes first (XML, text; not Peppol's
    gzip), the decrypted content itself, read back whole (at most ``Limits.max_xml_bytes``)
    so that it is checked as :func:`~.receiving.open_message` checks it."""
    if not needs_canonical_form(mime_type):
        return digest
    check_canonical_size(mime_type, decrypted.seek(0, os.SEEK_END), limits)
    decrypted.seek(0)
    return decrypted.read()


def _decrypt(
    file: IO[bytes],
    span: PartSpan,
    cek: bytes | None,
    out: IO[bytes],
    methods: frozenset[DigestMethod],
) -> ExternalDigest | None:
    """Decrypt ``IV || ciphertext || tag`` into ``out``, digesting the plaintext; None when
    the key or the tag is wrong (XML Enc 1.1 5.2.4: AES-GCM without AAD)."""
    if cek is None or span.length < GCM_IV_BYTES + GCM_TAG_BYTES:
        return None
    file.seek(span.offset)
    iv = file.read(GCM_IV_BYTES)
    file.seek(span.offset + span.length - GCM_TAG_BYTES)
    tag = file.read(GCM_TAG_BYTES)
    try:
        decryptor = Cipher(algorithms.AES(cek), modes.GCM(iv, tag)).decryptor()
    except ValueError:
        return None
    hashers = {method: hashlib.new(method.name.lower()) for method in methods}
    body = PartSpan(span.offset + GCM_IV_BYTES, span.length - GCM_IV_BYTES - GCM_TAG_BYTES)
    for piece in read_span(file, body):
        plain = decryptor.update(piece)
        for hasher in hashers.values():
            hasher.update(plain)
        out.write(plain)
    try:
        out.write(decryptor.finalize())
    except InvalidTag:
        return None
    return ExternalDigest({method: h.digest() for method, h in hashers.items()})


def _deliver(
    pieces: Iterator[bytes],
    sink: IO[bytes],
    opening: Opening,
    parsed: UserMessage,
    limits: Limits,
) -> tuple[SbdHeader, SbdRouting, int]:
    """Hold back the first bytes until the SBDH is checked, then write everything to ``sink``.

    The header is read as soon as the bytes held show its end tag (within the first
    kilobytes, usually); should that read fail, up to ``Limits.max_sbdh_bytes`` are held and
    the header read again, so the outcome is always that of the longer prefix.
    """
    held: list[bytes] = []
    held_size = 0
    checked: tuple[SbdHeader, SbdRouting] | None = None
    for piece in pieces:
        held.append(piece)
        held_size += len(piece)
        if held_size >= limits.max_sbdh_bytes:
            break
        if held_size - len(piece) < EARLY_SBDH_BYTES:
            head = b"".join(held)
            if header_may_end(head[:EARLY_SBDH_BYTES]):
                try:
                    checked = opening.check_sbdh(parsed, head)
                    break
                except InputError:
                    pass  # read again from the longer prefix below, which decides
    if checked is None:
        # Held: max_sbdh_bytes or more, or the whole payload. The header must end within the
        # bytes held back, however large the pieces came (check_sbdh looks no further).
        try:
            checked = opening.check_sbdh(parsed, b"".join(held)[: limits.max_sbdh_bytes])
        except InputError:
            # The bytes opener decompresses the whole payload before it reads the SBDH, so a
            # payload that does not decompress is reported as that (EBMS:0303) first: read
            # the rest (bounded by the decompression limits), keep nothing, then refuse.
            for _ in pieces:
                pass
            raise
    sbdh, routing = checked
    size = 0
    for piece in held:
        sink.write(piece)
        size += len(piece)
    for piece in pieces:
        sink.write(piece)
        size += len(piece)
    return sbdh, routing, size

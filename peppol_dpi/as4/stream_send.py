"""Building a Peppol AS4 message from an SBD file, chunk by chunk (issue 8: large payloads).

The same message as :func:`.sending.build_message`, with memory that does not grow with the
payload (byte for byte, given the same ids, randomness and boundary, for an SBD of at most
1 MiB; a larger one is compressed in several calls, and ISA-L's deflate output depends on how
its input is split, so its gzip bytes may differ while inflating to the same SBD). The SBDH is read
from the first ``Limits.max_sbdh_bytes`` of the file; then one pass gzips the SBD, digests the
gzip bytes (SHA-256: the attachment reference, WSS SwA 1.1 5.2) and encrypts them with
AES-128-GCM (Peppol AS4 2.0.3 5) into a spool file. The signature needs that digest, so the SOAP
part is built after the pass; the MIME body (SOAP part, then IV || ciphertext || tag copied
from the spool) is written to the sink.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO

from cryptography import x509
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..arguments import require_sink, require_source, require_spool_dir
from ..ids import random_uuid
from ..keys import PrivateKey
from ..limits import DEFAULT_LIMITS, Limits
from ..spool import copy_chunks, spool
from ..xmldsig import DigestMethod, ExternalDigest
from .compression import GZIP, gzip_stream
from .mime import multipart_frame, new_boundary
from .profile import SbdRouting
from .sbd_routing import read_routing, require_header_end
from .sending import (
    OCTET_STREAM,
    SentMessage,
    check_sender_arguments,
    new_user_message,
    signed_envelope,
)
from .wss_encrypt import GCM_IV_BYTES, encryption_header

__all__ = ["build_message_to"]


def _read_prefix(source: IO[bytes], size: int) -> bytes:
    pieces: list[bytes] = []
    got = 0
    while got < size:
        piece = source.read(size - got)
        if not piece:
            break
        pieces.append(piece)
        got += len(piece)
    return b"".join(pieces)


def build_message_to(
    sbd_source: BinaryIO | IO[bytes] | str | os.PathLike[str],
    sink: BinaryIO | IO[bytes],
    *,
    key: PrivateKey,
    receiver_cert: x509.Certificate,
    now: datetime,
    message_id: str,
    conversation_id: str | None = None,
    routing: SbdRouting | None = None,
    from_party: str | None = None,
    to_party: str | None = None,
    payload_mime_type: str = "application/xml",
    compression_level: int | None = None,
    new_id: Callable[[], str] = random_uuid,
    random_bytes: Callable[[int], bytes] = os.urandom,
    boundary: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    spool_dir: str | os.PathLike[str] | None = None,
) -> tuple[dict[str, str], SentMessage]:
    """:func:`.sending.build_message` for an SBD in a file (a path or a binary stream read
    from its current position): the HTTP body is written to ``sink``, the HTTP headers and
    what the sender keeps are returned. The SBDH must end within ``limits.max_sbdh_bytes``.
    """
    caller = "build_message_to"
    require_source(sbd_source, caller=caller, name="sbd_source")
    require_sink(sink, caller=caller, name="sink")
    check_sender_arguments(caller, locals())
    require_spool_dir(spool_dir, caller=caller)
    with ExitStack() as stack:
        source: IO[bytes] = (
            stack.enter_context(Path(sbd_source).open("rb"))
            if isinstance(sbd_source, str | os.PathLike)
            else sbd_source
        )
        prefix = _read_prefix(source, limits.max_sbdh_bytes)
        if routing is None:
            require_header_end(prefix, limits=limits)
        route = routing if routing is not None else read_routing(prefix, limits=limits)
        cek = random_bytes(16)
        iv = random_bytes(GCM_IV_BYTES)
        content_id = f"att-{new_id()}@peppol-dpi"
        encrypted = stack.enter_context(spool(spool_dir))
        encryptor = Cipher(algorithms.AES(cek), modes.GCM(iv)).encryptor()
        digest = hashlib.sha256()
        for compressed in gzip_stream(_chain(prefix, copy_chunks(source)), level=compression_level):
            digest.update(compressed)
            encrypted.write(encryptor.update(compressed))
        encrypted.write(encryptor.finalize())
        encrypted.write(encryptor.tag)  # the part is IV || ciphertext || tag (XML Enc 1.1)
        user_message = new_user_message(
            route,
            key=key,
            receiver_cert=receiver_cert,
            now=now,
            message_id=message_id,
            content_id=content_id,
            conversation_id=conversation_id,
            from_party=from_party,
            to_party=to_party,
            payload_mime_type=payload_mime_type,
        )
        root, sent = signed_envelope(
            user_message,
            key=key,
            content_id=content_id,
            signed=ExternalDigest({DigestMethod.SHA256: digest.digest()}),
            encryption_header=encryption_header(
                [(content_id, GZIP)], receiver_cert, cek, new_id=new_id
            ),
            new_id=new_id,
            limits=limits,
        )
        headers, head, tail = multipart_frame(
            root, content_id, OCTET_STREAM, boundary=boundary or new_boundary()
        )
        sink.write(head)
        sink.write(iv)
        encrypted.seek(0)
        for piece in copy_chunks(encrypted):
            sink.write(piece)
        sink.write(tail)
    return headers, sent


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest

"""Fuzz target: the AS4 MIME layer (multipart/related split, the dump form) and gunzip.

The first line of the input is the Content-Type header, the rest the body; the whole input is
also read as a message dump and as a gzip stream, and its start as one (``gunzip_head``,
which must give the first bytes of what ``gunzip`` gives whenever both give anything).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi.as4.compression import gunzip, gunzip_head, gzip_compress
    from peppol_dpi.as4.dump import read_dump, write_dump
    from peppol_dpi.as4.mime import parse_message
    from peppol_dpi.errors import InputError
    from peppol_dpi.limits import Limits

# Small limits so that the limit paths are reached too.
LIMITS = Limits(max_decompressed_bytes=1 << 20, max_mime_parts=8, max_mime_header_bytes=4096)


def target(data: bytes) -> None:
    whole = None
    with suppress(InputError):
        whole = gunzip(data, limits=LIMITS)
    wanted = 1 + (data[-1] if data else 0) * 97  # how much of the start is asked for
    head = gunzip_head(data, enough=lambda start: len(start) >= wanted, most=1 << 16)
    if head is not None:
        assert len(head) >= wanted
        assert whole is None or whole.startswith(head), "the start read alone differs"
    with suppress(InputError):
        read_dump(data, limits=LIMITS)
    content_type, _, body = data.partition(b"\n")
    headers = {"Content-Type": content_type.decode("latin-1").strip()}
    message = parse_message(headers, body, limits=LIMITS)
    for part in message.attachments:
        _ = (part.content_id, bytes(part.body))


def corpus() -> Iterable[bytes]:
    import fuzz_as4  # the real message, built at run time

    content_type = fuzz_as4.HEADERS["Content-Type"].encode()
    yield content_type + b"\n" + fuzz_as4.BODY
    yield write_dump(fuzz_as4.HEADERS, fuzz_as4.BODY)
    yield gzip_compress(b"<x/>" * 100)


if __name__ == "__main__":
    fuzz("mime", target, corpus)

"""Fuzz target: CMS EnvelopedData decryption of the document package (peppol_dpi.dpi.cms)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi.dpi import cms

import pki

KEY = pki.business_key("digipost")


def target(data: bytes) -> None:
    cms.decrypt(data, KEY)


def corpus() -> Iterable[bytes]:
    yield cms.encrypt(b"PK\x03\x04 a small zip" * 3, KEY.certificate)
    streamed = io.BytesIO()
    with cms.EnvelopedDataWriter(streamed, KEY.certificate) as writer:
        writer.write(b"x" * 100)
    yield streamed.getvalue()


if __name__ == "__main__":
    fuzz("cms", target, corpus)

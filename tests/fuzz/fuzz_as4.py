"""Fuzz target: receiving a Peppol AS4 message (MIME, SOAP/ebMS, WS-Security, gzip), end to end.

The input is the HTTP body of a real signed, compressed and encrypted message from corner 2;
``receive`` must answer every mutation with a message or an error (never an exception), and
the key-less ``inspect_message`` must raise nothing but InputError.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi.as4 import build_message, receive
    from peppol_dpi.as4.inspection import inspect_message
    from peppol_dpi.errors import InputError

import as4_support
import pki

C2, C3 = pki.ap_key("c2"), pki.ap_key("c3")
TRUST = as4_support.trust()
HEADERS, BODY, _ = build_message(
    as4_support.make_sbd(),
    key=C2,
    receiver_cert=C3.certificate,
    now=as4_support.NOW,
    message_id="f1@c2.test",
    boundary="----=_Part_fuzz",
    random_bytes=lambda n: b"\x01" * n,
)


def target(data: bytes) -> None:
    with suppress(InputError):
        inspect_message(HEADERS, data, trust=TRUST, at=as4_support.NOW)
    reception = receive(HEADERS, data, key=C3, trust=TRUST, at=as4_support.NOW)
    if (reception.message is None) == (reception.error is None):
        raise AssertionError("a reception is either a message or an error")


def corpus() -> Iterable[bytes]:
    yield BODY


if __name__ == "__main__":
    fuzz("as4", target, corpus)

"""Fuzz target: signed DPI business messages (JWS with x5c around the JSON SBD)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi.dpi.message import MessageType, parse_business_message
    from peppol_dpi.dpi.signed import sign_business_message, verify_business_message
    from peppol_dpi.errors import InputError

import dpi_samples
import pki


def target(data: bytes) -> None:
    with suppress(InputError):
        parse_business_message(data)
    verify_business_message(data, trust=None, require_signer_is_sender=False)


def corpus() -> Iterable[bytes]:
    key = pki.business_key("sender")
    for kind in (MessageType.DIGITAL, MessageType.UTSKRIFT, MessageType.FLYTTET):
        message = dpi_samples.message(kind)
        yield message.to_bytes()
        yield sign_business_message(message, key)


if __name__ == "__main__":
    fuzz("dpi_message", target, corpus)

"""Fuzz target: compact JWS (peppol_dpi.jose) and the Maskinporten token claims read from one."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi.errors import InputError
    from peppol_dpi.jose import decode_compact, encode_compact
    from peppol_dpi.lookup.maskinporten import parse_token_claims

import pki

KEY = pki.maskinporten_key()


def target(data: bytes) -> None:
    with suppress(InputError):
        parse_token_claims(data.decode("latin-1"))
    parsed = decode_compact(data)
    parsed.claims()
    parsed.verify(KEY.certificate.public_key())


def corpus() -> Iterable[bytes]:
    claims = b'{"iss":"https://maskinporten.test/","scope":"digdir:dpi","exp":1800000000,"iat":1700000000,"consumer":{"authority":"iso6523-actorid-upis","ID":"0192:991825827"}}'
    yield encode_compact(header={"alg": "RS256", "typ": "JWT"}, payload=claims, key=KEY).encode()
    yield b"eyJhbGciOiJub25lIn0.e30."


if __name__ == "__main__":
    fuzz("jws", target, corpus)

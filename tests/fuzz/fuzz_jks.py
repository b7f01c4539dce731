"""Fuzz target: key and trust store files (peppol_dpi.keystore: JKS, PKCS#12, PEM, DER).

The input is a JKS *body*: the target appends the right integrity digest, so mutations reach
the structure instead of stopping at the SHA-1 check. The same bytes are also given as they
are to the format-sniffing loaders.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi.errors import InputError
    from peppol_dpi.keystore import load_key_file, load_trust_store, parse_jks

import seeds


def target(data: bytes) -> None:
    for loader in (load_key_file, load_trust_store):
        with suppress(InputError):
            loader(data, seeds.JKS_PASSWORD)
    store = parse_jks(seeds.jks(data), seeds.JKS_PASSWORD)
    for entry in store.private_keys:
        store.key(seeds.JKS_PASSWORD, entry.alias)


def corpus() -> Iterable[bytes]:
    yield seeds.jks_body()
    yield from seeds.key_files()


if __name__ == "__main__":
    fuzz("jks", target, corpus)

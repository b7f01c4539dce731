"""Fuzz target: the ASiC-E document package (zip layer, manifest.xml, XAdES signatures)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi.dpi.asic import read_package
    from peppol_dpi.dpi.manifest import SdpManifest
    from peppol_dpi.errors import InputError

import seeds


def target(data: bytes) -> None:
    with suppress(InputError):
        SdpManifest.parse(data)
    read_package(data)


def corpus() -> Iterable[bytes]:
    from peppol_dpi.dpi.container import read_zip

    package = seeds.asic_package()
    yield package
    yield from read_zip(package).values()  # manifest.xml, signatures.xml, the documents


if __name__ == "__main__":
    fuzz("asic", target, corpus)

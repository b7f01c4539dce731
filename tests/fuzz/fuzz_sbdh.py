"""Fuzz target: the Peppol SBDH reader (peppol_dpi.sbdh: read_sbd and the header-only read_sbdh)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi.errors import InputError
    from peppol_dpi.sbdh import (
        BinaryContent,
        TextContent,
        XmlPayload,
        build_sbd,
        read_sbd,
        read_sbdh,
    )

import sbdh_support


def target(data: bytes) -> None:
    with suppress(InputError):
        read_sbdh(data)
    read_sbd(data)


def corpus() -> Iterable[bytes]:
    for payload in (
        XmlPayload(data=sbdh_support.INVOICE),
        BinaryContent(data=bytes(range(256)), mime_type="application/pdf"),
        TextContent(text="a;b\r\n<æ>&]]>\n", mime_type="text/csv"),
    ):
        yield build_sbd(sbdh_support.header_for(payload), payload)


if __name__ == "__main__":
    fuzz("sbdh", target, corpus)

"""Fuzz target: SMP answers (service group, signed service metadata) and NAPTR regexps."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi.errors import InputError
    from peppol_dpi.lookup.naptr import parse_substitution
    from peppol_dpi.lookup.smp_verify import verify_service_metadata
    from peppol_dpi.lookup.smp_xml import parse_service_group

import pki

TRUST = pki.peppol_trust()
NAME = "B-3c7fd9ea2eac8bb9a3c1ba6d6b1a6f0a.iso6523-actorid-upis.edelivery.tech.ec.europa.eu"


def target(data: bytes) -> None:
    if data.startswith(b"!"):  # a NAPTR regexp applied to a real-looking name
        text = data[1:].decode("utf-8", "replace")
        parse_substitution(text).apply(NAME)
        return
    with suppress(InputError):
        parse_service_group(data)
    verify_service_metadata(data, trust=TRUST)


def corpus() -> Iterable[bytes]:
    from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
    from peppol_dpi.lookup.smp import Endpoint, ProcessMetadata, ServiceMetadata
    from peppol_dpi.services.smp import sign_service_metadata

    endpoint = Endpoint(
        transport_profile="peppol-transport-as4-v2_0",
        url="https://ap.example/as4",
        certificate=pki.ap_key("c3").certificate,
    )
    metadata = ServiceMetadata(
        participant=ParticipantId.parse("0192:984661185"),
        document_type=DocumentTypeId.parse("urn:x::y##urn:c::1.0"),
        processes=(ProcessMetadata(process=ProcessId.parse("urn:p"), endpoints=(endpoint,)),),
    )
    yield sign_service_metadata(metadata, pki.smp_key())
    yield b"!^.*$!https://smp.example/!"
    yield b"!^(B-[0-9a-f]+)\\.(.*)$!https://\\1.smp.example/\\2!i"


if __name__ == "__main__":
    fuzz("smp", target, corpus)

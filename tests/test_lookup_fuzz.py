"""Damaged or arbitrary input to the lookup parsers only ever raises the package's errors."""

from __future__ import annotations

import contextlib
from functools import cache
from typing import Any

import pki
from hypothesis import given, settings
from hypothesis import strategies as st

from peppol_dpi.errors import InputError
from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
from peppol_dpi.lookup.krr import parse_person
from peppol_dpi.lookup.maskinporten import parse_token_claims
from peppol_dpi.lookup.smp import Endpoint, ProcessMetadata, ServiceMetadata
from peppol_dpi.lookup.smp_verify import verify_service_metadata
from peppol_dpi.lookup.smp_xml import parse_service_group
from peppol_dpi.services.smp import sign_service_metadata


@cache
def _signed() -> bytes:
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
    return sign_service_metadata(metadata, pki.smp_key())


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_damaged_signed_metadata(data: st.DataObject) -> None:
    document = bytearray(_signed())
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(document) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            document[position] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del document[position : position + data.draw(st.integers(1, 50))]
        else:
            document[position:position] = data.draw(st.binary(min_size=1, max_size=8))
    try:
        verify_service_metadata(bytes(document), trust=pki.peppol_trust())
    except InputError:
        return
    # A change that survives must have left the signed content intact (e.g. inside KeyInfo's
    # X509SubjectName, which is not signed) - never a different endpoint.
    assert b"https://ap.example/as4" in document


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_service_groups(data: bytes) -> None:
    with contextlib.suppress(InputError):
        parse_service_group(data)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
_person_keys = st.sampled_from(
    [
        "personidentifikator",
        "status",
        "reservasjon",
        "varslingsstatus",
        "kontaktinformasjon",
        "digital_post",
        "sertifikat",
        "reservasjonstidspunkt",
        "spraak",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_person_keys, _json, max_size=9) | _json)
def test_arbitrary_krr_entries(entry: Any) -> None:
    with contextlib.suppress(InputError):
        parse_person(entry)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_tokens(token: str) -> None:
    with contextlib.suppress(InputError):
        parse_token_claims(token)

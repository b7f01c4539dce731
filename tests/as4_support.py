"""Shared helpers for the AS4 tests: an SBD of our own, fixed clock and ids, trust policies."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pki
from hypothesis import strategies as st

from peppol_dpi.trust import RevocationMode, TrustPolicy

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SENDER = "0192:991825827"
RECEIVER = "0192:810969342"
DOCTYPE = (
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##"
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def make_sbd(*, filler: bytes = b"", sender: str = SENDER, receiver: str = RECEIVER) -> bytes:
    """A small Peppol SBD (Envelope 2.0 shape) around a UBL invoice stub."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<StandardBusinessDocument xmlns="http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader">'
        b"<StandardBusinessDocumentHeader><HeaderVersion>1.0</HeaderVersion>"
        b'<Sender><Identifier Authority="iso6523-actorid-upis">'
        + sender.encode()
        + b"</Identifier></Sender>"
        b'<Receiver><Identifier Authority="iso6523-actorid-upis">'
        + receiver.encode()
        + b"</Identifier></Receiver>"
        b"<DocumentIdentification><Standard>urn:oasis:names:specification:ubl:schema:xsd:Invoice-2</Standard>"
        b"<TypeVersion>2.1</TypeVersion><InstanceIdentifier>4f6b2c1e-0000-4000-8000-000000000001</InstanceIdentifier>"
        b"<Type>Invoice</Type><CreationDateAndTime>2026-11-01T12:00:00Z</CreationDateAndTime></DocumentIdentification>"
        b"<BusinessScope>"
        b"<Scope><Type>DOCUMENTID</Type><InstanceIdentifier>"
        + DOCTYPE.encode()
        + b"</InstanceIdentifier>"
        b"<Identifier>busdox-docid-qns</Identifier></Scope>"
        b"<Scope><Type>PROCESSID</Type><InstanceIdentifier>"
        + PROCESS.encode()
        + b"</InstanceIdentifier>"
        b"<Identifier>cenbii-procid-ubl</Identifier></Scope>"
        b"<Scope><Type>COUNTRY_C1</Type><InstanceIdentifier>NO</InstanceIdentifier></Scope>"
        b"</BusinessScope></StandardBusinessDocumentHeader>"
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><Note>'
        + filler
        + b"</Note></Invoice></StandardBusinessDocument>\n"
    )


def counter_ids(prefix: str = "id") -> Callable[[], str]:
    """Deterministic ids for byte-stable builds."""
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers):04d}"


def trust(**overrides: object) -> TrustPolicy:
    """The test Peppol root; no revocation checks (the AP test certificates name no CRL)."""
    settings: dict[str, object] = {"revocation": RevocationMode.OFF}
    return pki.peppol_trust(**(settings | overrides))


def mutated(data: Any, original: bytes, inserts: Sequence[bytes], *, most: int = 4) -> bytes:
    """``original`` with 1 to ``most`` flips, cuts, truncations or ``inserts`` drawn from
    hypothesis' ``data``: the mutation model of the robustness tests."""
    body = bytearray(original)
    for _ in range(data.draw(st.integers(1, most))):
        position = data.draw(st.integers(0, len(body) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if action == "flip":
            body[position] ^= data.draw(st.integers(1, 255))
        elif action == "delete":
            del body[position : position + data.draw(st.integers(1, 64))]
        elif action == "insert":
            body[position:position] = data.draw(st.sampled_from(list(inserts)))
        else:
            del body[position:]
        if not body:
            body = bytearray(b"x")
    return bytes(body)

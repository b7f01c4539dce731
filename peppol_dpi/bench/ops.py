"""The operations ``peppol-dpi bench`` times: the package's own code paths on one payload.

Each operation is prepared once (keys loaded, inputs built) and returned as a zero-argument
callable doing only the measured work, exactly as an application would call the library.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..as4 import build_message, open_message
from ..dpi.asic import AsicBuilder, Document
from ..dpi.package import open_package, seal
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..jose import JwsAlgorithm, decode_compact, encode_compact
from ..keys import LocalPrivateKey, rsa_public_key
from ..sbdh import SbdHeader, XmlPayload, build_sbd, read_sbd
from ..testing.pki import parties
from ..trust import RevocationMode, TrustPolicy

__all__ = ["OPERATIONS", "Keys", "load_keys", "prepare"]

OPERATIONS = (
    "as4_build",
    "as4_open",
    "dpi_pack",
    "dpi_unpack",
    "jws_sign",
    "jws_verify",
    "sbdh_wrap",
    "sbdh_read",
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
INVOICE_TYPE = DocumentTypeId.parse(
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
    "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
BILLING = ProcessId.parse("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")
SENDER = ParticipantId.norwegian("991825827")
RECEIVER = ParticipantId.norwegian("984661185")


@dataclass(frozen=True)
class Keys:
    c2: LocalPrivateKey
    c3: LocalPrivateKey
    sender: LocalPrivateKey
    mailbox: LocalPrivateKey

    def trust(self, key: LocalPrivateKey) -> TrustPolicy:
        return TrustPolicy(
            anchors=(key.chain[-1],), intermediates=key.chain[:-1], revocation=RevocationMode.OFF
        )


def load_keys(directory: Path | None = None) -> Keys:
    """The test PKI's parties (from ``directory`` if it holds one, else built in memory)."""
    found = parties(directory)
    return Keys(
        c2=found["ap-c2"], c3=found["ap-c3"], sender=found["sender"], mailbox=found["digipost"]
    )


def sbd_for(payload: bytes) -> bytes:
    header = SbdHeader.for_payload(
        XmlPayload(data=payload),
        sender=SENDER,
        receiver=RECEIVER,
        document_type=INVOICE_TYPE,
        process=BILLING,
        country_c1="NO",
        instance_id="4b9c1d2e-0000-4000-8000-000000000001",
        created=NOW,
    )
    return build_sbd(header, XmlPayload(data=payload))


def prepare(op: str, payload: bytes, keys: Keys) -> Callable[[], object]:
    """The measured callable for ``op`` on ``payload`` (an XML business document)."""
    return from_input(op, make_input(op, payload, keys), keys)


def make_input(op: str, payload: bytes, keys: Keys) -> bytes:
    """What ``op`` consumes, as bytes (so a child process can measure ``op`` alone)."""
    if op in ("sbdh_wrap", "dpi_pack", "jws_sign"):
        return payload
    if op in ("sbdh_read", "as4_build"):
        return sbd_for(payload)
    if op == "as4_open":
        headers, body, _ = build_message(
            sbd_for(payload),
            key=keys.c2,
            receiver_cert=keys.c3.certificate,
            now=NOW,
            message_id=_message_id(),
        )
        return json.dumps(dict(headers)).encode() + b"\n" + body
    if op == "dpi_unpack":
        return seal(
            _package(payload, keys),
            keys.sender,
            recipient=keys.mailbox.certificate,
            signing_time=NOW,
        )
    if op == "jws_verify":
        return encode_compact(header=_jws_header(keys), payload=payload, key=keys.sender).encode()
    raise ValueError(f"unknown operation {op!r}")


def from_input(op: str, data: bytes, keys: Keys) -> Callable[[], object]:
    """The measured callable for ``op`` on what :func:`make_input` produced."""
    if op == "sbdh_wrap":
        return lambda: sbd_for(data)
    if op == "sbdh_read":
        return lambda: read_sbd(data)
    if op == "as4_build":
        return lambda: build_message(
            data, key=keys.c2, receiver_cert=keys.c3.certificate, now=NOW, message_id=_message_id()
        )
    if op == "as4_open":
        head, _, body = data.partition(b"\n")
        headers = json.loads(head)
        trust = keys.trust(keys.c2)
        return lambda: open_message(headers, body, key=keys.c3, trust=trust, at=NOW)
    if op == "dpi_pack":
        builder = _package(data, keys)
        return lambda: seal(
            builder, keys.sender, recipient=keys.mailbox.certificate, signing_time=NOW
        )
    if op == "dpi_unpack":
        trust = keys.trust(keys.sender)
        return lambda: open_package(data, keys.mailbox, trust=trust, at=NOW)
    if op == "jws_sign":
        header = _jws_header(keys)
        return lambda: encode_compact(header=header, payload=data, key=keys.sender)
    if op == "jws_verify":
        public = rsa_public_key(keys.sender.certificate)

        def verify() -> object:
            parsed = decode_compact(data)
            parsed.verify(public)
            return parsed

        return verify
    raise ValueError(f"unknown operation {op!r}")


def _message_id() -> str:
    return f"{uuid.uuid4()}@bench.peppol-dpi"


def _package(payload: bytes, keys: Keys) -> AsicBuilder:
    return (
        AsicBuilder()
        .sender(SENDER)
        .mailbox("ola.nordmann#9YDT")
        .main_document(Document(name="faktura.xml", content=payload))
        .certificate_chain((keys.sender.certificate, *keys.sender.chain))
    )


def _jws_header(keys: Keys) -> dict[str, object]:
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    leaf = base64.b64encode(keys.sender.certificate.public_bytes(Encoding.DER)).decode()
    return {"x5c": [leaf], "alg": JwsAlgorithm.RS256.value}

"""The access points' AS4 codec over the real peppol_dpi.as4: build, open, receipts, errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pki
import pytest
from as4_support import make_sbd

from peppol_dpi.as4 import message_id_factory
from peppol_dpi.errors import EbmsError, InputError, RemoteError
from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
from peppol_dpi.transport.peppol_as4 import PeppolAs4, sent_references
from peppol_dpi.transport.ports import OpenedAs4
from peppol_dpi.transport.wire import WireMessage


def _clock() -> datetime:
    return datetime.now(UTC)


def _codec(corner: str) -> PeppolAs4:
    return PeppolAs4(
        key=pki.ap_key(corner),  # type: ignore[arg-type]
        trust=pki.peppol_trust(),
        clock=_clock,
        new_message_id=message_id_factory(f"{corner}.test"),
    )


C2, C3 = _codec("c2"), _codec("c3")
C3_CERT = pki.ap_key("c3").certificate


def _open(codec: PeppolAs4, wire: WireMessage) -> OpenedAs4:
    return codec.open(wire.headers, io.BytesIO(wire.body))


def _send() -> tuple[WireMessage, str]:
    sink = io.BytesIO()
    message_id = C2.build(
        payload=io.BytesIO(make_sbd()),
        sender=ParticipantId.parse("0192:991825827"),
        receiver=ParticipantId.parse("0192:810969342"),
        document_type=DocumentTypeId.parse("busdox-docid-qns::x::y##z::1"),  # from the SBDH
        process=ProcessId.parse("p"),
        conversation_id="conv-1",
        receiver_certificate=C3_CERT,
        sink=sink,
    )
    return WireMessage.from_dump(sink.getvalue()), message_id


def _dump(wire: WireMessage) -> io.BytesIO:
    return io.BytesIO(wire.to_dump())


def test_round_trip_receipt_verifies_from_the_frozen_bytes():
    wire, message_id = _send()
    frozen = WireMessage.from_dump(wire.to_dump())  # what the outbox keeps and resends
    opened = _open(C3, frozen)
    assert opened.message_id == message_id and opened.from_party == "POP000001"
    assert opened.payload.read() == make_sbd()
    receipt = C3.receipt(opened)
    C2.check_response(
        sent=_dump(frozen), status=200, response=receipt, receiver_certificate=C3_CERT
    )
    assert sent_references(_dump(frozen))[0] == message_id


def test_receipt_for_another_message_or_from_another_signer_is_refused():
    wire, _ = _send()
    other, _ = _send()
    receipt = C3.receipt(_open(C3, other))
    with pytest.raises(InputError) as info:
        C2.check_response(
            sent=_dump(wire), status=200, response=receipt, receiver_certificate=C3_CERT
        )
    assert info.value.ebms_code is EbmsError.INVALID_RECEIPT
    # a good receipt, but signed by an access point other than the one the SMP named
    good = C3.receipt(_open(C3, wire))
    with pytest.raises(InputError, match="not by the receiving"):
        C2.check_response(
            sent=_dump(wire),
            status=200,
            response=good,
            receiver_certificate=pki.ap_key("c2").certificate,
        )


def test_error_signal_raises_remote_error_with_its_code():
    wire, message_id = _send()
    status, signal = C3.error(
        InputError("no", rule="x", ebms_code=EbmsError.DELIVERY_FAILURE), message_id
    )
    with pytest.raises(RemoteError) as info:
        C2.check_response(
            sent=_dump(wire), status=status, response=signal, receiver_certificate=C3_CERT
        )
    assert info.value.ebms_code is EbmsError.DELIVERY_FAILURE


def test_message_for_another_access_point_does_not_open():
    wire, _ = _send()
    with pytest.raises(InputError) as info:
        _open(C2, wire)  # encrypted for corner 3, not corner 2
    assert info.value.ebms_code is EbmsError.FAILED_DECRYPTION

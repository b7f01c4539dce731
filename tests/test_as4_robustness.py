"""Whatever bytes arrive, the receiving API answers: never a traceback, never another exception."""

from __future__ import annotations

import pki
from as4_support import NOW, make_sbd, mutated, trust
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peppol_dpi.as4 import build_message, receive
from peppol_dpi.as4.dump import read_dump
from peppol_dpi.as4.inspection import inspect_message
from peppol_dpi.errors import InputError

C2, C3 = pki.ap_key("c2"), pki.ap_key("c3")
HEADERS, BODY, _ = build_message(
    make_sbd(), key=C2, receiver_cert=C3.certificate, now=NOW, message_id="f1@c2.test"
)
TRUST = trust()


def _answers(body: bytes) -> None:
    reception = receive(HEADERS, body, key=C3, trust=TRUST)
    assert (reception.message is None) != (reception.error is None)
    if reception.error is not None:
        assert isinstance(reception.error, InputError) and reception.error.ebms_code is not None
    # The answer can always be built and signed.
    status, _, answer = reception.answer(key=C3, now=NOW, message_id="a@c3.test")
    assert status == 200 and answer.startswith(b"<?xml")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_messages_are_answered(data: st.DataObject) -> None:
    _answers(mutated(data, BODY, [b"<", b"--", b"\r\n\r\n", b"&x;", b"\x00"]))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_random_dumps_are_refused_cleanly(data: bytes) -> None:
    try:
        headers, body = read_dump(data)
        inspect_message(headers, body)
    except InputError:
        pass

"""wrap_to / unwrap_from: the DPI payload written and read in pieces, byte for byte and refusal
for refusal the same as wrap / unwrap over bytes."""

from __future__ import annotations

import io
import os
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_dpi_peppol_payload import CREATED, innbyggerpost

from peppol_dpi.dpi.identifiers import MessageType
from peppol_dpi.dpi.innbyggerpost import Innbyggerpost
from peppol_dpi.dpi.peppol_payload import unwrap, unwrap_from, wrap, wrap_to
from peppol_dpi.errors import InputError, ValidationError
from peppol_dpi.limits import DEFAULT_LIMITS, Limits
from peppol_dpi.spool import CHUNK_BYTES


def _payload(package: bytes, message_type: MessageType = MessageType.DIGITAL) -> Innbyggerpost:
    return replace(innbyggerpost(message_type), dokumentpakke=package)


def _wrapped_to(payload: Innbyggerpost) -> bytes:
    sink = io.BytesIO()
    wrap_to(
        sink,
        forretningsmelding=payload.forretningsmelding,
        package=io.BytesIO(payload.dokumentpakke) if payload.dokumentpakke else None,
        instance_id="c2-0001",
        created=CREATED,
    )
    return sink.getvalue()


@pytest.mark.parametrize(
    ("size", "message_type"),
    [
        (0, MessageType.LEVERINGSKVITTERING),
        (1, MessageType.DIGITAL),
        (5000, MessageType.UTSKRIFT),
        (2 * CHUNK_BYTES + 7, MessageType.DIGITAL),
    ],
)
def test_wrap_to_writes_the_bytes_of_wrap(size: int, message_type: MessageType) -> None:
    payload = _payload(os.urandom(size), message_type)
    expected = wrap(payload, instance_id="c2-0001", created=CREATED)
    assert _wrapped_to(payload) == expected


def _outcome(data: bytes, limits: Limits, *, streamed: bool) -> tuple[object, ...]:
    try:
        if streamed:
            sink = io.BytesIO()
            read = unwrap_from(io.BytesIO(data), sink, limits=limits)
            assert read.package_bytes == len(sink.getvalue())
            parts = (read.forretningsmelding, sink.getvalue())
        else:
            whole = unwrap(data, limits=limits)
            read = whole  # type: ignore[assignment]
            parts = (whole.innbyggerpost.forretningsmelding, whole.innbyggerpost.dokumentpakke)
    except ValidationError as exc:
        return ("refused", type(exc), exc.rule, [p.rule for p in exc.problems])
    except InputError as exc:
        return ("refused", type(exc), exc.rule)
    return ("read", read.header, read.message, *parts)


def _same(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[object, ...]:
    streamed = _outcome(data, limits, streamed=True)
    assert streamed == _outcome(data, limits, streamed=False)
    return streamed


def test_unwrap_from_reads_what_unwrap_reads() -> None:
    package = os.urandom(2 * CHUNK_BYTES + 1)
    data = wrap(_payload(package), instance_id="x", created=CREATED)
    outcome = _same(data)
    assert outcome[0] == "read" and outcome[-1] == package
    receipt = wrap(_payload(b"", MessageType.LEVERINGSKVITTERING), instance_id="x", created=CREATED)
    assert _same(receipt)[-1] == b""


_SBD = wrap(_payload(b"CMS bytes of the package"), instance_id="x", created=CREATED)
_TEXT = b"Q01TIGJ5dGVzIG9mIHRoZSBwYWNrYWdl"  # base64 of the package above
_JWS_END = b"</SignertForretningsmelding>"


def _edit(old: bytes, new: bytes, data: bytes = _SBD) -> bytes:
    assert old in data
    return data.replace(old, new, 1)


CASES = {
    "folded base64": _edit(_TEXT, _TEXT[:8] + b"\r\n\t " + _TEXT[8:]),
    "comment in the base64": _edit(_TEXT, _TEXT[:8] + b"<!-- x -->" + _TEXT[8:]),
    "CDATA and character references": _edit(
        _TEXT, b"<![CDATA[" + _TEXT[:8] + b"]]>&#x51;" + _TEXT[9:]
    ),
    "not base64": _edit(_TEXT, _TEXT[:8] + b"*" + _TEXT[9:]),
    "url-safe base64": _edit(_TEXT, _TEXT[:8] + b"-" + _TEXT[9:]),
    "padding inside": _edit(_TEXT, _TEXT[:8] + b"====" + _TEXT[8:]),
    "non-ASCII": _edit(_TEXT, _TEXT[:8] + "\u00e9".encode() + _TEXT[8:]),
    "truncated base64": _edit(_TEXT, _TEXT[:-1]),
    "empty package of a letter": _edit(_TEXT, b""),
    "PI in the package": _edit(_TEXT, _TEXT[:8] + b"<?x y?>" + _TEXT[8:]),
    "element in the package": _edit(_TEXT, _TEXT[:8] + b"<x/>" + _TEXT[8:]),
    "text between the parts": _edit(_JWS_END, _JWS_END + b"text"),
    "a third part": _edit(
        b"</Innbyggerpost>", b"<Dokumentpakke>AA==</Dokumentpakke></Innbyggerpost>"
    ),
    "a second payload": _edit(
        b"</sh:StandardBusinessDocument>", b"<x/></sh:StandardBusinessDocument>"
    ),
    "another namespace": _edit(
        b'Innbyggerpost xmlns="http://digdir.no/dpi/innbyggerpost"',
        b'Innbyggerpost xmlns="urn:other"',
    ),
    "not a JWS": _edit(_JWS_END, b"!" + _JWS_END),
    "a DOCTYPE": _edit(b"?>", b"?><!DOCTYPE x>"),
    "an entity": _edit(_TEXT, b"&e;"),
    "too deep after the header": _edit(_TEXT, b"<a>" * 120 + b"</a>" * 120),
    "namespace flood": _edit(
        b"<Dokumentpakke",
        b"<Dokumentpakke " + b" ".join(b'xmlns:p%d="urn:%d"' % (i, i) for i in range(70)),
    ),
    "broken after the header": _edit(b"</Innbyggerpost>", b"</Innbyggerpos>"),
    "header routes elsewhere": _edit(
        b"innbyggerpost:digital:ver1.0</sh:InstanceIdentifier>",
        b"innbyggerpost:utskrift:ver1.0</sh:InstanceIdentifier>",
    ),
    "broken header": _edit(b"</sh:HeaderVersion>", b"</sh:HeaderVersio>"),
    "bad header": _edit(b">1.0</sh:HeaderVersion>", b">9</sh:HeaderVersion>"),
    "bad header, broken after it": _edit(
        b">1.0</sh:HeaderVersion>",
        b">9</sh:HeaderVersion>",
        _edit(b"</Innbyggerpost>", b"</Innbyggerpos>"),
    ),
    "empty": b"",
    "whitespace": b"  \n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_unwrap_from_refuses_what_unwrap_refuses(name: str) -> None:
    _same(CASES[name])


def test_the_package_size_limit_is_the_same() -> None:
    data = wrap(_payload(os.urandom(3000)), instance_id="x", created=CREATED)
    for limit in (2990, 2997, 3000):
        _same(data, replace(DEFAULT_LIMITS, max_package_bytes=limit))
    small = replace(DEFAULT_LIMITS, max_xml_bytes=len(data) - 1)
    assert _same(data, small)[2] == "xml:too-large"


@given(
    at=st.integers(0, len(_TEXT)),
    noise=st.sampled_from([" ", "\n", "=", "==", "_", "<!---->", "&#10;", "&#61;", "<y/>"]),
    cut=st.integers(0, len(_SBD)),
    truncate=st.booleans(),
)
def test_random_edits_are_judged_alike(at: int, noise: str, cut: int, truncate: bool) -> None:
    data = _edit(_TEXT, _TEXT[:at] + noise.encode() + _TEXT[at:])
    _same(data[:cut] if truncate else data)

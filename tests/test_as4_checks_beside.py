"""Opening a large message checks its attachments and SBDH on a second core: the answers are
the same.

``open_message`` decompresses a payload of at least ``offload.MIN_BYTES`` while the worker
thread checks the attachments' digests and reads the SBDH from the payload's first kilobytes,
decompressed there on their own (``gunzip_head``); the SBDH is read again from the whole
payload when that early read fails. Every case below is opened three ways, which must agree:
the checks on the worker (made certain: the work has begun there before the opener goes on),
taken back by the caller (the worker busy), and in line as before (MIN_BYTES out of reach).
The precedence of the refusals is the in-line one: an attachment that fails its signature
reference is reported before a payload that does not decompress, and that before an SBDH
that disagrees with the ebMS headers.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from typing import NamedTuple

import pytest
from as4_support import NOW, counter_ids, make_sbd
from offload_support import begun_on_the_worker, needs_two_cores
from test_as4_authenticate_first import _with_sha512_reference
from test_as4_openers_agree import (
    C2,
    C3,
    CID,
    MISMATCHED,
    ROUTING,
    TRUST,
    message,
    seal,
    user_message,
)

from peppol_dpi import offload
from peppol_dpi.as4 import receive, receiving
from peppol_dpi.as4.compression import GZIP, gzip_compress
from peppol_dpi.as4.sbd_routing import EARLY_SBDH_BYTES
from peppol_dpi.as4.wss_encrypt import encrypt_attachments
from peppol_dpi.as4.wss_sign import write_signed_envelope
from peppol_dpi.limits import DEFAULT_LIMITS, Limits

pytestmark = needs_two_cores

#: An SBD whose gzip is some 700 KB: far above MIN_BYTES.
BIG_SBD = make_sbd(filler=b"".join(b"%08x" % (i * 2654435761 % 2**32) for i in range(160_000)))
BIG = gzip_compress(BIG_SBD)
assert len(BIG) >= 4 * offload.MIN_BYTES


def _sent_and_signed(signed: bytes, sent: bytes, **options: object) -> tuple[dict[str, str], bytes]:
    """A message signed over ``signed`` whose attachment carries ``sent``: a digest mismatch
    that decrypts (the sender's key and the receiver's are right)."""
    encrypted = encrypt_attachments(
        [(CID, GZIP, sent)],
        C3.certificate,
        new_id=counter_ids("e"),
        random_bytes=lambda n: b"\x01" * n,
    )
    root, _ = write_signed_envelope(
        options.get("message") or user_message(),  # type: ignore[arg-type]
        key=C2,
        attachments=[(CID, GZIP, signed)],
        security_head=encrypted.header_xml,
        new_id=counter_ids("s"),
    )
    iv, ciphertext = encrypted.bodies[CID]
    return message(root=root, attachment=iv + ciphertext)


def _signed(content: bytes, **options: object) -> Callable[[], tuple[dict[str, str], bytes]]:
    def build() -> tuple[dict[str, str], bytes]:
        root, attachment = seal(content, **options)  # type: ignore[arg-type]
        return message(root=root, attachment=attachment)

    return build


def _sha512(of: bytes) -> Callable[[], tuple[dict[str, str], bytes]]:
    """The valid message with its attachment reference made SHA-512, its DigestValue that of
    ``of``, and signed again: the digest handed over must be the one the reference names."""

    def build() -> tuple[dict[str, str], bytes]:
        headers, body = _signed(BIG)()
        digest = hashlib.sha512(of).digest()
        return headers, _with_sha512_reference(headers, body, lambda _: digest)

    return build


#: Valid gzip of another SBD: a digest mismatch that decompresses.
OTHER = gzip_compress(BIG_SBD.replace(b"00000000", b"00000001", 1))
assert OTHER != BIG
BROKEN = BIG[: len(BIG) // 2] + bytes(1000) + BIG[len(BIG) // 2 :]  # not gzip past its middle
#: Its header ends past the early read: read from the whole payload only.
PADDED = BIG_SBD.replace(b"<BusinessScope>", b" " * EARLY_SBDH_BYTES + b"<BusinessScope>", 1)
#: A comment that looks like the header's end early on, the real end past the early read: the
#: early read fails, the whole payload decides.
DECOY = BIG_SBD.replace(
    b"</HeaderVersion>",
    b"</HeaderVersion><!--</StandardBusinessDocumentHeader>-->" + b" " * EARLY_SBDH_BYTES,
    1,
)
#: Two gzip members, the first ending inside the header (RFC 1952 2.2: the payload is both).
TWO_MEMBERS = gzip_compress(BIG_SBD[:300]) + gzip_compress(BIG_SBD[300:])
#: Decompresses to more than half the SBD: its header read early, the whole refused.
HALF = Limits(max_decompressed_bytes=len(BIG_SBD) // 2)


class Case(NamedTuple):
    build: Callable[[], tuple[dict[str, str], bytes]]
    expected: str  # "ok" or the rule of the refusal
    limits: Limits = DEFAULT_LIMITS
    payload: bytes | None = None  # what an "ok" opens to


CASES: dict[str, Case] = {
    "valid": Case(_signed(BIG), "ok", payload=BIG_SBD),
    "a SHA-512 reference": Case(_sha512(BIG), "ok", payload=BIG_SBD),
    "a SHA-512 reference of other content": Case(_sha512(OTHER), "dsig:digest-mismatch"),
    "digest mismatch": Case(lambda: _sent_and_signed(BIG, OTHER), "dsig:digest-mismatch"),
    "digest mismatch and not gzip": Case(
        lambda: _sent_and_signed(BIG, BROKEN), "dsig:digest-mismatch"
    ),
    "digest mismatch and an SBDH that disagrees": Case(
        lambda: _sent_and_signed(BIG, OTHER, message=user_message(MISMATCHED)),
        "dsig:digest-mismatch",
    ),
    "digest mismatch and too large": Case(
        lambda: _sent_and_signed(BIG, OTHER), "dsig:digest-mismatch", limits=HALF
    ),
    "not gzip, validly signed": Case(_signed(BROKEN), "gzip:corrupt"),
    "not gzip at all, validly signed": Case(_signed(os.urandom(len(BIG))), "gzip:not-gzip"),
    "too large, its SBDH read early": Case(_signed(BIG), "gzip:too-large", limits=HALF),
    "an SBDH that disagrees, validly signed": Case(
        _signed(BIG, message=user_message(MISMATCHED)), "peppol:sbdh-mismatch"
    ),
    "an SBDH that disagrees and too large": Case(
        _signed(BIG, message=user_message(MISMATCHED)), "gzip:too-large", limits=HALF
    ),
    "an SBDH ending past the early read": Case(
        _signed(gzip_compress(PADDED)), "ok", payload=PADDED
    ),
    "an early decoy of the SBDH's end": Case(_signed(gzip_compress(DECOY)), "ok", payload=DECOY),
    "two gzip members, the first ending in the SBDH": Case(
        _signed(TWO_MEMBERS), "ok", limits=Limits(max_gzip_members=2), payload=BIG_SBD
    ),
    "declared XML: canonicalized": Case(
        _signed(BIG, mime_type="application/xml", signed_as=GZIP), "dsig:attachment-not-xml"
    ),
}


def _outcome(
    headers: dict[str, str], body: bytes, limits: Limits = DEFAULT_LIMITS
) -> tuple[object, ...]:
    reception = receive(headers, body, key=C3, trust=TRUST, at=NOW, limits=limits)
    if reception.message is not None:
        found = reception.message
        return ("ok", found.payload, found.routing, found.signed_references)
    assert reception.error is not None
    return (reception.error.rule, reception.error.ebms_code, type(reception.error).__name__)


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[dict[str, str], bytes]]:
    return {name: case.build() for name, case in CASES.items()}


def _opened(name: str, built: dict[str, tuple[dict[str, str], bytes]]) -> tuple[object, ...]:
    return _outcome(*built[name], limits=CASES[name].limits)


@pytest.fixture(scope="module")
def in_line_outcomes(
    built: dict[str, tuple[dict[str, str], bytes]],
) -> dict[str, tuple[object, ...]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(offload, "MIN_BYTES", 2**62)
        return {name: _opened(name, built) for name in built}


@pytest.fixture
def checks_on_the_worker(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The opener's checks begin on the worker before it goes on; the threads they ran on."""
    return begun_on_the_worker(monkeypatch, receiving)


@pytest.fixture
def sbdh_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of each payload (or payload head) the opener read an SBDH from."""
    lengths: list[int] = []
    real = receiving.Opening.check_sbdh

    def counted(self: receiving.Opening, parsed: object, payload: bytes) -> object:
        lengths.append(len(payload))
        return real(self, parsed, payload)  # type: ignore[arg-type]

    monkeypatch.setattr(receiving.Opening, "check_sbdh", counted)
    return lengths


@pytest.mark.parametrize("name", sorted(CASES))
def test_in_line_the_outcome_is_the_expected_one(
    name: str, in_line_outcomes: dict[str, tuple[object, ...]]
) -> None:
    case, found = CASES[name], in_line_outcomes[name]
    assert found[0] == case.expected, found
    if case.payload is not None:
        assert found[1:3] == (case.payload, ROUTING)


@pytest.mark.parametrize("name", sorted(CASES))
def test_on_the_worker_the_outcome_is_the_in_line_one(
    name: str,
    built: dict[str, tuple[dict[str, str], bytes]],
    in_line_outcomes: dict[str, tuple[object, ...]],
    checks_on_the_worker: list[str],
) -> None:
    assert _opened(name, built) == in_line_outcomes[name]
    assert len(checks_on_the_worker) == 1
    assert checks_on_the_worker[0].startswith("peppol-dpi-offload")


def test_on_the_worker_the_sbdh_is_read_from_the_payloads_first_kilobytes(
    built: dict[str, tuple[dict[str, str], bytes]],
    checks_on_the_worker: list[str],
    sbdh_reads: list[int],
) -> None:
    assert _opened("valid", built)[0] == "ok"
    assert len(sbdh_reads) == 1 and sbdh_reads[0] < 16 * 1024 < len(BIG_SBD)


@pytest.mark.parametrize(
    "name", ["an early decoy of the SBDH's end", "an SBDH that disagrees, validly signed"]
)
def test_when_the_early_read_fails_the_whole_payload_decides(
    name: str,
    built: dict[str, tuple[dict[str, str], bytes]],
    in_line_outcomes: dict[str, tuple[object, ...]],
    checks_on_the_worker: list[str],
    sbdh_reads: list[int],
) -> None:
    assert _opened(name, built) == in_line_outcomes[name]
    assert len(sbdh_reads) == 2 and sbdh_reads[0] < sbdh_reads[1] == len(
        CASES[name].payload or BIG_SBD
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_with_the_worker_busy_the_outcome_is_the_in_line_one(
    name: str,
    built: dict[str, tuple[dict[str, str], bytes]],
    in_line_outcomes: dict[str, tuple[object, ...]],
    worker_busy: None,
) -> None:
    assert _opened(name, built) == in_line_outcomes[name]


def test_several_threads_opening_large_messages_at_once_get_every_answer_right(
    built: dict[str, tuple[dict[str, str], bytes]],
    in_line_outcomes: dict[str, tuple[object, ...]],
) -> None:
    names = sorted(CASES)
    found: dict[tuple[int, str], tuple[object, ...]] = {}

    def opener(n: int) -> None:
        for name in names[n % len(names) :] + names[: n % len(names)]:
            found[(n, name)] = _opened(name, built)

    threads = [threading.Thread(target=opener, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert found == {(n, name): in_line_outcomes[name] for n in range(4) for name in names}


def test_small_attachments_stay_in_line(
    checks_on_the_worker: list[str], on_the_worker: list[str]
) -> None:
    headers, body = _signed(gzip_compress(make_sbd()))()
    assert _outcome(headers, body)[0] == "ok"
    assert checks_on_the_worker == on_the_worker == []

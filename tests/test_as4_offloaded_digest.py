"""Opening a message digests a large attachment on a second core: the answers are the same.

``open_message`` hands the digest of a decrypted attachment of at least ``offload.MIN_BYTES``
to the worker thread while it decompresses the payload and reads the SBDH (docs/performance.md).
Every case below is opened three ways, which must agree: the digest on the worker (made
certain: the work has begun there before the opener goes on), taken back by the caller (the
worker busy), and in line as before (MIN_BYTES out of reach). The precedence of the refusals
is the old one: an attachment that fails its signature reference is reported before a payload
that does not decompress or an SBDH that disagrees with the ebMS headers.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

import pytest
from as4_support import NOW, counter_ids, make_sbd
from offload_support import needs_two_cores
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
from peppol_dpi.as4 import receive
from peppol_dpi.as4.compression import GZIP, gzip_compress
from peppol_dpi.as4.wss_encrypt import encrypt_attachments
from peppol_dpi.as4.wss_sign import write_signed_envelope

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
CASES: dict[str, tuple[Callable[[], tuple[dict[str, str], bytes]], str]] = {
    "valid": (_signed(BIG), "ok"),
    "a SHA-512 reference": (_sha512(BIG), "ok"),
    "a SHA-512 reference of other content": (_sha512(OTHER), "dsig:digest-mismatch"),
    "digest mismatch": (lambda: _sent_and_signed(BIG, OTHER), "dsig:digest-mismatch"),
    "digest mismatch and not gzip": (
        lambda: _sent_and_signed(BIG, BROKEN),
        "dsig:digest-mismatch",
    ),
    "digest mismatch and an SBDH that disagrees": (
        lambda: _sent_and_signed(BIG, OTHER, message=user_message(MISMATCHED)),
        "dsig:digest-mismatch",
    ),
    "not gzip, validly signed": (_signed(BROKEN), "gzip:corrupt"),
    "an SBDH that disagrees, validly signed": (
        _signed(BIG, message=user_message(MISMATCHED)),
        "peppol:sbdh-mismatch",
    ),
    "declared XML: canonicalized in line": (
        _signed(BIG, mime_type="application/xml", signed_as=GZIP),
        "dsig:attachment-not-xml",
    ),
}


def _outcome(headers: dict[str, str], body: bytes) -> tuple[object, ...]:
    reception = receive(headers, body, key=C3, trust=TRUST, at=NOW)
    if reception.message is not None:
        found = reception.message
        return ("ok", found.payload, found.routing, found.signed_references)
    assert reception.error is not None
    return (reception.error.rule, reception.error.ebms_code, type(reception.error).__name__)


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[dict[str, str], bytes]]:
    return {name: build() for name, (build, _) in CASES.items()}


@pytest.fixture(scope="module")
def in_line_outcomes(
    built: dict[str, tuple[dict[str, str], bytes]],
) -> dict[str, tuple[object, ...]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(offload, "MIN_BYTES", 2**62)
        return {name: _outcome(*message) for name, message in built.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_in_line_the_outcome_is_the_expected_one(
    name: str, in_line_outcomes: dict[str, tuple[object, ...]]
) -> None:
    assert in_line_outcomes[name][0] == CASES[name][1], in_line_outcomes[name]
    if name == "valid":
        assert in_line_outcomes[name][1:3] == (BIG_SBD, ROUTING)


@pytest.mark.parametrize("name", sorted(CASES))
def test_on_the_worker_the_outcome_is_the_in_line_one(
    name: str,
    built: dict[str, tuple[dict[str, str], bytes]],
    in_line_outcomes: dict[str, tuple[object, ...]],
    on_the_worker: list[str],
) -> None:
    assert _outcome(*built[name]) == in_line_outcomes[name]
    if name.startswith("declared XML"):  # canonicalized before its digest: never handed over
        assert on_the_worker == []
    else:
        assert len(on_the_worker) == 1 and on_the_worker[0].startswith("peppol-dpi-offload")


@pytest.mark.parametrize("name", sorted(CASES))
def test_with_the_worker_busy_the_outcome_is_the_in_line_one(
    name: str,
    built: dict[str, tuple[dict[str, str], bytes]],
    in_line_outcomes: dict[str, tuple[object, ...]],
    worker_busy: None,
) -> None:
    assert _outcome(*built[name]) == in_line_outcomes[name]


def test_several_threads_opening_large_messages_at_once_get_every_answer_right(
    built: dict[str, tuple[dict[str, str], bytes]],
    in_line_outcomes: dict[str, tuple[object, ...]],
) -> None:
    names = sorted(CASES)
    found: dict[tuple[int, str], tuple[object, ...]] = {}

    def opener(n: int) -> None:
        for name in names[n % len(names) :] + names[: n % len(names)]:
            found[(n, name)] = _outcome(*built[name])

    threads = [threading.Thread(target=opener, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert found == {(n, name): in_line_outcomes[name] for n in range(4) for name in names}


def test_small_attachments_stay_in_line(on_the_worker: list[str]) -> None:
    headers, body = _signed(gzip_compress(make_sbd()))()
    assert _outcome(headers, body)[0] == "ok"
    assert on_the_worker == []  # not even wrapped: the reference check digests the bytes

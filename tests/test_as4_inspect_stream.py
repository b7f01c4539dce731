"""``as4 inspect`` reads the message where it lies (issue 8): :func:`inspect_message_from` gives
what :func:`inspect_message` gives on the whole bytes, and its memory does not grow with the
attachment."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pki
import pytest
from as4_support import NOW, make_sbd, mutated, trust
from cli_child import run_cli
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli_as4_stream import BUILD_KEYS, OPEN_KEYS

from peppol_dpi.as4 import build_message, mime_stream, open_message
from peppol_dpi.as4.dump import dump_head_bytes, read_dump, write_dump
from peppol_dpi.as4.inspection import inspect_message, inspect_message_from
from peppol_dpi.as4.message_file import read_dump_from
from peppol_dpi.as4.stream_receive import open_message_from
from peppol_dpi.bench.ops import write_sbd
from peppol_dpi.cli.as4_cmd import _inspection_json
from peppol_dpi.cli.main import main
from peppol_dpi.errors import InputError
from peppol_dpi.keys import load_certificate
from peppol_dpi.limits import DEFAULT_LIMITS
from peppol_dpi.trust import RevocationMode, TrustPolicy

P = pki.PKI_DIR
C2, C3 = pki.ap_key("c2"), pki.ap_key("c3")
G3_TEST_AP_CA = "peppol/pki/PEPPOL_ACCESS_POINT_TEST_CA-G3.pem"
SAMPLES = [
    "peppol/as4/phase4-dump-raw.as4out",
    *(f"peppol/as4/receipts/{n}" for n in ("TestReceipt12.xml", "phase4-helger.as4in")),
    *(
        f"peppol/as4/phase4-testfiles/{n}"
        for n in (
            "ErrorMessage.xml",
            "ErrorMessageNoRefToMessageID.xml",
            "ErrorMessageWithFault.xml",
            "NonRepudiationInformation.xml",
            "TwoUserMessages.xml",
            "UserMessageNoPartyID.xml",
            "WrongCompression.mime",  # a base64 attachment: the whole-read fallback
            "WrongSigningAlgorithm.xml",
            "WrongSigningDigestAlgorithm.xml",
        )
    ),
]
#: The dump of the memory test is about 70 MB (the SBD compresses about threefold). Holding
#: it once, as the bytes path does, would exceed this fourfold.
LARGE_SBD = 200_000_000
GROWTH_BOUND = 16 * 1024 * 1024


def _outcome(inspect: Any) -> object:
    """What ``as4 inspect --json`` prints, or the error it reports (everything it shows)."""
    try:
        return _inspection_json(inspect())
    except InputError as exc:
        return (type(exc).__name__, exc.rule, exc.ebms_code, str(exc))


def _both(data: bytes, **checks: Any) -> tuple[object, object]:
    """The in-memory and the streamed inspection of the dump ``data``."""

    def held() -> object:
        headers, body = read_dump(data)
        return inspect_message(headers, body, **checks)

    def streamed() -> object:
        with read_dump_from(io.BytesIO(data)) as (headers, body):
            return inspect_message_from(body, headers, **checks)

    return _outcome(held), _outcome(streamed)


@pytest.fixture(params=[7, 1024 * 1024], ids=["7B chunks", "1MiB chunks"])
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Small chunks put delimiters across chunk edges."""
    monkeypatch.setattr(mime_stream, "_CHUNK", request.param)
    return int(request.param)


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_real_samples_inspect_as_the_bytes_path_inspects_them(
    sample: str, shared: Path, chunk: int
) -> None:
    data = (shared / sample).read_bytes()
    g3 = TrustPolicy(
        anchors=(load_certificate((shared / G3_TEST_AP_CA).read_bytes()),),
        revocation=RevocationMode.OFF,
    )
    for checks in ({}, {"trust": g3, "at": datetime(2026, 2, 1, tzinfo=UTC)}):
        held, streamed = _both(data, **checks)
        assert streamed == held, sample


@cache
def _built() -> tuple[dict[str, str], bytes]:
    headers, body, _ = build_message(
        make_sbd(filler=b"inspect " * 400),
        key=C2,
        receiver_cert=C3.certificate,
        now=NOW,
        message_id="i1@c2.test",
    )
    return headers, body


def _base64_attachment(body: bytes, *, broken: bool = False) -> bytes:
    """``body`` with its attachment in base64 transfer encoding (as old phase4 files)."""
    match = re.search(rb"Content-Transfer-Encoding: binary\r\n(Content-ID: <[^>]+>\r\n\r\n)", body)
    assert match is not None
    end = body.rindex(b"\r\n--")
    encoded = base64.encodebytes(body[match.end() : end])
    if broken:
        encoded = encoded[:-3] + b"\n"  # its padding cut off
    return body[: match.start()] + b"Content-Transfer-Encoding: base64\r\n" + match.group(1) + encoded + body[end:]  # fmt: skip


def test_built_messages_and_their_base64_forms_inspect_alike(chunk: int) -> None:
    headers, body = _built()
    forms = {
        "binary": body,
        "base64": _base64_attachment(body),
        "broken base64": _base64_attachment(body, broken=True),
    }
    outcomes = {}
    for name, form in forms.items():
        for checks in ({}, {"trust": trust()}):
            held, streamed = _both(write_dump(headers, form), **checks)
            assert streamed == held, name
        outcomes[name] = held
    assert outcomes["base64"] == outcomes["binary"]
    assert isinstance(outcomes["binary"], dict) and outcomes["binary"]["trusted"] is True
    assert outcomes["broken base64"][1] == "mime:base64"  # type: ignore[index]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_messages_inspect_as_the_bytes_path_inspects_them(data: st.DataObject) -> None:
    # Whatever is flipped, cut or inserted: the same report or the same error, word for word.
    headers, body = _built()
    changed = mutated(data, body, [b"<", b"--", b"\r\n", b"\n--"], most=3)
    held, streamed = _both(write_dump(headers, changed), trust=trust())
    assert streamed == held


@pytest.mark.parametrize(
    ("edits", "rule"),
    [
        # A bad header line in the first part, and a broken closing delimiter:
        ([("insert", 45, b"\n--"), ("flip", -40, 1)], "mime:truncated"),
        # ... and a message cut short:
        ([("insert", 45, b"\n--"), ("cut", -20, 0)], "mime:truncated"),
        # ... and a line that only looks like a delimiter (not the boundary): the header's
        ([("insert", 45, b"\n--"), ("insert", 200, b"\r\n--bogus\r\n")], "mime:header"),
    ],
    ids=["header and end", "header and truncation", "header and stray delimiter"],
)
def test_two_problems_are_reported_in_the_same_order_both_ways(
    edits: list[tuple[str, int, Any]], rule: str
) -> None:
    # Found by the mutation test: the structure is checked first, then the part headers.
    headers, body = _built()
    changed = bytearray(body)
    for action, position, value in edits:
        at = position % len(changed)
        if action == "insert":
            changed[at:at] = value
        elif action == "flip":
            changed[at] ^= value
        else:
            del changed[at:]
    held, streamed = _both(write_dump(headers, bytes(changed)), trust=trust())
    assert streamed == held
    assert isinstance(held, tuple) and held[1] == rule  # the structure is checked first


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_receipt_file_larger_than_an_answer_is_refused_unread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.as4"
    with huge.open("wb") as file:
        file.truncate(64 * 1024 * 1024)  # sparse: costs no disk
    status, out, err = _run(
        capsys, "as4", "verify-receipt", str(huge), "--trust", str(P / "ap-ca.cert.pem")
    )
    assert (status, out) == (1, "")
    # An HTTP answer and the dump's head at most; as every file read whole: cli:too-large.
    limit = DEFAULT_LIMITS.max_http_response_bytes + dump_head_bytes(DEFAULT_LIMITS)
    assert err == (
        f"peppol-dpi: {huge} is larger than {limit} bytes, the most a receipt's dump may hold"
        " [cli:too-large]\n"
    )


def test_inspect_reads_standard_input(tmp_path: Path) -> None:
    headers, body = _built()
    dump = write_dump(headers, body)
    child = subprocess.run(
        [sys.executable, "-m", "peppol_dpi", "as4", "inspect", "-", "--json"],
        input=dump, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert (child.returncode, child.stderr) == (0, b"")
    assert json.loads(child.stdout) == _outcome(lambda: inspect_message(*read_dump(dump)))


def test_a_large_message_is_inspected_in_flat_memory(tmp_path: Path) -> None:
    peaks: dict[str, dict[str, int]] = {}
    reports: dict[str, dict[str, Any]] = {}
    for name, size in (("small", 10_000), ("large", LARGE_SBD)):
        sbd, dump, receipt = (tmp_path / f"{name}.{ext}" for ext in ("xml", "as4", "receipt"))
        write_sbd(sbd, size)
        status, _, err, _ = run_cli("as4", "build", str(sbd), *BUILD_KEYS, "-o", str(dump), cwd=tmp_path)  # fmt: skip
        assert (status, err) == (0, b"")
        sbd.unlink()
        status, _, err, _ = run_cli("as4", "open", str(dump), *OPEN_KEYS, "--receipt-out", str(receipt), cwd=tmp_path)  # fmt: skip
        assert (status, err) == (0, b"")
        status, out, err, inspect_peak = run_cli(
            "as4", "inspect", str(dump), "--json", cwd=tmp_path
        )
        assert (status, err) == (0, b"")
        reports[name] = json.loads(out)
        status, out, err, receipt_peak = run_cli(
            "as4", "verify-receipt", str(receipt), *OPEN_KEYS[4:], "--message", str(dump),
            "--json", cwd=tmp_path,
        )  # fmt: skip
        assert (status, err) == (0, b"")
        assert json.loads(out)["acknowledges_message"] is True
        peaks[name] = {"inspect": inspect_peak, "verify-receipt": receipt_peak}
    assert (tmp_path / "large.as4").stat().st_size > 4 * GROWTH_BOUND  # the bound means something
    large = reports["large"]
    assert (large["kind"], large["signature"], large["attachments"]) == ("user_message", "valid", 1)
    for command in ("inspect", "verify-receipt"):
        growth = peaks["large"][command] - peaks["small"][command]
        assert growth < GROWTH_BOUND, (command, peaks)


def test_opening_decodes_a_base64_attachment_in_pieces_as_the_bytes_path_does(
    tmp_path: Path,
) -> None:
    # Inspection passes base64 parts over; the streaming opener decodes them into a spool,
    # as strictly as the bytes opener decodes them whole (RFC 2045 6.8, white space dropped).
    headers, body = _built()
    encoded = _base64_attachment(body)
    expected = open_message(headers, encoded, key=C3, trust=trust())
    sink = io.BytesIO()
    opened = open_message_from(
        io.BytesIO(encoded),
        headers,
        key=C3,
        trust=trust(),
        payload_sink=sink,
        spool_dir=tmp_path,
    )
    assert sink.getvalue() == expected.payload
    assert opened.routing == expected.routing
    assert list(tmp_path.iterdir()) == []  # the decoded part's spool is gone
    broken = _base64_attachment(body, broken=True)
    with pytest.raises(InputError) as whole:
        open_message(headers, broken, key=C3, trust=trust())
    with pytest.raises(InputError) as streamed:
        open_message_from(
            io.BytesIO(broken), headers, key=C3, trust=trust(), payload_sink=io.BytesIO()
        )
    assert whole.value.rule == streamed.value.rule == "mime:base64"

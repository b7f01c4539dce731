"""``peppol-dpi as4 build`` / ``as4 open`` stream (issue 8): memory does not grow with the SBD,
and what they read and write is what the bytes path reads and writes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pki
import pytest
from as4_support import make_sbd
from cli_child import run_cli
from conftest import ROOT

from peppol_dpi.as4 import open_message
from peppol_dpi.as4.dump import read_dump
from peppol_dpi.bench.ops import write_sbd
from peppol_dpi.cli.main import main
from peppol_dpi.trust import RevocationMode, TrustPolicy

P = pki.PKI_DIR
BUILD_KEYS = ["--key", str(P / "ap-c2.key.pem"), "--cert", str(P / "ap-c2.cert.pem"), "--receiver-cert", str(P / "ap-c3.cert.pem")]  # fmt: skip
OPEN_KEYS = ["--key", str(P / "ap-c3.p12"), "--password", "changeit", "--trust", str(P / "ap-ca.cert.pem"), "--revocation", "off"]  # fmt: skip
LARGE = 200_000_000  # the SBD of the memory test (docs/performance.md has the 500 MB figures)
#: What a 200 MB payload may add to the peak RSS of the same command on a 10 KB one. Holding
#: the payload once (the bytes path holds it several times) would exceed it fourfold.
GROWTH_BOUND = 48 * 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while piece := file.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


def _build_and_open(sbd: Path, work: Path) -> tuple[int, int, dict[str, str], Path]:
    dump, payload = work / f"{sbd.stem}.as4", work / f"{sbd.stem}.out"
    status, _, err, build_peak = run_cli(
        "as4", "build", str(sbd), *BUILD_KEYS, "--message-id", "big@c2.test", "-o", str(dump),
        cwd=work,
    )  # fmt: skip
    assert (status, err) == (0, b"")
    status, out, err, open_peak = run_cli(
        "as4", "open", str(dump), *OPEN_KEYS, "--payload-out", str(payload), "--json", cwd=work
    )
    assert (status, err) == (0, b"")
    return build_peak, open_peak, json.loads(out), payload


def test_a_large_sbd_is_built_and_opened_in_flat_memory(tmp_path: Path) -> None:
    small, large = tmp_path / "small.xml", tmp_path / "large.xml"
    write_sbd(small, 10_000)
    write_sbd(large, LARGE)
    small_build, small_open, _, _ = _build_and_open(small, tmp_path)
    large_build, large_open, summary, payload = _build_and_open(large, tmp_path)
    assert summary["message_id"] == "big@c2.test"
    assert payload.stat().st_size == large.stat().st_size
    assert summary["payload_sha256"] == _sha256(payload) == _sha256(large)
    assert large_build - small_build < GROWTH_BOUND, (small_build, large_build)
    assert large_open - small_open < GROWTH_BOUND, (small_open, large_open)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def dump(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    sbd = tmp_path / "sbd.xml"
    sbd.write_bytes(make_sbd(filler=b"stream " * 5000))
    path = tmp_path / "message.as4"
    status, _, err = _run(capsys, "as4", "build", str(sbd), *BUILD_KEYS, "-o", str(path))
    assert (status, err) == (0, "")
    return path


def test_the_streamed_dump_opens_on_the_bytes_path_and_the_same_payload_comes_out(
    dump: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    headers, body = read_dump(dump.read_bytes())
    trust = TrustPolicy(anchors=(pki.ap_ca(),), revocation=RevocationMode.OFF)
    opened = open_message(headers, body, key=pki.ap_key("c3"), trust=trust)
    assert opened.payload == make_sbd(filler=b"stream " * 5000)
    payload = tmp_path / "payload.xml"
    status, out, err = _run(
        capsys, "as4", "open", str(dump), *OPEN_KEYS, "--payload-out", str(payload), "--json"
    )
    assert (status, err) == (0, "")
    assert payload.read_bytes() == opened.payload
    assert json.loads(out)["payload_sha256"] == hashlib.sha256(opened.payload).hexdigest()
    assert json.loads(out)["message_id"] == opened.message_id


def _variants(dump: bytes) -> dict[str, bytes]:
    head, _, body = dump.partition(b"\r\n\r\n")
    pieces = [body[i : i + 3000] for i in range(0, len(body), 3000)]
    chunked = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    return {
        "bare MIME body": body,
        "LF headers": head.replace(b"\r\n", b"\n") + b"\n\n" + body,
        "stray chunked header": head + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + body,
        "chunked body": head + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked,
    }


@pytest.mark.parametrize("variant", ["bare MIME body", "LF headers", "stray chunked header", "chunked body"])  # fmt: skip
def test_every_message_file_form_opens(
    variant: str, dump: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "variant.as4"
    other.write_bytes(_variants(dump.read_bytes())[variant])
    payload = tmp_path / "payload.xml"
    status, _, err = _run(capsys, "as4", "open", str(other), *OPEN_KEYS, "--payload-out", str(payload))  # fmt: skip
    assert (status, err) == (0, "")
    assert payload.read_bytes() == make_sbd(filler=b"stream " * 5000)


def test_a_broken_chunked_body_is_mime_inconsistency(
    dump: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.as4"
    data = _variants(dump.read_bytes())["chunked body"]
    broken.write_bytes(data[: len(data) // 2])
    status, out, err = _run(capsys, "as4", "open", str(broken), *OPEN_KEYS)
    assert (status, out) == (1, "")
    assert err.startswith("peppol-dpi: EBMS:0007 ") and "[mime:chunked]" in err


def test_stdin_and_stdout(tmp_path: Path) -> None:
    sbd = make_sbd(filler=b"pipe")
    built = subprocess.run(
        [sys.executable, "-m", "peppol_dpi", "as4", "build", "-", *BUILD_KEYS],
        input=sbd, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True,
    )  # fmt: skip
    assert built.stdout.startswith(b"MIME-Version: 1.0\r\nContent-Type: multipart/related;")
    payload = tmp_path / "payload.xml"
    opened = subprocess.run(
        [sys.executable, "-m", "peppol_dpi", "as4", "open", "-", *OPEN_KEYS, "--payload-out", str(payload)],
        input=built.stdout, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert (opened.returncode, opened.stderr) == (0, b"")
    assert payload.read_bytes() == sbd


def test_a_failure_leaves_no_output_file(
    dump: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload, receipt = tmp_path / "payload.xml", tmp_path / "error.as4"
    wrong_key = ["--key", str(P / "ap-c2.key.pem"), "--cert", str(P / "ap-c2.cert.pem")]
    trust = ["--trust", str(P / "ap-ca.cert.pem"), "--revocation", "off"]
    status, _, err = _run(
        capsys, "as4", "open", str(dump), *wrong_key, *trust, "--payload-out", str(payload),
        "--receipt-out", str(receipt),
    )  # fmt: skip
    assert status == 1 and err.startswith("peppol-dpi: EBMS:0102 ")
    assert not payload.exists()
    assert b"EBMS:0102" in receipt.read_bytes()  # the error signal to send back
    not_an_sbd = tmp_path / "plain.xml"
    not_an_sbd.write_bytes(b"<Invoice/>")
    out = tmp_path / "never.as4"
    status, _, err = _run(capsys, "as4", "build", str(not_an_sbd), *BUILD_KEYS, "-o", str(out))
    assert status == 1 and err.startswith("peppol-dpi: ")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["sbd.xml", "message.as4", "error.as4", "plain.xml"]
    )  # no temporary file left behind

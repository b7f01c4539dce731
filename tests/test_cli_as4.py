"""``peppol-dpi as4 ...`` as docs/cli.md specifies it (in-process, through cli.main)."""

from __future__ import annotations

import json
from pathlib import Path

import pki
import pytest
from as4_support import make_sbd

from peppol_dpi.cli.main import main

P = pki.PKI_DIR
G3_TEST_AP_CA = "peppol/pki/PEPPOL_ACCESS_POINT_TEST_CA-G3.pem"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def built(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    sbd = tmp_path / "sbd.xml"
    sbd.write_bytes(make_sbd(filler=b"cli"))
    dump = tmp_path / "message.as4"
    status, _, err = _run(
        capsys, "as4", "build", str(sbd), "--key", str(P / "ap-c2.key.pem"), "--cert",
        str(P / "ap-c2.cert.pem"), "--receiver-cert", str(P / "ap-c3.cert.pem"),
        "--message-id", "cli-1@c2.test", "-o", str(dump),
    )  # fmt: skip
    assert (status, err) == (0, "")
    return sbd, dump


def test_build_open_and_receipt(
    built: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sbd, dump = built
    assert dump.read_bytes().startswith(b"MIME-Version: 1.0\r\nContent-Type: multipart/related;")
    payload, receipt = tmp_path / "payload.xml", tmp_path / "receipt.as4"
    status, out, err = _run(
        capsys, "as4", "open", str(dump), "--key", str(P / "ap-c3.p12"), "--password", "changeit",
        "--trust", str(P / "ap-ca.cert.pem"), "--payload-out", str(payload),
        "--receipt-out", str(receipt), "--json",
    )  # fmt: skip
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert set(data) == {
        "message_id", "conversation_id", "from_party", "to_party", "service", "action",
        "original_sender", "final_recipient", "signer", "payload_sha256",
    }  # fmt: skip
    assert data["message_id"] == "cli-1@c2.test"
    assert data["original_sender"] == "iso6523-actorid-upis::0192:991825827"
    assert data["service"] == "cenbii-procid-ubl::urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    assert data["signer"].startswith("CN=POP000001")
    assert payload.read_bytes() == sbd.read_bytes()  # byte for byte
    status, out, err = _run(
        capsys, "as4", "verify-receipt", str(receipt), "--trust", str(P / "ap-ca.cert.pem"),
        "--message", str(dump), "--json",
    )  # fmt: skip
    assert (status, err) == (0, "")
    assert json.loads(out)["ref_to_message_id"] == "cli-1@c2.test"
    # A receipt does not acknowledge another message.
    other = tmp_path / "other.as4"
    other.write_bytes(dump.read_bytes().replace(b"cli-1@c2.test", b"cli-2@c2.test"))
    status, out, err = _run(
        capsys, "as4", "verify-receipt", str(receipt), "--trust", str(P / "ap-ca.cert.pem"),
        "--message", str(other),
    )  # fmt: skip
    assert status != 0 and "Traceback" not in err


def test_inspect_reports_and_exits_by_the_contract(
    built: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, dump = built
    status, out, _ = _run(capsys, "as4", "inspect", str(dump), "--json")
    data = json.loads(out)
    assert status == 0
    assert (data["kind"], data["signature"], data["trusted"]) == ("user_message", "valid", None)
    assert data["message_id"] == "cli-1@c2.test" and data["ref_to_message_id"] is None
    status, out, err = _run(
        capsys, "as4", "inspect", str(dump), "--json", "--trust", str(P / "other-root-ca.cert.pem")
    )
    assert status == 1 and json.loads(out)["trusted"] is False and "cert:untrusted" in err
    dump.write_bytes(
        dump.read_bytes().replace(b"cli-1@c2.test</eb:MessageId>", b"cli-9@c2.test</eb:MessageId>")
    )
    status, out, err = _run(capsys, "as4", "inspect", str(dump), "--json")
    assert status == 1 and json.loads(out)["signature"] == "invalid"
    assert err.startswith("peppol-dpi: EBMS:0101 FailedAuthentication")


def test_bad_input_is_one_line_with_the_ebms_code(
    built: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, dump = built
    truncated = tmp_path / "truncated.as4"
    truncated.write_bytes(dump.read_bytes()[:4000])
    for target, key, code in (
        (truncated, "ap-c3", "EBMS:0007"),
        (dump, "ap-c2", "EBMS:0102"),  # not the receiver's key
    ):
        status, out, err = _run(
            capsys, "as4", "open", str(target), "--key", str(P / f"{key}.key.pem"), "--cert",
            str(P / f"{key}.cert.pem"), "--trust", str(P / "ap-ca.cert.pem"),
        )  # fmt: skip
        assert status == 1 and out == ""
        assert err.startswith(f"peppol-dpi: {code} ") and err.count("\n") == 1


def test_real_phase4_dump_and_receipt_against_the_real_test_ca(
    shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(
        capsys, "as4", "inspect", str(shared / "peppol/as4/phase4-dump-raw.as4out"), "--json",
        "--trust", str(shared / G3_TEST_AP_CA), "--at", "2026-02-01T00:00:00Z",
    )  # fmt: skip
    data = json.loads(out)
    assert status == 0
    assert (data["signature"], data["trusted"], data["attachment_digests_checked"]) == (
        "valid",
        True,
        False,
    )
    assert data["signer"].startswith("CN=POP000306")
    status, out, err = _run(
        capsys, "as4", "verify-receipt", str(shared / "peppol/as4/receipts/TestReceipt12.xml"),
        "--trust", str(shared / G3_TEST_AP_CA), "--at", "2026-01-01T00:00:00Z", "--json",
    )  # fmt: skip
    assert (status, err) == (0, "")
    assert json.loads(out)["signer"].startswith("CN=PDE000576")


def test_revocation_is_checked_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The revoked test certificate names a CRL on the loopback discard port: unreachable at once.
    sbd = tmp_path / "sbd.xml"
    sbd.write_bytes(make_sbd())
    dump = tmp_path / "revoked.as4"
    status, _, _ = _run(
        capsys, "as4", "build", str(sbd), "--key", str(P / "revoked.key.pem"), "--cert",
        str(P / "revoked.cert.pem"), "--receiver-cert", str(P / "ap-c3.cert.pem"), "-o", str(dump),
    )  # fmt: skip
    assert status == 0
    base = ["as4", "open", str(dump), "--key", str(P / "ap-c3.key.pem"), "--cert", str(P / "ap-c3.cert.pem"), "--trust", str(P / "ap-ca.cert.pem")]  # fmt: skip
    status, _, err = _run(capsys, *base)
    assert status == 1 and "cert:revocation-unavailable" in err and "EBMS:0101" in err
    status, out, err = _run(capsys, *base, "--revocation", "off", "--json")
    assert status == 0 and json.loads(out)["from_party"] == "POP000010"

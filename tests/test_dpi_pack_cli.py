"""``peppol-dpi dpi pack`` and ``dpi unpack`` (docs/cli.md, DPI), run as a user runs them."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pki
import pytest

from peppol_dpi.cli.main import main
from peppol_dpi.dpi import cms
from peppol_dpi.dpi.asic import read_package
from peppol_dpi.dpi.container import read_zip


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def letter(tmp_path: Path) -> dict[str, Path]:
    files = {
        "main": tmp_path / "Vedtak.pdf",
        "attachment": tmp_path / "vedlegg.txt",
        "odd": tmp_path / "data.bin",
    }
    files["main"].write_bytes(b"%PDF-1.4 vedtak")
    files["attachment"].write_bytes(b"Vedlegg\n")
    files["odd"].write_bytes(b"\x00\x01")
    return files


def _pack(
    capsys: pytest.CaptureFixture[str], letter: dict[str, Path], tmp_path: Path, *extra: str
) -> tuple[int, str, str]:
    return _run(
        capsys,
        "dpi", "pack", str(letter["main"]), str(letter["attachment"]), str(letter["odd"]),
        "--sender", "0192:991825827", "--mailbox", "ola.nordmann#9YDT",
        "--key", str(pki.path("sender.p12")), "--password", "changeit",
        "--recipient-cert", str(pki.path("digipost.cert.pem")),
        "--title", "Vedtak om støtte", "--mime", "data.bin=application/octet-stream",
        "--asic-out", str(tmp_path / "package.asice"), "-o", str(tmp_path / "package.cms"),
        *extra,
    )  # fmt: skip


def test_pack_then_unpack(
    capsys: pytest.CaptureFixture[str], letter: dict[str, Path], tmp_path: Path
) -> None:
    status, _, err = _pack(capsys, letter, tmp_path)
    assert status == 0, err
    package = (tmp_path / "package.cms").read_bytes()
    assert f"dokumentpakkefingeravtrykk: {cms.package_fingerprint(package)}" in err
    asic = (tmp_path / "package.asice").read_bytes()
    assert cms.decrypt(package, pki.business_key("digipost")) == asic
    verified = read_package(asic, trust=pki.business_trust())
    assert verified.main.title == "Vedtak om støtte"
    assert [a.mime for a in verified.attachments] == ["text/plain", "application/octet-stream"]

    out_dir = tmp_path / "out"
    status, out, err = _run(
        capsys,
        "dpi", "unpack", str(tmp_path / "package.cms"),
        "--key", str(pki.path("digipost.key.pem")), "--cert", str(pki.path("digipost.cert.pem")),
        "--trust", str(pki.path("business-root-ca.cert.pem")),
        "--out-dir", str(out_dir), "--json",
    )  # fmt: skip
    assert status == 0, err
    result = json.loads(out)
    assert set(result) == {
        "sender", "mailbox", "main", "attachments", "signer", "signing_time", "trusted",
    }  # fmt: skip
    assert result["sender"] == "iso6523-actorid-upis::0192:991825827"
    assert result["mailbox"] == "ola.nordmann#9YDT"
    assert result["main"] == {
        "name": "Vedtak.pdf",
        "mime": "application/pdf",
        "size": 15,
        "sha256": hashlib.sha256(b"%PDF-1.4 vedtak").hexdigest(),
    }
    assert [a["name"] for a in result["attachments"]] == ["vedlegg.txt", "data.bin"]
    assert result["signer"] == pki.business_key("sender").certificate.subject.rfc4514_string()
    assert result["trusted"] is True
    assert (out_dir / "Vedtak.pdf").read_bytes() == b"%PDF-1.4 vedtak"
    assert (out_dir / "data.bin").read_bytes() == b"\x00\x01"
    # Only the documents: the spool of the decrypted zip is gone.
    assert sorted(p.name for p in out_dir.iterdir()) == ["Vedtak.pdf", "data.bin", "vedlegg.txt"]


def test_unpack_without_trust_reports_null(
    capsys: pytest.CaptureFixture[str], letter: dict[str, Path], tmp_path: Path
) -> None:
    assert _pack(capsys, letter, tmp_path)[0] == 0
    status, out, _ = _run(
        capsys,
        "dpi", "unpack", str(tmp_path / "package.cms"),
        "--key", str(pki.path("digipost.p12")), "--password", "changeit",
        "--out-dir", str(tmp_path / "o"), "--json",
    )  # fmt: skip
    assert status == 0 and json.loads(out)["trusted"] is None


@pytest.mark.parametrize(
    ("argv_tail", "message"),
    [
        (("--key", "eboks.p12", "--password", "changeit"), "cms:no-recipient"),
        (
            ("--key", "digipost.p12", "--password", "changeit", "--trust", "root-ca.cert.pem"),
            "cert:untrusted",
        ),
    ],
)
def test_unpack_failures_are_one_line_with_the_rule(
    capsys: pytest.CaptureFixture[str],
    letter: dict[str, Path],
    tmp_path: Path,
    argv_tail: tuple[str, ...],
    message: str,
) -> None:
    assert _pack(capsys, letter, tmp_path)[0] == 0
    tail = [str(pki.path(a)) if a.endswith((".p12", ".pem")) else a for a in argv_tail]
    status, out, err = _run(capsys, "dpi", "unpack", str(tmp_path / "package.cms"), *tail)
    assert status == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_unpack_a_tampered_package(
    capsys: pytest.CaptureFixture[str], letter: dict[str, Path], tmp_path: Path
) -> None:
    assert _pack(capsys, letter, tmp_path)[0] == 0
    asic = dict(read_zip((tmp_path / "package.asice").read_bytes()))
    # Re-encrypt a package whose attachment was changed after signing.
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, content in asic.items():
            archive.writestr(name, b"Endret\n" if name == "vedlegg.txt" else content)
    (tmp_path / "tampered.cms").write_bytes(
        cms.encrypt(sink.getvalue(), pki.business_key("digipost").certificate)
    )
    status, _, err = _run(
        capsys, "dpi", "unpack", str(tmp_path / "tampered.cms"),
        "--key", str(pki.path("digipost.p12")), "--password", "changeit",
        "--out-dir", str(tmp_path / "never"),
    )  # fmt: skip
    assert status == 1 and "dsig:digest-mismatch" in err
    assert not (tmp_path / "never" / "vedlegg.txt").exists()


def test_the_digdir_samples_unpack(
    capsys: pytest.CaptureFixture[str], shared: Path, tmp_path: Path
) -> None:
    samples = shared / "dpi" / "digdir-samples"
    status, out, err = _run(
        capsys,
        "dpi", "unpack", str(samples / "utskrift-dokumentpakke.cms"),
        "--key", str(samples / "eksempel.jks"), "--password", "changeit",
        "--out-dir", str(tmp_path), "--json",
    )  # fmt: skip
    assert status == 0, err
    result = json.loads(out)
    assert result["main"]["name"] == "my.pdf" and result["mailbox"] is None
    assert result["signing_time"] == "2023-11-14T21:16:04.020000+01:00"


def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], letter: dict[str, Path], tmp_path: Path
) -> None:
    status, _, err = _pack(capsys, letter, tmp_path, "--mime", "nothere.txt=text/plain")
    assert status == 2 and "nothere.txt" in err
    status, _, err = _run(
        capsys, "dpi", "pack", str(letter["odd"]), "--sender", "0192:991825827",
        "--key", str(pki.path("sender.p12")), "--password", "changeit",
        "--recipient-cert", str(pki.path("digipost.cert.pem")), "-o", str(tmp_path / "x.cms"),
    )  # fmt: skip
    assert status == 2 and "MIME type" in err


def test_console_entry_point_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "peppol_dpi", "dpi", "unpack", str(tmp_path / "missing.cms"),
         "--key", str(pki.path("digipost.p12")), "--password", "changeit"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr

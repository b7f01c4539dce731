"""``peppol-dpi`` refusals and outputs the other CLI tests leave out (docs/cli.md).

Each test runs the command in-process through ``cli.main`` with captured output, as the
other CLI tests do, and pins the exit status (0, 1, 2 or 130) and the exact line on stderr
(usage errors: ``peppol-dpi: error: <what>``) or the human output on stdout.
"""

from __future__ import annotations

import io
import json
import re
import signal
from pathlib import Path

import dpi_samples
import pki
import pytest
from as4_support import make_sbd
from cryptography.hazmat.primitives.serialization import Encoding
from sbdh_support import BIS3_INVOICE, INVOICE
from test_lookup_cli import DOC, PROCESS, _metadata

from peppol_dpi.cli import sbdh_cmd
from peppol_dpi.cli.main import main
from peppol_dpi.lookup.smp import Redirect
from peppol_dpi.services.smp import SmpService, serve_smp, sign_service_metadata

P = pki.PKI_DIR
AS4_KEYS = ["--key", str(P / "ap-c2.p12"), "--password", "changeit"]
RECEIVER_CERT = ["--receiver-cert", str(P / "ap-c3.cert.pem")]
SMP_SIGNER = "CN=PSM000001,OU=PEPPOL TEST SMP,O=Test SMP AS,C=NO"
SENDER_SUBJECT = "CN=Avsender Test AS,2.5.4.5=991825827,O=Avsender Test AS,C=NO"
NO_TRUST_SMP = "trusted: not checked (no --trust)"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _argparse_refusal(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The last stderr line of an argparse refusal (after the usage lines); exit status 2."""
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    assert info.value.code == 2 and out == ""
    assert "Traceback" not in err
    return err.splitlines()[-1]


@pytest.fixture
def sbd(tmp_path: Path) -> Path:
    path = tmp_path / "sbd.xml"
    path.write_bytes(make_sbd(filler=b"refusals"))
    return path


def _wrap_args(payload: Path) -> list[str]:
    return [
        "sbdh", "wrap", str(payload), "--sender", "0192:974761076",
        "--receiver", "0192:987464291", "--document-type", str(BIS3_INVOICE),
        "--process", "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0", "--country-c1", "NO",
    ]  # fmt: skip


# -- files given on the command line (common.py, main.py's OSError branch) ----------------------


def test_an_input_that_is_a_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # read whole (read_input) and read in pieces (input_stream): the same line.
    for command in (["sbdh", "read"], ["as4", "inspect"]):
        assert _run(capsys, *command, str(tmp_path)) == (
            2, "", f"peppol-dpi: error: {tmp_path} is a directory\n"
        )  # fmt: skip


def test_as4_build_output_in_a_missing_directory_is_a_usage_error(
    sbd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nowhere" / "message.as4"
    status, out, err = _run(
        capsys, "as4", "build", str(sbd), *AS4_KEYS, *RECEIVER_CERT, "-o", str(target)
    )
    assert (status, out, err) == (2, "", f"peppol-dpi: error: no such directory: {target.parent}\n")
    assert not target.parent.exists()


def test_as4_build_output_onto_a_directory_leaves_no_part_file(
    sbd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    status, out, err = _run(
        capsys, "as4", "build", str(sbd), *AS4_KEYS, *RECEIVER_CERT, "-o", str(target)
    )
    assert (status, out, err) == (2, "", f"peppol-dpi: error: {target} is a directory\n")
    # output_stream removed its temporary file: nothing but the SBD and the directory.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "sbd.xml"]
    assert list(target.iterdir()) == []


def test_sbdh_wrap_output_errors_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # write_output writes as output_stream does: whole or not at all, the same errors.
    payload = tmp_path / "invoice.xml"
    payload.write_bytes(INVOICE)
    missing = tmp_path / "nowhere" / "out.xml"
    assert _run(capsys, *_wrap_args(payload), "-o", str(missing)) == (
        2, "", f"peppol-dpi: error: no such directory: {missing.parent}\n"
    )  # fmt: skip
    assert _run(capsys, *_wrap_args(payload), "-o", str(tmp_path)) == (
        2, "", f"peppol-dpi: error: {tmp_path} is a directory\n"
    )  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["invoice.xml"]  # no half file left


def test_sbdh_read_from_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(make_sbd())))
    status, out, err = _run(capsys, "sbdh", "read", "-", "--json")
    assert (status, err) == (0, "")
    assert json.loads(out)["instance_id"] == "4f6b2c1e-0000-4000-8000-000000000001"


# -- keys (common.load_key) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_options", "line"),
    [
        (
            ["--key", str(P / "ap-c2.key.pem")],
            f"{P / 'ap-c2.key.pem'} holds only a key: give its certificate with --cert",
        ),
        (
            ["--key", str(P / "ap-c2.key.pem"), "--cert", str(P / "ap-c3.cert.pem")],
            "--cert does not belong to --key: the certificate does not belong to the private key",
        ),
        (
            [*AS4_KEYS, "--cert", str(P / "ap-c3.cert.pem")],
            "--cert is not the certificate stored with --key",
        ),
    ],
    ids=["pem-key-without-cert", "pem-key-with-another-cert", "p12-with-another-cert"],
)
def test_key_and_certificate_that_do_not_fit_are_usage_errors(
    sbd: Path,
    tmp_path: Path,
    key_options: list[str],
    line: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "message.as4"
    status, out, err = _run(
        capsys, "as4", "build", str(sbd), *key_options, *RECEIVER_CERT, "-o", str(target)
    )
    assert (status, out, err) == (2, "", f"peppol-dpi: error: {line}\n")
    assert not target.exists()


# -- option values ------------------------------------------------------------------------------


def test_as4_build_refuses_a_message_id_that_is_not_rfc_2822(
    sbd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(
        capsys, "as4", "build", str(sbd), *AS4_KEYS, *RECEIVER_CERT, "--message-id", "no at sign"
    )
    assert (status, out) == (2, "")
    assert err == (
        "peppol-dpi: error: --message-id: MessageId 'no at sign' is not an RFC 2822 message id"
        " 'local@domain'\n"
    )


def test_at_that_is_not_iso_8601_is_refused_by_argparse(
    sbd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _argparse_refusal(capsys, "as4", "inspect", str(sbd), "--at", "yesterday")
    assert line == (
        "peppol-dpi as4 inspect: error: argument --at: 'yesterday' is not an ISO-8601 date and time"
    )


@pytest.mark.parametrize(
    ("at", "line"),
    [
        ("soon", "--at 'soon' is not an ISO-8601 instant"),
        (
            "2020-06-01T00:00:00",
            "--at needs a time zone offset (for example 2020-06-01T00:00:00Z)",
        ),
    ],
    ids=["not-iso", "no-offset"],
)
def test_smp_verify_at_refusals(
    tmp_path: Path, at: str, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = tmp_path / "smp.xml"
    answer.write_bytes(sign_service_metadata(_metadata(), pki.smp_key()))
    assert _run(capsys, "smp", "verify", str(answer), "--at", at) == (
        2, "", f"peppol-dpi: error: {line}\n"
    )  # fmt: skip


def test_dpi_pack_refuses_a_mime_override_without_equals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main_doc = tmp_path / "Vedtak.pdf"
    main_doc.write_bytes(b"%PDF-1.4 vedtak")
    target = tmp_path / "package.cms"
    status, out, err = _run(
        capsys, "dpi", "pack", str(main_doc), "--sender", "0192:991825827",
        "--key", str(P / "sender.p12"), "--password", "changeit",
        "--recipient-cert", str(P / "digipost.cert.pem"), "--mime", "noequals", "-o", str(target),
    )  # fmt: skip
    assert (status, out, err) == (
        2,
        "",
        "peppol-dpi: error: --mime takes NAME=TYPE, not 'noequals'\n",
    )
    assert not target.exists()


def _sign(package: Path, *extra: str) -> list[str]:
    return [
        "dpi", "sign", "--package", str(package), "--key", str(P / "sender.p12"),
        "--password", "changeit", "--token", dpi_samples.TOKEN, "--sender", "0192:991825827",
        *extra,
    ]  # fmt: skip


DIGITAL = ["--type", "digital", "--receiver", "0192:922020175", "--mailbox", "ola#9YDT"]


@pytest.mark.parametrize(
    ("option", "value"), [("--message-id", "not-a-uuid"), ("--conversation-id", "42")]
)
def test_dpi_sign_ids_must_be_uuids(
    tmp_path: Path, option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "package.cms"
    package.write_bytes(b"pretend")
    status, out, err = _run(capsys, *_sign(package, *DIGITAL, "--title", "t", option, value))
    assert (status, out, err) == (
        2,
        "",
        f"peppol-dpi: error: {option} takes a UUID, not {value!r}\n",
    )


def test_dpi_sign_refuses_a_fifth_address_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "package.cms"
    package.write_bytes(b"pretend")
    lines = [arg for n in range(1, 6) for arg in ("--address-line", f"line {n}")]
    status, out, err = _run(
        capsys,
        *_sign(
            package, "--type", "utskrift", "--receiver", "0192:974761076", "--name", "Kari",
            *lines, "--country-code", "FR", "--print-type", "FARGE", "--mail-class", "A",
            "--return-name", "Etaten", "--return-address-line", "Postboks 1",
            "--return-postcode", "0101", "--return-city", "Oslo",
        ),
    )  # fmt: skip
    assert (status, out, err) == (
        2,
        "",
        "peppol-dpi: error: an address has at most 4 address lines\n",
    )


# -- human output (without --json) --------------------------------------------------------------


def test_sbdh_read_human_output_lists_extra_scopes_and_the_xml_payload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scoped = make_sbd().replace(
        b"</BusinessScope>",
        b"<Scope><Type>any</Type><InstanceIdentifier>extra-1</InstanceIdentifier></Scope>"
        b"</BusinessScope>",
    )
    path = tmp_path / "scoped.xml"
    path.write_bytes(scoped)
    status, out, err = _run(capsys, "sbdh", "read", str(path))
    assert (status, err) == (0, "")
    assert out.splitlines()[-4:] == [
        "mls_to         -",
        "mls_type       -",
        "scope any      extra-1",
        "payload        XML {urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice,"
        " 128 bytes",
    ]


def test_dpi_sign_then_verify_human_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "package.cms"
    package.write_bytes(b"pretend this is CMS")
    message = tmp_path / "m.jwt"
    mid = str(dpi_samples.MESSAGE_ID)
    status, _, err = _run(
        capsys,
        *_sign(package, *DIGITAL, "--title", "Vedtak", "--message-id", mid,
               "--conversation-id", mid, "-o", str(message)),
    )  # fmt: skip
    assert status == 0, err
    head = [
        f"verified digital {mid}",
        f"conversation: {mid}",
        "from iso6523-actorid-upis::0192:991825827 to iso6523-actorid-upis::0192:922020175,"
        f" signed by {SENDER_SUBJECT}",
    ]
    trusted = ["--trust", str(P / "business-ca.cert.pem"), "--package", str(package)]
    status, out, err = _run(capsys, "dpi", "verify", str(message), *trusted)
    assert (status, err) == (0, "")
    assert out.splitlines() == [*head, "trusted: yes", "package fingerprint: matches"]
    status, out, err = _run(capsys, "dpi", "verify", str(message))
    assert (status, err) == (0, "")
    assert out.splitlines() == [*head, "trusted: not checked (no --trust)"]


def test_dpi_unpack_human_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main_doc = tmp_path / "Vedtak.pdf"
    main_doc.write_bytes(b"%PDF-1.4 vedtak")
    package = tmp_path / "package.cms"
    status, _, err = _run(
        capsys, "dpi", "pack", str(main_doc), "--sender", "0192:991825827",
        "--mailbox", "ola.nordmann#9YDT", "--key", str(P / "sender.p12"), "--password",
        "changeit", "--recipient-cert", str(P / "digipost.cert.pem"), "-o", str(package),
    )  # fmt: skip
    assert status == 0, err
    status, out, err = _run(
        capsys, "dpi", "unpack", str(package), "--key", str(P / "digipost.p12"),
        "--password", "changeit", "--trust", str(P / "business-root-ca.cert.pem"),
        "--out-dir", str(tmp_path / "out"),
    )  # fmt: skip
    assert (status, err) == (0, "")
    verified, signer, trusted = out.splitlines()
    assert (verified, trusted) == ("verified: Vedtak.pdf + 0 attachment(s)", "trusted: yes")
    assert re.fullmatch(rf"signer: {re.escape(SENDER_SUBJECT)} at \d{{4}}-\d\d-\d\dT\S+", signer)
    assert (tmp_path / "out" / "Vedtak.pdf").read_bytes() == b"%PDF-1.4 vedtak"


def test_smp_verify_human_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = tmp_path / "smp.xml"
    answer.write_bytes(sign_service_metadata(_metadata(), pki.smp_key()))
    status, out, err = _run(
        capsys, "smp", "verify", str(answer), "--trust", str(P / "smp-ca.cert.pem")
    )
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"signer: {SMP_SIGNER}",
        "trusted: yes",
        "signature_method: http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "participant: iso6523-actorid-upis::0192:984661185",
        f"document_type: {DOC}",
        f"endpoint: {PROCESS} peppol-transport-as4-v2_0 https://c3.example/as4",
    ]


def test_smp_verify_human_output_of_a_redirect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = tmp_path / "redirect.xml"
    redirect = Redirect(url="https://smp2.example/x", certificate_uid="PSM000999")
    answer.write_bytes(sign_service_metadata(redirect, pki.smp_key()))
    status, out, err = _run(capsys, "smp", "verify", str(answer))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[:2] == [f"signer: {SMP_SIGNER}", NO_TRUST_SMP]
    assert lines[3] == "redirect: https://smp2.example/x (certificate PSM000999)"
    assert len(lines) == 4


def test_lookup_human_output_prints_the_certificate_as_a_block(
    capsys: pytest.CaptureFixture[str],
) -> None:
    service = SmpService(key=pki.smp_key())
    with serve_smp(service) as smp:
        service.register(_metadata(), smp_url=smp.url)
        status, out, err = _run(
            capsys, "lookup", "0192:984661185", "--document-type", str(DOC), "--smp-url", smp.url
        )
    assert (status, err) == (0, "")
    pem = pki.ap_key("c3").certificate.public_bytes(Encoding.PEM).decode()
    assert f"\ncertificate:\n{pem}certificate_subject: " in out
    assert "endpoint_url: https://c3.example/as4\n" in out
    assert "\nprocess: -\n" in out and "\nactivation: -\n" in out  # not Python's None
    assert out.endswith(
        f"signer: {SMP_SIGNER}\n{NO_TRUST_SMP}\n"
        "signature_method: http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\n"
    )


# -- serve and interruption ---------------------------------------------------------------------


def test_serve_with_a_missing_config_is_one_line_and_restores_the_signal_handlers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    missing = tmp_path / "missing.toml"
    assert _run(capsys, "serve", "dns", "--config", str(missing)) == (
        2, "", f"peppol-dpi: error: no such file: {missing}\n"
    )  # fmt: skip
    assert {sig: signal.getsignal(sig) for sig in before} == before


def test_ctrl_c_exits_130_without_a_traceback(
    sbd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(data: bytes) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sbdh_cmd, "read_sbd", interrupted)
    assert _run(capsys, "sbdh", "read", str(sbd)) == (130, "", "")


# -- bench ----------------------------------------------------------------------------------------


def test_bench_human_output_of_a_transport_run(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "bench", "--ops", "", "--transport", "2", "--transport-clients", "1")  # fmt: skip
    assert status == 0
    machine, empty, transport = out.splitlines()
    assert " CPUs, Python " in machine and ", deflate: " in machine
    assert empty == ""  # no results, no targets: only the transport line follows
    assert re.fullmatch(
        r"end to end through the reference access points on 127\.0\.0\.1: 2 letters from 1 "
        r"clients, accepted by corner 2 in \d+\.\d\d s \(\d+\.\d/s\), all in their mailboxes in "
        r"\d+\.\d\d s \(\d+\.\d/s\)",
        transport,
    ), transport


def test_output_to_a_device_or_through_a_symlink_writes_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # -o names where the bytes go: a symlink stays a symlink, a device stays a device
    # (writing a file beside it and renaming it over it would replace /dev/null itself).
    payload = tmp_path / "invoice.xml"
    payload.write_bytes(INVOICE)
    null = tmp_path / "null"
    null.symlink_to("/dev/null")
    assert _run(capsys, *_wrap_args(payload), "-o", str(null)) == (0, "", "")
    assert null.is_symlink() and Path("/dev/null").is_char_device()
    real = tmp_path / "real.xml"
    real.write_bytes(b"old")
    link = tmp_path / "link.xml"
    link.symlink_to(real)
    assert _run(capsys, *_wrap_args(payload), "-o", str(link)) == (0, "", "")
    assert link.is_symlink() and real.read_bytes().startswith(b"<?xml")


# -- every file read whole is read within its Limits bound (common.read_input) -------------------

_SMALL = 64 * 1024  # each bound made this small; the project's key files are a few KB


def _too_large_cases(big: Path, sbd: Path) -> dict[str, list[str]]:
    trust = ["--trust", str(P / "ap-ca.cert.pem")]
    return {
        "sbdh read": ["sbdh", "read", str(big)],
        "sbdh wrap": _wrap_args(big),
        "dpi verify": ["dpi", "verify", str(big)],
        "dpi verify --package": ["dpi", "verify", str(sbd), "--package", str(big)],
        "dpi sign --package": _sign(big, *DIGITAL),
        "dpi sign --token @": [*_sign(sbd, *DIGITAL)[:-2], "--sender", "0192:991825827",
                               "--token", f"@{big}"],
        "dpi pack": ["dpi", "pack", str(big), "--sender", "0192:991825827",
                     "--key", str(P / "sender.p12"), "--password", "changeit",
                     "--recipient-cert", str(P / "digipost.cert.pem"), "-o", str(big) + ".out"],
        "dpi pack --recipient-cert": ["dpi", "pack", str(sbd), "--sender", "0192:991825827",
                                      "--key", str(P / "sender.p12"), "--password", "changeit",
                                      "--recipient-cert", str(big), "-o", str(big) + ".out"],
        "smp verify": ["smp", "verify", str(big)],
        "as4 build --key": ["as4", "build", str(sbd), "--key", str(big), "--cert", str(big),
                            *RECEIVER_CERT],
        "as4 build --receiver-cert": ["as4", "build", str(sbd), *AS4_KEYS,
                                      "--receiver-cert", str(big)],
        "as4 verify-receipt": ["as4", "verify-receipt", str(big), *trust],
        "--trust": ["as4", "inspect", str(sbd), "--trust", str(big)],
    }  # fmt: skip


@pytest.mark.parametrize("case", list(_too_large_cases(Path("b"), Path("s"))))
def test_a_file_beyond_its_bound_is_refused_before_it_is_read_to_its_end(
    case: str,
    tmp_path: Path,
    sbd: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A file read whole was read to its end whatever its size: /dev/zero took all memory.
    from dataclasses import replace

    from peppol_dpi.cli import as4_cmd, common, dpi_pack_cmd, dpi_sign_cmd, lookup_cmd
    from peppol_dpi.limits import DEFAULT_LIMITS

    small = replace(
        DEFAULT_LIMITS,
        max_key_file_bytes=_SMALL,
        max_dpi_package_bytes=_SMALL,
        max_jws_bytes=_SMALL,
        max_http_response_bytes=_SMALL,
        max_xml_bytes=_SMALL,
    )
    for module in (as4_cmd, common, dpi_pack_cmd, dpi_sign_cmd, lookup_cmd, sbdh_cmd):
        monkeypatch.setattr(module, "DEFAULT_LIMITS", small)
    big = tmp_path / "big"
    # (a receipt's dump may also hold its HTTP headers: well past both)
    big.write_bytes(b"\0" * (_SMALL + 64 * 1024 + 1))
    status, out, err = _run(capsys, *_too_large_cases(big, sbd)[case])
    assert (status, out) == (1, ""), err
    assert err.startswith(f"peppol-dpi: {big} is larger than ") and "[cli:too-large]" in err, err


def test_an_endless_input_is_refused_within_its_bound(capsys: pytest.CaptureFixture[str]) -> None:
    # The real bound of a key file (4 MiB): /dev/zero is read that far and no further.
    status, out, err = _run(
        capsys, "as4", "inspect", str(P / "ap-ca.cert.pem"), "--trust", "/dev/zero"
    )
    assert (status, out) == (1, "")
    assert err == (
        "peppol-dpi: /dev/zero is larger than 4194304 bytes, the most a key file may hold"
        " [cli:too-large]\n"
    )


def test_a_token_file_that_is_not_text_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package, token = tmp_path / "package.cms", tmp_path / "token"
    package.write_bytes(b"pretend")
    token.write_bytes(b"\xff\xfe")
    argv = [*_sign(package, *DIGITAL)]
    argv[argv.index("--token") + 1] = f"@{token}"
    assert _run(capsys, *argv) == (
        2, "", f"peppol-dpi: error: {token} does not hold a token: it is not ASCII text\n"
    )  # fmt: skip

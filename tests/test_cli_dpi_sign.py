"""``peppol-dpi dpi sign`` and ``dpi verify`` (docs/cli.md, "DPI")."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import dpi_samples
import jwt
import pki
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from peppol_dpi.cli.main import main
from peppol_dpi.dpi.identifiers import MessageType
from peppol_dpi.dpi.jws import sign_jws, verify_jws

VERIFY_KEYS = {
    "type",
    "message_id",
    "conversation_id",
    "sender",
    "receiver",
    "signer",
    "trusted",
    "body",
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def samples(shared: Path) -> Path:
    return shared / "dpi" / "digdir-samples"


@pytest.mark.parametrize("name", ["digital", "utskrift"])
def test_verify_digdir_samples(shared: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    jwt_file = samples(shared) / f"{name}-forretningsmelding.jwt"
    cms = samples(shared) / f"{name}-dokumentpakke.cms"
    code, out, err = run(capsys, "dpi", "verify", str(jwt_file), "--package", str(cms), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == VERIFY_KEYS
    assert result["type"] == name and result["trusted"] is None
    assert result["sender"] == "iso6523-actorid-upis::0192:991825827"
    expected = json.loads((samples(shared) / f"{name}-forretningsmelding.json").read_bytes())
    assert result["body"] == expected["standardBusinessDocument"][name]


def test_verify_sample_with_trust_and_at(
    shared: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    jwt_file = samples(shared) / "digital-forretningsmelding.jwt"
    leaf = verify_jws(jwt_file.read_bytes(), trust=None).signer
    anchor = tmp_path / "leaf.pem"
    anchor.write_bytes(leaf.public_bytes(Encoding.PEM))
    args = ("dpi", "verify", str(jwt_file), "--trust", str(anchor), "--json")
    code, out, err = run(capsys, *args, "--at", "2022-03-16T14:16:08+01:00")
    assert code == 0, err
    assert json.loads(out)["trusted"] is True
    code, out, err = run(capsys, *args, "--revocation", "off")
    assert code == 1 and "cert:expired" in err and err.count("\n") == 1


def test_verify_wrong_fingerprint(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jwt_file = samples(shared) / "digital-forretningsmelding.jwt"
    other = samples(shared) / "utskrift-dokumentpakke.cms"
    code, _, err = run(capsys, "dpi", "verify", str(jwt_file), "--package", str(other))
    assert code == 1 and "[dpi:fingerprint]" in err


def _sign_args(package: Path, party: str = "sender") -> list[str]:
    return [
        "dpi",
        "sign",
        "--package",
        str(package),
        "--key",
        str(pki.path(f"{party}.p12")),
        "--password",
        pki.PASSWORD.decode(),
        "--token",
        dpi_samples.TOKEN,
    ]


def test_sign_digital_then_verify(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    package = tmp_path / "package.cms"
    package.write_bytes(b"pretend this is CMS")
    out_file = tmp_path / "m.jwt"
    code, _, err = run(
        capsys,
        *_sign_args(package),
        "--type",
        "digital",
        "--sender",
        "0192:991825827",
        "--receiver",
        "0192:922020175",
        "--mailbox",
        "ola.nordmann#9YDT",
        "--title",
        "Vedtak",
        "--message-id",
        str(dpi_samples.MESSAGE_ID),
        "-o",
        str(out_file),
    )
    assert code == 0, err
    assert str(dpi_samples.MESSAGE_ID) in err
    code, out, err = run(
        capsys,
        "dpi",
        "verify",
        str(out_file),
        "--trust",
        str(pki.path("business-ca.cert.pem")),
        "--package",
        str(package),
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["trusted"] is True and result["message_id"] == str(dpi_samples.MESSAGE_ID)
    assert result["body"]["mottaker"] == {"postkasseadresse": "ola.nordmann#9YDT"}
    assert result["body"]["ikkesensitivtittel"] == "Vedtak"
    assert result["receiver"] == "iso6523-actorid-upis::0192:922020175"


def _print_args() -> list[str]:
    return [
        "--type",
        "utskrift",
        "--receiver",
        "0192:974761076",
        "--name",
        "Kari Nordmann",
        "--address-line",
        "Rue de Rivoli 1",
        "--address-line",
        "75001 Paris",
        "--country-code",
        "FR",
        "--print-type",
        "FARGE",
        "--mail-class",
        "A",
        "--return-name",
        "Etaten",
        "--return-address-line",
        "Postboks 1",
        "--return-postcode",
        "0101",
        "--return-city",
        "Oslo",
    ]


def test_sign_print_on_behalf_of(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    package = tmp_path / "package.cms"
    package.write_bytes(b"pretend")
    code, out, err = run(
        capsys,
        *_sign_args(package, "processor"),
        *_print_args(),
        "--sender",
        "0192:810969342",
        "--on-behalf-of",
        "0192:991825827",
    )
    assert code == 0, err
    jwt_file = tmp_path / "u.jwt"
    jwt_file.write_text(out)
    code, out, err = run(capsys, "dpi", "verify", str(jwt_file), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["sender"].endswith("0192:810969342")
    assert result["body"]["avsender"]["virksomhetsidentifikator"]["value"] == "0192:991825827"
    assert result["body"]["mottaker"] == {
        "navn": "Kari Nordmann",
        "adresselinje1": "Rue de Rivoli 1",
        "adresselinje2": "75001 Paris",
        "landkode": "FR",
    }
    assert result["body"]["posttype"] == "A" and result["body"]["utskriftstype"] == "FARGE"


def test_sign_refuses_an_address_breaking_the_schema(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    package = tmp_path / "package.cms"
    package.write_bytes(b"pretend")
    code, _, err = run(
        capsys,
        *_sign_args(package),
        *_print_args(),
        "--country",
        "Frankrike",
        "--sender",
        "0192:991825827",
    )
    assert code == 1 and "dpi-schema:oneOf" in err


@pytest.mark.parametrize(
    "extra",
    [
        ["--type", "digital", "--sender", "0192:991825827", "--receiver", "0192:922020175"],
        # the key is the processor's, but the SBDH sender is the legal sender
        [
            "--type",
            "digital",
            "--sender",
            "0192:991825827",
            "--receiver",
            "0192:922020175",
            "--mailbox",
            "x",
            "--title",
            "t",
            "--key",
            str(pki.path("processor.p12")),
        ],
        [
            "--type",
            "utskrift",
            "--sender",
            "0192:991825827",
            "--receiver",
            "0192:974761076",
            "--mailbox",
            "x",
        ],
    ],
)
def test_sign_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str]
) -> None:
    package = tmp_path / "package.cms"
    package.write_bytes(b"pretend")
    code, _, err = run(capsys, *_sign_args(package), *extra)
    assert code == 2, err


def test_verify_refuses_another_algorithm(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key = pki.business_key("sender")
    leaf = base64.b64encode(key.certificate.public_bytes(Encoding.DER)).decode()
    token = jwt.encode({"a": 1}, "s" * 32, algorithm="HS256", headers={"x5c": [leaf]})
    path = tmp_path / "hs.jwt"
    path.write_text(token)
    code, _, err = run(capsys, "dpi", "verify", str(path))
    assert code == 1 and "[jws:alg]" in err


def test_verify_refuses_a_message_breaking_its_schema(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    instance = json.loads(dpi_samples.message(MessageType.DIGITAL).to_bytes())
    instance["standardBusinessDocument"]["digital"]["sikkerhetsnivaa"] = 2
    path = tmp_path / "bad.jwt"
    path.write_bytes(sign_jws(json.dumps(instance).encode(), pki.business_key("sender")))
    code, _, err = run(capsys, "dpi", "verify", str(path))
    assert code == 1 and "dpi-schema:enum" in err


def test_no_traceback_on_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.jwt"
    path.write_bytes(b"\x00\xff not a jws")
    result = subprocess.run(
        [sys.executable, "-m", "peppol_dpi", "dpi", "verify", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "[jws:format]" in result.stderr

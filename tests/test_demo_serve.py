"""``peppol-dpi serve ROLE``: each role starts from a small configuration and answers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from peppol_dpi.demo.serve import ROLES, start_role
from peppol_dpi.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
PKI = ROOT / "fixtures" / "pki"
ROOT_CA, BUSINESS_ROOT = str(PKI / "root-ca.cert.pem"), str(PKI / "business-root-ca.cert.pem")
PEPPOL_CAS = [str(PKI / "ap-ca.cert.pem"), str(PKI / "smp-ca.cert.pem")]
BUSINESS_CA = str(PKI / "business-ca.cert.pem")
AS4 = {"trust_anchors": [ROOT_CA], "intermediates": PEPPOL_CAS, "key_password_env": "PW"}
BUSINESS = {"business_trust_anchors": [BUSINESS_ROOT], "business_intermediates": [BUSINESS_CA]}


def _config(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return path


CONFIGS: dict[str, dict[str, object]] = {
    "dns": {"zone": "sml.test", "participants": {"0192:984661185": "http://127.0.0.1:9"}},
    "delegation": {"persons": {"kari": {"organisation": "991825827", "password_env": "PW"}}},
    "token": {
        "key_file": str(PKI / "maskinporten.p12"),
        "key_password_env": "PW",
        "clients": {
            "c": {
                "organisation": "991825827",
                "scopes": ["digitalpostinnbygger:send"],
                "certificate_files": [str(PKI / "sender.cert.pem")],
            }
        },
    },
    "krr": {
        "print_provider": "984661185",
        "print_certificate": str(PKI / "digipost.cert.pem"),
        "token_certificate": str(PKI / "maskinporten.cert.pem"),
    },
    "smp": {
        "key_file": str(PKI / "smp.p12"),
        "key_password_env": "PW",
        "users": {"c2": "PW"},
        "sml_zone": "sml.test",
    },
    "mailbox": {
        "organisation": "984661185",
        "key_file": str(PKI / "digipost.p12"),
        "key_password_env": "PW",
        **BUSINESS,
        "maskinporten_jwks_uri": "http://127.0.0.1:9/jwks",
        "receipts_url": "http://127.0.0.1:9/receipts",
    },
    "corner2": {
        "maskinporten_jwks_uri": "http://127.0.0.1:9/jwks",
        **BUSINESS,
        "log_json": False,
        "as4": {"key_file": str(PKI / "ap-c2.p12"), **AS4},
        "lookup": {
            "sml_zone": "sml.test",
            "dns_server": "127.0.0.1:9",
            "smp_trust_anchors": [ROOT_CA],
        },
    },
    "corner3": {
        **BUSINESS,
        "corner4_default_url": "http://127.0.0.1:9/deliveries",
        "log_json": False,
        "as4": {"key_file": str(PKI / "ap-c3.p12"), **AS4},
        "lookup": {
            "static_endpoints": {"0192:991825827": "http://127.0.0.1:9/as4"},
            "static_certificate": str(PKI / "ap-c2.cert.pem"),
        },
    },
}
PROBES = {"delegation": "/maskinporten/delegations?supplierOrg=1&consumerOrg=2&scope=x",
          "token": "/jwks", "krr": "/rest/v2/printSertifikat", "mailbox": "/letters",
          "corner2": "/messages/in", "corner3": "/receipts", "smp": "/0192:991825827"}  # fmt: skip
EXPECTED = {"delegation": 200, "token": 200, "krr": 200, "mailbox": 200, "corner2": 401,
            "corner3": 405, "smp": 404}  # fmt: skip


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_serves(role: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW", "changeit")
    data = dict(CONFIGS[role])
    if role in ("corner2", "corner3"):
        data["store"] = {"path": str(tmp_path / "store.sqlite3")}
    url, stop = start_role(role, _config(tmp_path, data))
    try:
        if role in PROBES:
            answer = requests.get(url.split(" ")[0] + PROBES[role], timeout=10)
            assert answer.status_code == EXPECTED[role], answer.text
    finally:
        stop()


def test_unknown_keys_and_roles_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        start_role("dns", _config(tmp_path, {"zone": "x", "typo": 1}))
    with pytest.raises(UsageError):
        start_role("mailman", None)


def test_serve_command_runs_until_sigterm(tmp_path: Path) -> None:
    config = _config(tmp_path, CONFIGS["dns"])
    process = subprocess.Popen(
        [sys.executable, "-m", "peppol_dpi", "serve", "dns", "--config", str(config)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("dns serving on 127.0.0.1:")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

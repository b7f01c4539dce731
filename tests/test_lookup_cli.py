"""``peppol-dpi lookup`` and ``peppol-dpi smp verify`` as docs/cli.md fixes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pki
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from peppol_dpi.cli.main import main
from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
from peppol_dpi.lookup.sml import naptr_name, sml_zone
from peppol_dpi.lookup.smp import Endpoint, ProcessMetadata, ServiceMetadata
from peppol_dpi.services.base import serve_wsgi_in_thread
from peppol_dpi.services.dns import DnsZone, serve_dns
from peppol_dpi.services.smp import SmpService, serve_smp

RECEIVER = ParticipantId.parse("0192:984661185")
DOC = DocumentTypeId.parse(
    "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost"
    "##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0"
)
PROCESS = ProcessId.parse("urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0")
ZONE = "sml.cli.test"


def _metadata() -> ServiceMetadata:
    endpoint = Endpoint(
        transport_profile="peppol-transport-as4-v2_0",
        url="https://c3.example/as4",
        certificate=pki.ap_key("c3").certificate,
    )
    return ServiceMetadata(
        participant=RECEIVER,
        document_type=DOC,
        processes=(ProcessMetadata(process=PROCESS, endpoints=(endpoint,)),),
    )


@pytest.fixture(scope="module")
def network() -> Iterator[dict[str, Any]]:
    zone = DnsZone()
    service = SmpService(key=pki.smp_key(), sml=(zone, ZONE))
    with serve_dns(zone) as dns_server, serve_smp(service) as smp_server:
        service.register(_metadata(), smp_url=smp_server.url)
        yield {"dns": f"{dns_server.host}:{dns_server.port}", "smp": smp_server.url, "zone": zone}


def test_lookup_json(network: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "lookup",
            "0192:984661185",
            "--document-type",
            str(DOC),
            "--process",
            str(PROCESS),
            "--sml",
            ZONE,
            "--dns",
            network["dns"],
            "--trust",
            str(pki.path("smp-ca.cert.pem")),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    out = json.loads(captured.out)
    assert out["endpoint_url"] == "https://c3.example/as4"
    assert out["transport_profile"] == "peppol-transport-as4-v2_0"
    assert out["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert out["smp_url"] == network["smp"] and out["trusted"] is True
    assert out["activation"] is None and out["expiration"] is None


def test_lookup_preset_refuses_http_smp(
    network: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # docs/cli.md: with a preset zone an http:// SMP is refused (Peppol requires HTTPS).
    preset = sml_zone("peppol-test")
    network["zone"].add_smp(naptr_name(RECEIVER, preset), network["smp"])
    argv = ["lookup", "0192:984661185", "--document-type", str(DOC), "--dns", network["dns"]]
    status = main([*argv, "--sml", "peppol-test"])
    err = capsys.readouterr().err
    assert status == 1 and "sml:https-required" in err and "Traceback" not in err
    # An unknown participant: NXDOMAIN, one line naming the rule.
    assert main([*argv[:1], "0192:974760673", *argv[2:], "--sml", ZONE]) == 1
    assert "sml:nxdomain" in capsys.readouterr().err


def test_lookup_untrusted(network: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "lookup",
            "0192:984661185",
            "--document-type",
            str(DOC),
            "--smp-url",
            network["smp"],
            "--trust",
            str(pki.path("other-root-ca.cert.pem")),
        ]
    )
    assert status == 1 and "cert:untrusted" in capsys.readouterr().err


def test_smp_verify(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = str(shared / "peppol/smp/signed-service-metadata2.xml")
    assert main(["smp", "verify", good, "--allow-sha1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["trusted"] is None and out["signer"].endswith("CN=PNO000070")
    assert (
        out["processes"][0]["endpoints"][0]["endpoint_url"]
        == "https://peppol.netedi.com/receive.aspx"
    )
    assert main(["smp", "verify", good]) == 1
    assert "dsig:algorithm-not-allowed" in capsys.readouterr().err
    bad = str(shared / "peppol/smp/signed-service-metadata1-BAD.xml")
    assert main(["smp", "verify", bad, "--allow-sha1"]) == 1
    assert "dsig:digest-mismatch" in capsys.readouterr().err
    g3 = str(shared / "peppol/pki/PEPPOL_SERVICE_METADATA_PUBLISHER_CA-G3.pem")
    assert (
        main(["smp", "verify", good, "--allow-sha1", "--trust", g3, "--at", "2020-06-01T00:00:00Z"])
        == 1
    )
    assert "cert:untrusted" in capsys.readouterr().err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["smp", "verify", "/nonexistent.xml"]) == 2
    assert main(["lookup", "0192:984661185", "--document-type", str(DOC), "--dns", "nonsense"]) == 2
    with pytest.raises(SystemExit) as info:
        main(["lookup", "0192:984661185"])
    assert info.value.code == 2


def test_lookup_refuses_a_revoked_smp_signer_through_a_served_crl(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The CLI's TrustPolicy checks revocation: an SMP signer revoked in a CRL served on
    loopback is refused (and accepted with --revocation off)."""
    crl_holder: dict[str, bytes] = {}

    def crl_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/pkix-crl")])
        return [crl_holder["crl"]]

    with serve_wsgi_in_thread(crl_app) as crl_server:
        signer = pki.issue_leaf(
            "PSM000555", issuer="smp-ca", serial=555, crl_url=f"{crl_server.url}/smp-ca.crl"
        )
        make = pki.factory()
        crl = make.make_crl(pki.ca_issued("smp-ca"), [(555, datetime(2025, 1, 1, tzinfo=UTC))])
        crl_holder["crl"] = crl.public_bytes(Encoding.DER)
        service = SmpService(key=signer)
        with serve_smp(service) as smp_server:
            service.register(_metadata(), smp_url=smp_server.url)
            argv = [
                "lookup",
                "0192:984661185",
                "--document-type",
                str(DOC),
                "--smp-url",
                smp_server.url,
                "--trust",
                str(pki.path("smp-ca.cert.pem")),
            ]
            assert main(argv) == 1
            assert "cert:revoked" in capsys.readouterr().err
            assert main([*argv, "--revocation", "off"]) == 0

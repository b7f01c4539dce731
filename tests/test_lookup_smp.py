"""SMP: URLs, signed metadata (real samples and our own server), endpoint selection, the client
against real servers on loopback (good and hostile), the write API."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dns.resolver
import pki
import pytest
import requests
from lxml import etree

from peppol_dpi.errors import CertificateError, SignatureError, TransportError, XmlSecurityError
from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
from peppol_dpi.keys import load_certificate
from peppol_dpi.limits import Limits
from peppol_dpi.lookup.discovery import EndpointFinder, discover_endpoint
from peppol_dpi.lookup.errors import NotRegisteredError, RegistryUnavailableError, SmpError
from peppol_dpi.lookup.sml import sml_zone
from peppol_dpi.lookup.smp import (
    Endpoint,
    ProcessMetadata,
    Redirect,
    ServiceMetadata,
    SmpFlavour,
    TransportProfile,
    java_url_encode,
    select_document_type,
    select_endpoint,
    service_group_url,
    service_metadata_url,
    wildcard_candidates,
)
from peppol_dpi.lookup.smp_client import SmpClient
from peppol_dpi.lookup.smp_verify import verify_service_metadata
from peppol_dpi.lookup.smp_write import SmpWriteClient
from peppol_dpi.lookup.smp_xml import read_service_metadata
from peppol_dpi.services.base import RunningService, serve_wsgi_in_thread
from peppol_dpi.services.dns import DnsZone, serve_dns
from peppol_dpi.services.smp import SmpService, serve_smp, sign_service_metadata
from peppol_dpi.trust import RevocationMode, RevocationStatus, TrustPolicy
from peppol_dpi.xmldsig import C14nMethod, ReferenceSpec, Transform, sign
from peppol_dpi.xmlparse import parse_xml

INVOICE = DocumentTypeId.parse(
    "busdox-docid-qns::urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
    "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
DIGITAL = DocumentTypeId.parse(
    "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost"
    "##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0"
)
DIGITAL_PROCESS = ProcessId.parse(
    "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0"
)
RECEIVER = ParticipantId.parse("0192:984661185")
SML_ZONE = "sml.local.test"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_urls_encode_like_java() -> None:
    # peppol.md 3.2: the example path, byte for byte.
    participant = ParticipantId.parse("9930:de298946909")
    assert service_metadata_url("https://smp.example/", participant, INVOICE) == (
        "https://smp.example/iso6523-actorid-upis%3A%3A9930%3Ade298946909/services/"
        "busdox-docid-qns%3A%3Aurn%3Aoasis%3Anames%3Aspecification%3Aubl%3Aschema%3Axsd%3A"
        "Invoice-2%3A%3AInvoice%23%23urn%3Acen.eu%3Aen16931%3A2017%23compliant%23urn%3Afdc%3A"
        "peppol.eu%3A2017%3Apoacc%3Abilling%3A3.0%3A%3A2.1"
    )
    assert java_url_encode("a b~/@*ø") == "a+b%7E%2F%40*%C3%B8"
    assert service_group_url(
        "https://smp.example/path", participant, flavour=SmpFlavour.OASIS_2
    ) == ("https://smp.example/path/bdxr-smp-2/iso6523-actorid-upis%3A%3A9930%3Ade298946909")


# -- the real samples -------------------------------------------------------------------------


def test_real_signed_metadata_verifies_at_signing_time(shared: Path) -> None:
    data = (shared / "peppol/smp/signed-service-metadata2.xml").read_bytes()
    signer = verify_service_metadata(data, trust=None, allow_sha1=True).signer
    # Its G2 CA is not among the fixtures; pin the signer and check it at a time it was valid.
    pinned = TrustPolicy(anchors=(signer,), revocation=RevocationMode.OFF, allow_sha1=True)
    verified = verify_service_metadata(
        data, trust=pinned, at=datetime(2020, 6, 1, tzinfo=UTC), allow_sha1=True
    )
    assert verified.trusted is True
    assert verified.signer.subject.rfc4514_string().endswith("CN=PNO000070")
    content = verified.content
    assert isinstance(content, ServiceMetadata)
    assert content.participant == ParticipantId.parse("0088:5060482240009")
    endpoint = content.processes[0].endpoints[0]
    assert endpoint.url == "https://peppol.netedi.com/receive.aspx"
    assert endpoint.expiration == datetime(2026, 11, 2, tzinfo=UTC)
    with pytest.raises(CertificateError) as info:  # expired now
        verify_service_metadata(data, trust=pinned, at=NOW, allow_sha1=True)
    assert info.value.rule == "cert:expired"


def test_real_signed_metadata_needs_sha1_opt_in_and_the_right_ca(shared: Path) -> None:
    data = (shared / "peppol/smp/signed-service-metadata2.xml").read_bytes()
    with pytest.raises(SignatureError) as info:
        verify_service_metadata(data, trust=None)
    assert info.value.rule == "dsig:algorithm-not-allowed"
    g3 = TrustPolicy(
        anchors=(
            load_certificate(
                (shared / "peppol/pki/PEPPOL_SERVICE_METADATA_PUBLISHER_CA-G3.pem").read_bytes()
            ),
        ),
        revocation=RevocationMode.OFF,
    )
    with pytest.raises(CertificateError) as cert_info:
        verify_service_metadata(
            data, trust=g3, at=datetime(2020, 6, 1, tzinfo=UTC), allow_sha1=True
        )
    assert cert_info.value.rule == "cert:untrusted"


def test_reindented_real_metadata_is_refused(shared: Path) -> None:
    data = (shared / "peppol/smp/signed-service-metadata1-BAD.xml").read_bytes()
    with pytest.raises(SignatureError) as info:
        verify_service_metadata(data, trust=None, allow_sha1=True)
    assert info.value.rule == "dsig:digest-mismatch"


# -- our own signed metadata ------------------------------------------------------------------


def _metadata(
    *,
    participant: ParticipantId = RECEIVER,
    url: str = "https://ap.example/as4",
    activation: datetime | None = None,
    expiration: datetime | None = None,
) -> ServiceMetadata:
    return ServiceMetadata(
        participant=participant,
        document_type=DIGITAL,
        processes=(
            ProcessMetadata(
                process=DIGITAL_PROCESS,
                endpoints=(
                    Endpoint(
                        transport_profile=TransportProfile.PEPPOL_AS4_V2,
                        url=url,
                        certificate=pki.ap_key("c3").certificate,
                        activation=activation,
                        expiration=expiration,
                        description="corner 3",
                        technical_contact="mailto:ops@example.test",
                    ),
                ),
            ),
        ),
    )


def test_own_signed_metadata_round_trip() -> None:
    data = sign_service_metadata(_metadata(), pki.smp_key())
    verified = verify_service_metadata(data, trust=pki.peppol_trust())
    assert verified.trusted is True and verified.content == _metadata()
    assert verified.validated is not None and verified.validated.anchor == pki.root_ca()
    # The AP certificate is not an SMP signer of this trust anchor's SMP CA... but the same root:
    # restrict to the SMP CA as anchor and sign with the AP key: refused.
    smp_only = TrustPolicy(anchors=(pki.smp_ca(),))
    with pytest.raises(CertificateError):
        verify_service_metadata(
            sign_service_metadata(_metadata(), pki.ap_key("c2")), trust=smp_only
        )


def test_truncated_and_reindented_documents_are_refused() -> None:
    data = sign_service_metadata(_metadata(), pki.smp_key())
    with pytest.raises(XmlSecurityError) as info:
        verify_service_metadata(data[: len(data) // 2], trust=pki.peppol_trust())
    assert info.value.rule == "xml:not-well-formed"
    pretty = etree.tostring(parse_xml(data), pretty_print=True)
    with pytest.raises(SignatureError) as sig_info:
        verify_service_metadata(pretty, trust=pki.peppol_trust())
    assert sig_info.value.rule == "dsig:digest-mismatch"


def test_tampered_and_unsigned_documents_are_refused() -> None:
    data = sign_service_metadata(_metadata(), pki.smp_key())
    tampered = data.replace(b"https://ap.example/as4", b"https://evil.example/as4")
    with pytest.raises(SignatureError):
        verify_service_metadata(tampered, trust=pki.peppol_trust())
    root = parse_xml(data)
    for signature in root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        root.remove(signature)
    with pytest.raises(SignatureError) as info:
        verify_service_metadata(etree.tostring(root), trust=pki.peppol_trust())
    assert info.value.rule == "smp:unsigned"


def test_oasis_smp2_metadata_is_read() -> None:
    cert_b64 = (
        sign_service_metadata(_metadata(), pki.smp_key())
        .split(b"<ds:X509Certificate>")[1]
        .split(b"<")[0]
    )
    document = f"""<ServiceMetadata xmlns="http://docs.oasis-open.org/bdxr/ns/SMP/2/ServiceMetadata"
      xmlns:cac="http://docs.oasis-open.org/bdxr/ns/SMP/2/AggregateComponents"
      xmlns:cbc="http://docs.oasis-open.org/bdxr/ns/SMP/2/BasicComponents">
      <cbc:SMPVersionID>2.0</cbc:SMPVersionID>
      <cbc:ID schemeID="busdox-docid-qns">{DIGITAL.value}</cbc:ID>
      <cbc:ParticipantID schemeID="iso6523-actorid-upis">0192:984661185</cbc:ParticipantID>
      <cac:ProcessMetadata>
        <cac:Process><cbc:ID schemeID="cenbii-procid-ubl">{DIGITAL_PROCESS.value}</cbc:ID></cac:Process>
        <cac:Endpoint>
          <cbc:TransportProfileID>peppol-transport-as4-v2_0</cbc:TransportProfileID>
          <cbc:AddressURI>https://ap.example/as4</cbc:AddressURI>
          <cbc:ActivationDate>2026-01-01</cbc:ActivationDate>
          <cbc:ExpirationDate>2026-12-31+01:00</cbc:ExpirationDate>
          <cac:Certificate><cbc:TypeCode>signing</cbc:TypeCode>
            <cbc:ContentBinaryObject mimeCode="application/base64">{cert_b64.decode()}</cbc:ContentBinaryObject>
          </cac:Certificate>
        </cac:Endpoint>
      </cac:ProcessMetadata>
    </ServiceMetadata>""".encode()
    content = read_service_metadata(parse_xml(document))
    assert isinstance(content, ServiceMetadata) and content.flavour is SmpFlavour.OASIS_2
    endpoint = select_endpoint(content, process=DIGITAL_PROCESS, at=NOW)
    assert endpoint.url == "https://ap.example/as4"
    assert endpoint.activation == datetime(2026, 1, 1, tzinfo=UTC)
    assert endpoint.expiration == datetime(2026, 12, 31, 22, 59, 59, 999999, tzinfo=UTC)

    # Signed as an OASIS SMP 2.0 server would (enveloped, C14N 1.1), it verifies the same way.
    root = parse_xml(document)
    key_info = etree.Element("{http://www.w3.org/2000/09/xmldsig#}KeyInfo")
    x509_data = etree.SubElement(key_info, "{http://www.w3.org/2000/09/xmldsig#}X509Data")
    etree.SubElement(
        x509_data, "{http://www.w3.org/2000/09/xmldsig#}X509Certificate"
    ).text = cert_b64.decode()
    sign(
        parent=root,
        references=[
            ReferenceSpec(
                uri="", transforms=(Transform.ENVELOPED_SIGNATURE, Transform.INCLUSIVE_C14N_11)
            )
        ],
        key=pki.smp_key(),
        c14n_method=C14nMethod.INCLUSIVE_11,
        key_info=key_info,
    )
    verified = verify_service_metadata(etree.tostring(root), trust=pki.peppol_trust())
    assert verified.content == content and verified.signer == pki.smp_key().certificate


def test_endpoint_selection_honours_dates_and_profile() -> None:
    live = _metadata(activation=NOW - timedelta(days=1), expiration=NOW + timedelta(days=1))
    assert select_endpoint(live, process=DIGITAL_PROCESS, at=NOW).url == "https://ap.example/as4"
    assert select_endpoint(live, process=None, at=NOW).url == "https://ap.example/as4"
    for at in (NOW - timedelta(days=2), NOW + timedelta(days=2)):
        with pytest.raises(SmpError) as info:
            select_endpoint(live, process=DIGITAL_PROCESS, at=at)
        assert info.value.rule == "smp:endpoint-not-active"
    with pytest.raises(NotRegisteredError) as not_found:
        select_endpoint(
            live, process=DIGITAL_PROCESS, at=NOW, transport_profile="busdox-transport-as2-ver2p0"
        )
    assert not_found.value.rule == "smp:no-endpoint"
    with pytest.raises(NotRegisteredError):
        select_endpoint(live, process=ProcessId.parse("urn:other"), at=NOW)


def test_wildcard_document_types() -> None:
    wanted = DocumentTypeId.parse(
        "peppol-doctype-wildcard::urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
        "##urn:peppol:pint:billing-1@jp-1@extra::2.1"
    )
    customizations = [c.customization_id for c in wildcard_candidates(wanted)]
    assert customizations == [
        "urn:peppol:pint:billing-1@jp-1@extra",
        "urn:peppol:pint:billing-1@jp-1@extra*",
        "urn:peppol:pint:billing-1@jp-1*",
        "urn:peppol:pint:billing-1*",
    ]
    registered = [INVOICE, wildcard_candidates(wanted)[2], wildcard_candidates(wanted)[3]]
    assert select_document_type(registered, wanted) == registered[1]
    assert wildcard_candidates(INVOICE) == [INVOICE]
    with pytest.raises(NotRegisteredError):
        select_document_type([INVOICE], wanted)


# -- against servers on loopback --------------------------------------------------------------


@pytest.fixture(scope="module")
def network() -> Iterator[dict[str, Any]]:
    """A DNS server for the local SML zone and an SMP registering into it."""
    zone = DnsZone()
    service = SmpService(
        key=pki.smp_key(), users={"c2": "secret-c2", "other": "secret-o"}, sml=(zone, SML_ZONE)
    )
    with serve_dns(zone) as dns_server, serve_smp(service) as smp_server:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns_server.host]
        resolver.port = dns_server.port
        session = requests.Session()
        yield {
            "zone": zone,
            "service": service,
            "smp": smp_server,
            "resolver": resolver,
            "session": session,
        }
        session.close()


def _client(network: dict[str, Any], **kw: Any) -> SmpClient:
    return SmpClient(session=network["session"], trust=pki.peppol_trust(), **kw)


def test_register_and_full_lookup(network: dict[str, Any]) -> None:
    smp_url = network["smp"].url
    writer = SmpWriteClient(session=network["session"], smp_url=smp_url, auth=("c2", "secret-c2"))
    writer.put_service_group(RECEIVER)
    writer.put_service_metadata(_metadata(url="https://c3.example/as4"))

    found = discover_endpoint(
        RECEIVER,
        DIGITAL,
        process=DIGITAL_PROCESS,
        smp=_client(network),
        zone=sml_zone(SML_ZONE),
        resolver=network["resolver"],
        endpoint_trust=pki.peppol_trust(),
        at=NOW,
    )
    assert found.smp_url == smp_url
    assert found.endpoint.url == "https://c3.example/as4"
    assert found.endpoint.certificate == pki.ap_key("c3").certificate
    assert found.metadata.signer == pki.smp_key().certificate
    assert found.endpoint_certificate is not None

    finder = EndpointFinder(
        smp=_client(network), zone=sml_zone(SML_ZONE), resolver=network["resolver"]
    )
    assert finder.find(RECEIVER, DIGITAL, DIGITAL_PROCESS, at=NOW).endpoint == found.endpoint

    group = _client(network).service_group(smp_url, RECEIVER)
    assert group.document_types == (DIGITAL,)

    writer.delete_service_group(RECEIVER)
    with pytest.raises(NotRegisteredError) as info:
        discover_endpoint(
            RECEIVER,
            DIGITAL,
            process=DIGITAL_PROCESS,
            smp=_client(network),
            zone=sml_zone(SML_ZONE),
            resolver=network["resolver"],
            at=NOW,
        )
    assert info.value.rule == "sml:nxdomain"


def test_write_api_is_authenticated_and_owned(network: dict[str, Any]) -> None:
    smp_url = network["smp"].url
    participant = ParticipantId.parse("0192:922020175")
    anonymous = SmpWriteClient(session=network["session"], smp_url=smp_url, auth=("c2", "wrong"))
    with pytest.raises(SmpError) as info:
        anonymous.put_service_group(participant)
    assert info.value.rule == "smp:unauthorized"
    owner = SmpWriteClient(session=network["session"], smp_url=smp_url, auth=("c2", "secret-c2"))
    other = SmpWriteClient(session=network["session"], smp_url=smp_url, auth=("other", "secret-o"))
    owner.put_service_group(participant)
    with pytest.raises(SmpError) as forbidden:
        other.delete_service_group(participant)
    assert forbidden.value.rule == "smp:forbidden"
    with pytest.raises(SmpError):  # the body names another participant
        owner.put_service_metadata(_metadata(participant=RECEIVER), participant=participant)
    owner.put_service_metadata(_metadata(participant=participant))
    owner.delete_service_metadata(participant, DIGITAL)
    with pytest.raises(NotRegisteredError):
        _client(network).service_metadata(smp_url, participant, DIGITAL)
    owner.delete_service_group(participant)


def test_wrong_trust_refuses_the_smp(network: dict[str, Any]) -> None:
    smp_url = network["smp"].url
    network["service"].register(_metadata(), smp_url=smp_url)
    strict = SmpClient(
        session=network["session"], trust=TrustPolicy(anchors=(pki.other_root_ca(),))
    )
    with pytest.raises(CertificateError):
        strict.service_metadata(smp_url, RECEIVER, DIGITAL)


def test_smp_redirect_followed_once(network: dict[str, Any]) -> None:
    smp_url = network["smp"].url
    target_key = pki.smp_key()
    target = SmpService(key=target_key)
    target.register(_metadata(url="https://redirected.example/as4"), smp_url="unused")
    with serve_smp(target) as target_server:
        network["service"].register(_metadata(), smp_url=smp_url)
        network["service"].register_content(
            RECEIVER,
            DIGITAL,
            smp_url=smp_url,
            content=Redirect(url=target_server.url, certificate_uid="PSM000001"),
        )
        _, endpoint = _client(network).endpoint(
            smp_url, RECEIVER, DIGITAL, process=DIGITAL_PROCESS, at=NOW
        )
        assert endpoint.url == "https://redirected.example/as4"
        # The redirect names another signer: refused.
        network["service"].register_content(
            RECEIVER,
            DIGITAL,
            smp_url=smp_url,
            content=Redirect(url=target_server.url, certificate_uid="PSM999999"),
        )
        with pytest.raises(SmpError) as info:
            _client(network).endpoint(smp_url, RECEIVER, DIGITAL, process=DIGITAL_PROCESS, at=NOW)
        assert info.value.rule == "smp:redirect-signer"
        # A redirect to a redirect: refused.
        target.register_content(
            RECEIVER,
            DIGITAL,
            smp_url="unused",
            content=Redirect(url=smp_url, certificate_uid="PSM000001"),
        )
        with pytest.raises(SmpError) as loop:
            _client(network).endpoint(smp_url, RECEIVER, DIGITAL, process=DIGITAL_PROCESS, at=NOW)
        assert loop.value.rule == "smp:redirect-loop"


def test_cache_honours_ttl(network: dict[str, Any]) -> None:
    smp_url = network["smp"].url
    now = [NOW]
    client = _client(network, cache_ttl=timedelta(minutes=5), clock=lambda: now[0])
    network["service"].register(_metadata(url="https://one.example/as4"), smp_url=smp_url)
    assert (
        client.endpoint(smp_url, RECEIVER, DIGITAL, process=None)[1].url
        == "https://one.example/as4"
    )
    network["service"].register(_metadata(url="https://two.example/as4"), smp_url=smp_url)
    assert (
        client.endpoint(smp_url, RECEIVER, DIGITAL, process=None)[1].url
        == "https://one.example/as4"
    )
    now[0] = NOW + timedelta(minutes=6)
    assert (
        client.endpoint(smp_url, RECEIVER, DIGITAL, process=None)[1].url
        == "https://two.example/as4"
    )


# -- hostile or broken servers ----------------------------------------------------------------


def _serve(handler: Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]) -> RunningService:
    return serve_wsgi_in_thread(handler)


def _answer(
    status: str, body: bytes, content_type: str = "text/html", **headers: str
) -> Callable[..., list[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, [("Content-Type", content_type), *headers.items()])
        return [body]

    return app


@pytest.mark.parametrize(
    ("app", "rule"),
    [
        (_answer("200 OK", b"<!DOCTYPE html><html><body>Login</body></html>"), "smp:not-xml"),
        (_answer("200 OK", b"<html><body>proxy</body></html>", "application/xml"), "smp:not-xml"),
        (_answer("302 Found", b"", Location="/loop"), "smp:redirect-loop"),
        (_answer("418 I'm a teapot", b"oops"), "smp:http-status"),
        (_answer("200 OK", b"<a>" + b"x" * 5000 + b"</a>", "application/xml"), "smp:too-large"),
    ],
)
def test_bad_servers_give_clear_errors(app: Callable[..., list[bytes]], rule: str) -> None:
    with _serve(app) as server, requests.Session() as session:
        client = SmpClient(
            session=session, trust=pki.peppol_trust(), limits=Limits(max_http_response_bytes=4096)
        )
        with pytest.raises(SmpError) as info:
            client.service_metadata(server.url, RECEIVER, DIGITAL)
        assert info.value.rule == rule


def test_server_error_is_retryable() -> None:
    with (
        _serve(_answer("503 Service Unavailable", b"maintenance")) as server,
        requests.Session() as session,
    ):
        client = SmpClient(session=session, trust=pki.peppol_trust())
        with pytest.raises(RegistryUnavailableError):
            client.service_metadata(server.url, RECEIVER, DIGITAL)


def test_slow_server_times_out() -> None:
    release = threading.Event()

    def slow(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        release.wait(10)
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [b"<x/>"]

    def trickle(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/xml")])
        for _ in range(100):
            if release.wait(0.1):
                return
            yield b" "

    try:
        for app in (slow, trickle):
            with _serve(app) as server, requests.Session() as session:  # type: ignore[arg-type]
                client = SmpClient(session=session, trust=pki.peppol_trust(), timeout=(1.0, 0.6))
                started = time.monotonic()
                with pytest.raises(TransportError):
                    client.service_metadata(server.url, RECEIVER, DIGITAL)
                assert time.monotonic() - started < 5  # a generous guard against hangs
    finally:
        release.set()


def test_unreachable_smp_is_a_transport_error() -> None:
    with requests.Session() as session:
        client = SmpClient(session=session, trust=pki.peppol_trust())
        with pytest.raises(TransportError):
            client.service_metadata("http://127.0.0.1:9", RECEIVER, DIGITAL)


# -- revocation goes through the caller's TrustPolicy -----------------------------------------


class _Revoked:
    """A RevocationChecker reporting one serial number revoked (the real CRL/OCSP checker is
    peppol_dpi's revocation module; here only the pass-through is under test)."""

    def __init__(self, serial: int) -> None:
        self.serial = serial
        self.asked: list[int] = []

    def status(self, cert: Any, issuer: Any, at: datetime) -> RevocationStatus:
        self.asked.append(cert.serial_number)
        return (
            RevocationStatus.REVOKED if cert.serial_number == self.serial else RevocationStatus.GOOD
        )


def test_revocation_checker_applies_to_the_smp_signer(network: dict[str, Any]) -> None:
    signer = pki.issue_leaf(
        "PSM000777", issuer="smp-ca", serial=777, crl_url="http://127.0.0.1:9/smp-ca.crl"
    )
    target = SmpService(key=signer)
    target.register(_metadata(), smp_url="unused")
    checker = _Revoked(777)
    with serve_smp(target) as server:
        client = SmpClient(
            session=network["session"], trust=pki.peppol_trust(revocation_checker=checker)
        )
        with pytest.raises(CertificateError) as info:
            client.service_metadata(server.url, RECEIVER, DIGITAL)
        assert info.value.rule == "cert:revoked"
        assert 777 in checker.asked
        # Without a checker, REQUIRE cannot be met: refused too (fail closed).
        blind = SmpClient(session=network["session"], trust=pki.peppol_trust())
        with pytest.raises(CertificateError) as blind_info:
            blind.service_metadata(server.url, RECEIVER, DIGITAL)
        assert blind_info.value.rule == "cert:revocation-unavailable"


# -- interop: signxml verifies what our SMP signs ---------------------------------------------


def test_signxml_verifies_our_signed_metadata() -> None:
    from cryptography.hazmat.primitives.serialization import Encoding
    from signxml import XMLVerifier

    data = sign_service_metadata(_metadata(), pki.smp_key())
    pem = pki.smp_key().certificate.public_bytes(Encoding.PEM).decode()
    result = XMLVerifier().verify(data, x509_cert=pem)
    assert result.signed_xml is not None
    assert (
        result.signed_xml.tag
        == "{http://busdox.org/serviceMetadata/publishing/1.0/}SignedServiceMetadata"
    )


# -- the SMP server refuses hostile requests ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (
            "/iso6523-actorid-upis%3A%3A0192%3A984661185",
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            400,
        ),
        ("/iso6523-actorid-upis%3A%3A0192%3A984661185", b"not xml", 400),
        ("/not-a-participant", b"<x/>", 400),
        ("/a/b", b"", 404),
    ],
)
def test_smp_server_refuses_bad_writes(
    network: dict[str, Any], path: str, body: bytes, status: int
) -> None:
    answer = network["session"].put(
        network["smp"].url + path, data=body, auth=("c2", "secret-c2"), timeout=5
    )
    assert answer.status_code == status


def test_wildcard_lookup_through_the_service_group(network: dict[str, Any]) -> None:
    smp_url = network["smp"].url
    participant = ParticipantId.parse("0192:974760673")
    registered = DocumentTypeId.parse(
        "peppol-doctype-wildcard::urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
        "##urn:peppol:pint:billing-1*::2.1"
    )
    wanted = DocumentTypeId.parse(
        "peppol-doctype-wildcard::urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
        "##urn:peppol:pint:billing-1@jp-1::2.1"
    )
    metadata = ServiceMetadata(
        participant=participant, document_type=registered, processes=_metadata().processes
    )
    network["service"].register(metadata, smp_url=smp_url)
    verified, endpoint = _client(network).endpoint(
        smp_url, participant, wanted, process=DIGITAL_PROCESS, at=NOW
    )
    assert endpoint.url == "https://ap.example/as4"
    assert isinstance(verified.content, ServiceMetadata)
    assert verified.content.document_type == registered


def test_one_http_redirect_is_followed(network: dict[str, Any]) -> None:
    smp_url = network["smp"].url
    network["service"].register(_metadata(url="https://moved.example/as4"), smp_url=smp_url)

    def moved(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("301 Moved Permanently", [("Location", smp_url + environ["REQUEST_URI"])])
        return [b""]

    with _serve(moved) as server:
        _, endpoint = _client(network).endpoint(server.url, RECEIVER, DIGITAL, process=None, at=NOW)
    assert endpoint.url == "https://moved.example/as4"


@pytest.mark.parametrize(
    "value", ["2026-W01-1", "20260101", "2026-01-01T00:00", "2026-01-01 00:00:00"]
)
def test_endpoint_dates_are_xml_schema_dates(value: str) -> None:
    # What date/datetime.fromisoformat would take but xs:date and xs:dateTime are not.
    from peppol_dpi.lookup.smp_xml import _instant

    with pytest.raises(SmpError) as refused:
        _instant(value, end_of_day=False, what="ActivationDate")
    assert refused.value.rule == "smp:malformed"
    assert _instant("2026-01-01Z", end_of_day=True, what="ExpirationDate") == datetime(
        2026, 1, 1, 23, 59, 59, 999999, tzinfo=UTC
    )

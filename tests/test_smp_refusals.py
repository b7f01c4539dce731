"""Refusals of the SMP clients: Peppol and OASIS metadata and service groups, their
signatures, redirects and endpoint selection, each fed one crafted bad input and held to the exact
error class and rule."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pki
import pytest
import requests
from cryptography.hazmat.primitives.serialization import Encoding
from lookup_support import (
    DIGITAL,
    DIGITAL_PROCESS,
    NOW,
    RECEIVER,
    answering_app,
    smp_endpoint,
    smp_metadata,
)
from lxml import etree

from peppol_dpi import ns
from peppol_dpi.errors import SignatureError, UsageError
from peppol_dpi.ids import DocumentTypeId, ParticipantId
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.lookup.errors import (
    SmpError,
)
from peppol_dpi.lookup.smp import (
    Redirect,
    ServiceGroup,
    SmpFlavour,
    select_endpoint,
    service_group_url,
    wildcard_candidates,
)
from peppol_dpi.lookup.smp_client import SmpClient
from peppol_dpi.lookup.smp_verify import signer_matches_uid, verify_service_metadata
from peppol_dpi.lookup.smp_write import SmpWriteClient
from peppol_dpi.lookup.smp_xml import (
    build_service_group,
    build_service_metadata,
    parse_service_group,
    read_service_metadata,
)
from peppol_dpi.services.base import serve_wsgi_in_thread
from peppol_dpi.services.smp import sign_service_metadata
from peppol_dpi.xmldsig import C14nMethod, ReferenceSpec, Transform, sign
from peppol_dpi.xmlparse import parse_xml, to_bytes

OTHER = ParticipantId.parse("0192:974760673")
OASIS_NS = (
    'xmlns="http://docs.oasis-open.org/bdxr/ns/SMP/2/ServiceMetadata"'
    ' xmlns:cac="http://docs.oasis-open.org/bdxr/ns/SMP/2/AggregateComponents"'
    ' xmlns:cbc="http://docs.oasis-open.org/bdxr/ns/SMP/2/BasicComponents"'
)


# -- shared helpers ----------------------------------------------------------------------------


def _cert_b64(key: LocalPrivateKey) -> str:
    return base64.b64encode(key.certificate.public_bytes(Encoding.DER)).decode()


def _sign_oasis(document: bytes, key: LocalPrivateKey) -> bytes:
    """Sign an OASIS SMP 2.0 document as such an SMP does (enveloped, C14N 1.1), as the OASIS
    test in test_lookup_smp.py does."""
    root = parse_xml(document)
    key_info = etree.Element(f"{{{ns.DS}}}KeyInfo")
    x509_data = etree.SubElement(key_info, f"{{{ns.DS}}}X509Data")
    etree.SubElement(x509_data, f"{{{ns.DS}}}X509Certificate").text = _cert_b64(key)
    sign(
        parent=root,
        references=[
            ReferenceSpec(
                uri="", transforms=(Transform.ENVELOPED_SIGNATURE, Transform.INCLUSIVE_C14N_11)
            )
        ],
        key=key,
        c14n_method=C14nMethod.INCLUSIVE_11,
        key_info=key_info,
    )
    return etree.tostring(root)


# -- lookup/smp.py -----------------------------------------------------------------------------


def test_an_smp_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(UsageError):
        service_group_url("smp.example", RECEIVER)


@pytest.mark.parametrize("name", ["activation", "expiration"])
def test_endpoint_dates_must_be_timezone_aware(name: str) -> None:
    with pytest.raises(UsageError):
        smp_endpoint(**{name: datetime(2026, 1, 1)})


def test_endpoint_selection_at_a_naive_instant_is_refused() -> None:
    with pytest.raises(UsageError):
        select_endpoint(smp_metadata(), process=DIGITAL_PROCESS, at=datetime(2026, 6, 1))


def test_endpoint_selection_without_a_process_among_several_is_refused() -> None:
    with pytest.raises(SmpError) as info:
        select_endpoint(smp_metadata(processes=2), process=None, at=NOW)
    assert info.value.rule == "smp:process-ambiguous"


def test_several_active_endpoints_that_differ_are_refused() -> None:
    metadata = smp_metadata(smp_endpoint(), smp_endpoint(url="https://other.example/as4"))
    with pytest.raises(SmpError) as info:
        select_endpoint(metadata, process=DIGITAL_PROCESS, at=NOW)
    assert info.value.rule == "smp:endpoint-ambiguous"


def test_an_endpoint_without_a_certificate_is_refused() -> None:
    with pytest.raises(SmpError) as info:
        select_endpoint(
            smp_metadata(smp_endpoint(certificate=None)), process=DIGITAL_PROCESS, at=NOW
        )
    assert info.value.rule == "smp:no-certificate"


def test_a_wildcard_customization_with_an_inner_star_is_refused() -> None:
    # PFUOI 4.3 4.2.1: only a trailing '*' is a wildcard.
    wanted = DocumentTypeId.parse(
        "peppol-doctype-wildcard::urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
        "##urn:peppol:pint:bil*ling-1::2.1"
    )
    with pytest.raises(SmpError) as info:
        wildcard_candidates(wanted)
    assert info.value.rule == "smp:bad-wildcard"


# -- lookup/smp_client.py, smp_write.py --------------------------------------------------------


@pytest.mark.parametrize("kind", [SmpClient, SmpWriteClient])
def test_smp_clients_need_a_requests_session(kind: type) -> None:
    kwargs: dict[str, Any] = (
        {"trust": None} if kind is SmpClient else {"smp_url": "https://s", "auth": ("u", "p")}
    )
    with pytest.raises(UsageError):
        kind(session=object(), **kwargs)


def test_a_redirect_without_participant_and_document_type_cannot_be_published() -> None:
    with requests.Session() as session:
        writer = SmpWriteClient(session=session, smp_url="http://127.0.0.1:9", auth=("u", "p"))
        with pytest.raises(UsageError):
            writer.put_service_metadata(Redirect(url="https://other.example/", certificate_uid="X"))


def test_a_service_group_of_another_participant_is_refused() -> None:
    body = build_service_group(ServiceGroup(participant=OTHER, document_types=()))
    app = answering_app("200 OK", body, "application/xml")
    with (
        serve_wsgi_in_thread(app) as server,
        requests.Session() as session,
        pytest.raises(SmpError) as info,
    ):
        SmpClient(session=session, trust=None).service_group(server.url, RECEIVER)
    assert info.value.rule == "smp:wrong-participant"


def test_signed_metadata_of_another_participant_is_refused() -> None:
    # A validly signed answer, but about someone else: the SMP (or a cache) mixed them up.
    signed = sign_service_metadata(smp_metadata(participant=OTHER), pki.smp_key())
    app = answering_app("200 OK", signed, "application/xml")
    with (
        serve_wsgi_in_thread(app) as server,
        requests.Session() as session,
        pytest.raises(SmpError) as info,
    ):
        SmpClient(session=session, trust=pki.peppol_trust()).service_metadata(
            server.url, RECEIVER, DIGITAL, at=NOW
        )
    assert info.value.rule == "smp:wrong-metadata"


# -- lookup/smp_verify.py ----------------------------------------------------------------------


def _signed_by_reference(uri: str, key_info: bool) -> bytes:
    root = etree.Element(
        f"{{{ns.SMP}}}SignedServiceMetadata",
        nsmap={None: ns.SMP, "ids": ns.BUSDOX_IDS, "wsa": ns.WSA},  # type: ignore[dict-item]
    )
    metadata = build_service_metadata(smp_metadata())
    metadata.set("Id", "metadata")
    root.append(metadata)
    info = None
    if key_info:
        info = etree.Element(f"{{{ns.DS}}}KeyInfo", nsmap={"ds": ns.DS})
        x509_data = etree.SubElement(info, f"{{{ns.DS}}}X509Data")
        etree.SubElement(x509_data, f"{{{ns.DS}}}X509Certificate").text = _cert_b64(pki.smp_key())
    transforms = (Transform.ENVELOPED_SIGNATURE,) if uri == "" else (Transform.EXCLUSIVE_C14N,)
    sign(
        parent=root,
        references=[ReferenceSpec(uri=uri, transforms=transforms)],
        key=pki.smp_key(),
        key_info=info,
    )
    return to_bytes(root)


def test_smp_signature_without_a_certificate_is_refused() -> None:
    with pytest.raises(SignatureError) as info:
        verify_service_metadata(_signed_by_reference("", key_info=False), trust=None)
    assert info.value.rule == "smp:no-signer-certificate"


def test_smp_signature_over_part_of_the_document_is_refused() -> None:
    # SMP 1.x 3.3: the signature covers the whole document (URI="", enveloped); one over the
    # ServiceMetadata element by id verifies cryptographically but leaves the rest unsigned.
    with pytest.raises(SignatureError) as info:
        verify_service_metadata(_signed_by_reference("#metadata", key_info=True), trust=None)
    assert info.value.rule == "smp:signature-scope"


@pytest.mark.parametrize("separator", [",", ", "])
def test_a_certificate_uid_naming_the_whole_subject_matches(separator: str) -> None:
    certificate = pki.smp_key().certificate
    subject = certificate.subject.rfc4514_string().replace(",", separator)
    assert signer_matches_uid(certificate, subject) is True
    assert signer_matches_uid(certificate, subject + "X") is False


def _oasis(inner: str) -> bytes:
    """OASIS SMP 2.0 metadata of the receiver's digital process, ``inner`` after its Process."""
    return f"""<ServiceMetadata {OASIS_NS}>
      <cbc:SMPVersionID>2.0</cbc:SMPVersionID>
      <cbc:ID schemeID="busdox-docid-qns">{DIGITAL.value}</cbc:ID>
      <cbc:ParticipantID schemeID="iso6523-actorid-upis">{RECEIVER.value}</cbc:ParticipantID>
      <cac:ProcessMetadata>
        <cac:Process>
          <cbc:ID schemeID="cenbii-procid-ubl">{DIGITAL_PROCESS.value}</cbc:ID>
        </cac:Process>
        {inner}
      </cac:ProcessMetadata>
    </ServiceMetadata>""".encode()


def _oasis_redirect(publisher: str, certificate_b64: str) -> bytes:
    return _oasis(f"""<cac:Redirect>
          <cbc:PublisherURI>{publisher}</cbc:PublisherURI>
          <cac:Certificate><cbc:TypeCode>signing</cbc:TypeCode>
            <cbc:ContentBinaryObject mimeCode="application/base64"
              >{certificate_b64}</cbc:ContentBinaryObject>
          </cac:Certificate>
        </cac:Redirect>""")


def _oasis_metadata() -> bytes:
    return _oasis("""<cac:Endpoint>
          <cbc:TransportProfileID>peppol-transport-as4-v2_0</cbc:TransportProfileID>
          <cbc:AddressURI>https://ap.example/as4</cbc:AddressURI>
        </cac:Endpoint>""")


def test_an_oasis_redirect_is_read_with_its_certificate() -> None:
    expected = pki.ap_key("c3").certificate
    content = read_service_metadata(
        parse_xml(_oasis_redirect("https://next.example/smp", _cert_b64(pki.ap_key("c3"))))
    )
    assert content == Redirect(url="https://next.example/smp", certificate=expected)


def test_an_oasis_redirect_target_signed_by_another_certificate_is_refused() -> None:
    # OASIS SMP 2.0: the redirect names the target's signer certificate; the target here is
    # signed by the SMP key, the redirect named corner 3's certificate.
    answers: dict[str, bytes] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [answers[environ["PATH_INFO"].split("/")[1]]]

    with serve_wsgi_in_thread(app) as server, requests.Session() as session:
        answers["first"] = _sign_oasis(
            _oasis_redirect(f"{server.url}/target", _cert_b64(pki.ap_key("c3"))), pki.smp_key()
        )
        answers["target"] = _sign_oasis(_oasis_metadata(), pki.smp_key())
        client = SmpClient(session=session, trust=pki.peppol_trust(), flavour=SmpFlavour.OASIS_2)
        with pytest.raises(SmpError) as info:
            client.service_metadata(f"{server.url}/first", RECEIVER, DIGITAL, at=NOW)
    assert info.value.rule == "smp:redirect-signer"


# -- lookup/smp_xml.py -------------------------------------------------------------------------

_SMP_Q = f"{{{ns.SMP}}}"
_IDS_Q = f"{{{ns.BUSDOX_IDS}}}"
_WSA_Q = f"{{{ns.WSA}}}"


def _break_metadata(change: Callable[[etree._Element], None]) -> etree._Element:
    root = build_service_metadata(smp_metadata())
    change(root)
    return parse_xml(to_bytes(root))


def _remove(root: etree._Element, path: str) -> None:
    found = root.find(path)
    assert found is not None
    found.getparent().remove(found)


_ENDPOINT = "/".join(
    f"{_SMP_Q}{name}"
    for name in ("ServiceInformation", "ProcessList", "Process", "ServiceEndpointList", "Endpoint")
)


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda r: _remove(r, f"{_SMP_Q}ServiceInformation"), "smp:malformed"),
        (lambda r: r.find(_ENDPOINT).attrib.pop("transportProfile"), "smp:malformed"),
        (
            lambda r: setattr(
                r.find(f"{_ENDPOINT}/{_WSA_Q}EndpointReference/{_WSA_Q}Address"),
                "text",
                "ftp://ap.example/as4",
            ),
            "smp:bad-url",
        ),
        (
            lambda r: r.find(f"{_SMP_Q}ServiceInformation/{_IDS_Q}ParticipantIdentifier").set(
                "scheme", "bogus-scheme"
            ),
            "id:scheme",  # the identifier's own rule, under SmpError
        ),
    ],
)
def test_malformed_peppol_metadata_is_refused(
    change: Callable[[etree._Element], None], rule: str
) -> None:
    with pytest.raises(SmpError) as info:
        read_service_metadata(_break_metadata(change))
    assert info.value.rule == rule


def test_a_redirect_without_certificate_uid_is_refused() -> None:
    root = build_service_metadata(Redirect(url="https://next.example/", certificate_uid=None))
    with pytest.raises(SmpError) as info:
        read_service_metadata(parse_xml(to_bytes(root)))
    assert info.value.rule == "smp:malformed"


def test_a_document_that_is_not_service_metadata_is_refused() -> None:
    with pytest.raises(SmpError) as info:
        read_service_metadata(parse_xml(b'<ServiceGroup xmlns="urn:not-smp"/>'))
    assert info.value.rule == "smp:malformed"


def test_an_oasis_service_group_is_read() -> None:
    document = f"""<ServiceGroup xmlns="http://docs.oasis-open.org/bdxr/ns/SMP/2/ServiceGroup"
      xmlns:cac="http://docs.oasis-open.org/bdxr/ns/SMP/2/AggregateComponents"
      xmlns:cbc="http://docs.oasis-open.org/bdxr/ns/SMP/2/BasicComponents">
      <cbc:SMPVersionID>2.0</cbc:SMPVersionID>
      <cbc:ParticipantID schemeID="iso6523-actorid-upis">{RECEIVER.value}</cbc:ParticipantID>
      <cac:ServiceReference>
        <cbc:ID schemeID="busdox-docid-qns">{DIGITAL.value}</cbc:ID>
      </cac:ServiceReference>
    </ServiceGroup>""".encode()
    assert parse_service_group(document) == ServiceGroup(
        participant=RECEIVER, document_types=(DIGITAL,)
    )


def _peppol_group(href: str) -> bytes:
    return (
        f'<ServiceGroup xmlns="{ns.SMP}" xmlns:ids="{ns.BUSDOX_IDS}">'
        '<ids:ParticipantIdentifier scheme="iso6523-actorid-upis">0192:984661185'
        "</ids:ParticipantIdentifier><ServiceMetadataReferenceCollection>"
        f'<ServiceMetadataReference href="{href}"/>'
        "</ServiceMetadataReferenceCollection></ServiceGroup>"
    ).encode()


@pytest.mark.parametrize(
    "document",
    [
        b'<ServiceGroup xmlns="urn:not-smp"/>',  # another root element
        _peppol_group("https://smp.example/iso6523-actorid-upis%3A%3A0192%3A984661185"),
        _peppol_group("https://smp.example/p/services/%FF%FE"),  # not UTF-8
        _peppol_group("https://smp.example/p/services/no-document-type"),
    ],
)
def test_malformed_service_groups_are_refused(document: bytes) -> None:
    with pytest.raises(SmpError) as info:
        parse_service_group(document)
    assert info.value.rule == "smp:malformed"


def test_every_endpoint_field_survives_writing_and_reading() -> None:
    endpoint = smp_endpoint(
        activation=datetime(2026, 1, 1, tzinfo=UTC),
        expiration=datetime(2026, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=1))),
        minimum_authentication_level="2",
        technical_information_url="https://ap.example/info",
        require_business_level_signature=True,
    )
    written = build_service_metadata(smp_metadata(endpoint))
    assert written.find(f"{_ENDPOINT}/{_SMP_Q}ServiceActivationDate").text == (
        "2026-01-01T00:00:00Z"
    )
    assert written.find(f"{_ENDPOINT}/{_SMP_Q}ServiceExpirationDate").text == (
        "2026-12-31T22:00:00Z"  # written in UTC
    )
    assert read_service_metadata(parse_xml(to_bytes(written))) == smp_metadata(endpoint)

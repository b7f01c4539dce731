"""Reading and writing SMP XML: Peppol SMP 1.x (BusDox) and OASIS SMP 2.0.

Readers take an element that was already parsed (and, for signed metadata, verified: see
:mod:`.smp_verify`) or bytes for the unsigned ServiceGroup; every problem is an
:class:`~.errors.SmpError` naming the rule. Writers produce the unsigned documents of the SMP
write API (``PUT``), which a local SMP also signs and serves.

Peppol SMP 1.x XSD: peppol-commons ``peppol-smp-types-v1-ext.xsd``; OASIS SMP 2.0: bdx-smp-v2.0
``ServiceGroup-2.0.xsd``, ``ServiceMetadata-2.0.xsd`` and the UBL-style component schemas.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import unquote_plus, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from .. import ns
from ..errors import CertificateError, InputError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..keys import certificate_from_der
from ..limits import DEFAULT_LIMITS, Limits
from ..xmlparse import Element, parse_xml, to_bytes
from ..xmltext import date_time, xml_strip
from .errors import SmpError
from .smp import (
    Endpoint,
    ProcessMetadata,
    Redirect,
    ServiceGroup,
    ServiceMetadata,
    SmpFlavour,
    service_metadata_url,
)

__all__ = [
    "build_service_group",
    "build_service_metadata",
    "parse_certificate",
    "parse_service_group",
    "read_service_metadata",
]

_SMP, _IDS, _WSA = ns.SMP, ns.BUSDOX_IDS, ns.WSA
_CAC, _CBC = ns.BDXR2_CAC, ns.BDXR2_CBC
_PEM_ARMOUR = re.compile(rb"-----(BEGIN|END) CERTIFICATE-----")


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


def _child(parent: Element, namespace: str, local: str, *, what: str) -> Element:
    found = parent.find(_q(namespace, local))
    if found is None:
        raise SmpError(f"{what} has no {local}", rule="smp:malformed")
    return found


def _text(parent: Element, namespace: str, local: str, *, what: str) -> str:
    text = xml_strip(_child(parent, namespace, local, what=what).text or "")
    if not text:
        raise SmpError(f"{local} in {what} is empty", rule="smp:malformed")
    return text


def _optional_text(parent: Element, namespace: str, local: str) -> str | None:
    found = parent.find(_q(namespace, local))
    text = xml_strip(found.text or "") if found is not None else ""
    return text or None


_Id = TypeVar("_Id", ParticipantId, DocumentTypeId, ProcessId)


def _identifier(element: Element) -> str:
    scheme = element.get("scheme") or element.get("schemeID")
    value = xml_strip(element.text or "")
    return f"{scheme}::{value}" if scheme else value


def _parse_id(element: Element, kind: type[_Id]) -> _Id:
    try:
        return kind.parse(_identifier(element))
    except InputError as exc:
        raise SmpError(f"bad identifier in the SMP answer: {exc.message}", rule=exc.rule) from None


def parse_certificate(text: str | None, *, what: str = "Certificate") -> x509.Certificate:
    """A certificate given as base64 DER (Peppol SMP 1.x), tolerating PEM armour and line breaks."""
    data = _PEM_ARMOUR.sub(b"", (text or "").encode("ascii", "replace"))
    try:
        # Decoded whole where it enters, as every certificate from a peer (keys.py).
        return certificate_from_der(base64.b64decode(b"".join(data.split()), validate=True))
    except (binascii.Error, ValueError, CertificateError):
        raise SmpError(
            f"{what} is not a base64 DER certificate", rule="smp:bad-certificate"
        ) from None


_XS_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})?")


def _instant(text: str | None, *, end_of_day: bool, what: str) -> datetime | None:
    """xs:dateTime (Peppol 1.x) or xs:date (OASIS 2.0); no zone means UTC."""
    if text is None:
        return None
    value = xml_strip(text)
    parsed: datetime | None = None
    if "T" in value:
        parsed = date_time(value)
    elif _XS_DATE.fullmatch(value):
        # xs:date (XSD 1.0 part 2 section 3.2.9): from the day's midnight in its zone; an
        # expiration date includes its whole day.
        parsed = date_time(f"{value[:10]}T00:00:00{value[10:]}")
        if parsed is not None and end_of_day:
            parsed += timedelta(days=1, microseconds=-1)
    if parsed is None:
        raise SmpError(f"{what} {value!r} is not an XML Schema date", rule="smp:malformed")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _url(text: str, what: str) -> str:
    parts = urlsplit(text)
    # RFC 3986 2: a URI is printable ASCII without spaces (urlsplit takes U+00A0 in a path).
    printable_ascii = text.isascii() and text.isprintable() and " " not in text
    if parts.scheme not in ("http", "https") or not parts.netloc or not printable_ascii:
        raise SmpError(f"{what} {text!r} is not an HTTP(S) URL", rule="smp:bad-url")
    return text


# -- ServiceGroup ---------------------------------------------------------------------------


def parse_service_group(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> ServiceGroup:
    """A ``ServiceGroup`` (Peppol 1.x or OASIS 2.0)."""
    root = parse_xml(data, limits=limits, what="SMP ServiceGroup")
    if root.tag == _q(_SMP, "ServiceGroup"):
        participant = _parse_id(
            _child(root, _IDS, "ParticipantIdentifier", what="ServiceGroup"), ParticipantId
        )
        hrefs = tuple(
            ref.get("href", "")
            for ref in root.iterfind(
                f"{_q(_SMP, 'ServiceMetadataReferenceCollection')}/{_q(_SMP, 'ServiceMetadataReference')}"
            )
        )
        return ServiceGroup(
            participant=participant,
            document_types=tuple(_document_type_of_href(h) for h in hrefs),
            references=hrefs,
        )
    if root.tag == _q(ns.BDXR2_SERVICE_GROUP, "ServiceGroup"):
        participant = _parse_id(
            _child(root, _CBC, "ParticipantID", what="ServiceGroup"), ParticipantId
        )
        doc_types = tuple(
            _parse_id(_child(ref, _CBC, "ID", what="ServiceReference"), DocumentTypeId)
            for ref in root.iterfind(_q(_CAC, "ServiceReference"))
        )
        return ServiceGroup(participant=participant, document_types=doc_types)
    raise SmpError(f"the SMP answered a {root.tag} instead of a ServiceGroup", rule="smp:malformed")


def _document_type_of_href(href: str) -> DocumentTypeId:
    # Peppol SMP 1.x 3.2: href = {smp}/{participant}/services/{document type}, URL-encoded.
    path = urlsplit(href).path
    marker = "/services/"
    if marker not in path:
        raise SmpError(
            f"ServiceMetadataReference {href!r} has no /services/ part", rule="smp:malformed"
        )
    encoded = path.rsplit(marker, 1)[1]
    try:
        return DocumentTypeId.parse(unquote_plus(encoded, errors="strict"))
    except (InputError, UnicodeDecodeError) as exc:
        raise SmpError(f"ServiceMetadataReference {href!r}: {exc}", rule="smp:malformed") from None


# -- ServiceMetadata ------------------------------------------------------------------------


def read_service_metadata(root: Element) -> ServiceMetadata | Redirect:
    """The content of a (Signed)ServiceMetadata element, Peppol 1.x or OASIS 2.0."""
    if root.tag == _q(_SMP, "SignedServiceMetadata"):
        root = _child(root, _SMP, "ServiceMetadata", what="SignedServiceMetadata")
    if root.tag == _q(_SMP, "ServiceMetadata"):
        return _read_peppol(root)
    if root.tag == _q(ns.BDXR2_SERVICE_METADATA, "ServiceMetadata"):
        return _read_oasis2(root)
    raise SmpError(
        f"the SMP answered a {root.tag} instead of SignedServiceMetadata", rule="smp:malformed"
    )


def _read_peppol(metadata: Element) -> ServiceMetadata | Redirect:
    redirect = metadata.find(_q(_SMP, "Redirect"))
    if redirect is not None:
        return Redirect(
            url=_url(redirect.get("href", ""), "Redirect href"),
            certificate_uid=_text(redirect, _SMP, "CertificateUID", what="Redirect"),
        )
    info = _child(metadata, _SMP, "ServiceInformation", what="ServiceMetadata")
    processes = []
    for process in info.iterfind(f"{_q(_SMP, 'ProcessList')}/{_q(_SMP, 'Process')}"):
        endpoints = tuple(
            _read_peppol_endpoint(e)
            for e in process.iterfind(f"{_q(_SMP, 'ServiceEndpointList')}/{_q(_SMP, 'Endpoint')}")
        )
        processes.append(
            ProcessMetadata(
                process=_parse_id(
                    _child(process, _IDS, "ProcessIdentifier", what="Process"), ProcessId
                ),
                endpoints=endpoints,
            )
        )
    return ServiceMetadata(
        participant=_parse_id(
            _child(info, _IDS, "ParticipantIdentifier", what="ServiceInformation"), ParticipantId
        ),
        document_type=_parse_id(
            _child(info, _IDS, "DocumentIdentifier", what="ServiceInformation"), DocumentTypeId
        ),
        processes=tuple(processes),
    )


def _read_peppol_endpoint(endpoint: Element) -> Endpoint:
    profile = endpoint.get("transportProfile")
    if not profile:
        raise SmpError("an Endpoint has no transportProfile", rule="smp:malformed")
    reference = _child(endpoint, _WSA, "EndpointReference", what="Endpoint")
    signature_flag = _optional_text(endpoint, _SMP, "RequireBusinessLevelSignature")
    return Endpoint(
        transport_profile=profile,
        url=_url(_text(reference, _WSA, "Address", what="EndpointReference"), "Address"),
        certificate=parse_certificate(_optional_text(endpoint, _SMP, "Certificate")),
        activation=_instant(
            _optional_text(endpoint, _SMP, "ServiceActivationDate"),
            end_of_day=False,
            what="ServiceActivationDate",
        ),
        expiration=_instant(
            _optional_text(endpoint, _SMP, "ServiceExpirationDate"),
            end_of_day=True,
            what="ServiceExpirationDate",
        ),
        require_business_level_signature=signature_flag in ("true", "1"),
        minimum_authentication_level=_optional_text(endpoint, _SMP, "MinimumAuthenticationLevel"),
        description=_optional_text(endpoint, _SMP, "ServiceDescription"),
        technical_contact=_optional_text(endpoint, _SMP, "TechnicalContactUrl"),
        technical_information_url=_optional_text(endpoint, _SMP, "TechnicalInformationUrl"),
    )


def _read_oasis2(metadata: Element) -> ServiceMetadata | Redirect:
    processes = []
    for block in metadata.iterfind(_q(_CAC, "ProcessMetadata")):
        redirect = block.find(_q(_CAC, "Redirect"))
        if redirect is not None:
            cert = redirect.find(f"{_q(_CAC, 'Certificate')}/{_q(_CBC, 'ContentBinaryObject')}")
            return Redirect(
                url=_url(_text(redirect, _CBC, "PublisherURI", what="Redirect"), "PublisherURI"),
                certificate=parse_certificate(cert.text if cert is not None else None),
            )
        endpoints = tuple(_read_oasis2_endpoint(e) for e in block.iterfind(_q(_CAC, "Endpoint")))
        for process in block.iterfind(_q(_CAC, "Process")):
            processes.append(
                ProcessMetadata(
                    process=_parse_id(_child(process, _CBC, "ID", what="Process"), ProcessId),
                    endpoints=endpoints,
                )
            )
    return ServiceMetadata(
        participant=_parse_id(
            _child(metadata, _CBC, "ParticipantID", what="ServiceMetadata"), ParticipantId
        ),
        document_type=_parse_id(
            _child(metadata, _CBC, "ID", what="ServiceMetadata"), DocumentTypeId
        ),
        processes=tuple(processes),
        flavour=SmpFlavour.OASIS_2,
    )


def _read_oasis2_endpoint(endpoint: Element) -> Endpoint:
    # OASIS SMP 2.0 5.3: several certificates per endpoint, told apart by TypeCode; the one
    # for Peppol AS4 is the first (there is no Peppol TypeCode list yet).
    cert = endpoint.find(f"{_q(_CAC, 'Certificate')}/{_q(_CBC, 'ContentBinaryObject')}")
    return Endpoint(
        transport_profile=_text(endpoint, _CBC, "TransportProfileID", what="Endpoint"),
        url=_url(_text(endpoint, _CBC, "AddressURI", what="Endpoint"), "AddressURI"),
        certificate=parse_certificate(cert.text) if cert is not None else None,
        activation=_instant(
            _optional_text(endpoint, _CBC, "ActivationDate"),
            end_of_day=False,
            what="ActivationDate",
        ),
        expiration=_instant(
            _optional_text(endpoint, _CBC, "ExpirationDate"), end_of_day=True, what="ExpirationDate"
        ),
        description=_optional_text(endpoint, _CBC, "Description"),
        technical_contact=_optional_text(endpoint, _CBC, "Contact"),
    )


# -- writing (Peppol SMP 1.x) ---------------------------------------------------------------


def _id_element(parent: Element, local: str, scheme: str, value: str) -> None:
    etree.SubElement(parent, _q(_IDS, local), scheme=scheme).text = value


def _instant_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build_service_group(group: ServiceGroup, *, smp_url: str | None = None) -> bytes:
    """A Peppol 1.x ``ServiceGroup``; with ``smp_url`` the references point there."""
    root = etree.Element(_q(_SMP, "ServiceGroup"), nsmap={None: _SMP, "ids": _IDS})  # type: ignore[dict-item]
    _id_element(
        root, "ParticipantIdentifier", group.participant.scheme.value, group.participant.value
    )
    collection = etree.SubElement(root, _q(_SMP, "ServiceMetadataReferenceCollection"))
    for doc_type in group.document_types if smp_url else ():
        etree.SubElement(
            collection,
            _q(_SMP, "ServiceMetadataReference"),
            href=service_metadata_url(smp_url or "", group.participant, doc_type),
        )
    return to_bytes(root)


def build_service_metadata(metadata: ServiceMetadata | Redirect) -> Element:
    """A Peppol 1.x ``ServiceMetadata`` element (unsigned: the body of the write API's PUT)."""
    root = etree.Element(
        _q(_SMP, "ServiceMetadata"),
        nsmap={None: _SMP, "ids": _IDS, "wsa": _WSA},  # type: ignore[dict-item]
    )
    if isinstance(metadata, Redirect):
        redirect = etree.SubElement(root, _q(_SMP, "Redirect"), href=metadata.url)
        etree.SubElement(redirect, _q(_SMP, "CertificateUID")).text = metadata.certificate_uid or ""
        return root
    info = etree.SubElement(root, _q(_SMP, "ServiceInformation"))
    p, d = metadata.participant, metadata.document_type
    _id_element(info, "ParticipantIdentifier", p.scheme.value, p.value)
    _id_element(info, "DocumentIdentifier", d.scheme.value, d.value)
    process_list = etree.SubElement(info, _q(_SMP, "ProcessList"))
    for process in metadata.processes:
        process_element = etree.SubElement(process_list, _q(_SMP, "Process"))
        _id_element(
            process_element,
            "ProcessIdentifier",
            process.process.scheme.value,
            process.process.value,
        )
        endpoint_list = etree.SubElement(process_element, _q(_SMP, "ServiceEndpointList"))
        for endpoint in process.endpoints:
            _build_endpoint(endpoint_list, endpoint)
    return root


def _build_endpoint(parent: Element, endpoint: Endpoint) -> None:
    element = etree.SubElement(
        parent, _q(_SMP, "Endpoint"), transportProfile=endpoint.transport_profile
    )
    reference = etree.SubElement(element, _q(_WSA, "EndpointReference"))
    etree.SubElement(reference, _q(_WSA, "Address")).text = endpoint.url
    etree.SubElement(element, _q(_SMP, "RequireBusinessLevelSignature")).text = (
        "true" if endpoint.require_business_level_signature else "false"
    )
    if endpoint.minimum_authentication_level:
        etree.SubElement(
            element, _q(_SMP, "MinimumAuthenticationLevel")
        ).text = endpoint.minimum_authentication_level
    if endpoint.activation:
        etree.SubElement(element, _q(_SMP, "ServiceActivationDate")).text = _instant_text(
            endpoint.activation
        )
    if endpoint.expiration:
        etree.SubElement(element, _q(_SMP, "ServiceExpirationDate")).text = _instant_text(
            endpoint.expiration
        )
    cert = endpoint.certificate.public_bytes(Encoding.DER) if endpoint.certificate else b""
    etree.SubElement(element, _q(_SMP, "Certificate")).text = base64.b64encode(cert).decode()
    etree.SubElement(element, _q(_SMP, "ServiceDescription")).text = endpoint.description or ""
    etree.SubElement(element, _q(_SMP, "TechnicalContactUrl")).text = (
        endpoint.technical_contact or ""
    )
    if endpoint.technical_information_url:
        etree.SubElement(
            element, _q(_SMP, "TechnicalInformationUrl")
        ).text = endpoint.technical_information_url

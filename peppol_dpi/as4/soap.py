"""The SOAP 1.2 envelope of an AS4 message: building it, and finding its parts safely.

AS4 uses SOAP 1.2 (AS4 profile 2.1; Peppol AS4 2.0.3). The envelope holds ``eb:Messaging`` and
one ``wsse:Security`` header, and an empty ``S12:Body`` (payloads are attachments, Peppol AS4
2.0.3 section 3). Parsing locates each part by its exact position (Envelope/Header/child,
Envelope/Body) and refuses duplicates, so that what a signature covered and what the
application reads are the same elements (signature wrapping defence).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ns
from ..errors import EbmsError
from ..limits import DEFAULT_LIMITS, Limits
from ..xmlparse import Element, first_child, parse_xml
from ..xmltext import attr, xml_strip
from .model import Ebms3HeaderError

__all__ = ["SoapEnvelope", "SoapFault", "body_xml", "envelope_xml", "parse_envelope"]

_S12 = ns.SOAP12
_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


@dataclass(frozen=True)
class SoapFault:
    """A SOAP 1.2 Fault (SOAP 1.2 part 1, 5.4): code, subcode, reason, detail text."""

    code: str
    subcode: str | None
    reason: str
    detail: str | None


@dataclass(frozen=True)
class SoapEnvelope:
    """A parsed envelope and the elements an AS4 processor works on (each found exactly once)."""

    root: Element
    header: Element | None
    body: Element
    messaging: Element | None
    security: Element | None
    fault: SoapFault | None


def body_xml(body_id: str, *, declare_soap: bool = False) -> str:
    """The empty ``S12:Body`` with its ``wsu:Id`` (payloads travel as attachments, Peppol AS4
    2.0.3 section 3), as text for an envelope that declares ``S12``.

    With ``declare_soap`` it declares ``S12`` too and is then its own exclusive canonical form
    (Exclusive C14N 1.0 section 3: the two prefixes it uses, sorted, then ``wsu:Id``)."""
    soap = f' xmlns:S12="{_S12}"' if declare_soap else ""
    return f'<S12:Body{soap} xmlns:wsu="{ns.WSU}" wsu:Id="{attr(body_id)}"></S12:Body>'


def envelope_xml(*, security: str, messaging: str, body: str) -> str:
    """An outgoing envelope as text: the ``wsse:Security`` header (mustUnderstand, declaring
    ``wsse`` and ``wsu``) holding ``security``, then ``messaging`` (eb:Messaging), then
    ``body`` (:func:`body_xml`)."""
    return (
        f'<S12:Envelope xmlns:S12="{_S12}"><S12:Header>'
        f'<wsse:Security xmlns:wsse="{ns.WSSE}" xmlns:wsu="{ns.WSU}" S12:mustUnderstand="true">'
        f"{security}</wsse:Security>{messaging}</S12:Header>{body}</S12:Envelope>"
    )


def _bad(message: str, rule: str) -> Ebms3HeaderError:
    return Ebms3HeaderError(message, rule=rule, ebms_code=EbmsError.INVALID_HEADER)


def _single(parent: Element, tag: str, what: str) -> Element | None:
    found = [c for c in parent if c.tag == tag]
    if len(found) > 1:
        raise _bad(f"{what} occurs {len(found)} times", "soap:duplicate")
    return found[0] if found else None


def parse_envelope(data: bytes | memoryview, *, limits: Limits = DEFAULT_LIMITS) -> SoapEnvelope:
    """Parse the root part; raise EBMS:0009 when it is not a usable SOAP 1.2 envelope."""
    root = parse_xml(bytes(data), limits=limits, what="the SOAP envelope")
    if root.tag == _q(_SOAP11, "Envelope"):
        raise _bad("SOAP 1.1 is not used by AS4 (SOAP 1.2 required)", "soap:version")
    if root.tag != _q(_S12, "Envelope"):
        raise _bad("the root part is not a SOAP 1.2 envelope", "soap:envelope")
    elements = [c for c in root if isinstance(c.tag, str)]
    header = _single(root, _q(_S12, "Header"), "S12:Header")
    body = _single(root, _q(_S12, "Body"), "S12:Body")
    if body is None:
        raise _bad("the envelope has no S12:Body", "soap:body")
    expected = [e for e in (header, body) if e is not None]
    if elements != expected:
        raise _bad("the envelope must hold only S12:Header then S12:Body", "soap:envelope")
    messaging = security = None
    if header is not None:
        messaging = _single(header, _q(ns.EB, "Messaging"), "eb:Messaging")
        securities = [c for c in header if c.tag == _q(ns.WSSE, "Security")]
        if len(securities) > 1:
            raise _bad("more than one wsse:Security header", "soap:duplicate")
        security = securities[0] if securities else None
    return SoapEnvelope(
        root=root,
        header=header,
        body=body,
        messaging=messaging,
        security=security,
        fault=_fault(body),
    )


def _fault(body: Element) -> SoapFault | None:
    fault = first_child(body, _q(_S12, "Fault"))
    if fault is None:
        return None
    code = fault.findtext(f"{_q(_S12, 'Code')}/{_q(_S12, 'Value')}") or ""
    subcode = fault.findtext(f"{_q(_S12, 'Code')}/{_q(_S12, 'Subcode')}/{_q(_S12, 'Value')}")
    reason = fault.findtext(f"{_q(_S12, 'Reason')}/{_q(_S12, 'Text')}") or ""
    detail_el = fault.find(_q(_S12, "Detail"))
    detail = (
        " ".join(" ".join(str(t) for t in detail_el.itertext()).split())
        if detail_el is not None
        else None
    )
    return SoapFault(
        code=xml_strip(code),
        subcode=xml_strip(subcode) if subcode else None,
        reason=" ".join(reason.split()),
        detail=detail or None,
    )

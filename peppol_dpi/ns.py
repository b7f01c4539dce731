"""The one namespace table of peppol-dpi: every XML namespace URI the package reads or writes.

Prefixes are the conventional ones (phase4, WSS4J and Digdir use the same), so documents we
write look like theirs. Nothing here is registered globally with lxml.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ASIC",
    "BDXR2_CAC",
    "BDXR2_CBC",
    "BDXR2_SERVICE_GROUP",
    "BDXR2_SERVICE_METADATA",
    "BUSDOX_IDS",
    "DS",
    "DSIG_MORE",
    "EB",
    "EBBP",
    "EXC_C14N",
    "INNBYGGERPOST",
    "ODF_MANIFEST",
    "PEPPOL_ENVELOPE",
    "PREFIXES",
    "SBDH",
    "SDP",
    "SMP",
    "SOAP12",
    "WSA",
    "WSSE",
    "WSSE11",
    "WSU",
    "XADES",
    "XENC",
    "XENC11",
    "XML",
    "qname",
]

# SOAP 1.2 (W3C SOAP 1.2 Part 1)
SOAP12: Final = "http://www.w3.org/2003/05/soap-envelope"
# ebMS 3.0 core header (ebMS3 core 5.2)
EB: Final = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"
# ebBP signals, for the non-repudiation receipt (AS4 5.1.8)
EBBP: Final = "http://docs.oasis-open.org/ebxml-bp/ebbp-signals-2.0"
# WS-Security 1.1 (OASIS WSS SOAP Message Security)
WSSE: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSSE11: Final = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
# XML Signature and XML Encryption
DS: Final = "http://www.w3.org/2000/09/xmldsig#"
DSIG_MORE: Final = "http://www.w3.org/2001/04/xmldsig-more#"
XENC: Final = "http://www.w3.org/2001/04/xmlenc#"
XENC11: Final = "http://www.w3.org/2009/xmlenc11#"
EXC_C14N: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"
# UN/CEFACT Standard Business Document Header 1.3 (Peppol Envelope 2.0)
SBDH: Final = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
# Peppol SBDH BinaryContent / TextContent payload wrappers (Peppol Envelope 2.0.x section 5)
PEPPOL_ENVELOPE: Final = "http://peppol.eu/xsd/ticc/envelope/1.0"
# XAdES 1.3.2 and ASiC (ETSI TS 101 903, ETSI TS 102 918)
XADES: Final = "http://uri.etsi.org/01903/v1.3.2#"
ASIC: Final = "http://uri.etsi.org/02918/v1.2.1#"
# OpenDocument manifest used by ASiC-E META-INF/manifest.xml
ODF_MANIFEST: Final = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
# Digdir SDP manifest (DPI document package manifest.xml)
SDP: Final = "http://begrep.difi.no/sdp/schema_v10"
# Digdir Innbyggerpost: the DPI payload between corners 2 and 3 (nyinf/xsd/innbyggerpost.xsd)
INNBYGGERPOST: Final = "http://digdir.no/dpi/innbyggerpost"
# Peppol SMP 1.x (BusDox) and identifiers
SMP: Final = "http://busdox.org/serviceMetadata/publishing/1.0/"
BUSDOX_IDS: Final = "http://busdox.org/transport/identifiers/1.0/"
WSA: Final = "http://www.w3.org/2005/08/addressing"
# OASIS SMP 2.0 (bdx-smp-v2.0 section 5): document namespaces and UBL-style components
BDXR2_SERVICE_GROUP: Final = "http://docs.oasis-open.org/bdxr/ns/SMP/2/ServiceGroup"
BDXR2_SERVICE_METADATA: Final = "http://docs.oasis-open.org/bdxr/ns/SMP/2/ServiceMetadata"
BDXR2_CAC: Final = "http://docs.oasis-open.org/bdxr/ns/SMP/2/AggregateComponents"
BDXR2_CBC: Final = "http://docs.oasis-open.org/bdxr/ns/SMP/2/BasicComponents"
# W3C XML namespace (xml:lang)
XML: Final = "http://www.w3.org/XML/1998/namespace"

#: Conventional prefix for each namespace, used when writing documents.
PREFIXES: Final[dict[str, str]] = {
    "S12": SOAP12,
    "eb": EB,
    "ebbp": EBBP,
    "wsse": WSSE,
    "wsu": WSU,
    "wsse11": WSSE11,
    "ds": DS,
    "xenc": XENC,
    "xenc11": XENC11,
    "ec": EXC_C14N,
    "sh": SBDH,
    "xades": XADES,
    "asic": ASIC,
    "manifest": ODF_MANIFEST,
    "sdp": SDP,
    "smp": SMP,
    "ids": BUSDOX_IDS,
    "wsa": WSA,
    "cac": BDXR2_CAC,
    "cbc": BDXR2_CBC,
}


def qname(namespace: str, local: str) -> str:
    """Clark notation ``{namespace}local`` as lxml spells element and attribute names."""
    return f"{{{namespace}}}{local}"
